import net from 'node:net';
import pg from 'pg';
import pino from 'pino';
import { systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { closeOrm, openOrm, REQUEST_POOL_APPLICATION } from '../../src/db/orm.js';
import { startGateway } from '../../src/http/server.js';
import { createMigratedDatabase, HIGH_RATE_LIMITS, TEST_JWT_SECRET } from '../support/gateway.js';
import { eventually } from '../support/program.js';

/**
 * lifecycle-21 (early-19 left it): `startGateway` failing part-way left open what it had opened by
 * then: the event relay's session and timers (or its Redis clients), the rate limits' Redis client,
 * Apollo, the WebSocket server's sweep. src/run-gateway.ts exits at once after a failed start, but a
 * program that goes on (a test, an embedding one, a supervisor in-process) kept them, and its process
 * did not end by itself. Here the last step fails, the listen: the port was taken between the
 * start-up's check and the listen (another gateway started meanwhile). A real database and Redis.
 */
describe('a start of the HTTP side that fails at its listen (lifecycle-21)', () => {
  /** What keeps this process alive, by kind (`process.getActiveResourcesInfo`): sockets and timers. */
  const alive = () => {
    const counts: Record<string, number> = {};
    for (const kind of process.getActiveResourcesInfo()) if (kind === 'TCPSocketWrap' || kind === 'Timeout') counts[kind] = (counts[kind] ?? 0) + 1;
    return counts;
  };

  it.each([
    ['PostgreSQL for the rate limits and the event relay', {}],
    ['Redis for both (REDIS_URL)', { REDIS_URL: 'redis://127.0.0.1:6379', RATE_LIMIT_KEY_PREFIX: `lc21-${process.pid}` }],
  ])('with %s: rejects EADDRINUSE and leaves no session, socket or timer of its own open', async (_stores, env) => {
    const db = await createMigratedDatabase();
    const admin = new pg.Client({ connectionString: db.url, application_name: 'lifecycle-21 test' });
    await admin.connect();
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const orm = await openOrm({ url: db.url, poolMax: 2 });
    try {
      await orm.em.getConnection().execute('select 1'); // the caller's pool, open before the start
      const before = alive();
      const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, DATABASE_URL: db.url, ...HIGH_RATE_LIMITS, ...env });
      const failed = await startGateway({ config, orm, databaseUrl: db.url, clock: systemClock, log: pino({ level: 'silent' }) }, (taken.address() as net.AddressInfo).port, '127.0.0.1').then(
        (gateway) => gateway.close().then(() => 'started'),
        (error: NodeJS.ErrnoException) => error.code,
      );
      const sessions = async () =>
        (
          await admin.query<{ application_name: string }>(
            `select application_name from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and application_name <> $1 order by 1`,
            [REQUEST_POOL_APPLICATION],
          )
        ).rows.map((row) => row.application_name);
      // closing sockets go a moment after the start rejects
      await eventually(async () => (await sessions()).length === 0 && JSON.stringify(alive()) === JSON.stringify(before), 10_000).catch(() => undefined);
      expect({ failed, sessions: await sessions(), alive: alive() }).toEqual({ failed: 'EADDRINUSE', sessions: [], alive: before });
    } finally {
      await closeOrm(orm);
      await admin.end();
      await new Promise((resolve) => taken.close(resolve));
      await db.drop();
    }
  }, 60_000);
});
