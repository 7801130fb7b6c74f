import { enqueueJob } from '../jobs/queue.js';
import type { JobHandler } from '../jobs/runner.js';
import { writeDownDueAccounts } from './expiry.service.js';

export const EXPIRE_POINTS = 'points.expire';
export const RELEASE_PENDING = 'points.release-pending';

/**
 * Writes down due expiries and pending releases, one batch of accounts per run (each run its own
 * transaction); a full batch enqueues the next run at once, so a backlog of any size is worked
 * off in short transactions. Readers and spenders never wait for it: they see and write down
 * what is due themselves.
 */
function writeDownJob(kind: string): JobHandler {
  return {
    run: async ({ em, clock, config }) => {
      const now = clock.now();
      const taken = await writeDownDueAccounts(em, now, config.ledgerJobBatch);
      if (taken >= config.ledgerJobBatch) await enqueueJob(em, kind, { continued: now.toISOString() }, { runAt: now, maxAttempts: 3 });
    },
  };
}

/** Writes EXPIRE entries for credits past their expiry (scheduled). */
export const expirePointsJob: JobHandler = writeDownJob(EXPIRE_POINTS);

/** Makes pending points spendable when their day comes (scheduled). */
export const releasePendingJob: JobHandler = writeDownJob(RELEASE_PENDING);
