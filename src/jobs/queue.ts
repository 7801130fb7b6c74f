import type { SqlEntityManager } from '@mikro-orm/postgresql';
import type { RawBuilder } from 'kysely';
import { query, sql } from '../db/sql.js';

export const JOBS_CHANNEL = 'reward_gateway_jobs';

export interface EnqueueOptions {
  runAt: Date;
  /** At most one job with this key is ever enqueued. */
  uniqueKey?: string;
  maxAttempts?: number;
  /**
   * The job's group (`job.group_key`): at most RunnerOptions.groupConcurrency jobs of one group
   * run at once, across instances (a webhook endpoint's deliveries; webhook-14). Default: none.
   */
  group?: string;
  /**
   * The job's tenant (`job.tenant_key`), the owner of several groups: at most
   * RunnerOptions.tenantConcurrency jobs of one tenant run at once, across instances (a partner's
   * deliveries to all its endpoints; break36, authz). A text, or a SQL expression of one (null:
   * none). Default: none.
   */
  tenant?: string | RawBuilder<string | null>;
  /**
   * `'in-transaction'` (default): NOTIFY in the caller's transaction, delivered on its commit.
   * `'by-caller'`: no NOTIFY here; the caller calls `wakeWorkers` once its transaction has
   * committed (the hot path of sales at the till, see `wakeWorkers`).
   */
  wake?: 'in-transaction' | 'by-caller';
}

/**
 * Adds a job in the caller's transaction: it exists, and workers are woken (NOTIFY is delivered on
 * commit), if and only if the caller's change commits. Returns the job id, or null when a job with
 * the same unique key already exists (and then nobody is woken).
 *
 * One statement: the NOTIFY rides on the insert (once per inserted row), so enqueueing costs the
 * caller's transaction one round trip, not two. PostgreSQL folds identical notifications of one
 * transaction into one, so a transaction that enqueues many jobs of a kind wakes once.
 */
export async function enqueueJob(em: SqlEntityManager, kind: string, payload: unknown, options: EnqueueOptions): Promise<number | null> {
  const insert = sql<{ id: number }>`insert into job (kind, payload, run_at, unique_key, max_attempts, group_key, tenant_key, created_at)
          values (${kind}, ${JSON.stringify(payload)}::jsonb, ${options.runAt}, ${options.uniqueKey ?? null}, ${options.maxAttempts ?? 5}, ${options.group ?? null}, ${options.tenant ?? null}, ${options.runAt})
          on conflict (unique_key) do nothing returning id`;
  const [row] = await query<{ id: number }>(
    em,
    options.wake === 'by-caller' ? insert : sql<{ id: number }>`with inserted as (${insert}) select id, pg_notify(${JOBS_CHANNEL}, ${kind}) from inserted`,
  );
  return row?.id ?? null;
}

/**
 * enqueueJob's insert (`wake: 'by-caller'`) as a CTE in a caller's statement, one job per row of
 * `from` (a CTE of the caller's): `payload` is a jsonb expression that may read it. Answers the
 * ids of the jobs inserted; the caller calls `wakeWorkers` once its transaction has committed
 * when there are any. For a caller that writes what the job will work on in the same round trip
 * (a sale at the till).
 */
export function enqueueJobSql(kind: string, payload: RawBuilder<unknown>, from: RawBuilder<unknown>, options: Omit<EnqueueOptions, 'wake'>): RawBuilder<{ id: number }> {
  return sql`insert into job (kind, payload, run_at, unique_key, max_attempts, group_key, tenant_key, created_at)
          select ${kind}, ${payload}, ${options.runAt}, ${options.uniqueKey ?? null}, ${options.maxAttempts ?? 5}, ${options.group ?? null}, ${options.tenant ?? null}, ${options.runAt} from ${from}
          on conflict (unique_key) do nothing returning id`;
}

/**
 * A running job runner of this process, as `wakeWorkers` sees it: `wakeIdle` wakes one of its idle
 * loops for a job of `kind` enqueued through `em` and answers true, or answers false (another
 * database, a kind it does not run, no loop idle, its clock not known to agree with PostgreSQL's),
 * and then the NOTIFY is sent as before.
 */
export interface LocalRunner {
  wakeIdle(em: SqlEntityManager, kind: string): boolean;
}

/** This process's running job runners (JobRunner.start adds, stop removes). */
const localRunners = new Set<LocalRunner>();

/** Lets `wakeWorkers` wake `runner`'s idle loops directly; answers the function that stops it. */
export function registerLocalRunner(runner: LocalRunner): () => void {
  localRunners.add(runner);
  return () => localRunners.delete(runner);
}

/**
 * Per database (the ORM's configuration) and job kind: a wake-up being sent, and whether another
 * was asked for meanwhile. Per kind alone, a NOTIFY held up on one database (a frozen server) took
 * in every other database's wake-ups of that kind in the process, which then waited for a poll:
 * only a test process has several databases, and a test worker keeps this module for all its files
 * (isolation-15).
 */
const wakeUps = new WeakMap<object, Map<string, { sending: boolean; again: boolean }>>();

/**
 * Wakes the workers for jobs of `kind` that the caller enqueued with `wake: 'by-caller'` and has
 * committed: a NOTIFY in a statement of its own, outside the caller's transaction, and coalesced
 * per process (while one is being sent, any number of calls send one more after it, not one each).
 *
 * Why not in the caller's transaction: a transaction that NOTIFYs holds PostgreSQL's one
 * database-wide notify lock from its pre-commit to the end of its commit, WAL flush included, so
 * every sale's commit queued behind every other's (bench:till saw ~0.3 sessions waiting on
 * Lock:object at 40–80 sales/s). A NOTIFY alone writes no WAL and holds that lock for a moment.
 * Why coalesced: woken workers claim jobs until none is due, so one wake-up after a burst of
 * commits finds them all. Never lost: every call either sends a NOTIFY that starts after it, or
 * finds one in flight that will be followed by another. If the process dies between the commit and
 * the NOTIFY, the job waits for a worker's poll (JOB_POLL_MS). Returns at once; errors are passed
 * to `onError` (the workers' poll still finds the job).
 *
 * No NOTIFY at all when this process runs a worker for `kind` on the same database with a loop
 * idle (till-13): that loop is woken directly, as the NOTIFY would have woken it, and claims the
 * job after this commit. The NOTIFY was a statement per sale, and it woke a loop on every instance,
 * all but one of which claimed nothing (a statement each). When every local loop is busy, the
 * NOTIFY is sent as before, so idle instances still take over an instance's backlog.
 */
export function wakeWorkers(em: SqlEntityManager, kind: string, onError: (error: unknown) => void = () => undefined): void {
  for (const runner of localRunners) if (runner.wakeIdle(em, kind)) return;
  let ofDatabase = wakeUps.get(em.config);
  if (!ofDatabase) wakeUps.set(em.config, (ofDatabase = new Map()));
  let state = ofDatabase.get(kind);
  if (!state) ofDatabase.set(kind, (state = { sending: false, again: false }));
  if (state.sending) {
    state.again = true;
    return;
  }
  state.sending = true;
  const current = state;
  const connection = em.fork();
  void (async () => {
    try {
      for (;;) {
        current.again = false;
        await query(connection, sql`select pg_notify(${JOBS_CHANNEL}, ${kind})`);
        // Checked and cleared in one synchronous step with `sending`: no call can slip in between.
        if (!current.again) break;
      }
    } catch (error) {
      onError(error);
    } finally {
      current.sending = false;
    }
  })();
}
