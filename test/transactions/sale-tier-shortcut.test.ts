import { TransactionStatusDocument } from '../generated/graphql.js';
import { ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, createTier, earningProgram, submitSale } from '../support/program.js';

const SECOND = 1_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * sale-19: a sale earns at the higher-ranked of the tier its customer holds when its job runs and
 * the tier they held at the sale's moment (hostile-18, tier-at-sale.test.ts). The job no longer
 * evaluates every tier at the sale's moment: only rolling tiers ranked above the tier held now
 * (a lifetime tier reached then is reached now too), and lifetime tiers as well when the sale's
 * moment is after the job's `now`. These are the cases where that shortcut must not skip a tier.
 */
describe('the tiers a sale reads at its moment', () => {
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

  async function pointsAwarded(externalId: string): Promise<number | null | undefined> {
    const sale = ok(await t.gql(TransactionStatusDocument, { externalId }, till.credential)).transaction;
    expect(sale?.status).toBe('PROCESSED');
    return sale?.pointsAwarded;
  }

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
