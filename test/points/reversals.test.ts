import {
  AdjustPointsDocument,
  PointHistoryDocument,
  ProfileDocument,
  PurchaseOfferDocument,
} from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, writeCounts, type TestGateway } from '../support/gateway.js';
import { addListing, adjust, createCustomer, createOffer, createPartner, createStore, createTier, earningProgram, processedSale, unique } from '../support/program.js';

const DAY = 86_400_000;

const REVERSE = `mutation($externalId: String!) {
  reverseTransaction(input: { externalId: $externalId }) { transaction { status } pointsReversed pointsOwed userErrors { code } }
}`;
type Reversed = { reverseTransaction: { transaction: { status: string }; pointsReversed: number; pointsOwed: number; userErrors: { code: string }[] } };

/**
 * Issue 7 §1: a reversal undoes the entries it names, by reference — their open remainder is
 * taken back, what of them was spent is owed, what of them expired is gone and nothing else is
 * taken in its place; lifetime and tier follow. §9: staff adjustments with `qualifying`. §5: a
 * customer's amounts stay within GraphQL Int, refused cleanly with nothing written.
 */
describe('reversals by reference, qualifying adjustments, amounts within Int', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;

  beforeAll(async () => {
    t = await startTestGateway();
    till = await createPartner(t, ['transactions:write', 'transactions:read']);
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  /** A point currency earning 10 per unit of its own money currency, expiring after `expiryDays`. */
  const program = (expiryDays: number | null = 365, pendingDays = 0) => earningProgram(t, 'R', { expiryDays, pendingDays });

  /** A processed sale of `amount` money units: earns amount × 10 points. */
  async function sale(money: string, customerExternalId: string, amount: number) {
    return processedSale(t, till, customerExternalId, money, amount);
  }

  const reverse = async (externalId: string) => ok(await t.gql<Reversed, { externalId: string }>(REVERSE, { externalId }, till.credential)).reverseTransaction;
  const balanceOf = async (token: string, currency: string) =>
    ok(await t.gql(ProfileDocument, {}, token)).me!.balances.find((b) => b.currency.code === currency)!;
  const debtOf = async (currency: string, externalId: string) =>
    Number(
      (await t.sql<{ debt: string }>(`select a.debt from point_account a join customer c on c.id = a.customer_id where a.currency_code = $1 and c.external_id = $2`, [currency, externalId]))[0]
        .debt,
    );

  it('buy-then-return does not renew points about to expire (the issue example)', async () => {
    t.clock.freeze();
    const { money, currency } = await program(365);
    const customer = await createCustomer(t, currency);
    await sale(money, customer.externalId, 10); // day 0: 100, expiring day 365
    t.clock.advance(200 * DAY);
    const second = await sale(money, customer.externalId, 10); // day 200: 100, expiring day 565
    expect(await reverse(second)).toMatchObject({ transaction: { status: 'REVERSED' }, pointsReversed: 100, pointsOwed: 0 });
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 100, lifetimeEarned: 100 });
    t.clock.advance(170 * DAY); // day 370
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 0, lifetimeEarned: 100, expiringSoon: [] });
  });

  it('what of the reversed points already expired is gone: other points are not taken in its place', async () => {
    t.clock.freeze();
    const { money, currency } = await program(365);
    const customer = await createCustomer(t, currency);
    const first = await sale(money, customer.externalId, 10); // day 0: 100, expiring day 365
    t.clock.advance(300 * DAY);
    await adjust(t, customer.externalId, currency, 50); // day 300: 50, expiring day 665
    t.clock.advance(100 * DAY); // day 400: the sale's points expired
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 50, lifetimeEarned: 150 });
    expect(await reverse(first)).toMatchObject({ pointsReversed: 0, pointsOwed: 0 });
    // Lifetime drops by everything the sale earned; the staff points stay.
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 50, lifetimeEarned: 50 });
    expect(await debtOf(currency, customer.externalId)).toBe(0);
  });

  it('takes back the open part of its own credit, owes what was spent of it, and leaves other credits alone', async () => {
    t.clock.freeze();
    const { money, currency } = await program(365);
    const customer = await createCustomer(t, currency);
    const offer = await createOffer(t);
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, offer.id, { priceInPoints: 80 });
    const earned = await sale(money, customer.externalId, 10); // 100, expiring day 365
    t.clock.advance(DAY);
    await adjust(t, customer.externalId, currency, 60); // 60, expiring day 366: spent after the sale's
    ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token)); // 80 of the sale's 100
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 80 });
    expect(await reverse(earned)).toMatchObject({ pointsReversed: 100, pointsOwed: 80 });
    // 20 taken from the sale's credit; the 60 staff points are untouched; 80 owed.
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 60, lifetimeEarned: 60 });
    expect(await debtOf(currency, customer.externalId)).toBe(80);
    const [link] = await t.sql<{ taken: number; owed: number; expired: number }>(
      `select r.taken, r.owed, r.expired from ledger_reversal r join point_account a on a.id = r.account_id where a.currency_code = $1`,
      [currency],
    );
    expect(link).toEqual({ taken: 20, owed: 80, expired: 0 });

    // The next credit repays the debt from itself: the older staff points still expire on their day.
    await adjust(t, customer.externalId, currency, 50);
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 60 });
    expect(await debtOf(currency, customer.externalId)).toBe(30);
    t.clock.advance(366 * DAY);
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 0 });
  });

  it('a pending credit whose day has come is released and reversed by reference, not cancelled; one not yet due is cancelled', async () => {
    const { money, currency } = await program(365, 2);
    const customer = await createCustomer(t, currency);
    const early = await sale(money, customer.externalId, 3);
    const late = await sale(money, customer.externalId, 5);
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 0, pending: 80 });
    expect(await reverse(early)).toMatchObject({ pointsReversed: 30, pointsOwed: 0 });
    t.clock.advance(2 * DAY + 60_000); // the other is due; no job has run
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 50, pending: 0, lifetimeEarned: 50 });
    expect(await reverse(late)).toMatchObject({ pointsReversed: 50, pointsOwed: 0 });
    expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 0, pending: 0, lifetimeEarned: 0 });
    const history = ok(await t.gql(PointHistoryDocument, { currency }, customer.token)).me!.pointHistory.edges.map((e) => [e.node.kind, e.node.amount]);
    expect(history).toEqual([
      ['REVERSAL', -50],
      ['EARN', 50],
    ]);
    const [{ cancelled }] = await t.sql<{ cancelled: number }>(
      `select count(*) filter (where p.cancelled_at is not null)::int as cancelled from pending_credit p join point_account a on a.id = p.account_id where a.currency_code = $1`,
      [currency],
    );
    expect(cancelled).toBe(1);
  });

  describe('staff adjustments that count towards tiers (issue 7 §9)', () => {
    let currency: string;
    beforeAll(async () => {
      ({ currency } = await program(null));
      await createTier(t, { currency, code: 'GREEN', rank: 10, threshold: 0 });
      await createTier(t, { currency, code: 'GOLD', rank: 20, threshold: 1000 });
    });
    const adjustQ = async (externalId: string, amount: number, qualifying?: boolean) =>
      t.gql(AdjustPointsDocument, { input: { customerExternalId: externalId, currency, amount, reason: 'correction', idempotencyKey: unique('adj'), ...(qualifying === undefined ? {} : { qualifying }) } }, t.operatorToken);
    const tierOf = async (token: string) => ok(await t.gql(ProfileDocument, {}, token)).me!.tier?.code;

    it('+1000 makes GOLD; −1000 qualifying takes it back to GREEN', async () => {
      const customer = await createCustomer(t, currency);
      ok(await adjustQ(customer.externalId, 1000));
      expect(await tierOf(customer.token)).toBe('GOLD');
      ok(await adjustQ(customer.externalId, -1000, true));
      expect(await tierOf(customer.token)).toBe('GREEN');
      expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 0, lifetimeEarned: 0 });
    });

    it('unset: a negative adjustment does not touch the tier; qualifying:false credits do not raise it', async () => {
      const customer = await createCustomer(t, currency);
      ok(await adjustQ(customer.externalId, 1000));
      ok(await adjustQ(customer.externalId, -400));
      expect(await tierOf(customer.token)).toBe('GOLD');
      expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 600, lifetimeEarned: 1000 });
      const other = await createCustomer(t, currency);
      ok(await adjustQ(other.externalId, 1500, false));
      expect(await tierOf(other.token)).toBe('GREEN');
      expect(await balanceOf(other.token, currency)).toMatchObject({ available: 1500, lifetimeEarned: 0 });
    });

    it('a return lowers lifetime and the tier by what the sale earned, spent, open or expired', async () => {
      t.clock.freeze();
      const { money, currency: c2 } = await program(30);
      await createTier(t, { currency: c2, code: `GOLD_${c2}`, rank: 30, threshold: 100 });
      const customer = await createCustomer(t, c2);
      const earned = await sale(money, customer.externalId, 10);
      expect(await tierOf(customer.token)).toBe(`GOLD_${c2}`);
      t.clock.advance(31 * DAY); // expired
      await reverse(earned);
      expect(await balanceOf(customer.token, c2)).toMatchObject({ available: 0, lifetimeEarned: 0 });
      expect(await tierOf(customer.token)).toBe('GREEN');
    });
  });

  describe('amounts within GraphQL Int (issue 7 §5)', () => {
    it('three adjustments of +1,000,000,000: the third is refused, nothing written, the profile still reads', async () => {
      const { currency } = await program(null);
      const customer = await createCustomer(t, currency);
      await adjust(t, customer.externalId, currency, 1_000_000_000);
      await adjust(t, customer.externalId, currency, 1_000_000_000);
      const before = await writeCounts(t);
      const third = dataOf(
        await t.gql(AdjustPointsDocument, { input: { customerExternalId: customer.externalId, currency, amount: 1_000_000_000, reason: 'too much', idempotencyKey: unique('adj') } }, t.operatorToken),
      );
      expect(third.adjustPoints).toMatchObject({ entry: null, userErrors: [{ code: 'INVALID' }] });
      expect(await writeCounts(t)).toEqual(before);
      expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 2_000_000_000, lifetimeEarned: 2_000_000_000 });
      const history = ok(await t.gql(PointHistoryDocument, { currency }, customer.token)).me!.pointHistory.edges.map((e) => e.node.balanceAfter);
      expect(history).toEqual([2_000_000_000, 1_000_000_000]);
      // Up to the limit is fine.
      await adjust(t, customer.externalId, currency, 147_483_647);
      expect((await balanceOf(customer.token, currency)).available).toBe(2_147_483_647);
    });

    it('lifetime points are held to the same limit even when the balance is low', async () => {
      const { currency } = await program(null);
      const customer = await createCustomer(t, currency);
      await adjust(t, customer.externalId, currency, 1_000_000_000);
      await adjust(t, customer.externalId, currency, 1_000_000_000);
      await adjust(t, customer.externalId, currency, -1_000_000_000);
      await adjust(t, customer.externalId, currency, -1_000_000_000);
      const refused = dataOf(
        await t.gql(AdjustPointsDocument, { input: { customerExternalId: customer.externalId, currency, amount: 200_000_000, reason: 'bonus', idempotencyKey: unique('adj') } }, t.operatorToken),
      );
      expect(refused.adjustPoints.userErrors.map((e) => e.code)).toEqual(['INVALID']);
      // A credit that does not count towards lifetime still fits.
      ok(
        await t.gql(AdjustPointsDocument, { input: { customerExternalId: customer.externalId, currency, amount: 200_000_000, reason: 'goodwill', idempotencyKey: unique('adj'), qualifying: false } }, t.operatorToken),
      );
      expect(await balanceOf(customer.token, currency)).toMatchObject({ available: 200_000_000, lifetimeEarned: 2_000_000_000 });
    });
  });
});
