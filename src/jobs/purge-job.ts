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
