import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { sql } from '../db/sql.js';
import { batchPurgeJob, purgeBatch } from '../jobs/purge-job.js';

export const PURGE_APQ_DOCUMENTS = 'persisted.purgeApq';

/** Documents one run removes, in one statement and transaction (as the idempotency purge's batch). */
export const APQ_PURGE_BATCH = 1_000;

/**
 * Removes up to `batch` automatic persisted query documents stored more than `ttlSeconds` before
 * `now` (`persisted_document.created_at`, the business clock's, as the APQ remember dates it), in
 * the caller's transaction; answers how many it removed.
 *
 * Only documents on no client's list: a document a manifest registered (a `persisted_operation`
 * names it) is a partner's or an app's contract and is never removed, whatever its age. A document
 * being registered at this moment is safe: registerManifest locks its document rows first (`on
 * conflict … do update … where false`), and this purge takes rows `for update skip locked`, so it
 * skips them; a registration that comes after this purge locked a row waits for the commit and
 * then stores the document again. The per-instance cache (PersistedStore) may still hold a removed
 * document: it serves it, rightly (a hash names one text), and other instances answer
 * PERSISTED_QUERY_NOT_FOUND until the client sends the text again. Found by a scan, not an index:
 * past the first run the table holds the registered documents and the last APQ_TTL_SECONDS of APQ.
 */
export async function purgeApqDocuments(em: SqlEntityManager, now: Date, ttlSeconds: number, batch = APQ_PURGE_BATCH): Promise<number> {
  const cutoff = new Date(now.getTime() - ttlSeconds * 1_000);
  return purgeBatch(em, 'persisted_document', ['hash'], sql`created_at < ${cutoff} and not exists (select 1 from persisted_operation o where o.hash = p.hash)`, batch);
}

/**
 * The scheduled purge of APQ documents past APQ_TTL_SECONDS (every 5 minutes, so a document lives
 * at most that much past its time-to-live): one batch in the job's transaction; a full batch
 * enqueues the next run at once (the first run after an upgrade finds every document ever sent).
 */
export const purgeApqDocumentsJob = batchPurgeJob({
  kind: PURGE_APQ_DOCUMENTS,
  table: 'persisted_document',
  batch: APQ_PURGE_BATCH,
  message: 'purged APQ documents past APQ_TTL_SECONDS',
  purge: ({ em, config }, now) => purgeApqDocuments(em, now, config.apqTtlSeconds),
});
