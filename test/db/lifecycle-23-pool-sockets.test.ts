import pg from 'pg';
import { closeOrm, openOrm, REQUEST_POOL_APPLICATION, requestPool } from '../../src/db/orm.js';
import { createTestDatabase } from '../support/gateway.js';
import { sessionProxy } from '../support/pg-wire.js';
import { eventually } from '../support/program.js';

/**
 * lifecycle-23: `closeOrm` cuts what the request pool still has past its grace through the sockets
 * pg made with the pool's public `stream` option (`PoolSockets`), no longer through pg-pool's private
 * `_clients`. This is the reliance made loud: were pg to stop making its sockets through `stream`,
 * the close below would never end (its answer "still closing after 20 s"), as lifecycle-22's lent
 * connection's would (test/db/lifecycle-22-pool-close-bound.test.ts). Here the connection is one
 * still connecting, to a server that accepted and never answers (a proxy holding its start-up), with
 * a connection lent beside it whose statement runs on: both cut, the holder hands its connection
 * back, and the close completes. A real pool on the run's
 * PostgreSQL.
 */
describe("the request pool's close with a connect the server does not answer (lifecycle-23)", () => {
  it('ends, the connect cut and the open connection gone from the server', async () => {
    const db = await createTestDatabase();
    const admin = new pg.Client({ connectionString: db.url, application_name: 'lifecycle-23 test' });
    await admin.connect();
    let holding = false;
    const proxy = await sessionProxy(db.url, (name) => holding && name === REQUEST_POOL_APPLICATION);
    const orm = await openOrm({ url: proxy.url, poolMax: 3 });
    try {
      const pool = await requestPool(orm);
      // lent, its statement (3 s) running past the close's grace (100 ms): its holder hands it back once the statement fails
      const open = await pool.connect();
      open.on('error', () => undefined);
      void open.query('select pg_sleep(3)').then(
        () => open.release(),
        (error: Error) => open.release(error),
      );
      holding = true;
      const connecting = pool.connect(); // held unanswered by the proxy
      const connectFailed = Promise.race([
        connecting.then(
          () => false,
          () => true,
        ),
        new Promise<string>((resolve) => setTimeout(() => resolve('still connecting after 20 s'), 20_000).unref()),
      ]);
      await eventually(async () => proxy.held() === 1, 10_000);
      const sessions = async () =>
        (await admin.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = $1`, [REQUEST_POOL_APPLICATION])).rows[0].n;
      const closed = await Promise.race([
        closeOrm(orm, 100),
        new Promise<string>((resolve) => setTimeout(() => resolve('still closing after 20 s'), 20_000).unref()),
      ]);
      await eventually(async () => (await sessions()) === 0, 10_000).catch(() => undefined);
      expect({ closed, connectFailed: await connectFailed, sessions: await sessions() }).toEqual({ closed: true, connectFailed: true, sessions: 0 });
    } finally {
      await admin.end();
      await proxy.close();
      await db.drop();
    }
  }, 60_000);
});
