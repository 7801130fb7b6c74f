import { SetEconomyRuleDocument, SubmitTransactionDocument, TransactionStatusDocument } from '../generated/graphql.js';
import { dataOf, expectRefusedAtTheEdge, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, earningProgram, eventually, unique, uniqueCode } from '../support/program.js';

const CURRENCY = `mutation($input: CreateCurrencyInput!) { createCurrency(input: $input) { currency { code pointValue } userErrors { code } } }`;
const RULE = `mutation($input: SetEconomyRuleInput!) { setEconomyRule(input: $input) { rule { pointsPerUnit categoryMultipliers { category multiplier } } userErrors { code } } }`;
const OFFER = `mutation($input: CreateOfferInput!) { createOffer(input: $input) { offer { id } userErrors { code } } }`;

/**
 * noticed-40: a point currency's `pointValue` took "0" (and "0.000000"): every point of it worth
 * nothing, so the program's liability read 0 however many points were out, and a point's money in
 * the member app "worth €0.00". It must be above 0, as amounts off are. An economy rule's
 * `pointsPerUnit` "0" stays: it is the one way to turn earning from sales off for a currency (no
 * rule can be removed; campaigns' bonus points and activities still earn), and its description now
 * says so. The same look at every other decimal or rate input: spellings that are no plain decimal
 * ("-0", exponents, a leading "+", past the digits allowed) are refused BAD_USER_INPUT naming the
 * field. A category multiplier of 0 stays (the one way to make a category earn nothing).
 */
describe('noticed-40: zero and odd spellings in decimal and rate inputs', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterEach(async () => expect(await ledgerViolations(t)).toEqual([]));
  afterAll(() => t.close());

  const staff = (query: string, input: Record<string, unknown>) => t.gql<any, unknown>(query, { input }, t.operatorToken);

  it.each(['0', '0.000000', '00000000.0', '-0', '-0.01', '+0.01', '1e-2', '0.0000001', '123456789'])('createCurrency pointValue %s is refused BAD_USER_INPUT, nothing written', async (pointValue) => {
    await expectRefusedAtTheEdge(
      t,
      () => staff(CURRENCY, { code: uniqueCode('PV'), name: 'n', pointValue, moneyCurrency: 'EUR' }),
      'input.pointValue',
      // (a spelling that is no Decimal at all is the scalar's own refusal, naming what is wrong)
      /^(pointValue must be a decimal above 0 such as "0\.01" \(at most 8 digits before the point and 6 after\)|Variable "\$input" got invalid value .*; Expected type "Decimal"\. Decimal ".*)$/,
    );
  });

  it('createCurrency pointValue 0.000001, the smallest, is taken', async () => {
    const res = dataOf(await staff(CURRENCY, { code: uniqueCode('PV'), name: 'n', pointValue: '0.000001', moneyCurrency: 'EUR' })).createCurrency;
    expect(res.userErrors).toEqual([]);
    expect(Number(res.currency.pointValue)).toBe(0.000001);
  });

  it.each(['-0', '-1', '+1', '1e1', '123456789'])('setEconomyRule pointsPerUnit %s is refused BAD_USER_INPUT', async (pointsPerUnit) => {
    const { currency } = await earningProgram(t, 'PPU');
    await expectRefusedAtTheEdge(t, () => staff(RULE, { currency, pointsPerUnit }), 'input.pointsPerUnit', /^(pointsPerUnit must be a decimal not below 0|Variable "\$input" got invalid value .*; Expected type "Decimal"\. Decimal ")/);
  });

  it('setEconomyRule pointsPerUnit "0" turns earning from sales off: a sale is PROCESSED with 0 points', async () => {
    const { currency, money } = await earningProgram(t, 'OFF');
    expect(ok(await t.gql(SetEconomyRuleDocument, { input: { currency, pointsPerUnit: '0' } }, t.operatorToken)).setEconomyRule.rule).toMatchObject({ pointsPerUnit: expect.stringMatching(/^0(\.0+)?$/) });
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    const customer = await createCustomer(t, currency);
    const externalId = unique('sale');
    ok(await t.gql(SubmitTransactionDocument, { input: { externalId, customerExternalId: customer.externalId, occurredAt: t.clock.now().toISOString(), currency: money, lines: [{ sku: 'A', quantity: 1, unitPrice: '10.00' }] } }, till.credential));
    const sale = await eventually(async () => {
      const s = ok(await t.gql(TransactionStatusDocument, { externalId }, till.credential)).transaction;
      return s?.status === 'PROCESSED' && s;
    });
    expect(sale).toMatchObject({ pointsAwarded: 0, awards: [] });
  });

  it('a category multiplier of 0 (the category earns nothing) is taken; a negative one is refused', async () => {
    const { currency } = await earningProgram(t, 'CM');
    await expectRefusedAtTheEdge(
      t,
      () => staff(RULE, { currency, pointsPerUnit: '1', categoryMultipliers: [{ category: 'COFFEE', multiplier: -0.5 }] }),
      'input.categoryMultipliers.0.multiplier',
      /must not be less than 0/,
    );
    const zero = dataOf(await staff(RULE, { currency, pointsPerUnit: '1', categoryMultipliers: [{ category: 'COFFEE', multiplier: 0 }] })).setEconomyRule;
    expect(zero).toMatchObject({ userErrors: [], rule: { categoryMultipliers: [{ category: 'COFFEE', multiplier: 0 }] } });
  });

  it.each([
    ['amountOff', '0'],
    ['amountOff', '0.0000'],
    ['amountOff', '-0'],
    ['amountOff', '+1'],
    ['amountOff', '1e1'],
    ['maxDiscount', '0.00'],
    ['maxDiscount', '-0'],
  ])('createOffer %s %s is refused BAD_USER_INPUT', async (field, value) => {
    const benefit = field === 'amountOff' ? { kind: 'AMOUNT_OFF', amountOff: value } : { kind: 'PERCENT_OFF', percentOff: 10, maxDiscount: value };
    await expectRefusedAtTheEdge(t, () => staff(OFFER, { name: 'o', benefit }), `input.benefit.${field}`, /must be|Decimal/);
  });
});
