import { Migration20261205040000 } from '../../migrations/Migration20261205040000.js';
import { runMigration } from '../support/migrations.js';
import { ledgerViolations, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, createTier, earningProgram, submitSale } from '../support/program.js';

const MINUTE = 60_000;

/**
 * break34-time3 (held when written): Migration20261205040000 down and up on a database with a late
 * credit: down leaves the function reading without `counts_from` (and the late credit counts from
 * its own moment, as before), up brings the column, the partial index and the late-credit term
 * back; an award written before it (counts_from null) is read as before, one written after by its
 * `counts_from`.
 */
describe('Migration20261205040000 down and up', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  const run = (direction: 'up' | 'down') => runMigration(t, Migration20261205040000, direction);
  const until = async (customerId: string, currency: string, at: Date) =>
    Number((await t.sql<{ n: string }>(`select qualifying_points_until($1, $2, 30, $3)::text as n`, [customerId, currency, at]))[0].n);

  it('reads a late credit by counts_from only when set, and down/up keeps the function, column and index consistent', async () => {
    t.clock.freeze();
    const till = await createPartner(t, ['transactions:read', 'transactions:write']);
    const { money, currency } = await earningProgram(t, 'M4', { expiryDays: null });
    await createTier(t, { currency, code: `M4_${money}`, rank: 1, threshold: 100, windowDays: 30, multiplier: 2 });
    const c = await createCustomer(t, currency);
    const [{ id }] = await t.sql<{ id: string }>('select id from customer where external_id = $1', [c.externalId]);
    const made = t.clock.now();
    await submitSale(t, till, c.externalId, money, 10);
    t.clock.advance(10 * MINUTE);
    await t.jobs.runner.runUntilIdle(); // written 10 minutes after its moment
    const between = new Date(made.getTime() + 5 * MINUTE);
    expect(await until(id, currency, between)).toBe(100);

    await run('down');
    expect(await t.sql(`select 1 from information_schema.columns where table_name = 'transaction_award' and column_name = 'counts_from'`)).toEqual([]);
    expect(await t.sql(`select 1 from pg_indexes where indexname = 'transaction_award_late_credit_idx'`)).toEqual([]);
    expect(await until(id, currency, between)).toBe(0); // as before 77ed017

    await run('up');
    expect(await t.sql(`select 1 from pg_indexes where indexname = 'transaction_award_late_credit_idx'`)).toHaveLength(1);
    expect(await until(id, currency, between)).toBe(0); // counts_from lost with the column: read as before (no backfill)
    const made2 = t.clock.now();
    await submitSale(t, till, c.externalId, money, 10);
    t.clock.advance(10 * MINUTE);
    await t.jobs.runner.runUntilIdle();
    expect(await until(id, currency, new Date(made2.getTime() + 5 * MINUTE))).toBe(300); // 100 by its own moment + 200 (GOLD x2) as a late credit
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
});
