import {
  AdjustPointsDocument,
  CreateCurrencyDocument,
  CreateRewardStoreDocument,
  CreateTierDocument,
  PurchaseOfferDocument,
  SubmitTransactionDocument,
  TransactionStatusDocument,
  type SubmitTransactionInput,
} from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, writeCounts, type TestGateway } from '../support/gateway.js';
import { createCurrency, createCustomer, createPartner, simpleShop, unique, uniqueCode } from '../support/program.js';

/**
 * Issue 7, kind 7: one idempotency rule everywhere. A repeat of a key with the same request answers
 * the first result and changes nothing (also when the two arrive at once); the same key with a
 * different request is refused with IDEMPOTENCY_KEY_REUSED and writes nothing; keys are the caller's own.
 */
describe('one idempotency rule everywhere', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;
  let otherTill: Awaited<ReturnType<typeof createPartner>>;

  beforeAll(async () => {
    // Sales stay RECEIVED: what is compared here is what submitTransaction stores, not processing.
    t = await startTestGateway({}, { jobs: 'manual' });
    till = await createPartner(t, ['transactions:write', 'transactions:read']);
    otherTill = await createPartner(t, ['transactions:write', 'transactions:read']);
    await createCurrency(t, 'ADJ');
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  const saleCount = async () => Number((await t.sql<{ n: string }>(`select count(*) as n from sales_transaction`))[0].n);
  const jobCount = async () => Number((await t.sql<{ n: string }>(`select count(*) as n from job`))[0].n);

  /**
   * The sales' instant: the start of the last whole hour, so within SALE_MAX_AGE_DAYS of the
   * gateway's clock whenever the suite runs (a fixed date would fall out of it a month on).
   */
  const SOLD_AT = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;
  const soldAt = (plusMs = 0) => new Date(SOLD_AT + plusMs).toISOString();

  const sale = (externalId: string, customerExternalId: string, unitPrice: string, extra: Partial<SubmitTransactionInput> = {}): SubmitTransactionInput => ({
    externalId,
    customerExternalId,
    channel: 'STORE',
    locationId: 'shop-1',
    occurredAt: soldAt(),
    currency: 'EUR',
    lines: [{ sku: 'LATTE', category: 'COFFEE', quantity: 1, unitPrice }],
    ...extra,
  });
  const submit = async (input: SubmitTransactionInput, credential = till.credential) =>
    dataOf(await t.gql(SubmitTransactionDocument, { input }, credential)).submitTransaction;

  describe('submitTransaction: (partner, externalId)', () => {
    it("S-1 for customer A (4.00), then S-1 for customer B (60.00): B's sale is refused, not answered with A's", async () => {
      const a = await createCustomer(t, 'EUR_PTS_UNUSED');
      const b = await createCustomer(t, 'EUR_PTS_UNUSED');
      const externalId = unique('S-1');
      const first = await submit(sale(externalId, a.externalId, '4.00'));
      expect(first.userErrors).toEqual([]);
      const before = { sales: await saleCount(), jobs: await jobCount(), writes: await writeCounts(t) };

      const second = await submit(sale(externalId, b.externalId, '60.00'));
      expect(second.transaction).toBeNull();
      expect(second.userErrors).toEqual([{ code: 'IDEMPOTENCY_KEY_REUSED', field: ['input', 'externalId'], message: expect.any(String) }]);
      expect({ sales: await saleCount(), jobs: await jobCount(), writes: await writeCounts(t) }).toEqual(before);
      const stored = ok(await t.gql(TransactionStatusDocument, { externalId }, till.credential)).transaction!;
      expect(stored).toMatchObject({ id: first.transaction!.id, total: '4.00' });
    });

    it('each meaningful difference is a different sale: amount, quantity, sku, customer, time, offers, lockId, channel, location', async () => {
      const a = await createCustomer(t, 'EUR_PTS_UNUSED');
      const b = await createCustomer(t, 'EUR_PTS_UNUSED');
      const externalId = unique('S');
      const base = sale(externalId, a.externalId, '4.00');
      expect((await submit(base)).userErrors).toEqual([]);
      const variants: Partial<SubmitTransactionInput>[] = [
        { customerExternalId: b.externalId },
        { lines: [{ sku: 'LATTE', category: 'COFFEE', quantity: 1, unitPrice: '4.01' }] },
        { lines: [{ sku: 'LATTE', category: 'COFFEE', quantity: 2, unitPrice: '4.00' }] },
        { lines: [{ sku: 'MOCHA', category: 'COFFEE', quantity: 1, unitPrice: '4.00' }] },
        { lines: [{ sku: 'LATTE', category: 'TEA', quantity: 1, unitPrice: '4.00' }] },
        { lines: [...base.lines, { sku: 'MUFFIN', quantity: 1, unitPrice: '0.00' }] },
        { occurredAt: soldAt(1_000) },
        { currency: 'USD' },
        { offerCodes: ['ABCD-EFGH-JKMN'] },
        { lockId: 'basket-9' },
        { channel: 'ONLINE' },
        { locationId: 'shop-2' },
      ];
      for (const variant of variants) {
        const answer = await submit({ ...base, ...variant });
        expect({ variant, codes: answer.userErrors.map((e) => e.code) }).toEqual({ variant, codes: ['IDEMPOTENCY_KEY_REUSED'] });
      }
    });

    it('the same sale written differently is the same sale: "4.0" and "4.00", keys in another order, the instant in another time zone', async () => {
      const a = await createCustomer(t, 'EUR_PTS_UNUSED');
      const externalId = unique('S');
      const first = await submit(sale(externalId, a.externalId, '4.00'));
      expect(first.userErrors).toEqual([]);
      const sales = await saleCount();
      const again = await submit({
        // keys in another order, the decimal with one digit, the same instant at +01:00
        lines: [{ unitPrice: '4.0', quantity: 1, category: 'COFFEE', sku: 'LATTE' }],
        currency: 'EUR',
        occurredAt: soldAt(3_600_000).replace('.000Z', '+01:00'),
        locationId: 'shop-1',
        channel: 'STORE',
        customerExternalId: a.externalId,
        externalId,
      });
      expect(again).toEqual({ transaction: first.transaction, userErrors: [] });
      expect(await saleCount()).toBe(sales);
    });

    it('20 identical sales at once are one sale; 20 at once split between two customers are one sale and 10 refusals', async () => {
      const a = await createCustomer(t, 'EUR_PTS_UNUSED');
      const b = await createCustomer(t, 'EUR_PTS_UNUSED');
      const same = sale(unique('S'), a.externalId, '4.00');
      const sales = await saleCount();
      const answers = await Promise.all(Array.from({ length: 20 }, () => submit(same)));
      expect(answers.every((x) => x.userErrors.length === 0)).toBe(true);
      expect(new Set(answers.map((x) => x.transaction!.id)).size).toBe(1);
      expect(await saleCount()).toBe(sales + 1);

      const externalId = unique('S');
      const forA = sale(externalId, a.externalId, '4.00');
      const forB = sale(externalId, b.externalId, '60.00');
      const mixed = await Promise.all(Array.from({ length: 20 }, (_, i) => submit(i % 2 ? forB : forA)));
      const winners = mixed.filter((x) => x.userErrors.length === 0);
      const refused = mixed.filter((x) => x.userErrors.length > 0);
      expect(new Set(winners.map((x) => x.transaction!.id)).size).toBe(1);
      expect(winners).toHaveLength(10);
      expect(refused.map((x) => x.userErrors[0].code)).toEqual(Array(10).fill('IDEMPOTENCY_KEY_REUSED'));
      expect(await saleCount()).toBe(sales + 2);
      // the winners are all of one customer's requests
      const stored = ok(await t.gql(TransactionStatusDocument, { externalId }, till.credential)).transaction!;
      expect(winners.length).toBe(mixed.filter((_, i) => (stored.total === '4.00' ? i % 2 === 0 : i % 2 === 1)).length);
    });

    it("an externalId is the partner's own: another till's S-1 is another sale", async () => {
      const a = await createCustomer(t, 'EUR_PTS_UNUSED');
      const b = await createCustomer(t, 'EUR_PTS_UNUSED');
      const externalId = unique('S-1');
      const mine = await submit(sale(externalId, a.externalId, '4.00'));
      const theirs = await submit(sale(externalId, b.externalId, '60.00'), otherTill.credential);
      expect(theirs.userErrors).toEqual([]);
      expect(theirs.transaction!.id).not.toBe(mine.transaction!.id);
    });

    it('a refused sale leaves its externalId free for the corrected sale', async () => {
      const a = await createCustomer(t, 'EUR_PTS_UNUSED');
      const externalId = unique('S');
      const wrong = await submit(sale(externalId, unique('nobody'), '4.00'));
      expect(wrong.userErrors.map((e) => e.code)).toEqual(['NOT_FOUND']);
      expect((await submit(sale(externalId, a.externalId, '4.00'))).userErrors).toEqual([]);
    });
  });

  describe('adjustPoints: (staff member, idempotencyKey)', () => {
    it('the same key with another reason is refused and writes nothing; the same request answers the first entry', async () => {
      const customer = await createCustomer(t, 'ADJ', 0);
      const input = { customerExternalId: customer.externalId, currency: 'ADJ', amount: 100, reason: 'Goodwill', idempotencyKey: unique('k') };
      const first = ok(await t.gql(AdjustPointsDocument, { input }, t.operatorToken)).adjustPoints.entry!;
      const before = await writeCounts(t);
      const other = dataOf(await t.gql(AdjustPointsDocument, { input: { ...input, reason: 'Birthday present' } }, t.operatorToken)).adjustPoints;
      expect(other.userErrors.map((e) => [e.code, e.field])).toEqual([['IDEMPOTENCY_KEY_REUSED', ['input', 'idempotencyKey']]]);
      expect(await writeCounts(t)).toEqual(before);
      const repeat = ok(await t.gql(AdjustPointsDocument, { input }, t.operatorToken)).adjustPoints.entry!;
      expect(repeat.id).toBe(first.id);
      expect(await writeCounts(t)).toEqual(before);
    });

    it("one staff member's key is not another's", async () => {
      const customer = await createCustomer(t, 'ADJ', 0);
      const input = { customerExternalId: customer.externalId, currency: 'ADJ', amount: 10, reason: 'Goodwill', idempotencyKey: unique('k') };
      const { signToken } = await import('../../src/http/auth.js');
      const colleague = await signToken(t.config, { sub: 'staff-op-2', role: 'operator' });
      const mine = ok(await t.gql(AdjustPointsDocument, { input }, t.operatorToken)).adjustPoints.entry!;
      const theirs = ok(await t.gql(AdjustPointsDocument, { input }, colleague)).adjustPoints.entry!;
      expect(theirs.id).not.toBe(mine.id);
    });
  });

  describe('purchaseOffer: (customer, idempotencyKey)', () => {
    it("two customers may use the same key; one customer's key for another listing is refused", async () => {
      const { currency, listing } = await simpleShop(t);
      const { listing: other } = await simpleShop(t);
      const alice = await createCustomer(t, currency, 500);
      const bob = await createCustomer(t, currency, 500);
      const key = unique('k');
      const a = ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: key }, alice.token)).purchaseOffer;
      const b = ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: key }, bob.token)).purchaseOffer;
      expect(b.purchase!.id).not.toBe(a.purchase!.id);
      const before = await writeCounts(t);
      const reused = dataOf(await t.gql(PurchaseOfferDocument, { listingId: other.id, idempotencyKey: key }, alice.token)).purchaseOffer;
      expect(reused.userErrors.map((e) => [e.code, e.field])).toEqual([['IDEMPOTENCY_KEY_REUSED', ['input', 'idempotencyKey']]]);
      expect(await writeCounts(t)).toEqual(before);
    });
  });

  describe('creates keyed by a code: the same request again is the same object, another one ALREADY_EXISTS', () => {
    const auditCount = async () => Number((await t.sql<{ n: string }>(`select count(*) as n from audit_entry`))[0].n);

    it('createCurrency: "0.010" and "0.01" agree; another name for the code is refused and writes nothing', async () => {
      const code = uniqueCode('CUR');
      const input = { code, name: 'Beans', expiryDays: 365, pointValue: '0.010', moneyCurrency: 'EUR' };
      const first = ok(await t.gql(CreateCurrencyDocument, { input }, t.operatorToken)).createCurrency.currency!;
      const before = await writeCounts(t);
      const again = dataOf(await t.gql(CreateCurrencyDocument, { input: { moneyCurrency: 'EUR', pointValue: '0.01', expiryDays: 365, name: 'Beans', code } }, t.operatorToken));
      expect(again.createCurrency).toEqual({ currency: first, userErrors: [] });
      const other = dataOf(await t.gql(CreateCurrencyDocument, { input: { ...input, name: 'Stars' } }, t.operatorToken));
      expect(other.createCurrency.currency).toBeNull();
      expect(other.createCurrency.userErrors.map((e) => [e.code, e.field])).toEqual([['ALREADY_EXISTS', ['input', 'code']]]);
      expect(await writeCounts(t)).toEqual(before);
    });

    it('createTier: a repeat answers the tier and recomputes nothing; another threshold for the code is refused', async () => {
      const code = unique('T').toUpperCase().replace(/-/g, '_');
      const input = { currency: 'ADJ', code, name: code, rank: 777, threshold: 1_000_000 };
      const first = ok(await t.gql(CreateTierDocument, { input }, t.operatorToken)).createTier.tier!;
      const audits = await auditCount();
      const again = dataOf(await t.gql(CreateTierDocument, { input: { ...input, multiplier: 1 } }, t.operatorToken));
      expect(again.createTier).toEqual({ tier: first, userErrors: [] });
      expect(await auditCount()).toBe(audits);
      const other = dataOf(await t.gql(CreateTierDocument, { input: { ...input, threshold: 5 } }, t.operatorToken));
      expect(other.createTier.userErrors.map((e) => [e.code, e.field])).toEqual([['ALREADY_EXISTS', ['input', 'code']]]);
      expect(await auditCount()).toBe(audits);
    });

    it('createRewardStore: 10 identical requests at once make one store; another name for the code is refused', async () => {
      const code = unique('store');
      const input = { code, name: 'Autumn', currency: 'ADJ', startsAt: '2026-12-01T00:00:00.000Z', eligibility: { tiers: [], minBalance: 10 } };
      const stores = async () => Number((await t.sql<{ n: string }>(`select count(*) as n from reward_store`))[0].n);
      const count = await stores();
      const answers = await Promise.all(Array.from({ length: 10 }, () => t.gql(CreateRewardStoreDocument, { input }, t.operatorToken)));
      const ids = answers.map((a) => ok(a).createRewardStore.rewardStore!.id);
      expect(new Set(ids).size).toBe(1);
      expect(await stores()).toBe(count + 1);
      // the same instant written at +01:00, an empty list as absent
      const again = dataOf(await t.gql(CreateRewardStoreDocument, { input: { ...input, startsAt: '2026-12-01T01:00:00+01:00', eligibility: { minBalance: 10 } } }, t.operatorToken));
      expect(again.createRewardStore.rewardStore!.id).toBe(ids[0]);
      const before = await writeCounts(t);
      const other = dataOf(await t.gql(CreateRewardStoreDocument, { input: { ...input, name: 'Winter' } }, t.operatorToken));
      expect(other.createRewardStore.userErrors.map((e) => [e.code, e.field])).toEqual([['ALREADY_EXISTS', ['input', 'code']]]);
      expect(await writeCounts(t)).toEqual(before);
    });
  });
});
