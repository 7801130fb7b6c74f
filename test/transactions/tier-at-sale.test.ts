import { CreateCampaignDocument, SubmitTransactionDocument, TransactionStatusDocument } from '../generated/graphql.js';
import { ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCustomer, createPartner, createTier, earningProgram, submitSale, unique } from '../support/program.js';

const SECOND = 1_000;
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
});
