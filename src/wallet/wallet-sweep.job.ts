import { enqueueJob } from '../jobs/queue.js';
import type { JobHandler } from '../jobs/runner.js';
import { sweepWallet } from './redemption.service.js';

export const WALLET_SWEEP_JOB = 'wallet.sweep';

/**
 * The scheduled sweep (every minute): writes down up to `WALLET_SWEEP_BATCH` rows of each kind in
 * its transaction; when a batch was full it enqueues the next run at once, so a backlog of any size
 * is worked off in short transactions until nothing due is left. Readers never wait for it.
 */
export const walletSweepJob: JobHandler = {
  async run({ em, clock, config, log }) {
    const now = clock.now();
    const batch = config.walletSweepBatch;
    const swept = await sweepWallet(em, now, batch);
    if (swept.expired + swept.locksExpired > 0) log.info(swept, 'wallet sweep');
    if (swept.expired === batch || swept.locksExpired === batch) {
      await enqueueJob(em, WALLET_SWEEP_JOB, { continued: now.toISOString() }, { runAt: now, maxAttempts: 3 });
    }
  },
};
