import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { sql } from '../db/sql.js';
import { batchPurgeJob, purgeBatch } from '../jobs/purge-job.js';
import { KEPT_SCOPES } from './idempotency.service.js';

export const PURGE_IDEMPOTENCY_KEYS = 'idempotency.purge';

/**
 * Records one run removes, in one statement and transaction: a delete that short holds its row
 * locks for milliseconds, so a resend of one of those keys waits that long at most.
 */
export const IDEMPOTENCY_PURGE_BATCH = 1_000;

/**
 * Removes up to `batch` idempotency records whose answer was given more than `retentionHours`
 * before `now` (`created_at`, the answer's date: see completeKeySql), in the caller's transaction;
 * answers how many it removed. Scopes in KEPT_SCOPES are never removed (their key is their row's).
 *
 * Safe beside requests and other purges: the rows are taken `for update skip locked`, so a purge
 * never waits on a record a request holds (a first request still running has its row locked and
 * too young anyway) nor on another instance's purge, which takes other rows. A resend that meets a
 * record this purge is deleting waits for the purge to commit and then claims the key afresh: it
 * is a new request (claimIdempotencyKey). Uses the partial index `idempotency_record_expiry_index`.
 */
export async function purgeIdempotencyKeys(em: SqlEntityManager, now: Date, retentionHours: number, batch = IDEMPOTENCY_PURGE_BATCH): Promise<number> {
  const cutoff = new Date(now.getTime() - retentionHours * 3_600_000);
  return purgeBatch(em, 'idempotency_record', ['scope', 'key'], sql`created_at < ${cutoff} and not ${KEPT_SCOPES}`, batch);
}

/**
 * The scheduled purge (every 15 minutes, so a record lives at most that much past its retention):
 * one batch in the job's transaction; a full batch enqueues the next run at once, so a backlog (the
 * first run after an upgrade finds every record ever stored) is worked off in short transactions.
 */
export const purgeIdempotencyKeysJob = batchPurgeJob({
  kind: PURGE_IDEMPOTENCY_KEYS,
  table: 'idempotency_record',
  batch: IDEMPOTENCY_PURGE_BATCH,
  message: 'purged idempotency keys past their retention',
  purge: ({ em, config }, now) => purgeIdempotencyKeys(em, now, config.idempotencyRetentionHours),
});
