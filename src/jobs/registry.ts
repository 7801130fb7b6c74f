import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { BIRTHDAY_JOB, BIRTHDAY_SCHEDULE, birthdayPointsJob } from '../activities/birthday.job.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { DEFAULT_RUNNER_OPTIONS, JobRunner, type JobHandler, type RunnerOptions } from './runner.js';
import { Scheduler, type Schedule } from './scheduler.js';

/** Every kind of background job, by the name it is enqueued under. Domains add theirs here. */
export const JOB_HANDLERS: Record<string, JobHandler> = {
  [BIRTHDAY_JOB]: birthdayPointsJob,
};

/** Jobs that run on a clock, on the same queue (each slot once, across all instances). */
export const SCHEDULES: Schedule[] = [BIRTHDAY_SCHEDULE];

export interface Jobs {
  runner: JobRunner;
  scheduler: Scheduler;
  stop(): Promise<void>;
}

/** The gateway's background work: a queue worker and the scheduler, inside the gateway process. */
export async function startJobs(
  deps: { orm: MikroORM; clock: Clock; config: Config; log: Logger; databaseUrl: string },
  options: Partial<RunnerOptions> & { background?: boolean; scheduler?: boolean; schedulerTickMs?: number } = {},
): Promise<Jobs> {
  const runner = new JobRunner(deps, JOB_HANDLERS, { ...DEFAULT_RUNNER_OPTIONS, ...options });
  const scheduler = new Scheduler(deps.orm, deps.clock, SCHEDULES);
  if (options.background ?? true) {
    await runner.start(deps.databaseUrl);
  }
  if (options.scheduler ?? options.background ?? true) {
    scheduler.start(options.schedulerTickMs ?? 30_000, (error) => deps.log.error({ err: error }, 'scheduler tick failed'));
  }
  return {
    runner,
    scheduler,
    stop: async () => {
      scheduler.stop();
      await runner.stop();
    },
  };
}
