import { spawn } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { PURGE_RATE_LIMITS } from '../../src/http/rate-limit-retention.job.js';
import { JOBS_CHANNEL } from '../../src/jobs/queue.js';
import { compiledGateway } from '../support/build.js';
import { resumeAll, stop, untilStopped } from '../support/freeze.js';
import { createTestDatabase } from '../support/gateway.js';
import { INVARIANTS } from '../support/invariants.js';
import { eventually } from '../support/program.js';

const root = path.resolve(import.meta.dirname, '../..');
/** The application_name of this test's own sessions, which are never stopped. */
const TEST_APPLICATION = 'freeze-17 test';
/** The advisory lock the test's job waits for (held by the test's own session). */
const HOLD_KEY = 1717;

/**
 * freeze-17: the compiled gateway (`node dist/src/main.js`, as test/http/process.test.ts runs it) on
 * a database of the test server (DATABASE_URL: an embedded PostgreSQL's own stop would wait for its
 * stopped backends), given SIGTERM while a job it has claimed is in the middle of its transaction
 * and every session it has on its database is stopped (`kill -STOP`, a frozen server). The job's
 * statement is held where the test wants it by a trigger of the test's on `job` that waits for an
 * advisory lock the test holds: its completion (the transaction's first statement, a BEFORE UPDATE
 * trigger) or its commit (a deferred constraint trigger). main.ts exits 1 ("shutdown took too
 * long") when its shutdown passes 15 s.
 */
describe('the gateway process stopped while a job in hand meets a frozen database (freeze-17)', () => {
  let build: string;
  beforeAll(async () => {
    build = await compiledGateway();
  }, 600_000);
  afterAll(() => resumeAll());

  const triggers = {
    completion: `create trigger fs17_hold before update on job for each row execute function fs17_hold()`,
    commit: `create constraint trigger fs17_hold after update on job deferrable initially deferred for each row execute function fs17_hold()`,
  };

  it.each(Object.keys(triggers) as (keyof typeof triggers)[])(
    'its %s held: exits 0 on SIGTERM within its shutdown limit, and the job is left whole (done by its commit, or under its lease with no effect)',
    async (where) => {
      const database = await createTestDatabase();
      const name = new URL(database.url).pathname.slice(1);
      const holder = new pg.Client({ connectionString: database.url, application_name: TEST_APPLICATION });
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
            // a server-side bound far beyond the shutdown's 15 s: only the gateway can end the job's wait
            DB_STATEMENT_TIMEOUT_MS: '60000',
            // the schedules' one tick at the start, none during the test
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
        await holder.connect();
        await admin.connect();
        // the start's scheduled jobs done: the only job in hand below is the test's
        await eventually(
          async () =>
            (
              await admin.query<{ jobs: number; due: number }>(
                `select count(*)::int as jobs, (count(*) filter (where status = 'RUNNING' or (status = 'PENDING' and run_at <= now())))::int as due from job`,
              )
            ).rows.every((r) => r.jobs > 0 && r.due === 0),
          30_000,
        );
        await admin.query(`create function fs17_hold() returns trigger language plpgsql as $$
          begin
            if new.status = 'DONE' and new.payload ? 'fs17' then perform pg_advisory_xact_lock(${HOLD_KEY}); end if;
            return new;
          end $$`);
        await admin.query(triggers[where]);
        await holder.query(`select pg_advisory_lock($1)`, [HOLD_KEY]);
        const {
          rows: [{ id }],
        } = await admin.query<{ id: number }>(`insert into job (kind, payload, run_at) values ($1, '{"fs17": true}', now()) returning id`, [PURGE_RATE_LIMITS]);
        // its wake-up, as enqueueJob sends it, until the job's statement waits for the test's lock
        const held = async () => {
          await admin.query(`select pg_notify($1, $2)`, [JOBS_CHANNEL, PURGE_RATE_LIMITS]);
          return (
            await admin.query<{ n: number }>(
              `select count(*)::int as n from pg_stat_activity where datname = current_database() and state = 'active' and wait_event_type = 'Lock'
                  and application_name <> $1 and query ${where === 'commit' ? `= 'commit'` : `like 'update job set status = ''DONE''%'`}`,
              [TEST_APPLICATION],
            )
          ).rows[0].n === 1;
        };
        await eventually(held, 10_000);
        // every session of the gateway's on its database frozen (this test's own excepted)
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
        expect(output).toContain('job left to its lease');
        // the server goes on and the test's lock is released: the job's statement ends, and its
        // session with it (its client is gone)
        resumeAll();
        await holder.query(`select pg_advisory_unlock($1)`, [HOLD_KEY]);
        await eventually(
          async () =>
            (await admin.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name <> $1`, [TEST_APPLICATION]))
              .rows[0].n === 0,
          15_000,
        );
        const {
          rows: [job],
        } = await admin.query<{ status: string; attempts: number }>(`select status, attempts from job where id = $1`, [id]);
        // the completion rolled back with the session: the claim stands (RUNNING, its lease); a commit
        // already waiting in the server ran whole
        expect(job).toEqual(where === 'commit' ? { status: 'DONE', attempts: 1 } : { status: 'RUNNING', attempts: 1 });
        expect((await admin.query(INVARIANTS)).rows).toEqual([]);
      } finally {
        if (child && child.exitCode === null) child.kill('SIGKILL');
        resumeAll();
        await holder.end().catch(() => undefined);
        await admin.end().catch(() => undefined);
        await database.drop();
      }
    },
    300_000,
  );
});
