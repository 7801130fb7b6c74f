import type { MikroORM, PostgreSqlConnection } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { BIRTHDAY_JOB, BIRTHDAY_SCHEDULE, birthdayPointsJob } from '../activities/birthday.job.js';
import type { Clock } from '../clock.js';
import type { ClockGuard } from '../clock-guard.js';
import type { Config } from '../config.js';
import { registerOutboxReader } from '../db/outbox-commits.js';
import { EXPIRE_POINTS, expirePointsJob, RELEASE_PENDING, releasePendingJob } from '../points/points.jobs.js';
import { RECOMPUTE_TIERS, recomputeTiersJob } from '../tiers/tier.jobs.js';
import { PRUNE_EVENTS, pruneEventsJob } from '../events/retention.job.js';
import { PURGE_RATE_LIMITS, purgeRateLimitBucketsJob } from '../http/rate-limit-retention.job.js';
import { PURGE_IDEMPOTENCY_KEYS, purgeIdempotencyKeysJob } from '../idempotency/retention.job.js';
import { PURGE_APQ_DOCUMENTS, purgeApqDocumentsJob } from '../persisted/apq-retention.job.js';
import { processTransactionJob } from '../transactions/processor.js';
import { PROCESS_TRANSACTION, PROCESS_TRANSACTION_IN_CENTS } from '../transactions/transaction.service.js';
import { WALLET_SWEEP_JOB, walletSweepJob } from '../wallet/wallet-sweep.job.js';
import { deliverWebhookJob, dispatchWebhooksJob, WEBHOOK_DELIVER, WEBHOOK_DISPATCH } from '../webhooks/webhook.jobs.js';
import type { PurgeCounts } from './purged.js';
import { DEFAULT_RUNNER_OPTIONS, JobRunner, type JobHandler, type RunnerOptions } from './runner.js';
import { Scheduler, type Schedule } from './scheduler.js';

const MINUTE = 60_000;

/** Every kind of background job, by the name it is enqueued under. Domains add theirs here. */
export const JOB_HANDLERS: Record<string, JobHandler> = {
  [WALLET_SWEEP_JOB]: walletSweepJob,
  [PROCESS_TRANSACTION]: processTransactionJob,
  // enqueued by older builds (a rolling upgrade) and before it: the same work, see PROCESS_TRANSACTION
  [PROCESS_TRANSACTION_IN_CENTS]: processTransactionJob,
  [EXPIRE_POINTS]: expirePointsJob,
  [RELEASE_PENDING]: releasePendingJob,
  [RECOMPUTE_TIERS]: recomputeTiersJob,
  [BIRTHDAY_JOB]: birthdayPointsJob,
  [WEBHOOK_DISPATCH]: dispatchWebhooksJob,
  [WEBHOOK_DELIVER]: deliverWebhookJob,
  [PRUNE_EVENTS]: pruneEventsJob,
  [PURGE_IDEMPOTENCY_KEYS]: purgeIdempotencyKeysJob,
  [PURGE_RATE_LIMITS]: purgeRateLimitBucketsJob,
  [PURGE_APQ_DOCUMENTS]: purgeApqDocumentsJob,
};

/** Jobs that run on a clock, on the same queue (each slot once, across all instances). */
export const SCHEDULES: Schedule[] = [
  // Writes expired locks and offers down (readers already see them through issued_offer_status_at).
  { kind: WALLET_SWEEP_JOB, everyMs: MINUTE },
  { kind: EXPIRE_POINTS, everyMs: 15 * MINUTE },
  { kind: RELEASE_PENDING, everyMs: MINUTE },
  { kind: RECOMPUTE_TIERS, everyMs: 24 * 60 * MINUTE },
  BIRTHDAY_SCHEDULE,
  { kind: PRUNE_EVENTS, everyMs: 60 * MINUTE },
  // Idempotency records past IDEMPOTENCY_RETENTION_HOURS (src/idempotency/retention.job.ts).
  { kind: PURGE_IDEMPOTENCY_KEYS, everyMs: 15 * MINUTE },
  // Rate-limit counters whose window has ended (src/http/rate-limit-retention.job.ts; retain-14).
  { kind: PURGE_RATE_LIMITS, everyMs: 5 * MINUTE },
  // APQ documents past APQ_TTL_SECONDS, on no client's list (src/persisted/apq-retention.job.ts; retain-14).
  { kind: PURGE_APQ_DOCUMENTS, everyMs: 5 * MINUTE },
];

