import { requestFingerprint } from '../../src/idempotency/fingerprint.js';
import { CreateCurrencyDocument, ReverseTransactionDocument, SetEconomyRuleDocument, SubmitTransactionDocument, type SubmitTransactionInput } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, writeCounts, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, unique } from '../support/program.js';

/**
 * Sales taken before money-12, in cents whatever their money (docs/decisions.md, "Hostile pass
 * 12d"): a till that sent a JPY or KWD sale just before the upgrade and retries it just after (a
 * timeout, a deploy that cut its connection) must get that sale back, not IDEMPOTENCY_KEY_REUSED.
 * The state before the upgrade is made by hand: the sale's lines in cents (`money_scale` 2) and
 * its key's fingerprint as the code before money-12 computed it (`unitPriceCents`: cents).
 */
describe('a sale taken before money-12, retried after it (hostile pass 12d)', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    for (const [code, moneyCurrency] of [
      ['UPG_KWD', 'KWD'],
      ['UPG_JPY', 'JPY'],
    ]) {
      ok(await t.gql(CreateCurrencyDocument, { input: { code, name: code, expiryDays: null, pointValue: '0.01', moneyCurrency } }, t.operatorToken));
      ok(await t.gql(SetEconomyRuleDocument, { input: { currency: code, pointsPerUnit: '1' } }, t.operatorToken));
    }
    till = await createPartner(t, ['transactions:write', 'transactions:read']);
  });
  afterEach(async () => expect(await ledgerViolations(t)).toEqual([]));
  afterAll(() => t.close());

  const submit = (input: SubmitTransactionInput) => t.gql(SubmitTransactionDocument, { input }, till.credential);

  /**
   * A sale of `lines` in `currency` as the gateway before money-12 stored it: prices in cents, and
   * its key's fingerprint with `unitPriceCents` in cents. Checks first that the fingerprint rebuilt
   * here is the one the gateway stored, so the rewrite is of the same meaning.
   */
  async function takenBeforeTheUpgrade(currency: string, program: string, lines: { sku: string; quantity: number; unitPrice: string }[], cents: number[], minor: number[]) {
    const customer = await createCustomer(t, program);
    const input: SubmitTransactionInput = { externalId: unique('old'), customerExternalId: customer.externalId, occurredAt: t.clock.now().toISOString(), currency, lines };
    const first = ok(await submit(input)).submitTransaction;
    expect(first.userErrors).toEqual([]);
    const meaning = (prices: number[]) =>
      requestFingerprint({
        customerExternalId: input.customerExternalId,
        occurredAt: new Date(input.occurredAt as string),
        currency,
        lines: lines.map((l, i) => ({ sku: l.sku, category: null, quantity: l.quantity, unitPriceCents: prices[i] })),
        offerCodes: [],
      });
    const [key] = await t.sql<{ fingerprint: string }>(`select fingerprint from idempotency_record where key = $1`, [input.externalId]);
    expect(key.fingerprint).toBe(meaning(minor));
    await t.sql(`update idempotency_record set fingerprint = $2 where key = $1`, [input.externalId, meaning(cents)]);
    await t.sql(
      `update sales_transaction set money_scale = 2,
              lines = (select jsonb_agg(jsonb_set(l, '{unitPrice}', to_jsonb(($2::int[])[n::int]))) from jsonb_array_elements(lines) with ordinality as x(l, n))
        where external_id = $1`,
      [input.externalId, cents],
    );
    return { input, first };
  }

  /**
   * Sends `input` again with each of `samePrices` as its one line's price (answered as `first`,
   * nothing written), then with `otherPrice` (IDEMPOTENCY_KEY_REUSED).
   */
  async function retried(input: SubmitTransactionInput, first: { transaction?: unknown }, samePrices: string[], otherPrice: string) {
    const line = Array.isArray(input.lines) ? input.lines[0] : input.lines;
    const before = await writeCounts(t);
    for (const unitPrice of samePrices) {
      expect(dataOf(await submit({ ...input, lines: [{ ...line, unitPrice }] })).submitTransaction).toEqual({ transaction: first.transaction, userErrors: [] });
    }
    expect(await writeCounts(t)).toEqual(before);
    const other = dataOf(await submit({ ...input, lines: [{ ...line, unitPrice: otherPrice }] })).submitTransaction;
    expect(other.userErrors.map((e) => e.code)).toEqual(['IDEMPOTENCY_KEY_REUSED']);
  }

  it('a JPY sale of ¥480 × 2 sent before the upgrade and again after is answered as the first, and processed in yen', async () => {
    const { input, first } = await takenBeforeTheUpgrade('JPY', 'UPG_JPY', [{ sku: 'LATTE', quantity: 2, unitPrice: '480' }], [48000], [480]);
    // "480.00" is how a till formatting two decimals sent it before: the same sale; another price is another sale
    await retried(input, first, ['480', '480.00'], '481');
    // the stored sale (cents, scale 2) is processed as ¥960: 960 points at 1 a yen
    await t.jobs.runner.runUntilIdle();
    const [sale] = await t.sql<{ status: string; points_awarded: number; total: string }>(
      `select status, points_awarded, total::text from sales_transaction where external_id = $1`,
      [input.externalId],
    );
    expect(sale).toEqual({ status: 'PROCESSED', points_awarded: 960, total: '960' });
    // and returned after the upgrade: exactly those points taken back
    expect(ok(await t.gql(ReverseTransactionDocument, { externalId: input.externalId, reason: 'returned' }, till.credential)).reverseTransaction.userErrors).toEqual([]);
    const [account] = await t.sql<{ available: number }>(
      `select a.available from point_account a join customer c on c.id = a.customer_id where c.external_id = $1 and a.currency_code = 'UPG_JPY'`,
      [input.customerExternalId],
    );
    expect(account.available).toBe(0);
  });

  it('a KWD sale of 1.25 sent before the upgrade and again after (as "1.25" or "1.250") is answered as the first', async () => {
    const { input, first } = await takenBeforeTheUpgrade('KWD', 'UPG_KWD', [{ sku: 'LATTE', quantity: 3, unitPrice: '1.25' }], [125], [1250]);
    await retried(input, first, ['1.25', '1.250'], '1.251');
  });

  it("a price whose yen or fils are the cents a sale taken before the upgrade stored is another sale: ¥48,000 is not that ¥480, 0.125 KWD not that 1.25 (break-12f)", async () => {
    // The stored fingerprint of ¥480 × 2 taken before the upgrade holds 48000 (cents); ¥48,000 × 2
    // sent now has the same minor units (yen), so its fingerprint is that one as written.
    const yen = await takenBeforeTheUpgrade('JPY', 'UPG_JPY', [{ sku: 'LATTE', quantity: 2, unitPrice: '480' }], [48000], [480]);
    const fils = await takenBeforeTheUpgrade('KWD', 'UPG_KWD', [{ sku: 'LATTE', quantity: 3, unitPrice: '1.25' }], [125], [1250]);
    const before = await writeCounts(t);
    for (const [input, unitPrice] of [
      [yen.input, '48000'],
      [fils.input, '0.125'],
    ] as const) {
      const line = Array.isArray(input.lines) ? input.lines[0] : input.lines;
      const answer = dataOf(await submit({ ...input, lines: [{ ...line, unitPrice }] })).submitTransaction;
      expect({ unitPrice, answer }).toEqual({ unitPrice, answer: { transaction: null, userErrors: [expect.objectContaining({ code: 'IDEMPOTENCY_KEY_REUSED', field: ['input', 'externalId'] })] } });
    }
    expect(await writeCounts(t)).toEqual(before);
    // a sale of free items (¥0) is the same in cents and in yen: still answered as the first
    const free = await takenBeforeTheUpgrade('JPY', 'UPG_JPY', [{ sku: 'LATTE', quantity: 2, unitPrice: '0' }], [0], [0]);
    await retried(free.input, free.first, ['0', '0.00'], '1');
  });

  it('a JPY sale of ¥480.50 taken before the upgrade (cents were prices then) and retried after it is answered with that sale; a new one stays refused (upgrade-12)', async () => {
    // Before money-12 "480.50" yen was 48050 cents and taken; since, it is finer than yen. The
    // retry must be told the sale exists, not BAD_USER_INPUT before its key is looked at.
    const { input, first } = await takenBeforeTheUpgrade('JPY', 'UPG_JPY', [{ sku: 'LATTE', quantity: 2, unitPrice: '480' }], [48050], [480]);
    const line = Array.isArray(input.lines) ? input.lines[0] : input.lines;
    const before = await writeCounts(t);
    expect(dataOf(await submit({ ...input, lines: [{ ...line, unitPrice: '480.50' }] })).submitTransaction).toEqual({ transaction: first.transaction, userErrors: [] });
    expect(await writeCounts(t)).toEqual(before);
    // Another half-yen price under that key, a half-yen price of a sale taken since the upgrade, and a new sale: refused at the edge as before, nothing written.
    const taken = await takenNow('UPG_JPY', 'JPY', 2, '480');
    const after = await writeCounts(t);
    for (const retry of [
      { ...input, lines: [{ ...line, unitPrice: '480.51' }] },
      { ...taken, lines: [{ sku: 'LATTE', quantity: 2, unitPrice: '480.50' }] },
      { ...input, externalId: unique('new'), lines: [{ ...line, unitPrice: '480.50' }] },
    ]) {
      const answer = await submit(retry);
      expect({ data: answer.data, errors: answer.errors?.map((e) => ({ message: e.message, code: e.extensions?.code, field: e.extensions?.field })) }).toEqual({
        data: null,
        errors: [{ message: `lines.0.unitPrice ${retry.lines instanceof Array ? retry.lines[0].unitPrice : ''} is not an amount of JPY, which has no decimals`, code: 'BAD_USER_INPUT', field: ['input', 'lines', '0', 'unitPrice'] }],
      });
    }
    expect(await writeCounts(t)).toEqual(after);
  });

  /** A sale of one LATTE line taken now (since the upgrade), for a new customer of `program`. */
  async function takenNow(program: string, currency: string, quantity: number, unitPrice: string): Promise<SubmitTransactionInput> {
    const customer = await createCustomer(t, program);
    const input = { externalId: unique('new'), customerExternalId: customer.externalId, occurredAt: t.clock.now().toISOString(), currency, lines: [{ sku: 'LATTE', quantity, unitPrice }] };
    expect(ok(await submit(input)).submitTransaction.userErrors).toEqual([]);
    return input;
  }

  it('a sale taken since the upgrade is not matched by what another price meant before it: ¥48,000 is not ¥480 in cents', async () => {
    const input = await takenNow('UPG_JPY', 'JPY', 2, '48000');
    const before = await writeCounts(t);
    const other = dataOf(await submit({ ...input, lines: [{ sku: 'LATTE', quantity: 2, unitPrice: '480' }] })).submitTransaction;
    expect(other).toEqual({ transaction: null, userErrors: [expect.objectContaining({ code: 'IDEMPOTENCY_KEY_REUSED', field: ['input', 'externalId'] })] });
    expect(await writeCounts(t)).toEqual(before);
  });

  it('one externalId sent again in another money is another sale, also where the minor units agree (1.250 KWD, ¥1250, 12.50 EUR)', async () => {
    const input = await takenNow('UPG_KWD', 'KWD', 1, '1.250');
    const before = await writeCounts(t);
    for (const [currency, unitPrice] of [['JPY', '1250'], ['EUR', '12.50'], ['BHD', '1.250']]) {
      const answer = dataOf(await submit({ ...input, currency, lines: [{ sku: 'LATTE', quantity: 1, unitPrice }] })).submitTransaction;
      expect({ currency, codes: answer.userErrors.map((e) => e.code) }).toEqual({ currency, codes: ['IDEMPOTENCY_KEY_REUSED'] });
    }
    expect(await writeCounts(t)).toEqual(before);
  });
});
