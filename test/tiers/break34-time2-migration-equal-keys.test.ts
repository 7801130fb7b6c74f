import { Migration20261205030000 } from '../../migrations/Migration20261205030000.js';
import { ReverseTransactionDocument, TransactionStatusDocument } from '../generated/graphql.js';
import { ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, createTier, earningProgram, submitSale } from '../support/program.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * break34-time2: Migration20261205030000 dates each stored correction at the first reversal of
 * any credit with the same (account, created_at, amount): two credits that share those (two
 * receipts of the same amount in the same second at the till, released from pending at the same
 * moment; or two equal awards of one sale's job) and were returned at different times both take
 * the first return's moment.
 *
 * What a member sees: sales S0 (100), A (50) and B (50) in the same second, pending a day;
 * released together: 200 points, GOLD (150 in 30 days, x2). A returned: 150, still GOLD. An hour
 * later sale C at the till while the app shows GOLD; an hour after that B returned (100). C's job
 * runs after the migration (or after any down and up of it, which the migration's own test does):
 * C earns 100 instead of 200, because B's return is read as made before C.
 */
describe('Migration20261205030000 with two equal credits returned at different times (break34-time2)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  const run = async (direction: 'up' | 'down') => {
    const migration = new Migration20261205030000(t.orm.driver, t.orm.config);
    await migration[direction]();
    for (const statement of migration.getQueries()) {
      if (typeof statement !== 'string') throw new Error('the migration is plain SQL');
      await t.sql(statement);
    }
  };

  it('keeps each correction at its own return after down and up', async () => {
    t.clock.freeze();
    const till = await createPartner(t, ['transactions:read', 'transactions:write']);
    const { money, currency } = await earningProgram(t, 'MEQ', { expiryDays: null, pendingDays: 1 });
    await createTier(t, { currency, code: `G_${money}`, rank: 1, threshold: 150, windowDays: 30, multiplier: 2 });
    const customer = await createCustomer(t, currency);
    await submitSale(t, till, customer.externalId, money, 10);
    const a = await submitSale(t, till, customer.externalId, money, 5);
    const b = await submitSale(t, till, customer.externalId, money, 5);
    await t.jobs.runner.runUntilIdle();

    t.clock.advance(DAY + HOUR);
    const firstReturn = t.clock.now();
    expect(ok(await t.gql(ReverseTransactionDocument, { externalId: a, reason: 'returned' }, till.credential)).reverseTransaction.userErrors).toEqual([]);
    t.clock.advance(HOUR);
    const c = await submitSale(t, till, customer.externalId, money, 10); // made while GOLD (150), its job not run
    t.clock.advance(HOUR);
    const secondReturn = t.clock.now();
    expect(ok(await t.gql(ReverseTransactionDocument, { externalId: b, reason: 'returned' }, till.credential)).reverseTransaction.userErrors).toEqual([]);

    const recorded = async () =>
      (
        await t.sql<{ recorded_at: Date }>(
          `select q.recorded_at from qualifying_adjustment q join customer c on c.id = q.customer_id where c.external_id = $1 order by q.id`,
          [customer.externalId],
        )
      ).map((r) => r.recorded_at.toISOString());
    expect(await recorded()).toEqual([firstReturn.toISOString(), secondReturn.toISOString()]);

    await run('down');
    await run('up');
    // fails: [first, first] — B's return dated at A's
    expect(await recorded()).toEqual([firstReturn.toISOString(), secondReturn.toISOString()]);

    await t.jobs.runner.runUntilIdle();
    const sale = ok(await t.gql(TransactionStatusDocument, { externalId: c }, till.credential)).transaction!;
    expect(sale.status).toBe('PROCESSED');
    expect(sale.pointsAwarded).toBe(200);
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
});
