import pino from 'pino';
import { JOB_HANDLERS } from '../../src/jobs/registry.js';
import { JobRunner as JobRunnerClass, type JobRunner } from '../../src/jobs/runner.js';
import type { TestGateway } from './gateway.js';
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

/**
 * A job worker on test gateway `t`'s database and clock, as the gateway's own but quiet and quick
 * to poll (25 ms) and back off (1 s): for tests that run jobs by hand (`jobs: 'manual'`). `leaseMs`:
 * how long a claimed job is held before another worker may take it.
 */
export function testWorker(t: Pick<TestGateway, 'orm' | 'clock' | 'config'>, leaseMs = 60_000): JobRunner {
  return new JobRunnerClass({ orm: t.orm, clock: t.clock, config: t.config, log: pino({ level: 'silent' }) }, JOB_HANDLERS, { leaseMs, pollMs: 25, backoffMs: 1_000, maxBackoffMs: 1_000 });
}
