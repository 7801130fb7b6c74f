import { PointHistoryDocument, ProfileDocument, PurchaseOfferDocument, SubmitTransactionDocument } from '../generated/graphql.js';
import { brokenInvariants } from '../support/invariants.js';
import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, adjust, createCustomer, createOffer, createPartner, createStore, createTier, earningProgram, submitSale, tierMoves, unique } from '../support/program.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

const AWARDS = `query($externalId: String!) {
  transaction(externalId: $externalId) { status pointsAwarded awards { kind points pending reversed } }
}`;
type Awards = { transaction: { status: string; pointsAwarded: number; awards: { kind: string; points: number; pending: boolean; reversed: boolean }[] } };

const REVERSE = `mutation($externalId: String!) {
  reverseTransaction(input: { externalId: $externalId, reason: "returned" }) { transaction { status } pointsReversed pointsOwed userErrors { code } }
}`;
type Reversed = { reverseTransaction: { transaction: { status: string } | null; pointsReversed: number; pointsOwed: number; userErrors: { code: string }[] } };

/**
 * pending-18 (found by hostile-18): a sale's points wait the economy rule's `pendingDays` from
 * the sale's moment (min(occurredAt, receivedAt), the moment econ-17 reads the rule at), not from
 * when its job processed it: pending stands for the returns window, which runs from the purchase.
 * A sale whose pending window is already over when it is processed is credited as available at
 * once, dated when processed (never a pending credit or an EARN dated in the past), and its points
 * expire `expiryDays` after that. Releases hold from their second with no job run (SPEC §4); a
 * return undoes what the sale earned, once, pending or not. The job runner is manual and the
 * clock frozen and moved: nothing is written down unless a request does it.
 */
