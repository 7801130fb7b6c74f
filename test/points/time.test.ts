import {
  AdjustPointsDocument,
  ClaimGiftDocument,
  CreateGiftListDocument,
  EligibleRewardStoresDocument,
  GiftListsDocument,
  PointHistoryDocument,
  ProfileDocument,
  ProgramStatsDocument,
  PurchaseOfferDocument,
  RewardStoreOffersDocument,
  SubmitTransactionDocument,
  TransactionStatusDocument,
} from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import {
  addListing,
  adjust,
  createCurrency,
  createCustomer,
  createOffer,
  createPartner,
  createStore,
  createTier,
  earningProgram,
  eventually,
  processedSale,
  storeOf,
  unique,
} from '../support/program.js';

const DAY = 86_400_000;
const MINUTE = 60_000;
const BATCH = 3;

/**
 * Issue 7 §2 (points side): credit expiry, pending release and rolling tier windows hold from the
 * second they are due — in reads, affordability, eligibility, purchases, gift claims and analytics
 * — whether or not a job has run; jobs only write down, in batches, until nothing due is left.
 * The scheduler is off in tests: nothing is written down unless `runScheduled` is called.
 */
describe('points over time, with no job run', () => {
  let t: TestGateway;
  let currencyCounter = 0;

  beforeAll(async () => {
    t = await startTestGateway({ LEDGER_JOB_BATCH: String(BATCH) });
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  const newCurrency = async (expiryDays: number | null = 30) => {
    const code = `TIME_${++currencyCounter}`;
    await createCurrency(t, code, expiryDays);
    return code;
  };
  /** Moves the (frozen) clock to `at`. */
  const moveTo = (at: Date) => t.clock.advance(at.getTime() - t.clock.now().getTime());
  const balanceOf = async (token: string, currency: string) =>
    ok(await t.gql(ProfileDocument, {}, token)).me!.balances.find((b) => b.currency.code === currency)!;

  it('a credit past its expiry is gone at once: balance, affordability, eligibility, purchase, gifts and analytics', async () => {
    t.clock.freeze();
    const currency = await newCurrency(30);
    const t0 = t.clock.now();
    const customer = await createCustomer(t, currency, 100);
    t.clock.advance(10 * DAY);
    await adjust(t, customer.externalId, currency, 50);
    const offer = await createOffer(t);
    const store = await createStore(t, currency);
    const pricey = await addListing(t, store.id, offer.id, { priceInPoints: 120 });
    const cheap = await addListing(t, store.id, offer.id, { priceInPoints: 40 });
    const gated = await createStore(t, currency, { eligibility: { minBalance: 60 } });
    const gifts = ok(
      await t.gql(CreateGiftListDocument, { input: { currency, name: unique('list'), threshold: 60, offerIds: [offer.id] } }, t.operatorToken),
    ).createGiftList.giftList!;

    // Before the expiry: all 150 count.
    moveTo(new Date(t0.getTime() + 30 * DAY - MINUTE));
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 150 });

    moveTo(new Date(t0.getTime() + 30 * DAY + MINUTE));
    const balance = await balanceOf(customer.token, currency);
    expect(balance).toMatchObject({ available: 50, pending: 0, lifetimeEarned: 150 });
    expect(balance.expiringSoon).toEqual([{ amount: 50, expiresAt: new Date(t0.getTime() + 40 * DAY).toISOString() }]);

    const listings = storeOf(ok(await t.gql(RewardStoreOffersDocument, { storeId: store.id }, customer.token)).node).listings.edges.map((e) => e.node);
    expect(listings.find((l) => l.id === pricey.id)).toMatchObject({ affordable: false, pointsMissing: 70 });
    expect(listings.find((l) => l.id === cheap.id)).toMatchObject({ affordable: true, pointsMissing: 0 });

    const stores = ok(await t.gql(EligibleRewardStoresDocument, { first: 100 }, customer.token)).me!.eligibleRewardStores.edges.map((e) => e.node.id);
    expect(stores).toContain(store.id);
    expect(stores).not.toContain(gated.id);

    const list = ok(await t.gql(GiftListsDocument, {}, customer.token)).me!.giftLists.find((g) => g.id === gifts.id)!;
    expect(list).toMatchObject({ unlocked: false, claimableCount: 0, pointsToNext: 10 });
    const claim = dataOf(await t.gql(ClaimGiftDocument, { giftListId: gifts.id, optionId: offer.id, idempotencyKey: unique('gift') }, customer.token));
    expect(claim.claimGift.userErrors.map((e) => e.code)).toEqual(['INSUFFICIENT_POINTS']);

    const refused = dataOf(await t.gql(PurchaseOfferDocument, { listingId: pricey.id, idempotencyKey: unique('buy') }, customer.token));
    expect(refused.purchaseOffer.userErrors.map((e) => e.code)).toEqual(['INSUFFICIENT_POINTS']);

    const stats = ok(
      await t.gql(ProgramStatsDocument, { currency, from: new Date(t0.getTime() - DAY).toISOString(), to: new Date(t0.getTime() + 60 * DAY).toISOString() }, t.analystToken),
    ).programStats!;
    expect(stats).toMatchObject({ pointsIssued: 150, pointsExpired: 100, outstandingPoints: 50, outstandingLiability: '0.50' });

    // Spending writes the expiry down first, dated when it fell due, then spends what is left.
    const bought = ok(await t.gql(PurchaseOfferDocument, { listingId: cheap.id, idempotencyKey: unique('buy') }, customer.token)).purchaseOffer;
    expect(bought.balance).toMatchObject({ available: 10 });
    const history = ok(await t.gql(PointHistoryDocument, { currency }, customer.token)).me!.pointHistory.edges.map((e) => e.node);
    expect(history.map((e) => [e.kind, e.amount, e.balanceAfter])).toEqual([
      ['SPEND', -40, 10],
      ['EXPIRE', -100, 50],
      ['ADJUST', 50, 150],
      ['ADJUST', 100, 100],
    ]);
    expect(history[1].createdAt).toBe(new Date(t0.getTime() + 30 * DAY).toISOString());
    // The analytics read the same after the write-down as before it.
    const after = ok(
      await t.gql(ProgramStatsDocument, { currency, from: new Date(t0.getTime() - DAY).toISOString(), to: new Date(t0.getTime() + 60 * DAY).toISOString() }, t.analystToken),
    ).programStats!;
    expect(after).toMatchObject({ pointsIssued: 150, pointsExpired: 100, pointsSpent: 40, outstandingPoints: 10 });
  });

  it('points expire at their second, not a second later and not a day early', async () => {
    t.clock.freeze();
    const currency = await newCurrency(30);
    const t0 = t.clock.now();
    const customer = await createCustomer(t, currency, 100);
    moveTo(new Date(t0.getTime() + 30 * DAY - 1000));
    expect((await balanceOf(customer.token, currency)).available).toBe(100);
    moveTo(new Date(t0.getTime() + 30 * DAY));
    expect((await balanceOf(customer.token, currency)).available).toBe(0);
  });

  it('pending points are spendable from the second their day comes, before any job releases them', async () => {
    const { money, currency } = await earningProgram(t, 'V', { expiryDays: 365, pendingDays: 2 });
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    const customer = await createCustomer(t, currency);
    await processedSale(t, till, customer.externalId, money, 10);
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 0, pending: 100, lifetimeEarned: 0 });
    const offer = await createOffer(t);
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, offer.id, { priceInPoints: 80 });

    t.clock.advance(2 * DAY - MINUTE);
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 0, pending: 100 });
    const early = dataOf(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token));
    expect(early.purchaseOffer.userErrors.map((e) => e.code)).toEqual(['INSUFFICIENT_POINTS']);

    t.clock.advance(2 * MINUTE);
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 100, pending: 0, lifetimeEarned: 100 });
    const [node] = storeOf(ok(await t.gql(RewardStoreOffersDocument, { storeId: store.id }, customer.token)).node).listings.edges.map((e) => e.node);
    expect(node).toMatchObject({ affordable: true, pointsMissing: 0 });
    const bought = ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token)).purchaseOffer;
    expect(bought.balance).toMatchObject({ available: 20 });
    const [{ n }] = await t.sql<{ n: number }>(`select count(*)::int as n from pending_credit p join point_account a on a.id = p.account_id
      where a.currency_code = $1 and p.released_at is not null and p.ledger_entry_id is not null`, [currency]);
    expect(n).toBe(1);
  });

  it('a sale earning pending points writes down what expired first, so expired points do not count against the most an account can hold', async () => {
    const { money, currency } = await earningProgram(t, 'W', { expiryDays: 30, pendingDays: 2 });
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    const customer = await createCustomer(t, currency);
    const held = 2_147_483_600; // 47 short of the most an account can hold; not qualifying, so lifetime stays 0
    for (const amount of [1_000_000_000, 1_000_000_000, held - 2_000_000_000]) {
      const input = { customerExternalId: customer.externalId, currency, amount, qualifying: false, reason: 'test', idempotencyKey: unique('adj') };
      ok(await t.gql(AdjustPointsDocument, { input }, t.operatorToken));
    }
    t.clock.advance(30 * DAY + MINUTE); // all of it expired, not written down (no job runs)
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 0, pending: 0 });
    const externalId = unique('sale');
    const input = { externalId, customerExternalId: customer.externalId, occurredAt: t.clock.now().toISOString(), currency: money, lines: [{ sku: 'BEANS', quantity: 1, unitPrice: '10.00' }] };
    ok(await t.gql(SubmitTransactionDocument, { input }, till.credential));
    const sale = await eventually(async () => {
      const s = ok(await t.gql(TransactionStatusDocument, { externalId }, till.credential)).transaction;
      return s && s.status !== 'RECEIVED' ? s : null;
    });
    expect([sale.status, sale.failureReason ?? null]).toEqual(['PROCESSED', null]);
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 0, pending: 100 });
    const [expired] = await t.sql<{ amount: string }>(
      `select sum(e.amount) as amount from ledger_entry e join point_account a on a.id = e.account_id where a.currency_code = $1 and e.kind = 'EXPIRE'`,
      [currency],
    );
    expect(Number(expired.amount)).toBe(-held);
  });

  it('expiringSoon counts a pending credit from the second its day comes, with its expiry, and drops it once that passes, before any job', async () => {
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'V', { expiryDays: 30, pendingDays: 2 });
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    const customer = await createCustomer(t, currency);
    const sold = t.clock.now();
    await processedSale(t, till, customer.externalId, money, 12, sold);
    const [{ availableAt }] = await t.sql<{ availableAt: Date }>(
      `select p.available_at as "availableAt" from pending_credit p join point_account a on a.id = p.account_id where a.currency_code = $1`,
      [currency],
    );
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 0, pending: 120, expiringSoon: [] });

    // The release instant: the points are available and expire 30 days later, inside the 30-day window.
    moveTo(availableAt);
    expect(await balanceOf(customer.token, currency)).toMatchObject({
      available: 120,
      pending: 0,
      expiringSoon: [{ amount: 120, expiresAt: new Date(availableAt.getTime() + 30 * DAY).toISOString() }],
    });
    // Their expiry passed, still no job: gone from the balance and from expiringSoon alike.
    moveTo(new Date(availableAt.getTime() + 30 * DAY));
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 0, pending: 0, lifetimeEarned: 120, expiringSoon: [] });
    // The jobs write it down and change nothing a reader sees.
    await t.runScheduled();
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 0, pending: 0, lifetimeEarned: 120, expiringSoon: [] });
  });

  it('a rolling-window tier lapses the second its points leave the window, before the daily job', async () => {
    const currency = await newCurrency(null);
    await createTier(t, { currency, code: `BASE_${currency}`, rank: 700, threshold: 0 });
    await createTier(t, { currency, code: `STAR_${currency}`, rank: 701, threshold: 300, windowDays: 30 });
    const starOnly = await createStore(t, currency, { eligibility: { tiers: [`STAR_${currency}`] } });
    const customer = await createCustomer(t, currency, 300);
    const profile = async () => ok(await t.gql(ProfileDocument, {}, customer.token)).me!;
    const storeIds = async () => ok(await t.gql(EligibleRewardStoresDocument, { first: 100 }, customer.token)).me!.eligibleRewardStores.edges.map((e) => e.node.id);
    expect((await profile()).tier?.code).toBe(`STAR_${currency}`);
    expect(await storeIds()).toContain(starOnly.id);

    t.clock.advance(30 * DAY + MINUTE);
    const lapsed = await profile();
    expect(lapsed.tier?.code).toBe(`BASE_${currency}`);
    expect(lapsed.nextTier).toMatchObject({ code: `STAR_${currency}`, pointsNeeded: 300 });
    expect(await storeIds()).not.toContain(starOnly.id);
    // The daily job writes it down (with its event) and changes nothing a reader sees.
    await t.runScheduled();
    const [row] = await t.sql<{ code: string }>(`select t.code from customer c join tier t on t.id = c.tier_id where c.external_id = $1`, [customer.externalId]);
    expect(row.code).toBe(`BASE_${currency}`);
    expect((await profile()).tier?.code).toBe(`BASE_${currency}`);
  });

  it('an expiry shows in the history within the minute: the minute’s write-down job writes expiries as well as releases', async () => {
    const QUARTER = 15 * MINUTE;
    const currency = await newCurrency(30);
    // The credit is made half way through a quarter hour, so its expiry (30 days on) is too.
    moveTo(new Date(Math.ceil(t.clock.now().getTime() / QUARTER) * QUARTER + QUARTER / 2));
    const customer = await createCustomer(t, currency, 100);
    const history = async () =>
      ok(await t.gql(PointHistoryDocument, { currency }, customer.token)).me!.pointHistory.edges.map((e) => [e.node.kind, e.node.amount, e.node.balanceAfter]);
    const expiresAt = new Date(ok(await t.gql(PointHistoryDocument, { currency }, customer.token)).me!.pointHistory.edges[0].node.expiresAt!);
    moveTo(new Date(expiresAt.getTime() - 30_000));
    await t.runScheduled();
    const expireRuns = async () => (await t.sql<{ n: number }>(`select count(*)::int as n from job where kind = 'points.expire'`))[0].n;
    const before = await expireRuns();
    // 31 s past the expiry: the next minute, the same quarter hour, so only the minute's jobs are due.
    moveTo(new Date(expiresAt.getTime() + 31_000));
    expect([await history(), (await balanceOf(customer.token, currency)).available]).toEqual([[['ADJUST', 100, 100]], 0]);
    await t.runScheduled();
    expect(await expireRuns()).toBe(before);
    expect(await history()).toEqual([
      ['EXPIRE', -100, 0],
      ['ADJUST', 100, 100],
    ]);
  });

  it('the jobs write down every due account, batch after batch, and a stopped job changes nothing a customer can spend', async () => {
    const currency = await newCurrency(5);
    const customers = [];
    for (let i = 0; i < BATCH * 2 + 1; i++) customers.push(await createCustomer(t, currency, 10 + i));
    t.clock.advance(5 * DAY + MINUTE);
    for (const [i, c] of customers.entries()) expect([i, (await balanceOf(c.token, currency)).available]).toEqual([i, 0]);
    const due = async () =>
      (
        await t.sql<{ n: number }>(
          `select count(*)::int as n from ledger_entry e join point_account a on a.id = e.account_id
            where a.currency_code = $1 and e.remaining > 0 and e.expires_at <= $2`,
          [currency, t.clock.now()],
        )
      )[0].n;
    expect(await due()).toBe(customers.length);

    await t.runScheduled();
    expect(await due()).toBe(0);
    const expired = await t.sql<{ amount: string }>(
      `select e.amount from ledger_entry e join point_account a on a.id = e.account_id where a.currency_code = $1 and e.kind = 'EXPIRE' order by e.account_id`,
      [currency],
    );
    expect(expired.map((e) => -Number(e.amount))).toEqual(customers.map((_, i) => 10 + i));
    for (const c of customers) expect((await balanceOf(c.token, currency)).available).toBe(0);
    // More than one run of the job was needed: each batch its own transaction.
    const [{ runs }] = await t.sql<{ runs: number }>(`select count(*)::int as runs from job where kind in ('points.expire', 'points.release-pending') and status = 'DONE'`);
    expect(runs).toBeGreaterThan(2);
  });
});
