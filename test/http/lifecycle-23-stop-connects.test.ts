import pg from 'pg';
import { RELAY_APPLICATION } from '../../src/events/relay.js';
import { LISTENER_APPLICATION } from '../../src/jobs/runner.js';
import { compiledGateway } from '../support/build.js';
import { createMigratedDatabase } from '../support/gateway.js';
import { sessionProxy } from '../support/pg-wire.js';
import { spawnGateway, stopReport, type SpawnedGateway } from '../support/processes.js';

/**
 * lifecycle-23 (lifecycle-21 and lifecycle-22 left them): connections of the gateway's own that a
 * stop did not cut while they connected to a server that accepted and never answered (a frozen
 * server, a proxy whose backend is gone). The event relay's connect at the start (its first) and
 * after a loss (a tick connecting again), and the job runner's LISTEN connection's at the start,
 * each waited out DB_ACQUIRE_TIMEOUT_MS (here 120 s; with 0, for ever), past the stop's 15 s limit.
 * The compiled gateway, on a test-server database, through a proxy that holds the session the case
 * picks by its application_name and passes every other.
 */
describe('a stop while a connection of its own connects (lifecycle-23)', () => {
  let build: string;
  beforeAll(async () => {
    build = await compiledGateway();
  }, 600_000);

  /** SIGTERMs `gateway` and answers how it ended; kills it if the test failed first. */
  const terminated = async (gateway: SpawnedGateway) => {
    try {
      process.kill(gateway.child.pid!, 'SIGTERM');
      return stopReport(gateway, await gateway.exited);
    } finally {
      if (gateway.child.exitCode === null && gateway.child.signalCode === null) gateway.child.kill('SIGKILL');
    }
  };

  const until = async (done: () => boolean, gateway: SpawnedGateway) => {
    while (!done() && gateway.child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 10));
  };

  it.each([
    ["the event relay's first connect", RELAY_APPLICATION, 'starting the HTTP server'],
    ["the job runner's LISTEN connection's connect", LISTENER_APPLICATION, 'starting the jobs'],
  ])('a SIGTERM during start-up cuts %s: exit 0, "stopped", no error', async (_what, application, stage) => {
    const db = await createMigratedDatabase();
    const proxy = await sessionProxy(db.url, (name) => name === application);
    const gateway = spawnGateway(build, { DATABASE_URL: proxy.url, DB_ACQUIRE_TIMEOUT_MS: '120000', JOBS_ENABLED: 'true' });
    try {
      await gateway.until(new RegExp(`"msg":"${stage}"`));
      await until(() => proxy.held() > 0, gateway);
      expect(await terminated(gateway)).toEqual({ code: 0, stoppedAt: stage, stopped: true, errors: [] });
    } finally {
      await proxy.close();
      await db.drop();
    }
  }, 120_000);

  it("a SIGTERM while the running event relay connects again after a loss cuts that connect: exit 0, \"stopped\", no error", async () => {
    const db = await createMigratedDatabase();
    // the relay's first session passes; the one it opens after losing it is held
    const proxy = await sessionProxy(db.url, (name, nth) => name === RELAY_APPLICATION && nth > 0);
    const gateway = spawnGateway(build, { DATABASE_URL: proxy.url, DB_ACQUIRE_TIMEOUT_MS: '120000' });
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      expect(await gateway.until(/"msg":"gateway ready"/)).toBe(true);
      const { rows } = await admin.query<{ ended: boolean }>(
        `select pg_terminate_backend(pid) as ended from pg_stat_activity where application_name = $1 and datname = current_database()`,
        [RELAY_APPLICATION],
      );
      expect(rows).toEqual([{ ended: true }]);
      await until(() => proxy.held() > 0, gateway);
      expect(await terminated(gateway)).toEqual({ code: 0, stoppedAt: undefined, stopped: true, errors: [] });
    } finally {
      await admin.end();
      await proxy.close();
      await db.drop();
    }
  }, 120_000);
});
