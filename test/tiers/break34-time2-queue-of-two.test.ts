import { ReverseTransactionDocument, TransactionStatusDocument } from '../generated/graphql.js';
import { ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, createTier, earningProgram, submitSale } from '../support/program.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;

/**
 * break34-time2: a queue of two. break34 made "a sale made while GOLD earns x2 whether its job
 * ran before or after a later return"; hostile-18 made "a sale whose earlier sale was processed
 * after its moment (a queue of two) still sees the earlier sale's promotion". Together they fail.
 *
 * What a member sees: two members with the same receipts. Sale 0 (50 points, processed at once),
 * sale 1 an hour later (100 points: 150, GOLD x2 from that second by SPEC §4, whether or not its
 * job has run), sale 2 an hour after that. The queue is a minute behind: both members' sale 1 is
 * processed at the same instant, a minute after sale 2 was made (hostile-18 decided that sale 2
 * then sees sale 1's promotion). Then sale 0 is returned (a minute later). The member
 * whose sale 2 was processed before the return gets 200 points for it; the member whose sale 2
 * was processed after it gets 100: the only difference is when sale 2's job ran (SPEC §4: jobs
 * only write down what is already true). The tier at sale 2's moment counts sale 1's credit by
 * when its job wrote it (after sale 2's moment), not by when sale 1 was made, and the tier now has
 * lost sale 0: neither half of "the higher of the tier then and now" sees GOLD.
 */
describe('a queue of two and a later return (break34-time2)', () => {
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

  const status = async (externalId: string) => ok(await t.gql(TransactionStatusDocument, { externalId }, till.credential)).transaction!;
  const awarded = async (externalId: string) => {
    const sale = await status(externalId);
    expect(sale.status).toBe('PROCESSED');
    return sale.pointsAwarded;
  };
  const reverse = async (externalId: string) =>
    expect(ok(await t.gql(ReverseTransactionDocument, { externalId, reason: 'returned' }, till.credential)).reverseTransaction.userErrors).toEqual([]);
  /** Runs due jobs one at a time (in the queue's order) until `externalId` is PROCESSED. */
  const runUntilProcessed = async (externalId: string) => {
    for (let i = 0; i < 100 && (await status(externalId)).status !== 'PROCESSED'; i++) {
      if (!(await t.jobs.runner.runOne())) break;
    }
    expect((await status(externalId)).status).toBe('PROCESSED');
  };

  let rank = 0;
  for (const windowDays of [30, undefined]) {
    it(`${windowDays ? 'rolling 30-day' : 'lifetime'} GOLD: sale 2 earns the same whether its job ran before or after the return of sale 0`, async () => {
      t.clock.freeze();
      const { money, currency } = await earningProgram(t, windowDays ? 'QR' : 'QL', { expiryDays: null });
      await createTier(t, { currency, code: `G_${money}`, rank: ++rank, threshold: 150, windowDays, multiplier: 2 });
      const early = await createCustomer(t, currency); // sale 2 processed before the return
      const late = await createCustomer(t, currency); // sale 2 processed after it
      const zero = { early: await submitSale(t, till, early.externalId, money, 5), late: await submitSale(t, till, late.externalId, money, 5) };
      await t.jobs.runner.runUntilIdle();
      expect(await awarded(zero.early)).toBe(50);
      expect(await awarded(zero.late)).toBe(50);

      t.clock.advance(HOUR);
      const one = { early: await submitSale(t, till, early.externalId, money, 10), late: await submitSale(t, till, late.externalId, money, 10) };
      t.clock.advance(HOUR);
      const two = { early: await submitSale(t, till, early.externalId, money, 10), late: await submitSale(t, till, late.externalId, money, 10) };

      t.clock.advance(MINUTE); // the queue a minute behind: sale 1 of both, then sale 2 of the early one
      await runUntilProcessed(two.early);
      expect(await awarded(one.early)).toBe(100);
      expect(await awarded(one.late)).toBe(100);
      expect((await status(two.late)).status).not.toBe('PROCESSED');

      t.clock.advance(MINUTE);
      await reverse(zero.early);
      await reverse(zero.late);
      await t.jobs.runner.runUntilIdle();

      expect(await awarded(two.early)).toBe(200);
      // fails: 100 — the same sale, made while GOLD, processed a minute later
      expect(await awarded(two.late)).toBe(await awarded(two.early));
    });
  }
});
