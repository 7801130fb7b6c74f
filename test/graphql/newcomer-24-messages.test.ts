import { contractTill, partnerOperationId } from '../support/till.js';
import { createTier, unique, uniqueCode } from '../support/program.js';
import { AdjustPointsDocument, CreateOfferDocument, CreateTierDocument, UpsertCustomerDocument } from '../generated/graphql.js';

const SUBMIT = partnerOperationId('SubmitTransaction');

/**
 * newcomer-24: what a POS integrator and an operator were told for inputs the README's examples
 * lead to. A till sending "3,20", "1e3" or a 20-digit price (each a string) was told "Decimal must
 * be a string such as "4.50" (at most 15 digits and 6 decimals)"; an operator adding a second
 * currency's tier at rank 1 was told "A tier with this rank already exists.", naming neither the
 * tier nor that ranks are counted across currencies.
 */
describe('bad input says what is wrong with it (newcomer-24)', () => {
  const till = contractTill(['transactions:write']);

  /** The README's sale by id, with `unitPrice` as given; the answer's status, errors (code, field, message) and whether a sale was written. */
  async function sale(unitPrice: unknown) {
    const externalId = unique('till');
    const res = await fetch(till.t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': till.apiKey },
      body: JSON.stringify({
        extensions: { persistedQuery: { version: 1, sha256Hash: SUBMIT } },
        variables: {
          input: {
            externalId,
            customerExternalId: till.customer.externalId,
            occurredAt: new Date(till.t.clock.now()).toISOString(),
            currency: 'EUR',
            lines: [{ sku: 'LATTE', quantity: 1, unitPrice }],
          },
        },
      }),
    });
    const body = (await res.json()) as { errors?: { message: string; extensions: { code: string; field?: string[] } }[] };
    const written = await till.t.sql('select 1 from sales_transaction where external_id = $1', [externalId]);
    return { status: res.status, errors: body.errors?.map((e) => ({ code: e.extensions.code, field: e.extensions.field, message: e.message })), written: written.length };
  }

  /** What the gateway answers for a price it refuses: 400 BAD_USER_INPUT on that line's unitPrice, nothing written, the message ending with `reason`. */
  const refused = (reason: string) => ({
    status: 400,
    errors: [{ code: 'BAD_USER_INPUT', field: ['input', 'lines', '0', 'unitPrice'], message: expect.stringMatching(new RegExp(`Expected type "Decimal"\\. ${escape(reason)}$`)) }],
    written: 0,
  });
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  it.each([
    ['3,20', 'Decimal "3,20" has a ",": the decimal point is "." and there are no thousands separators, such as "1234.50"'],
    ['1e3', 'Decimal "1e3" has an exponent: write the digits out, such as "1000" for "1e3"'],
    ['99999999999999999999.00', 'Decimal "99999999999999999999.00" has 20 digits before its point: at most 15'],
    ['3.1234567', 'Decimal "3.1234567" has 7 decimals: at most 6'],
    [' 3.20', 'Decimal " 3.20" has white space around it: write digits, an optional leading "-" and "." as the decimal point, such as "4.50"'],
    ['.5', 'Decimal ".5" needs a digit on each side of its point, such as "0.50" or "4"'],
    ['', 'Decimal "" is empty: write digits, an optional leading "-" and "." as the decimal point, such as "4.50"'],
    ['€3.20', 'Decimal "€3.20" is not a number: write digits, an optional leading "-" and "." as the decimal point, such as "4.50"'],
    ['-', 'Decimal "-" is not a number: write digits, an optional leading "-" and "." as the decimal point, such as "4.50"'],
  ])('a unitPrice of %j is refused saying why', async (unitPrice, reason) => {
    expect(await sale(unitPrice)).toEqual(refused(reason));
  });

  it('a JSON number that is no exact decimal, and a value that is no string, say what to send', async () => {
    expect(await sale(0.1 + 0.2)).toEqual(refused('Decimal 0.30000000000000004 is a JSON number that is no exact decimal of at most 15 digits and 6 decimals: send it as a string such as "4.50"'));
    expect(await sale(true)).toEqual(refused('Decimal must be a string such as "4.50", not a boolean'));
    expect(await sale({ amount: '3.20' })).toEqual(refused('Decimal must be a string such as "4.50", not an object'));
  });

  it('a price written right is still taken', async () => {
    expect(await sale('3.20')).toEqual({ status: 200, errors: undefined, written: 1 });
    expect(await sale(3.2)).toEqual({ status: 200, errors: undefined, written: 1 });
  });

  it("a tier whose rank or code another tier holds is refused naming that tier, and nothing is written", async () => {
    const currency = uniqueCode('T');
    await till.t.gql(`mutation($input: CreateCurrencyInput!) { createCurrency(input: $input) { userErrors { code } } }`, { input: { code: currency, name: currency, pointValue: '0.01', moneyCurrency: 'EUR' } }, till.t.operatorToken);
    const base = uniqueCode('BASE');
    await createTier(till.t, { currency, code: base, rank: 7, threshold: 0 });
    const second = uniqueCode('SECOND');
    const byRank = await till.t.gql(CreateTierDocument, { input: { currency, code: second, name: 'Second', rank: 7, threshold: 100 } }, till.t.operatorToken);
    expect(byRank.data?.createTier).toEqual({
      tier: null,
      userErrors: [
        {
          code: 'ALREADY_EXISTS',
          field: ['input', 'rank'],
          message: `Rank 7 is taken by tier ${base} (${currency}, from 0 points): the program has one ladder, whatever the currency, so each tier needs a rank of its own.`,
        },
      ],
    });
    const byCode = await till.t.gql(CreateTierDocument, { input: { currency, code: base, name: 'Again', rank: 8, threshold: 100 } }, till.t.operatorToken);
    expect(byCode.data?.createTier.userErrors).toEqual([{ code: 'ALREADY_EXISTS', field: ['input', 'code'], message: `Tier ${base} already exists in ${currency} (rank 7, from 0 points): choose another code.` }]);
    expect(await till.t.sql('select code from tier where code = $1 or rank = 8', [second])).toEqual([]);
  });

  it("class-validator's stock wording is replaced where it left the operator guessing: an amount of 0, an image path, an email", async () => {
    /** The one error's field and message of a staff mutation refused at the input edge. */
    const refusal = (res: { errors?: readonly { message: string; extensions?: Record<string, unknown> }[] }) =>
      res.errors?.map((e) => ({ code: e.extensions?.code, field: e.extensions?.field, message: e.message }));
    const adjust = await till.t.gql(AdjustPointsDocument, { input: { customerExternalId: till.customer.externalId, currency: 'EUR', amount: 0, reason: 'typo', idempotencyKey: unique('adj') } }, till.t.operatorToken);
    const offer = await till.t.gql(CreateOfferDocument, { input: { name: 'Tea', imageUrl: 'offers/tea.png', benefit: { kind: 'FREE_ITEM', freeSku: 'TEA' } } }, till.t.operatorToken);
    const email = await till.t.gql(UpsertCustomerDocument, { input: { externalId: unique('cust'), email: 'dave at example.com' } }, till.t.operatorToken);
    expect([refusal(adjust), refusal(offer), refusal(email)]).toEqual([
      [{ code: 'BAD_USER_INPUT', field: ['input', 'amount'], message: 'amount must not be 0: a positive amount credits, a negative one debits' }],
      [{ code: 'BAD_USER_INPUT', field: ['input', 'imageUrl'], message: 'imageUrl must be an absolute URL with its scheme, such as https://example.com/offer.png' }],
      [{ code: 'BAD_USER_INPUT', field: ['input', 'email'], message: 'email must be an email address such as name@example.com' }],
    ]);
  });
});