/** The webhook dispatcher's schedule: one run per WEBHOOK_DISPATCH_MS at most, when woken (not at the slow tick). */
const dispatchSchedule = (config: Config): Schedule => ({ kind: WEBHOOK_DISPATCH, everyMs: config.webhooks.dispatchMs });

export interface Jobs {
  runner: JobRunner;
  scheduler: Scheduler;
  /**
   * The webhook dispatcher's own scheduler: woken by commits of outbox rows (this process's, and by
   * NOTIFY other instances'), at most once per WEBHOOK_DISPATCH_MS, and every
   * WEBHOOK_DISPATCH_FALLBACK_MS without a wake-up (`Scheduler.startWoken`; dispatch-17).
   */
  dispatcher: Scheduler;
  stop(): Promise<void>;
}

/**
 * The gateway's background work: a queue worker and the scheduler, inside the gateway process.
 * `deps.clockGuard`: the process's clock guard (shared with the HTTP server's /readyz and /metrics;
 * one of the runner's own when absent), which every claim and tick consults. `deps.purges`: the
 * process's purge counts (shared with the HTTP server's /metrics; the runner's own when absent).
 * `deps.random`: the job handlers' random source (`Math.random` when absent; a test fixes it).
 * Rejects as its failing step did (the runner's LISTEN connection, `deps.databaseUrl`), having
 * stopped whatever of it had started; `deps.signal` (the gateway's start-up abort) cuts that
 * connection's connect under way, and the start rejects with its reason (lifecycle-23).
 */
export async function startJobs(
  deps: { orm: MikroORM; clock: Clock; config: Config; log: Logger; databaseUrl: string; clockGuard?: ClockGuard; purges?: PurgeCounts; random?: () => number; signal?: AbortSignal },
  options: Partial<RunnerOptions> & { background?: boolean; scheduler?: boolean; schedulerTickMs?: number } = {},
): Promise<Jobs> {
  const leaseMs = options.leaseMs ?? DEFAULT_RUNNER_OPTIONS.leaseMs;
  const runner = new JobRunner(deps, JOB_HANDLERS, {
    ...DEFAULT_RUNNER_OPTIONS,
    concurrency: deps.config.jobConcurrency,
    outboundConcurrency: deps.config.webhooks.concurrency,
    // A delivery's lease covers its request (WEBHOOK_TIMEOUT_MS) besides its database work (webhook-14).
    outboundLeaseMs: leaseMs + deps.config.webhooks.timeoutMs,
    groupConcurrency: deps.config.webhooks.endpointConcurrency,
    tenantConcurrency: deps.config.webhooks.partnerConcurrency,
    ...options,
  });
  const scheduler = new Scheduler(deps.orm, deps.clock, SCHEDULES, runner.guard);
  const dispatcher = new Scheduler(deps.orm, deps.clock, [dispatchSchedule(deps.config)], runner.guard);
  // This process's commits of outbox rows wake its dispatcher directly (src/db/outbox-commits.ts);
  // other instances' reach it by NOTIFY on the runner's LISTEN connection. A dispatcher not started
  // here (`scheduler: false`: a test's, ticked by hand) still takes its process's wake-ups.
  const pool = await (deps.orm.em.getConnection() as PostgreSqlConnection).getNativeClient();
  const stopReading = registerOutboxReader(pool, () => dispatcher.wake());
  runner.hearOutboxCommits(() => dispatcher.wake());
  const stop = async () => {
    scheduler.stop();
    dispatcher.stop();
    stopReading();
    await runner.stop();
  };
  // A start that fails part-way (the runner's LISTEN connection refused, say) stops what it had
  // started before it rethrows (lifecycle-22): the outbox reader stayed registered, and the
  // dispatcher that was never started took every wake-up of this process's outbox commits
  // (`Scheduler.wake` answers true when not started in its woken mode), so no NOTIFY told another
  // instance; anything started before the failure (loops, ticks) would have kept running.
  try {
    if (options.background ?? true) {
      await runner.start(deps.databaseUrl, deps.signal);
    }
    if (options.scheduler ?? options.background ?? true) {
      scheduler.start(options.schedulerTickMs ?? 30_000, (error) => deps.log.error({ err: error }, 'scheduler tick failed'));
      dispatcher.startWoken(deps.config.webhooks.dispatchFallbackMs, (error) => deps.log.error({ err: error }, 'webhook dispatch tick failed'));
    }
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  return { runner, scheduler, dispatcher, stop };
}
