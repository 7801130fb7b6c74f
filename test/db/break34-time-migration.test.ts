import { Migration20261205030000 } from '../../migrations/Migration20261205030000.js';
import { ReverseTransactionDocument } from '../generated/graphql.js';
import { runMigration } from '../support/migrations.js';
import { ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, createTier, earningProgram, submitSale } from '../support/program.js';

const HOUR = 3_600_000;

/**
 * break34 (time): Migration20261205030000 on a database whose returns' tier corrections were
 * written before it (no `recorded_at`): each takes the moment of its credit's reversal, so a sale
 * made before that return and processed after the migration earns at the tier the customer held
 * when it was made; down and up again keeps the moments.
 */
describe('Migration20261205030000 on a database with returns', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  const run = (direction: 'up' | 'down') => runMigration(t, Migration20261205030000, direction);

  it('dates each stored correction at its return, and a sale made before the return earns at the tier held then', async () => {
    t.clock.freeze();
    const till = await createPartner(t, ['transactions:read', 'transactions:write']);
    const { money, currency } = await earningProgram(t, 'MIG', { expiryDays: null });
    await createTier(t, { currency, code: `G_${money}`, rank: 1, threshold: 100, windowDays: 30, multiplier: 2 });
    const customer = await createCustomer(t, currency);
    const first = await submitSale(t, till, customer.externalId, money, 10);
    await t.jobs.runner.runUntilIdle();
    t.clock.advance(HOUR);
    const second = await submitSale(t, till, customer.externalId, money, 10); // made while GOLD, its job not run
    t.clock.advance(HOUR);
    const returnedAt = t.clock.now();
    expect(ok(await t.gql(ReverseTransactionDocument, { externalId: first, reason: 'returned' }, till.credential)).reverseTransaction.userErrors).toEqual([]);

    // as the database before the migration held it: the correction dated at the credit only
    await run('down');
    expect(await t.sql(`select 1 from information_schema.columns where table_name = 'qualifying_adjustment' and column_name = 'recorded_at'`)).toEqual([]);
    await run('up');
    const corrections = await t.sql<{ created_at: Date; recorded_at: Date }>(
      `select q.created_at, q.recorded_at from qualifying_adjustment q join customer c on c.id = q.customer_id where c.external_id = $1`,
      [customer.externalId],
    );
    expect(corrections).toHaveLength(1);
    expect(corrections[0].recorded_at.toISOString()).toBe(returnedAt.toISOString());
    expect(corrections[0].created_at.getTime()).toBeLessThan(returnedAt.getTime());

    await t.jobs.runner.runUntilIdle();
    const [{ points }] = await t.sql<{ points: number }>(
      `select sum(a.points)::int as points from transaction_award a join sales_transaction s on s.id = a.transaction_id where s.external_id = $1`,
      [second],
    );
    expect(points).toBe(200);

    await run('down');
    await run('up');
    expect(
      (await t.sql<{ recorded_at: Date }>(`select q.recorded_at from qualifying_adjustment q join customer c on c.id = q.customer_id where c.external_id = $1`, [customer.externalId]))[0].recorded_at.toISOString(),
    ).toBe(returnedAt.toISOString());
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
});
