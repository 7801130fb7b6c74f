import { manifestFromDocument } from '../../src/persisted/manifest.js';
import { contractDocument } from '../support/contract.js';
import {
  CreateCampaignDocument,
  CreateCurrencyDocument,
  CreateOfferDocument,
  CreatePartnerDocument,
  ProfileDocument,
  ProgramStatsDocument,
  RecordActivityDocument,
  RewardStoreOffersDocument,
  SetActivityRuleDocument,
  SetEconomyRuleDocument,
  SubmitTransactionDocument,
  TransactionStatusDocument,
  UpdateOfferDocument,
  UpsertCustomerDocument,
  type SubmitTransactionInput,
} from '../generated/graphql.js';
import { formatError } from '../../src/graphql/errors.js';
import { dataOf, type GqlResult, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, createPartner, simpleShop, unique } from '../support/program.js';

/**
 * Issue 7, kinds 5 and 6, one instance each: numbers that must fit their types end to end and
 * values PostgreSQL cannot take as sent. Each is refused at the edge (BAD_USER_INPUT, with
 * nothing written) or, for computed amounts, refused where it is computed; program-wide totals are
 * answered as 64-bit `BigInt`. `hostile-input.property.test.ts` holds the whole kind closed.
 */

const LEAK = /select |insert |update |postgres|stack/i;

function codesOf(res: GqlResult<unknown>) {
  return (res.errors ?? []).map((e) => e.extensions?.code);
}

/** BAD_USER_INPUT: before execution (HTTP 400, a variable that cannot be coerced) or on the field (no value). */
function expectBadInput(res: GqlResult<unknown>, field?: string) {
  expect(codesOf(res)).toEqual(['BAD_USER_INPUT']);
  if (field && res.status === 200) expect((res.data as Record<string, unknown> | null | undefined)?.[field] ?? null).toBeNull();
  expect(JSON.stringify(res)).not.toMatch(LEAK);
}

// A listings cursor as the gateway makes them (src/graphql/connection.ts): the list's kind, then the key.
const cursor = (key: unknown[]) => Buffer.from(JSON.stringify(['Listing', ...key])).toString('base64url');

