import type { JobHandler } from '../jobs/runner.js';
import { expirePoints } from './expiry.service.js';
import { releaseDuePending } from './pending.service.js';

export const EXPIRE_POINTS = 'points.expire';
export const RELEASE_PENDING = 'points.release-pending';

/** Writes EXPIRE entries for credits past their expiry (scheduled). */
export const expirePointsJob: JobHandler = {
  run: async ({ em, clock }) => {
    await expirePoints(em, clock.now());
  },
};

/** Makes pending points spendable when their day comes (scheduled). */
export const releasePendingJob: JobHandler = {
  run: async ({ em, clock }) => {
    await releaseDuePending(em, clock.now());
  },
};
