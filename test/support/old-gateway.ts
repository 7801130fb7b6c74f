import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MIGRATIONS } from '../../migrations/index.js';
import { migrate } from '../../src/db/orm.js';
import { HIGH_RATE_LIMITS, TEST_JWT_SECRET, type TestGateway } from './gateway.js';

const root = path.resolve(import.meta.dirname, '../..');

/**
 * break35-instances: a gateway of an older commit of this repository, in a process of its own, on
 * `databaseUrl` — what an instance not yet replaced is during a rolling upgrade. The commit's tree
 * is extracted with `git archive` (this clone's history) into a temporary folder that shares this
 * clone's node_modules, and its own test/support/gateway-child.ts is forked (no migration at start,
 * as a running instance does not migrate again).
 */
export interface OldGateway {
  url: string;
  child: ChildProcess;
  stderr(): string;
  terminate(): Promise<number | null>;
}

/**
 * What `jobs: true` forks in the old tree instead of its gateway-child: the old build's job workers
 * alone (its `startJobs`, background loops and schedulers), as an old instance with JOBS_ENABLED runs them.
 */
const OLD_JOBS_CHILD = `import pino from 'pino';
import { systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { openOrm } from '../../src/db/orm.js';
import { startJobs } from '../../src/jobs/registry.js';
const config = loadConfig(process.env);
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const orm = await openOrm({ url: config.databaseUrl, poolMax: config.dbPoolMax });
const jobs = await startJobs({ orm, clock: systemClock, config, log, databaseUrl: config.databaseUrl }, { pollMs: 100, schedulerTickMs: 3600000 });
process.on('SIGTERM', () => void jobs.stop().then(() => orm.close(true)).then(() => process.exit(0)));
process.send({ type: 'ready', url: '' });
`;

export async function startOldGateway(commit: string, databaseUrl: string, env: Record<string, string> = {}, options: { jobs?: boolean } = {}): Promise<OldGateway> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rg-old-gateway-'));
  execFileSync('sh', ['-c', `git -C "${root}" archive "${commit}" | tar -x -C "${dir}"`]);
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  if (options.jobs) writeFileSync(path.join(dir, 'test/support/old-jobs-child.ts'), OLD_JOBS_CHILD);
  const child = fork(path.join(dir, options.jobs ? 'test/support/old-jobs-child.ts' : 'test/support/gateway-child.ts'), [], {
    cwd: dir,
    execPath: path.join(root, 'node_modules/.bin/node'),
    execArgv: ['--import', './test/support/ts-hooks.mjs'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, DATABASE_URL: databaseUrl, DB_POOL_MAX: '5', JOBS_ENABLED: 'false', ...HIGH_RATE_LIMITS, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  child.stdout!.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the old gateway (${commit}) sent no ready\n${stderr}`)), 90_000);
    child.on('message', (m: { type: string; url?: string }) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve(m.url!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the old gateway (${commit}) exited (${code})\n${stderr}`));
    });
  });
  return {
    url,
    child,
    stderr: () => stderr,
    terminate: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const code = await exited;
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}

/** One GraphQL POST to `url` (a document's text, or a persisted id for a partner's key). */
export async function postTo(url: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; body: { data?: any; errors?: { message: string; extensions?: { code?: string } }[] } }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: JSON.parse(await res.text()) };
}

/**
 * A rolling upgrade from `commit` staged on test gateway `t`'s database: the migrations after
 * `lastOld` (the old release's newest) undone, `check` run on the database as the old release left
 * it, the old build started on it (`startOldGateway`), then this build's migrations applied, as the
 * new release's first instance applies them. Answers the old gateway, the migrations applied and
 * those expected (every one after `lastOld`, in order), for the caller to compare.
 */
export async function stageRollingUpgrade(t: TestGateway, commit: string, lastOld: string, check: () => Promise<void>): Promise<{ old: OldGateway; applied: string[]; expected: string[] }> {
  await t.orm.migrator.down({ to: lastOld });
  await check();
  const old = await startOldGateway(commit, t.databaseUrl);
  const applied = await migrate(t.orm);
  const names = MIGRATIONS.map((m) => m.name);
  return { old, applied, expected: names.slice(names.indexOf(lastOld) + 1) };
}
