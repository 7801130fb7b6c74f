import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { TestGateway } from './gateway.js';

/**
 * Stopping the test gateway's own PostgreSQL backends (`kill -STOP`), as a frozen host or a
 * network that drops packets without a reset looks to the gateway (hang-12c), and letting them go
 * on (SIGCONT). Every stopped backend is let go on at the process's exit at the latest; a file
 * that stops any calls `resumeAll` in its afterEach/afterAll. The gateway must run in the test's
 * process (`startTestGateway`, `startWebStack`): `stopAt` wraps this process's `pg.Client`.
 */

/** Every backend this process stopped and has not let go on yet. */
const stopped = new Set<number>();
export const stop = (pid: number) => {
  process.kill(pid, 'SIGSTOP');
  stopped.add(pid);
};
export const resume = (pid: number) => {
  if (!stopped.delete(pid)) return;
  try {
    process.kill(pid, 'SIGCONT');
  } catch {
    // gone already
  }
};
export const resumeAll = () => [...stopped].forEach(resume);

/** Whether the process `pid` is stopped (its state in /proc is `T`); false when it is gone. */
export function isStopped(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].startsWith('T');
  } catch {
    return false;
  }
}

/**
 * Resolves once the process `pid` is stopped. SIGSTOP takes effect only when the kernel next runs
 * the process: a backend waiting for a core on a loaded machine (a fresh one still starting up)
 * stays `R` for tens of milliseconds after `kill` returned, and a test that checked at once, or
 * counted on the freeze having begun, raced the scheduler (flaky-16). Resolves too once the test
 * has let it go on (`resume`, `resumeAll`): a backend stopped and let go on before the kernel ran
 * it was never seen `T`, and at nice 15 beside two busy loops that failed break-16's suite
 * ("not stopped after 10 s", freeze-17). Rejects after 10 s.
 */
export async function untilStopped(pid: number): Promise<void> {
  for (const from = Date.now(); !isStopped(pid) && stopped.has(pid); ) {
    if (Date.now() - from > 10_000) throw new Error(`process ${pid} was sent SIGSTOP but is not stopped after 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
process.on('exit', resumeAll);

export type Matcher = (text: string, client: pg.Client) => boolean;

/**
 * Stops the backend of the pg client that sends the first statement `matches` accepts, just before
 * the statement is sent (it waits, unread, in the stopped backend's socket). `pid` resolves with
 * that backend's pid once it is stopped (`untilStopped`: not merely once SIGSTOP was sent). With `every`, each statement it accepts until `remove()`
 * stops its backend (a read the gateway sends again on another connection is stopped there too);
 * `pid` is the first's.
 */
export function stopAt(matches: Matcher, options: { every?: boolean } = {}): { pid: Promise<number>; remove(): void } {
  const original = pg.Client.prototype.query;
  let onStopped!: (pid: number) => void;
  let onFailed!: (error: unknown) => void;
  const pid = new Promise<number>((resolve, reject) => {
    onStopped = resolve;
    onFailed = reject;
  });
  // a test that does not wait for `pid` (with `every`) is not failed by it; one that does sees why
  pid.catch(() => undefined);
  const remove = () => {
    if (pg.Client.prototype.query !== original) pg.Client.prototype.query = original;
  };
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const config = args[0] as string | { text?: string } | undefined;
    const text = typeof config === 'string' ? config : config?.text;
    if (text && matches(text, this)) {
      if (!options.every) remove();
      const backend = (this as unknown as { processID: number }).processID;
      stop(backend);
      // only the first settles `pid`; a later one's failure is nobody's wait
      void untilStopped(backend).then(() => onStopped(backend), onFailed);
    }
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  return { pid, remove };
}

/** Pids of the database's backends of one application_name of the gateway's. */
export const backendsOf = async (t: TestGateway, application: string) =>
  (
    await t.sql<{ pid: number }>(`select pid from pg_stat_activity where datname = current_database() and application_name = $1 and backend_type = 'client backend'`, [application])
  ).map((r) => r.pid);


/** `promise`, or a failure naming `what` when it has not settled in 10 s: a wait a frozen backend could hold for good. */
export async function within10s<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within 10 s`)), 10_000)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
