import type { JobRunner } from '../../src/jobs/runner.js';
import { eventually } from './program.js';

/**
 * Resolves once every one of `worker`'s loops is asleep, its first look at start-up over (a claim
 * each, the delivery loops' in a transaction). Read from the runner's private loops and sleepers:
 * nothing public tells, and a fixed sleep (300 ms) was not always enough on a loaded machine, when
 * the start-up claims fell into what a test then counted (flaky-16: idle-poll's statements;
 * break-16's pool waiters).
 */
export const allAsleep = (worker: JobRunner) =>
  eventually(async () => worker['sleepers'].main.size + worker['sleepers'].outbound.size === worker['loops'].length);
