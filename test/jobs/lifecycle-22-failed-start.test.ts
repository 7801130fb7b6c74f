import net from 'node:net';
import pg from 'pg';
import pino from 'pino';
import { systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { OUTBOX_CHANNEL } from '../../src/db/outbox-commits.js';
import { closeOrm, openOrm } from '../../src/db/orm.js';
import { startJobs } from '../../src/jobs/registry.js';
import { LISTENER_APPLICATION } from '../../src/jobs/runner.js';
import { createMigratedDatabase, TEST_JWT_SECRET } from '../support/gateway.js';
import { eventually } from '../support/program.js';

/**
 * lifecycle-22 (lifecycle-21 left it): `startJobs` failing part-way (its runner's LISTEN connection
 * refused) did not stop what it had set up. The outbox reader it registered stayed, for a webhook
 * dispatcher that never started: `Scheduler.wake` answers true when not started in its woken mode,
 * so every outbox commit of the process was taken by it and no NOTIFY told another instance to
 * dispatch. src/run-gateway.ts exits after a failed start, but whatever of the jobs had started
 * would have run on while it closed the database. A real pool on the run's PostgreSQL; the LISTEN
 * connection goes to a port nobody listens on.
 */
describe('a start of the jobs that fails part-way (lifecycle-22)', () => {
  it('rejects, and leaves nothing of it registered: an outbox commit still tells other instances', async () => {
    const db = await createMigratedDatabase();
    const listener = new pg.Client({ connectionString: db.url, application_name: 'lifecycle-22 test' });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (message) => heard.push(message.channel));
    await listener.query(`listen ${OUTBOX_CHANNEL}`);
    const refusing = net.createServer();
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    const closedPort = (refusing.address() as net.AddressInfo).port;
    await new Promise((resolve) => refusing.close(resolve));
    const orm = await openOrm({ url: db.url, poolMax: 2 });
    try {
      const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, DATABASE_URL: db.url });
      const failed = await startJobs({ orm, clock: systemClock, config, log: pino({ level: 'silent' }), databaseUrl: `postgres://127.0.0.1:${closedPort}/nothing` }).then(
        (jobs) => jobs.stop().then(() => 'started'),
        (error: NodeJS.ErrnoException) => error.code ?? error.message,
      );
      // an outbox write committed on the pool (no rows: the commit watcher goes by the statement)
      await orm.em.getConnection().execute(`insert into outbox_event (topic, customer_id, payload, created_at) select 'x', 0, '{}'::jsonb, now() where false`);
      await eventually(async () => heard.length > 0, 5_000).catch(() => undefined);
      expect({ failed, heard }).toEqual({ failed: 'ECONNREFUSED', heard: [OUTBOX_CHANNEL] });
    } finally {
      await closeOrm(orm);
      await listener.end();
      await db.drop();
    }
  }, 60_000);

  it('a start the signal had already aborted rejects with its reason, connects nothing, and a start after it listens (review-24)', async () => {
    const db = await createMigratedDatabase();
    const orm = await openOrm({ url: db.url, poolMax: 2 });
    const listeners = async () =>
      (await orm.em.getConnection().execute<{ n: number }[]>(`select count(*)::int as n from pg_stat_activity where application_name = ? and datname = current_database()`, [LISTENER_APPLICATION]))[0].n;
    try {
      const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, DATABASE_URL: db.url });
      const deps = { orm, clock: systemClock, config, log: pino({ level: 'silent' }), databaseUrl: db.url };
      const stop = new AbortController();
      stop.abort(new Error('stopping: SIGTERM'));
      const aborted = await startJobs({ ...deps, signal: stop.signal }).then(
        (jobs) => jobs.stop().then(() => 'started'),
        (error: Error) => error.message,
      );
      const afterAbort = await listeners();
      const jobs = await startJobs(deps);
      try {
        await eventually(async () => (await listeners()) === 1, 10_000);
      } finally {
        await jobs.stop();
      }
      expect({ aborted, afterAbort }).toEqual({ aborted: 'stopping: SIGTERM', afterAbort: 0 });
    } finally {
      await closeOrm(orm);
      await db.drop();
    }
  }, 60_000);
});
