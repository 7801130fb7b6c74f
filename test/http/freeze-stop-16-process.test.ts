import { spawn } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { JOBS_CHANNEL } from '../../src/jobs/queue.js';
import { compiledGateway } from '../support/build.js';
import { resumeAll, stop, untilStopped } from '../support/freeze.js';
import { createTestDatabase } from '../support/gateway.js';
import { eventually } from '../support/program.js';

const root = path.resolve(import.meta.dirname, '../..');
/** The application_name of this test's own sessions, which are never stopped. */
const TEST_APPLICATION = 'freeze-stop-16 test';

/**
 * freeze-stop-16: the compiled gateway (`node dist/src/main.js`, as test/http/process.test.ts runs
 * it) on a database of the test server (DATABASE_URL: an embedded PostgreSQL's own stop would wait
 * for its stopped backends), given SIGTERM while one of its job loops' claims is in flight and every
 * session it has on its database is stopped (`kill -STOP`, a frozen server). main.ts exits 1 ("shutdown
 * took too long") when its shutdown passes 15 s.
 */
describe('the gateway process stopped while its database is frozen under a claim (freeze-stop-16)', () => {
  let build: string;
  beforeAll(async () => {
    build = await compiledGateway();
  }, 600_000);
  afterAll(() => resumeAll());

  it('exits 0 on SIGTERM, within its shutdown limit, with no "shutdown took too long"', async () => {
    const database = await createTestDatabase();
    const name = new URL(database.url).pathname.slice(1);
    const locker = new pg.Client({ connectionString: database.url, application_name: TEST_APPLICATION });
    const admin = new pg.Client({ connectionString: database.url, application_name: TEST_APPLICATION });
    let child: ReturnType<typeof spawn> | undefined;
    try {
      child = spawn(process.execPath, [path.join(build, 'src/main.js')], {
        cwd: root,
        env: {
          ...process.env,
          DATABASE_URL: database.url,
          DATA_DIR: '',
          PORT: '0',
          HOST: '127.0.0.1',
          NODE_ENV: 'development',
          LOG_LEVEL: 'info',
          SEED_DEMO: 'false',
          JOBS_ENABLED: 'true',
          // a server-side bound far beyond the shutdown's 15 s: only the gateway can end the claim's wait
          DB_STATEMENT_TIMEOUT_MS: '60000',
          // the schedules' one tick at the start, none during the test (see below)
          SCHEDULER_TICK_MS: '3600000',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout!.on('data', (chunk) => (output += chunk));
      child.stderr!.on('data', (chunk) => (output += chunk));
      const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
      await eventually(async () => /gateway ready/.test(output) || child!.exitCode !== null, 120_000);
      expect(output).toMatch(/gateway ready/);
      await locker.connect();
      await admin.connect();
      // no job in hand when the table is locked: the start's scheduled jobs enqueued and every due
      // one run. What is shown is a claim's wait; a claimed job whose completion meets the freeze is
      // still waited for (docs/decisions.md, freeze-stop-16, "Left")
      await eventually(
        async () =>
          (
            await admin.query<{ jobs: number; due: number }>(
              `select count(*)::int as jobs, (count(*) filter (where status = 'RUNNING' or (status = 'PENDING' and run_at <= now())))::int as due from job`,
            )
          ).rows.every((r) => r.jobs > 0 && r.due === 0),
        30_000,
      );
      // the job table locked: the loop woken below claims, and its claim waits (a probe's too)
      await locker.query('begin');
      await locker.query('lock table job in access exclusive mode');
      // a wake-up as enqueueJob sends it (its payload is a main-lane kind), until a loop's claim waits
      const claimWaiting = async () => {
        await admin.query(`select pg_notify($1, 'test.freeze-stop')`, [JOBS_CHANNEL]);
        return (
          await admin.query<{ n: number }>(
            `select count(*)::int as n from pg_stat_activity where datname = current_database() and state = 'active' and wait_event_type = 'Lock' and query like '%pg_try_advisory_xact_lock%'`,
          )
        ).rows[0].n > 0;
      };
      await eventually(claimWaiting, 10_000);
      // and every session of the gateway's on its database frozen (this test's own excepted)
      const { rows } = await admin.query<{ pid: number }>(
        `select pid from pg_stat_activity where datname = $1 and backend_type = 'client backend' and application_name <> $2`,
        [name, TEST_APPLICATION],
      );
      expect(rows.length).toBeGreaterThan(1);
      for (const { pid } of rows) stop(pid);
      for (const { pid } of rows) await untilStopped(pid);
      child.kill('SIGTERM');
      // a cap for a failing run only (main.ts gives up at 15 s itself)
      const code = await Promise.race([exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000))]);
      expect({ code, tooLong: /shutdown took too long/.test(output) }).toEqual({ code: 0, tooLong: false });
      expect(output).toContain('"msg":"stopped"');
    } finally {
      if (child && child.exitCode === null) child.kill('SIGKILL');
      resumeAll();
      await locker.end().catch(() => undefined);
      await admin.end().catch(() => undefined);
      await database.drop();
    }
  }, 300_000);
});
