import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { sql } from '../db/sql.js';
import { batchPurgeJob, purgeBatch } from '../jobs/purge-job.js';

export const PURGE_RATE_LIMITS = 'rateLimits.purge';

/** Counters one run removes, in one statement and transaction (as the idempotency purge's batch). */
export const RATE_LIMIT_PURGE_BATCH = 1_000;

/**
 * Removes up to `batch` rate-limit counters (`rate_limit_bucket`) whose window ended before
 * `nowMs` (epoch milliseconds of the wall clock: the limiter, rate-limiter-flexible, dates windows
 * with `Date.now()`, not the business clock), in the caller's transaction; answers how many.
 *
 * A counter whose window has ended counts nothing: the limiter's next upsert of that caller starts
 * a new window over it, so removing it changes no caller's budget. Rows are taken `for update skip
 * locked`: a purge never waits on a request counting its caller (the limiter's statements have a
 * second, STORE_TIMEOUT_MS, and a failed count lets the request through) nor on another
 * instance's purge; a request that meets a row this purge is deleting waits for the commit and
 * then inserts its counter afresh. Found by a scan, not an index: after the first run the table
 * holds only the callers of the last window and purge interval, and an index on `expire` would be
 * rewritten at every caller's window start (docs/decisions.md, retain-14).
 */
export async function purgeRateLimitBuckets(em: SqlEntityManager, nowMs: number, batch = RATE_LIMIT_PURGE_BATCH): Promise<number> {
  return purgeBatch(em, 'rate_limit_bucket', ['key'], sql`expire < ${nowMs}::bigint`, batch);
}

/**
 * The scheduled purge of ended rate-limit windows (every 5 minutes, the limiter's own sweep's pace,
 * which it replaces: see RateLimits.create). One batch per run in the job's transaction; a full
 * batch enqueues the next run at once, so a backlog is worked off in short transactions. The
 * windows' ends are compared with the wall clock (`Date.now()`), as the limiter dates them.
 */
export const purgeRateLimitBucketsJob = batchPurgeJob({
  kind: PURGE_RATE_LIMITS,
  table: 'rate_limit_bucket',
  batch: RATE_LIMIT_PURGE_BATCH,
  message: 'purged ended rate-limit windows',
  purge: ({ em }) => purgeRateLimitBuckets(em, Date.now()),
});