describe('pending points count from the sale, not from its processing', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    till = await createPartner(t, ['transactions:write', 'transactions:read']);
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await brokenInvariants(t)).toEqual([]);
  });
  afterAll(() => t.close());

  const balanceOf = async (token: string, currency: string) =>
    ok(await t.gql(ProfileDocument, {}, token)).me!.balances.find((b) => b.currency.code === currency)!;
  const awardsOf = async (externalId: string) => ok(await t.gql<Awards, { externalId: string }>(AWARDS, { externalId }, till.credential)).transaction;
  const historyOf = async (token: string, currency: string) =>
    ok(await t.gql(PointHistoryDocument, { currency }, token)).me!.pointHistory.edges.map((e) => e.node);
  const reverse = async (externalId: string) => dataOf(await t.gql<Reversed, { externalId: string }>(REVERSE, { externalId }, till.credential)).reverseTransaction;
  /** A sale of `amount` units (10 points a unit) that happened at `occurredAt`, sent now by a till back online, then processed. */
  const offlineSale = async (customer: string, money: string, amount: number, occurredAt: number) => {
    const externalId = unique('offline');
    const lines = [{ sku: 'BEANS', category: 'COFFEE', quantity: 1, unitPrice: amount.toFixed(2) }];
    ok(await t.gql(SubmitTransactionDocument, { input: { externalId, customerExternalId: customer, occurredAt: new Date(occurredAt).toISOString(), currency: money, lines } }, till.credential));
    expect(await t.jobs.runner.runUntilIdle()).toBeGreaterThan(0);
    return externalId;
  };

  it('a sale whose job ran an hour late releases at the sale + pendingDays, at the second, and its return there takes the points back once', async () => {
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'PL', { expiryDays: 365, pendingDays: 3 });
    const customer = await createCustomer(t, currency);
    const t0 = t.clock.now().getTime();
    const sale = await submitSale(t, till, customer.externalId, money, 10); // 100 points; its job is held back
    t.clock.advance(HOUR);
    await t.jobs.runner.runUntilIdle();
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 0, pending: 100 });

    t.clock.moveTo(t0 + 3 * DAY - 1);
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 0, pending: 100 });
    expect((await awardsOf(sale)).awards).toEqual([{ kind: 'POINTS', points: 100, pending: true, reversed: false }]);

    // the second the returns window closes, with no job run: before, an hour later (its job + 3 days)
    t.clock.moveTo(t0 + 3 * DAY);
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 100, pending: 0, lifetimeEarned: 100 });
    expect((await awardsOf(sale)).awards).toEqual([{ kind: 'POINTS', points: 100, pending: false, reversed: false }]);

    // returned at that second: the release is written down (dated then) and taken back, once
    expect(await reverse(sale)).toMatchObject({ transaction: { status: 'REVERSED' }, pointsReversed: 100, pointsOwed: 0, userErrors: [] });
    expect(await reverse(sale)).toMatchObject({ userErrors: [{ code: 'ALREADY_REVERSED' }] });
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 0, pending: 0, lifetimeEarned: 0 });
    const history = await historyOf(customer.token, currency);
    expect(history.map((e) => [e.kind, e.amount, e.balanceAfter, e.createdAt])).toEqual([
      ['REVERSAL', -100, 0, new Date(t0 + 3 * DAY).toISOString()],
      ['EARN', 100, 100, new Date(t0 + 3 * DAY).toISOString()],
    ]);
    expect((await awardsOf(sale)).awards).toEqual([{ kind: 'POINTS', points: 100, pending: false, reversed: true }]);
  });

  it("an offline till's sale sent after its whole pending window is available at once, dated and expiring from its processing; its return takes it back once", async () => {
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'PA', { expiryDays: 365, pendingDays: 3 });
    const gold = `GOLD_${money}`;
    await createTier(t, { currency, code: gold, rank: 1, threshold: 120 });
    const customer = await createCustomer(t, currency);
    const t0 = t.clock.now().getTime();
    t.clock.moveTo(t0 + 5 * DAY);
    await adjust(t, customer.externalId, currency, 50); // written while the till was offline
    t.clock.moveTo(t0 + 10 * DAY);
    const sale = await offlineSale(customer.externalId, money, 10, t0); // happened at t0: its window closed at day 3

    // before: pending until day 13 (processing + 3 days)
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 150, pending: 0, lifetimeEarned: 150 });
    expect(await awardsOf(sale)).toEqual({ status: 'PROCESSED', pointsAwarded: 100, awards: [{ kind: 'POINTS', points: 100, pending: false, reversed: false }] });
    // the credit is dated when it was written, after the adjustment (not at day 3, before it), and
    // expires 365 days after that: the customer never holds points that arrive already expiring
    const history = await historyOf(customer.token, currency);
    expect(history.map((e) => [e.kind, e.amount, e.balanceAfter, e.createdAt, e.expiresAt])).toEqual([
      ['EARN', 100, 150, new Date(t0 + 10 * DAY).toISOString(), new Date(t0 + 375 * DAY).toISOString()],
      ['ADJUST', 50, 50, new Date(t0 + 5 * DAY).toISOString(), new Date(t0 + 370 * DAY).toISOString()],
    ]);
    // qualifying at once too: the tier placed by the sale's own processing
    expect(ok(await t.gql(ProfileDocument, {}, customer.token)).me!.tier?.code).toBe(gold);
    expect(await tierMoves(t, customer.externalId)).toEqual([[null, gold]]);

    t.clock.advance(HOUR);
    expect(await reverse(sale)).toMatchObject({ transaction: { status: 'REVERSED' }, pointsReversed: 100, pointsOwed: 0, userErrors: [] });
    expect(await reverse(sale)).toMatchObject({ userErrors: [{ code: 'ALREADY_REVERSED' }] });
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 50, pending: 0, lifetimeEarned: 50 });
    expect(await tierMoves(t, customer.externalId)).toEqual([[null, gold], [gold, null]]);
  });

  it("an offline till's sale sent mid-window releases at the sale + pendingDays exactly, with no job run, and its return after a purchase owes what was spent, once", async () => {
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'PM', { expiryDays: 365, pendingDays: 30 });
    const customer = await createCustomer(t, currency);
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 80 });
    const t0 = t.clock.now().getTime();
    t.clock.moveTo(t0 + 20 * DAY);
    const sale = await offlineSale(customer.externalId, money, 10, t0); // sent 20 days late
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 0, pending: 100 });
    expect((await awardsOf(sale)).awards).toEqual([{ kind: 'POINTS', points: 100, pending: true, reversed: false }]);

    t.clock.moveTo(t0 + 30 * DAY - 1);
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 0, pending: 100 });
    const early = dataOf(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token)).purchaseOffer;
    expect(early.userErrors.map((e) => e.code)).toEqual(['INSUFFICIENT_POINTS']);

    // day 30 after the purchase, not day 50 (20 days late + 30)
    t.clock.moveTo(t0 + 30 * DAY);
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 100, pending: 0, lifetimeEarned: 100 });
    expect((await awardsOf(sale)).awards).toEqual([{ kind: 'POINTS', points: 100, pending: false, reversed: false }]);
    const bought = ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token)).purchaseOffer;
    expect(bought.balance).toMatchObject({ available: 20 });
    const history = await historyOf(customer.token, currency);
    expect(history.map((e) => [e.kind, e.amount, e.createdAt, e.expiresAt])).toEqual([
      ['SPEND', -80, new Date(t0 + 30 * DAY).toISOString(), null],
      ['EARN', 100, new Date(t0 + 30 * DAY).toISOString(), new Date(t0 + 395 * DAY).toISOString()],
    ]);

    t.clock.advance(HOUR);
    expect(await reverse(sale)).toMatchObject({ transaction: { status: 'REVERSED' }, pointsReversed: 100, pointsOwed: 80, userErrors: [] });
    expect(await reverse(sale)).toMatchObject({ userErrors: [{ code: 'ALREADY_REVERSED' }] });
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 0, pending: 0, lifetimeEarned: 0 });
  });

  it('a late-processed sale returned before its release cancels the pending points: nothing is released at its second', async () => {
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'PR', { expiryDays: 365, pendingDays: 30 });
    const customer = await createCustomer(t, currency);
    const t0 = t.clock.now().getTime();
    t.clock.moveTo(t0 + 20 * DAY);
    const sale = await offlineSale(customer.externalId, money, 10, t0);
    t.clock.moveTo(t0 + 30 * DAY - 1);
    expect(await reverse(sale)).toMatchObject({ transaction: { status: 'REVERSED' }, pointsReversed: 100, pointsOwed: 0, userErrors: [] });
    expect(await reverse(sale)).toMatchObject({ userErrors: [{ code: 'ALREADY_REVERSED' }] });
    expect((await awardsOf(sale)).awards).toEqual([{ kind: 'POINTS', points: 100, pending: false, reversed: true }]);
    t.clock.moveTo(t0 + 30 * DAY);
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 0, pending: 0, lifetimeEarned: 0 });
    expect(await historyOf(customer.token, currency)).toEqual([]);
  });
});