describe('the input edge', () => {
  let t: TestGateway;
  let shop: Awaited<ReturnType<typeof simpleShop>>;
  let customer: Awaited<ReturnType<typeof createCustomer>>;
  let till: Awaited<ReturnType<typeof createPartner>>;

  /** Every table's row count: what a refused request must leave as it was. */
  const rowCounts = async () => {
    const tables = await t.sql<{ name: string }>(
      `select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'
        and table_name <> 'rate_limit_bucket' order by 1`, // the rate limiter counts every request, refused or not
    );
    const [row] = await t.sql<Record<string, number>>(`select ${tables.map(({ name }) => `(select count(*)::int from "${name}") as "${name}"`).join(', ')}`);
    return row;
  };

  /** A point currency valued in `money`, so only sales in that money earn it. */
  const currencyIn = async (code: string, money: string) =>
    ok(await t.gql(CreateCurrencyDocument, { input: { code, name: code, pointValue: '0.01', moneyCurrency: money } }, t.operatorToken));

  const sale = (extra: Partial<SubmitTransactionInput> = {}): SubmitTransactionInput => ({
    externalId: unique('sale'),
    customerExternalId: customer.externalId,
    occurredAt: t.clock.now().toISOString(),
    currency: 'EUR',
    lines: [{ sku: 'LATTE', category: 'coffee', quantity: 1, unitPrice: '3.50' }],
    ...extra,
  });

  beforeAll(async () => {
    // sales are processed when a test says so, so what a test sees is what it caused
    t = await startTestGateway({}, { jobs: 'manual' });
    shop = await simpleShop(t, { priceInPoints: 10, stock: 100 });
    customer = await createCustomer(t, shop.currency, 1000);
    till = await createPartner(t, ['transactions:write', 'transactions:read', 'activities:write', 'customers:read']);
    // The till's build registers the contract's operations first, so "nothing written" snapshots do not see that.
    await t.register(till.credential, manifestFromDocument(contractDocument('partner')));
  });

  afterEach(() => t.clock.reset());

  afterAll(async () => {
    expect(await ledgerViolations(t)).toEqual([]);
    await t.close();
  });

  describe('text PostgreSQL cannot store as sent is BAD_USER_INPUT, and nothing is written', () => {
    it('a sale line whose sku has a NUL character (stored as JSON)', async () => {
      const before = await rowCounts();
      const res = await t.gql(SubmitTransactionDocument, { input: sale({ lines: [{ sku: 'LAT\u0000TE', quantity: 1, unitPrice: '3.50' }] }) }, till.credential);
      expectBadInput(res, 'submitTransaction');
      expect(res.errors![0].message).toMatch(/input\.lines\.0\.sku must not contain NUL/);
      expect(await rowCounts()).toEqual(before);
    });

    it.each([
      ['a partner name', () => t.gql(CreatePartnerDocument, { input: { name: 'POS \ud800', scopes: ['customers:read'] } }, t.operatorToken), 'createPartner'],
      ['a segment', () => t.gql(UpsertCustomerDocument, { input: { externalId: unique('c'), segments: ['vip', 'x\udc00y'] } }, t.operatorToken), 'upsertCustomer'],
      ['an offer description', () => t.gql(CreateOfferDocument, { input: { name: 'n', description: '\udbff', benefit: { kind: 'FREE_ITEM', freeSku: 'M' } } }, t.operatorToken), 'createOffer'],
      ['an activity reference', () => t.gql(RecordActivityDocument, { customerExternalId: customer.externalId, kind: 'REVIEW', reference: 'r-\ud800' }, till.credential), 'recordActivity'],
      ['a sale line category', () => t.gql(SubmitTransactionDocument, { input: sale({ lines: [{ sku: 'A', category: '\udfff', quantity: 1, unitPrice: '1.00' }] }) }, till.credential), 'submitTransaction'],
    ])('an unpaired surrogate in %s', async (_name, run, field) => {
      await ok(await t.gql(SetActivityRuleDocument, { input: { currency: shop.currency, kind: 'REVIEW', points: 5 } }, t.operatorToken));
      const before = await rowCounts();
      const res = await run();
      expectBadInput(res, field);
      expect(res.errors![0].message).toMatch(/unpaired surrogate/);
      expect(await rowCounts()).toEqual(before);
    });

    it('a string longer than any field takes, where the field sets no length of its own', async () => {
      const res = await t.gql(`query($e: String!) { customer(externalId: $e) { id } }`, { e: 'x'.repeat(10_001) }, t.operatorToken);
      expectBadInput(res, 'customer');
    });

    it.each([
      ['a NUL in a key', { '\u0000': 1 }],
      ['a NUL in a value', { a: ['ok', 'n\u0000'] }],
      ['an unpaired surrogate', { note: '\ud83d' }],
      ['nesting 17 deep', Array.from({ length: 17 }).reduce<unknown>((inner) => [inner], 1)],
    ])('JSON attributes with %s are refused before anything runs', async (_name, attributes) => {
      const before = await rowCounts();
      const res = await t.gql(UpsertCustomerDocument, { input: { externalId: unique('c'), attributes } }, t.operatorToken);
      expect({ status: res.status, codes: codesOf(res) }).toEqual({ status: 400, codes: ['BAD_USER_INPUT'] });
      expect(await rowCounts()).toEqual(before);
    });

    it('JSON attributes nested 10,000 deep are refused before anything runs', async () => {
      const before = await rowCounts();
      // written out by hand: JSON.stringify of such a value overflows the test's own stack
      const attributes = `${'{"a":['.repeat(5000)}1${']}'.repeat(5000)}`;
      const res = await t.fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${t.operatorToken}` },
        body: `{"query":${JSON.stringify(UpsertCustomerDocument.toString())},"variables":{"input":{"externalId":"deep","attributes":${attributes}}}}`,
      });
      const body = (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
      expect({ status: res.status, codes: body.errors?.map((e) => e.extensions?.code) }).toEqual({ status: 400, codes: ['BAD_USER_INPUT'] });
      expect(await rowCounts()).toEqual(before);
    });

    it('JSON attributes 16 deep with any other text are stored and answered as sent', async () => {
      const attributes = Array.from({ length: 15 }).reduce<unknown>((inner) => ({ 'ключ 😀': inner }), 'ŝ\t\u202e\uFFFF');
      const externalId = unique('c');
      ok(await t.gql(UpsertCustomerDocument, { input: { externalId, attributes } }, t.operatorToken));
      const [row] = await t.sql<{ attributes: unknown }>(`select attributes from customer where external_id = $1`, [externalId]);
      expect(row.attributes).toEqual(attributes);
    });
  });

  describe('numbers fit their columns and types', () => {
    it("a listings cursor whose sort key is beyond the column's 32 bits is BAD_USER_INPUT", async () => {
      for (const key of [[2 ** 31, 1], [-(2 ** 31) - 1, 1], [0, 0], [0, 2 ** 53]]) {
        const res = await t.gql(RewardStoreOffersDocument, { storeId: shop.store.id, after: cursor(key) }, customer.token);
        expect({ key, codes: codesOf(res) }).toEqual({ key, codes: ['BAD_USER_INPUT'] });
      }
      // the edges of the range are cursors like any other
      const page = dataOf(await t.gql(RewardStoreOffersDocument, { storeId: shop.store.id, after: cursor([2 ** 31 - 1, 1]) }, customer.token));
      expect(page.node).toBeTruthy();
    });

    it.each([
      ['amountOff beyond numeric(14,2)', { kind: 'AMOUNT_OFF', amountOff: '999999999999999.99' }],
      ['amountOff with more decimals than any money (ISO 4217 has 4 at most)', { kind: 'AMOUNT_OFF', amountOff: '1.00005' }],
      ['a negative amountOff', { kind: 'AMOUNT_OFF', amountOff: '-5.00' }],
      ['maxDiscount beyond numeric(14,2)', { kind: 'PERCENT_OFF', percentOff: 10, maxDiscount: '1000000000000' }],
    ] as const)('an offer with %s is BAD_USER_INPUT', async (_name, benefit) => {
      const before = await rowCounts();
      expectBadInput(await t.gql(CreateOfferDocument, { input: { name: 'Off', benefit } }, t.operatorToken), 'createOffer');
      expectBadInput(await t.gql(UpdateOfferDocument, { input: { offerId: shop.offer.id, benefit } }, t.operatorToken), 'updateOffer');
      expect(await rowCounts()).toEqual(before);
    });

    it('a sale whose total passes numeric(14,2) is BAD_USER_INPUT; one at the limit is accepted', async () => {
      const before = await rowCounts();
      const over = sale({
        lines: [
          { sku: 'GOLD', quantity: 100_000, unitPrice: '999999999.99' },
          { sku: 'GOLD', quantity: 1, unitPrice: '0.01' },
        ],
      });
      const res = await t.gql(SubmitTransactionDocument, { input: over }, till.credential);
      expectBadInput(res, 'submitTransaction');
      expect(JSON.stringify(res.errors)).toMatch(/sale total/);
      expect(await rowCounts()).toEqual(before);

      const atLimit = sale({ lines: [{ sku: 'GOLD', quantity: 1000, unitPrice: '999999999.99' }, { sku: 'GOLD', quantity: 1, unitPrice: '9.99' }] });
      const justOver = sale({ lines: [{ sku: 'GOLD', quantity: 1000, unitPrice: '999999999.99' }, { sku: 'GOLD', quantity: 1, unitPrice: '10.00' }] });
      expectBadInput(await t.gql(SubmitTransactionDocument, { input: justOver }, till.credential), 'submitTransaction');
      expect(await rowCounts()).toEqual(before);

      const accepted = ok(await t.gql(SubmitTransactionDocument, { input: atLimit }, till.credential)).submitTransaction.transaction!;
      expect(accepted.status).toBe('RECEIVED');
      const status = ok(await t.gql(TransactionStatusDocument, { externalId: atLimit.externalId }, till.credential)).transaction!;
      expect(status.total).toBe('999999999999.99');
      // processed in a currency without an economy rule: nothing to earn, nothing to overflow
      await t.jobs.runner.runUntilIdle();
    });

    it('a sale whose rules would award more points than fit is FAILED with the reason, awarding nothing; the customer stays readable', async () => {
      await currencyIn('DOLLARPTS', 'USD');
      ok(await t.gql(SetEconomyRuleDocument, { input: { currency: 'DOLLARPTS', pointsPerUnit: '99999999' } }, t.operatorToken));
      const input = sale({ currency: 'USD', lines: [{ sku: 'LATTE', quantity: 1, unitPrice: '100.00' }] });
      ok(await t.gql(SubmitTransactionDocument, { input }, till.credential));
      await t.jobs.runner.runUntilIdle();

      const status = ok(await t.gql(TransactionStatusDocument, { externalId: input.externalId }, till.credential)).transaction!;
      expect({ status: status.status, pointsAwarded: status.pointsAwarded, awards: status.awards }).toEqual({ status: 'FAILED', pointsAwarded: 0, awards: [] });
      expect(status.failureReason).toMatch(/9999999900 points, beyond the 1000000000/);
      const profile = ok(await t.gql(ProfileDocument, {}, customer.token)).me!;
      expect(profile.balances.find((b) => b.currency.code === 'DOLLARPTS')?.available ?? 0).toBe(0);
    });

    it('an activity whose rules in several currencies would award more than fits one answer is refused, writing nothing', async () => {
      for (const code of ['ACTA', 'ACTB', 'ACTC']) {
        await createCurrency(t, code, null);
        ok(await t.gql(SetActivityRuleDocument, { input: { currency: code, kind: 'SURVEY', points: 1_000_000_000 } }, t.operatorToken));
      }
      const before = await rowCounts();
      const res = await t.gql(RecordActivityDocument, { customerExternalId: customer.externalId, kind: 'SURVEY', reference: 's-1' }, till.credential);
      expect(res.errors).toBeUndefined();
      expect(res.data!.recordActivity).toEqual({ pointsAwarded: null, userErrors: [expect.objectContaining({ code: 'INVALID', field: ['input', 'kind'] })] });
      expect(await rowCounts()).toEqual(before);
      ok(await t.gql(ProfileDocument, {}, customer.token));
    });
  });

  describe('program-wide totals are 64-bit', () => {
    it('programStats answers totals beyond 32 bits as exact JSON numbers', async () => {
      await createCurrency(t, 'BIGSTARS', null);
      for (let i = 0; i < 3; i++) {
        const member = await createCustomer(t, 'BIGSTARS');
        await adjust(t, member.externalId, 'BIGSTARS', 1_000_000_000);
      }
      const now = t.clock.now().getTime();
      const res = await t.gql(
        ProgramStatsDocument,
        { currency: 'BIGSTARS', from: new Date(now - 86_400_000).toISOString(), to: new Date(now + 86_400_000).toISOString() },
        t.analystToken,
      );
      const stats = ok(res).programStats!;
      expect({ issued: stats.pointsIssued, outstanding: stats.outstandingPoints, liability: stats.outstandingLiability }).toEqual({
        issued: 3_000_000_000,
        outstanding: 3_000_000_000,
        liability: '30000000.00',
      });
    });

    it("a campaign's points awarded pass 32 bits and are still answered", async () => {
      await currencyIn('CAMPTS', 'CHF');
      const campaign = ok(
        await t.gql(
          CreateCampaignDocument,
          {
            input: {
              name: 'Jackpot',
              currency: 'CAMPTS',
              startsAt: new Date(t.clock.now().getTime() - 86_400_000).toISOString(),
              endsAt: new Date(t.clock.now().getTime() + 86_400_000).toISOString(),
              outcome: { bonusPoints: 1_000_000_000 },
            },
          },
          t.operatorToken,
        ),
      ).createCampaign.campaign!;
      for (let i = 0; i < 3; i++) {
        const member = await createCustomer(t, 'CAMPTS');
        ok(await t.gql(SubmitTransactionDocument, { input: sale({ customerExternalId: member.externalId, currency: 'CHF' }) }, till.credential));
      }
      await t.jobs.runner.runUntilIdle();
      const res = await t.gql(`{ campaigns { id pointsAwarded } }`, {}, t.operatorToken);
      const campaigns = dataOf(res) as { campaigns: { id: string; pointsAwarded: number }[] };
      expect(campaigns.campaigns.find((c) => c.id === campaign.id)?.pointsAwarded).toBe(3_000_000_000);
    });
  });

  describe('the error formatter as a safety net', () => {
    const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'ERROR', detail: 'Failing row contains (secret)' });
    const format = (original: Error) => formatError({ message: original.message, path: ['x'] }, { originalError: original });

    it.each([
      ['22003', 'value "99999999999999999" is out of range for type integer', 'A number in the request is out of range.'],
      ['22001', 'value too long for type character varying(20)', 'A text value in the request is too long.'],
      ['22008', 'timestamp out of range', 'A date or time in the request is out of range.'],
      ['22007', 'invalid input syntax for type timestamp', 'A date or time in the request is not valid.'],
      ['22P02', 'invalid input syntax for type json', 'A value in the request is not valid for its type.'],
      ['22P05', 'unsupported Unicode escape sequence', 'Text values must not contain NUL (\\u0000) characters.'],
      ['22021', 'invalid byte sequence for encoding "UTF8": 0x00', 'Text values must not contain NUL (\\u0000) characters.'],
      ['2201E', 'cannot take logarithm of a negative number', 'A value in the request cannot be stored.'],
      ['54000', 'index row size 3000 exceeds btree version 4 maximum 2704', 'A value in the request is too large.'],
    ])('PostgreSQL %s (a value the edge missed) is BAD_USER_INPUT, without its SQL text', (code, message, answer) => {
      expect(format(pgError(code, message))).toEqual({ message: answer, path: ['x'], extensions: { code: 'BAD_USER_INPUT' } });
    });

    it('the same error wrapped by MikroORM is recognised too; other database errors stay INTERNAL_SERVER_ERROR', () => {
      const wrapped = Object.assign(new Error('insert into … - value out of range'), { code: '22003', sqlState: '22003' });
      expect(format(wrapped).extensions).toEqual({ code: 'BAD_USER_INPUT' });
      expect(format(pgError('23505', 'duplicate key value violates unique constraint'))).toEqual({
        message: 'Internal server error',
        path: ['x'],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
      expect(format(pgError('40P01', 'deadlock detected')).extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
    });
  });
});
