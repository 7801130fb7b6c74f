import pg from 'pg';
import { createTestDatabase, testPool } from '../support/gateway.js';

/**
 * A suite's own pool, ended just before its database is dropped with force (the teardown of
 * test/webhooks/dispatch-cursor.test.ts and test/events/logical-restore.test.ts): `pool.end()`
 * resolves before the sessions have ended, the drop terminates those still closing, and their
 * 57P01 came as an `error` of the pool. With no listener it was an uncaught exception that failed
 * the suite in teardown, about 1 run in 20 there, where `orm.close()` and the drop's own connect
 * come in between; here, with an administrator's session already open, nearly every time (hang-12).
 */
describe("a test's own pool ended right before its database is dropped", () => {
  it('leaves no error behind', async () => {
    const admin = new pg.Client({ connectionString: process.env.TEST_PG_ADMIN_URL });
    await admin.connect();
    try {
      for (let i = 0; i < 5; i++) {
        const database = await createTestDatabase();
        const pool = testPool({ connectionString: database.url, max: 4 });
        await Promise.all(Array.from({ length: 4 }, () => pool.query('select pg_sleep(0.01)')));
        await pool.end();
        await admin.query(`drop database if exists ${new URL(database.url).pathname.slice(1)} with (force)`);
      }
      // A session's error, read after the drop, would fail the suite (an uncaught exception) here.
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      await admin.end();
    }
  });
});
