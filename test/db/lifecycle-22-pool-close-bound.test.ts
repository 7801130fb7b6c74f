import pg from 'pg';
import { closeOrm, openOrm, REQUEST_POOL_APPLICATION, requestPool } from '../../src/db/orm.js';
import { createTestDatabase } from '../support/gateway.js';
import { eventually } from '../support/program.js';

/**
 * lifecycle-22: `closeOrm` (the gateway's last step before "stopped") waited for pg-pool's `end()`,
 * which waits for every lent connection to be handed back. A connection lent to a holder that never
 * hands it back (kysely's, when its connect completed after the close began) kept it pending for
 * ever, also once its socket was destroyed at the close's grace: the stop never logged "stopped".
 * Now the close ends within its grace plus POOL_CLOSE_AFTER_CUT_MS whatever the pool does, says the
 * pool did not close whole, and leaves no session on the server. A real pool on the run's PostgreSQL;
 * the test itself is the holder that never hands its connection back.
 */
describe("the request pool's close with a connection nobody hands back (lifecycle-22)", () => {
  it('ends, answers false, and the connection is gone from the server', async () => {
    const db = await createTestDatabase();
    const admin = new pg.Client({ connectionString: db.url, application_name: 'lifecycle-22 test' });
    await admin.connect();
    const orm = await openOrm({ url: db.url, poolMax: 2 });
    try {
      const kept = await (await requestPool(orm)).connect(); // lent, never handed back
      kept.on('error', () => undefined);
      const sessions = async () =>
        (await admin.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = $1`, [REQUEST_POOL_APPLICATION])).rows[0].n;
      expect(await sessions()).toBeGreaterThan(0);
      const closed = await Promise.race([
        closeOrm(orm, 100),
        new Promise<string>((resolve) => setTimeout(() => resolve('still closing after 20 s'), 20_000).unref()),
      ]);
      await eventually(async () => (await sessions()) === 0, 10_000).catch(() => undefined);
      expect({ closed, sessions: await sessions() }).toEqual({ closed: false, sessions: 0 });
    } finally {
      await admin.end();
      await db.drop();
    }
  }, 60_000);
});
