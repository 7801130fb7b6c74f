import type { JobHandler } from '../jobs/runner.js';
import { recomputeAllTiers } from './tier.service.js';

export const RECOMPUTE_TIERS = 'tiers.recompute';

/** Rolling-window tiers change as time passes with no new points: re-place everyone daily. */
export const recomputeTiersJob: JobHandler = {
  run: async ({ em, clock }) => {
    await recomputeAllTiers(em, clock.now());
  },
};
