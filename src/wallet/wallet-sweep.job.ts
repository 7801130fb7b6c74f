import { enqueueJob } from '../jobs/queue.js';
import type { JobHandler } from '../jobs/runner.js';
import { SWEEP_BATCH, sweepWallet } from './redemption.service.js';

export const WALLET_SWEEP_JOB = 'wallet.sweep';

/** The scheduled sweep (every minute); a backlog larger than a batch is worked off by follow-up jobs. */
export const walletSweepJob: JobHandler = {
  async run({ em, clock, log }) {
    const now = clock.now();
    const swept = await sweepWallet(em, now);
    if (swept.expired + swept.locksExpired > 0) log.info(swept, 'wallet sweep');
    if (swept.expired === SWEEP_BATCH || swept.locksExpired === SWEEP_BATCH) {
      await enqueueJob(em, WALLET_SWEEP_JOB, { continued: now.toISOString() }, { runAt: now, maxAttempts: 3 });
    }
  },
};
