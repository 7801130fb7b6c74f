import { CreateCampaignDocument, SubmitTransactionDocument, TransactionStatusDocument } from '../generated/graphql.js';
import { ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCustomer, createPartner, createTier, earningProgram, submitSale, unique } from '../support/program.js';

const SECOND = 1_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * hostile-18: a sale earns at the tier the customer held when it happened (its rolling windows
 * ending at the sale's moment), or at a higher one they hold when it is processed. Before, only the
 * tier when its job ran counted: a GOLD (x2, rolling 30 days) customer's sale made a minute before
 * their window lapsed and processed a minute after earned at x1 and missed the GOLD-only campaign,
 * while the same sale processed at once earned x2 and the campaign (SPEC §4: what changes with
 * time holds from its second whether or not a job has run; econ-17: a sale earns by the rules in
 * force when it happened).
 */
describe('the tier a sale earns at', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    till = await createPartner(t, ['transactions:read', 'transactions:write']);
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  /** A program earning 10 points per unit, a GOLD tier (x2) at 100 points in a rolling 30 days, and a campaign of 7 bonus points for GOLD sales. */
  async function goldProgram(prefix: string, rank: number) {
    const { money, currency } = await earningProgram(t, prefix, { expiryDays: null });
    const gold = `G_${money}`;
    await createTier(t, { currency, code: gold, rank, threshold: 100, windowDays: 30, multiplier: 2 });
    const now = t.clock.now().getTime();
    ok(
      await t.gql(
        CreateCampaignDocument,
        {
          input: {
            name: 'Gold bonus',
            currency,
            startsAt: new Date(now - 60 * DAY).toISOString(),
            endsAt: new Date(now + 120 * DAY).toISOString(),
            conditions: { tiers: [gold] },
            outcome: { bonusPoints: 7 },
          },
        },
        t.operatorToken,
      ),
    );
    return { money, currency };
  }

  async function pointsAwarded(externalId: string): Promise<number | null | undefined> {
    const sale = ok(await t.gql(TransactionStatusDocument, { externalId }, till.credential)).transaction;
    expect(sale?.status).toBe('PROCESSED');
    return sale?.pointsAwarded;
  }

  it('a sale made while GOLD and processed after the window lapsed earns at GOLD (x2 and the GOLD campaign)', async () => {
    t.clock.freeze();
    const { money, currency } = await goldProgram('LAPSE', 5);
    const customer = await createCustomer(t, currency, 100); // GOLD for 30 days from now
    const other = await createCustomer(t, currency, 100); // the same, buying after the lapse
    const lapse = t.clock.now().getTime() + 30 * DAY;

    t.clock.advance(lapse - SECOND * 60 - t.clock.now().getTime());
    const atTheTill = await submitSale(t, till, customer.externalId, money, 10); // 100 points at x1
    t.clock.advance(SECOND * 120); // the job runs two minutes later, past the lapse
    await t.jobs.runner.runUntilIdle();
    expect(await pointsAwarded(atTheTill)).toBe(207);

    // made after the lapse: GREEN's x1, no campaign (the fix is not "GOLD once, GOLD for ever")
    const after = await submitSale(t, till, other.externalId, money, 10);
    await t.jobs.runner.runUntilIdle();
    expect(await pointsAwarded(after)).toBe(100);
  });

  it("an offline till's sale counts the window that ended at the sale, not points earned since", async () => {
    t.clock.freeze();
    const { money, currency } = await goldProgram('OFFLINE', 6);
    const customer = await createCustomer(t, currency, 60);
    const start = t.clock.now().getTime();
    const madeAt = new Date(start + 21 * DAY); // its window (start − 9 days, start + 21 days] holds 60
    t.clock.advance(45 * DAY);
    await adjust(t, customer.externalId, currency, 60); // 60 more, after the sale
    t.clock.advance(5 * DAY); // now: the window holds the later 60 only
    // uploaded 29 days after it was made (SALE_MAX_AGE_DAYS is 30): GOLD neither then nor now
    const late = unique('sale');
    const lines = [{ sku: 'BEANS', category: 'RETAIL', quantity: 1, unitPrice: '10.00' }];
    ok(await t.gql(SubmitTransactionDocument, { input: { externalId: late, customerExternalId: customer.externalId, occurredAt: madeAt.toISOString(), currency: money, lines } }, till.credential));
    await t.jobs.runner.runUntilIdle();
    expect(await pointsAwarded(late)).toBe(100);
  });

  // sale-19: the job evaluates at the sale's moment only the tiers that could outrank the tier now
  // (rolling tiers ranked above it; lifetime tiers too when the sale's moment is after the job's
  // now: src/transactions/processor.ts, saleTierSql). The cases where that must not skip a tier:
  it('a customer on a lifetime tier now still earns at the rolling tier above it that they held at the sale', async () => {
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'ABOVE', { expiryDays: null });
    await createTier(t, { currency, code: `S_${money}`, rank: 21, threshold: 50, multiplier: 1.5 }); // lifetime
    await createTier(t, { currency, code: `G_${money}`, rank: 22, threshold: 100, windowDays: 30, multiplier: 2 });
    const customer = await createCustomer(t, currency, 100); // GOLD for 30 days, SILVER for good
    const other = await createCustomer(t, currency, 100);
    const lapse = t.clock.now().getTime() + 30 * DAY;

    t.clock.advance(lapse - SECOND * 60 - t.clock.now().getTime());
    const atTheTill = await submitSale(t, till, customer.externalId, money, 10); // 100 points at x1
    t.clock.advance(SECOND * 120); // processed past the lapse: SILVER now, GOLD at the sale
    await t.jobs.runner.runUntilIdle();
    expect(await pointsAwarded(atTheTill)).toBe(200);

    // made after the lapse: SILVER's x1.5, the tier held now
    const after = await submitSale(t, till, other.externalId, money, 10);
    await t.jobs.runner.runUntilIdle();
    expect(await pointsAwarded(after)).toBe(150);
  });

  it("a lifetime tier reached by the sale's moment, when that moment is after the job's clock, still counts", async () => {
    // A pending credit falls due between the job's `now` and the sale's moment: lifetime points are
    // higher at the sale than at the job's now, the one order in which a lifetime tier at the sale
    // can outrank the tier now.
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'SKEW', { expiryDays: null, pendingDays: 1 });
    await createTier(t, { currency, code: `L_${money}`, rank: 23, threshold: 100, multiplier: 2 }); // lifetime
    const customer = await createCustomer(t, currency);
    const start = t.clock.now().getTime();
    const first = await submitSale(t, till, customer.externalId, money, 10); // 100 points, pending until start + 1 day
    await t.jobs.runner.runUntilIdle();
    expect(await pointsAwarded(first)).toBe(100);

    t.clock.advance(start + DAY + HOUR - t.clock.now().getTime());
    const sale = await submitSale(t, till, customer.externalId, money, 10); // made and received an hour after the release
    // Its job run by a clock two hours behind the one that received it (a host's clock stepped
    // back, or an instance behind another): the queue holds a job until the claiming clock reaches
    // its run_at, so the job is made due at that clock by hand.
    t.clock.advance(-2 * HOUR);
    await t.sql(
      `update job set run_at = $1 where status = 'PENDING' and (payload->>'transactionId')::bigint = (select id from sales_transaction where external_id = $2)`,
      [t.clock.now(), sale],
    );
    expect(await t.jobs.runner.runUntilIdle()).toBe(1);
    // at the job's now the 100 points are still pending (no tier); at the sale they were due: L, x2
    expect(await pointsAwarded(sale)).toBe(200);
  });
});
