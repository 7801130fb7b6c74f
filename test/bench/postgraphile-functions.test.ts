import pg from 'pg';
import { POSTGRAPHILE_FUNCTIONS } from '../../bench/postgraphile-schema.js';
import { createMigratedDatabase, testPool } from '../support/gateway.js';

/**
 * bench/run.ts starts both PostGraphile servers at once, and each sends POSTGRAPHILE_FUNCTIONS as it
 * starts: on a database without the functions, the two must both succeed (the bench stopped at
 * "duplicate key value violates unique constraint pg_proc_proname_args_nsp_index" when two
 * `create or replace function` of a new function ran at once). Real parallel sessions, on a fresh
 * database each round.
 */
describe("the bench's PostGraphile functions", () => {
  let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let pool: pg.Pool;
  beforeAll(async () => {
    database = await createMigratedDatabase();
    pool = testPool({ connectionString: database.url, max: 4 });
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  it('are created by two sessions at once, as the two servers start, without an error', async () => {
    const failures: string[] = [];
    for (let round = 0; round < 20; round++) {
      await pool.query('drop function if exists current_customer(), reward_store_listings_on_show(reward_store), listing_purchased_by_me(listing)');
      const sent = await Promise.allSettled([pool.query(POSTGRAPHILE_FUNCTIONS), pool.query(POSTGRAPHILE_FUNCTIONS)]);
      for (const s of sent) if (s.status === 'rejected') failures.push((s.reason as Error).message);
    }
    expect(failures).toEqual([]);
  });
});
