import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type pg from 'pg';
import { stop, untilStopped } from './freeze.js';
import { eventually } from './program.js';
import { SCHEDULES } from '../../src/jobs/registry.js';
import { gatewayMain } from './build.js';

const root = path.resolve(import.meta.dirname, '../..');

/** The compiled gateway as a process of its own, its stdout and stderr kept together. */
export interface CompiledGateway {
  child: ChildProcess;
  /** Everything it has printed so far. */
  output(): string;
  /** Its exit code once it has exited. */
  exited: Promise<number | null>;
}

/**
 * Starts the run's build of the gateway (`build`: test/support/build.ts `compiledGateway`, run as
 * `npm start` runs dist/bundle/main.js) on `databaseUrl`, a database of the test server (DATABASE_URL,
 * no DATA_DIR: an embedded PostgreSQL's own stop would wait for stopped backends), with its jobs on,
 * DB_STATEMENT_TIMEOUT_MS 60 s (a server-side bound far beyond main.ts's 15 s shutdown limit: only
 * the gateway can end a wait) and SCHEDULER_TICK_MS an hour (the schedules tick once, at the
 * start); `env` adds settings or replaces these. Resolves once it logged "gateway ready"; fails
 * the test with its output otherwise.
 */
export async function startCompiledGateway(build: string, databaseUrl: string, env: Record<string, string> = {}): Promise<CompiledGateway> {
  const child = spawn(process.execPath, [gatewayMain(build)], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      DATA_DIR: '',
      PORT: '0',
      HOST: '127.0.0.1',
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      SEED_DEMO: 'false',
      JOBS_ENABLED: 'true',
      DB_STATEMENT_TIMEOUT_MS: '60000',
      SCHEDULER_TICK_MS: '3600000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await eventually(async () => /gateway ready/.test(output) || child.exitCode !== null, 120_000);
  if (!/gateway ready/.test(output)) throw new Error(`the gateway did not start:\n${output}`);
  return { child, output: () => output, exited };
}

/**
 * Resolves once the gateway's start has enqueued its scheduled jobs (a job of every kind in
 * SCHEDULES: the scheduler's first tick is one transaction, so all or none are seen) and every due
 * one has run (no job in hand is then the start's), read through `admin`, a session of the test's
 * on its database. Any job at all was not enough: the webhook dispatcher's own first run can be
 * done before that tick commits, and the start's jobs then ran into what the test did next.
 */
export const untilStartJobsDone = (admin: pg.Client) =>
  eventually(
    async () =>
      (
        await admin.query<{ kinds: number; due: number }>(
          `select (count(distinct kind) filter (where kind = any($1)))::int as kinds,
                  (count(*) filter (where status = 'RUNNING' or (status = 'PENDING' and run_at <= now())))::int as due from job`,
          [SCHEDULES.map((s) => s.kind)],
        )
      ).rows.every((r) => r.kinds === SCHEDULES.length && r.due === 0),
    30_000,
  );

/**
 * Stops (`kill -STOP`) every client session on `admin`'s database but those of application
 * `except` (the test's own), as a frozen server looks to the gateway, and resolves once each is
 * stopped. Returns how many.
 */
export async function freezeSessions(admin: pg.Client, except: string): Promise<number> {
  const { rows } = await admin.query<{ pid: number }>(
    `select pid from pg_stat_activity where datname = current_database() and backend_type = 'client backend' and application_name <> $1`,
    [except],
  );
  for (const { pid } of rows) stop(pid);
  for (const { pid } of rows) await untilStopped(pid);
  return rows.length;
}

/**
 * Sends the gateway SIGTERM and answers its exit code and whether it said "shutdown took too long"
 * (main.ts's forced exit at 15 s); 'hung' if it has not exited in 30 s (a cap for a failing run).
 */
export async function terminate(gateway: CompiledGateway): Promise<{ code: number | null | 'hung'; tooLong: boolean }> {
  gateway.child.kill('SIGTERM');
  const code = await Promise.race([gateway.exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000))]);
  return { code, tooLong: /shutdown took too long/.test(gateway.output()) };
}
