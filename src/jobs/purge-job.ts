import type { SqlEntityManager } from '@mikro-orm/postgresql';
import type { RawBuilder } from 'kysely';
import { query, sql } from '../db/sql.js';
import { enqueueJob } from './queue.js';
import type { PurgedTable } from './purged.js';
import type { JobContext, JobHandler } from './runner.js';

/**
 * The handler of a scheduled batch purge (retain-13's shape, shared by the idempotency, rate-limit
 * and APQ purges): runs `purge` once in the job's transaction (it removes at most `batch` rows and
 * answers how many), reports them under `table` (`gateway_rows_purged_total`, counted once the
 * transaction commits), logs `message` with the count when any were removed, and when the batch was
 * full enqueues the next run of `kind` at once, so a backlog (the first run after an upgrade) is
 * worked off in short transactions rather than one long one.
 */
export function batchPurgeJob(opts: {
  kind: string;
  table: PurgedTable;
  batch: number;
  message: string;
  purge: (jc: JobContext, now: Date) => Promise<number>;
}): JobHandler {
  return {
    async run(jc) {
      const now = jc.clock.now();
      const removed = await opts.purge(jc, now);
      jc.purged?.(opts.table, removed);
      if (removed > 0) jc.log.info({ removed, table: opts.table }, opts.message);
      if (removed === opts.batch) await enqueueJob(jc.em, opts.kind, { continued: now.toISOString() }, { runAt: now, maxAttempts: 3 });
    },
  };
}

/**
 * One batch of a purge, in the caller's transaction: deletes up to `batch` rows of `table` that
 * `where` picks (an SQL condition on the table's columns, unqualified or of alias `p`) and answers
 * how many. `keys`: the columns that name a row. The rows are taken `for update skip locked`, so a
 * purge never waits on a row a request holds nor on another instance's purge, which takes other
 * rows; a request that meets a row being deleted waits for the commit and then writes its row
 * afresh. What each purge picks and why it is safe to remove: its own function (the idempotency,
 * rate-limit and APQ purges).
 */
export async function purgeBatch(em: SqlEntityManager, table: PurgedTable, keys: readonly string[], where: RawBuilder<boolean>, batch: number): Promise<number> {
  const removed = await query(
    em,
    sql`delete from ${sql.table(table)} r using (
          select ${sql.join(keys.map((key) => sql.ref(`p.${key}`)))} from ${sql.table(table)} p where ${where} limit ${batch} for update skip locked) old
        where ${sql.join(keys.map((key) => sql`${sql.ref(`r.${key}`)} = ${sql.ref(`old.${key}`)}`), sql` and `)}
        returning 1`,
  );
  return removed.length;
}
