import { enqueueJob } from '../jobs/queue.js';
import type { JobHandler } from '../jobs/runner.js';
import { recomputeAllTiers } from './tier.service.js';

export const RECOMPUTE_TIERS = 'tiers.recompute';

/**
 * Rolling-window tiers change as time passes with no new points; readers see that at once
 * (`customer_tier_at`), and this daily job writes it down (with its TIER_CHANGED events), one
 * batch of customers per run (each run its own transaction), the next batch enqueued at once
 * until every customer was seen. Each run places its customers as of the clock read once their
 * locks are held, not as of the job's start (see recomputeAllTiers).
 */
export const recomputeTiersJob: JobHandler = {
  run: async ({ em, clock, config }, payload: { afterId?: number } | null) => {
    const { lastId } = await recomputeAllTiers(em, clock, { afterId: payload?.afterId ?? 0, batch: config.ledgerJobBatch });
    if (lastId !== null) await enqueueJob(em, RECOMPUTE_TIERS, { afterId: lastId }, { runAt: clock.now(), maxAttempts: 3 });
  },
};
