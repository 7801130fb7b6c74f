import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { seededDataDir } from './cluster.js';
import { HIGH_RATE_LIMITS, TEST_JWT_SECRET } from './gateway.js';
import { compiledGateway, gatewayMain } from './build.js';

const root = path.resolve(import.meta.dirname, '../..');

/** A gateway running in a child process (test/support/gateway-child.ts) on a test's database. */
export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  /** Heap used after a full GC, and what the instance holds open. */
  heap(): Promise<{ heapUsed: number; subscribers: number; sockets: number }>;
  /** Subscribers and sockets open in the process. */
  stats(): Promise<{ subscribers: number; sockets: number }>;
  /** Sends SIGTERM and resolves with the exit code. */
  terminate(): Promise<number | null>;
}

/**
 * Starts a gateway process on `databaseUrl` with the test settings plus `env` (same secret, so the
 * test's tokens are valid there). Its stderr is kept for a failure message.
 */
export async function startGatewayProcess(databaseUrl: string, env: Record<string, string> = {}): Promise<GatewayProcess> {
  const child = fork(path.join(root, 'test/support/gateway-child.ts'), [], {
    cwd: root,
    execPath: path.join(root, 'node_modules/.bin/node'),
    execArgv: ['--expose-gc', '--import', './test/support/ts-hooks.mjs'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, DATABASE_URL: databaseUrl, DB_POOL_MAX: '10', JOBS_ENABLED: 'false', ...HIGH_RATE_LIMITS, ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const next = <T>(type: string, timeoutMs = 60_000) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the gateway process sent no ${type}\n${stderr}`)), timeoutMs);
      const onMessage = (m: { type: string }) => {
        if (m.type !== type) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(m as T);
      };
      child.on('message', onMessage);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`the gateway process exited (${code})\n${stderr}`));
      });
    });
  const { url } = await next<{ url: string }>('ready');
  return {
    url,
    child,
    heap: () => {
      const answer = next<{ heapUsed: number; subscribers: number; sockets: number }>('heap');
      child.send({ type: 'heap' });
      return answer;
    },
    stats: () => {
      const answer = next<{ subscribers: number; sockets: number }>('stats');
      child.send({ type: 'stats' });
      return answer;
    },
    terminate: () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** PostgreSQL processes whose command line names `dir` (a DATA_DIR or its cluster): what a gateway process on that DATA_DIR left running. */
export function postgresProcessesFor(dir: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const cmdline = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
        return cmdline.includes('postgres') && cmdline.includes(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/**
 * This process's environment with `env` over it, and DATABASE_URL unset unless `env` gives one: a
 * spawned gateway runs on its embedded database unless told otherwise, whatever the test run's
 * DATABASE_URL. Unset rather than blank: a blank one under NODE_ENV=production is refused (break37 ops).
 */
export function withoutInheritedDatabase(env: Record<string, string>): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (!('DATABASE_URL' in env)) delete merged.DATABASE_URL;
  return merged;
}

/** The compiled gateway as a process of its own (`spawnGateway`), its stdout and stderr kept together. */
export interface SpawnedGateway {
  child: ChildProcess;
  /** Its exit code once it has exited (null: killed by a signal). */
  exited: Promise<number | null>;
  /** Everything it has printed so far. */
  output(): string;
  /**
   * Waits until its output matches `pattern`, it has said "gateway ready" (nothing of the start-up
   * comes after that), or it has exited; answers whether `pattern` matched. Fails after `ms`.
   */
  until(pattern: RegExp, ms?: number): Promise<boolean>;
  /**
   * Waits until its output matches `pattern` (a line after "gateway ready", as its banner's) or it
   * has exited; answers whether `pattern` matched. Fails after `ms`.
   */
  printed(pattern: RegExp, ms?: number): Promise<boolean>;
}

/**
 * Starts the run's build of the gateway (`build`: test/support/build.ts `compiledGateway`) as
 * `npm start` runs dist/bundle/main.js (bundle-26): development, port 0 on loopback, LOG_LEVEL info, with `env`
 * added (DATA_DIR for an embedded database, or DATABASE_URL). With `detached`, in a process group of
 * its own, as a terminal's foreground job is (signal the group with `process.kill(-pid)`).
 */
export function spawnGateway(build: string, env: Record<string, string>, options: { detached?: boolean } = {}): SpawnedGateway {
  const child = spawn(process.execPath, [gatewayMain(build)], {
    cwd: root,
    env: withoutInheritedDatabase({ DATA_DIR: '', PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'development', LOG_LEVEL: 'info', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let output = '';
  /** Waiters of `until`, each told after every chunk of output and at the exit. */
  const listeners = new Set<() => void>();
  const tell = () => {
    for (const listener of listeners) listener();
  };
  const take = (chunk: Buffer) => {
    output += chunk;
    tell();
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // 'close' comes after the exit and after the last of stdout and stderr: nothing printed is missed.
  child.on('exit', tell);
  child.on('close', tell);
  return {
    child,
    exited,
    output: () => output,
    until(pattern, ms = 120_000) {
      return waitFor(() => pattern.test(output) || /"msg":"gateway ready"/.test(output), ms, pattern).then(() => pattern.test(output));
    },
    printed(pattern, ms = 120_000) {
      return waitFor(() => pattern.test(output), ms, pattern).then(() => pattern.test(output));
    },
  };

  /**
   * Resolves once `met()` or the process has exited, tested at once and then on each chunk of
   * output and at the exit (not polled: a poll every 5 ms re-tested the whole output ~200 times a
   * second for as long as a test waited). Rejects after `ms` naming `pattern` and the last output.
   */
  function waitFor(met: () => boolean, ms: number, pattern: RegExp): Promise<void> {
    const settled = () => met() || child.exitCode !== null || child.signalCode !== null;
    if (settled()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      const check = () => {
        if (!settled()) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`the gateway printed no ${pattern} in ${ms} ms:\n${output.slice(-4000)}`));
      }, ms);
      listeners.add(check);
    });
  }
}

/**
 * Runs `use` with a fresh DATA_DIR and a `start` that spawns the compiled gateway (`build`) on it in
 * a process group of its own; afterwards kills what `use` left running (the gateways, then any
 * PostgreSQL on the DATA_DIR) and removes the DATA_DIR. For tests that signal gateways on an
 * embedded database (early-19, break2-19). `seeded`: the DATA_DIR holds a copy of the run's seeded
 * cluster (test/support/cluster.ts `seededDataDir`), for a test whose subject is not the first start
 * on an empty DATA_DIR; else it is empty.
 */
export async function onDataDir(
  build: string,
  use: (dataDir: string, start: () => SpawnedGateway) => Promise<void>,
  options: { seeded?: boolean } = {},
): Promise<void> {
  const dataDir = options.seeded ? await seededDataDir(build, 'rg-signals-') : await mkdtemp(path.join(os.tmpdir(), 'rg-signals-'));
  const gateways: SpawnedGateway[] = [];
  try {
    await use(dataDir, () => {
      const gateway = spawnGateway(build, { DATA_DIR: dataDir }, { detached: true });
      gateways.push(gateway);
      return gateway;
    });
  } finally {
    for (const gateway of gateways) if (gateway.child.exitCode === null && gateway.child.signalCode === null) gateway.child.kill('SIGKILL');
    for (const pid of postgresProcessesFor(dataDir)) process.kill(pid, 'SIGINT'); // what a failing run left
    for (let i = 0; i < 100 && postgresProcessesFor(dataDir).length; i++) await new Promise((r) => setTimeout(r, 100));
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * Resolves as soon as `gateway` has printed `text` (its `printed`, checked on each output chunk, not
 * a poll): a test's next step goes out the moment, say, a stop has begun, well inside its grace.
 * Rejects when the gateway exits without printing it, or after 120 s.
 */
export async function printed(gateway: SpawnedGateway, text: string): Promise<void> {
  if (!(await gateway.printed(new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))))
    throw new Error(`the gateway exited without printing ${text}:\n${gateway.output().slice(-4000)}`);
}

/**
 * Resolves once `gateway`'s own stop signal listeners are in place (src/stop-signals.ts
 * `installStopSignals`, the first thing dist/bundle/main.js runs), answering true; false when it
 * exited first. Rejects after `ms`. Linux: read from the caught-signal mask (`SigCgt`) of
 * /proc/<pid>/status, every 5 ms.
 *
 * Why SIGHUP is the sign: Node catches SIGINT and SIGTERM itself from its first milliseconds, before
 * any JavaScript runs (src/node.cc `PlatformInit`: `RegisterSignalHandler(SIGTERM, SignalExit,
 * true)`, which resets the terminal and raises the signal again with the default action: the process
 * dies by it, code null, nothing printed), so those bits are set long before the gateway can act on
 * a signal; SIGHUP stays at its default until the gateway installs SIGTERM, SIGINT and SIGHUP, in
 * that order, in one synchronous call. A signal sent before that is Node's default by the gateway's
 * own account (docs/decisions.md early-19: "the first ~50 ms of Node's own start"), which on a loaded
 * machine lasts hundreds of ms (startup-29: past 300 ms at load ~20).
 */
export async function stopSignalsInstalled(gateway: SpawnedGateway, ms = 60_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (gateway.child.exitCode !== null || gateway.child.signalCode !== null) return false;
    let caught: bigint | undefined;
    try {
      const mask = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${gateway.child.pid}/status`, 'utf8'))?.[1];
      caught = mask === undefined ? undefined : BigInt(`0x${mask}`);
    } catch {
      caught = undefined; // exited (or a zombie being reaped): the next turn sees the exit
    }
    if (caught !== undefined && (caught & 1n) === 1n) return true; // bit 0: SIGHUP (signal 1)
    if (Date.now() > deadline) throw new Error(`the gateway installed no stop signal listeners in ${ms} ms:\n${gateway.output().slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** How a spawned gateway ended, as its output tells (`stopReport`). */
export interface StopReport {
  code: number | null;
  /** The start-up step a stop signal came in ("stopping: SIGTERM during start-up (<step>)"); undefined after "gateway ready". */
  stoppedAt: string | undefined;
  /** Whether it said "stopped". */
  stopped: boolean;
  /** Its lines at error level or above, and those matching `alsoErrors` (a failed start's line on stderr, say). */
  errors: string[];
}

/** `gateway`'s end (`code`, its exit code) as a StopReport; `alsoErrors` adds lines that count as errors. */
export function stopReport(gateway: SpawnedGateway, code: number | null, alsoErrors = /Start-up failed|took too long/): StopReport {
  const lines = gateway.output().split('\n');
  return {
    code,
    stoppedAt: lines.map((line) => /"msg":"stopping: SIGTERM during start-up \(([^)]+)\)"/.exec(line)?.[1]).find(Boolean),
    stopped: lines.some((line) => line.includes('"msg":"stopped"')),
    errors: lines.filter((line) => /"level":[56]0/.test(line) || alsoErrors.test(line)),
  };
}

/**
 * Whether `command` with `args` runs here and exits 0, its output dropped: a tool a test file needs
 * (`strace -V`; `unshare -pf --mount-proc true`, which needs root). Test files that cannot run
 * without it are skipped, and `.ci/run` installs what CI lacks (docs/decisions.md, break34 lock files).
 */
export function commandRuns(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * `node <build>/scripts/persisted.js <args>`, what `npm run persisted -- <args>` runs (package.json),
 * on `databaseUrl` with `env` over a development setting: its exit code and output.
 */
export async function persistedCli(databaseUrl: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const build = await compiledGateway();
  const child = spawn(process.execPath, [path.join(build, 'scripts/persisted.js'), ...args], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl, NODE_ENV: 'development', LOG_LEVEL: 'silent', JOBS_ENABLED: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stdout, stderr };
}
