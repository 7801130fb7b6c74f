import { enqueueJob } from '../jobs/queue.js';
import type { JobHandler } from '../jobs/runner.js';
import { writeDownDueAccounts } from './expiry.service.js';

export const EXPIRE_POINTS = 'points.expire';
export const RELEASE_PENDING = 'points.release-pending';

/**
 * Writes down due expiries and pending releases, one batch of accounts per run, each account in a
 * transaction of its own (`writeDownDueAccounts`; a lease handler: no transaction spans the run); a
 * full batch enqueues the next run at once, so a backlog of any size is worked off in short
 * transactions. Readers and spenders never wait for it beyond their own account's write-down: they
 * see and write down what is due themselves. A run the gateway's stop interrupts between accounts
 * hands its job back (what it wrote stays written: each account's write-down is whole).
 */
function writeDownJob(kind: string): JobHandler {
  return {
    mode: 'lease',
    run: async (jc) => {
      const { em, clock, config } = jc;
      const now = clock.now();
      const { found, taken } = await writeDownDueAccounts(em, now, config.ledgerJobBatch, jc.stopping);
      await em.transactional(async (tx) => {
        if (jc.stopping.aborted) return jc.handBack(tx);
        await jc.complete(tx);
        if (found >= config.ledgerJobBatch && taken > 0) await enqueueJob(tx, kind, { continued: now.toISOString() }, { runAt: now, maxAttempts: 3 });
      });
    },
  };
}

/** Writes EXPIRE entries for credits past their expiry (scheduled). */
export const expirePointsJob: JobHandler = writeDownJob(EXPIRE_POINTS);

/** Makes pending points spendable when their day comes (scheduled). */
export const releasePendingJob: JobHandler = writeDownJob(RELEASE_PENDING);
