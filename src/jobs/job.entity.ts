import { BigIntType, Opt, EntityName } from '@mikro-orm/core';
import { Check, Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

export enum JobStatus {
  PENDING = 'PENDING',
  RUNNING = 'RUNNING',
  DONE = 'DONE',
  FAILED = 'FAILED',
}

/**
 * A unit of background work in PostgreSQL. Workers claim jobs with `FOR UPDATE SKIP LOCKED` and a
 * lease (`lockedUntil`): a worker that dies leaves its job to be claimed again when the lease ends.
 */
@Entity({ tableName: 'job' })
@Index({ name: 'job_due_idx', expression: "create index job_due_idx on job (run_at, id) where status in ('PENDING', 'RUNNING')" })
// /metrics' count of failed jobs (src/jobs/queue-metrics.ts), index-only however many DONE rows are kept
@Index({ name: 'job_failed_idx', expression: "create index job_failed_idx on job (kind) where status = 'FAILED'" })
@Index({ name: 'job_group_running_idx', expression: "create index job_group_running_idx on job (group_key) where status = 'RUNNING'" })
@Index({ name: 'job_tenant_running_idx', expression: "create index job_tenant_running_idx on job (tenant_key) where status = 'RUNNING'" })
@Check({ name: 'job_attempts_range', expression: 'attempts >= 0 and max_attempts >= 1' })
export class Job {
  [EntityName]?: 'Job';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  @Property({ type: 'text' })
  kind!: string;

  @Property({ type: 'jsonb' })
  payload!: unknown;

  @Enum({ items: () => JobStatus, default: JobStatus.PENDING })
  status: JobStatus & Opt = JobStatus.PENDING;

  @Property({ type: 'integer', default: 0 })
  attempts: number & Opt = 0;

  @Property({ type: 'integer', default: 5 })
  maxAttempts: number & Opt = 5;

  @Property({ type: 'timestamptz' })
  runAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  lockedUntil?: Date | null;

  @Property({ type: 'text', nullable: true })
  lockedBy?: string | null;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null;

  /** At most one job per key, ever: scheduled runs use `<schedule>:<slot>`. */
  @Property({ type: 'text', nullable: true, unique: true })
  uniqueKey?: string | null;

  /**
   * Jobs that share a key (a webhook endpoint's deliveries: `webhook-endpoint:<id>`) run at most
   * RunnerOptions.groupConcurrency at once across all instances; null: no such bound (webhook-14).
   */
  @Property({ type: 'text', nullable: true })
  groupKey?: string | null;

  /**
   * Jobs that share a tenant (a partner's deliveries to all its endpoints: `webhook-partner:<id>`)
   * run at most RunnerOptions.tenantConcurrency at once across all instances; null: no such bound
   * (break36, authz; Migration20261205061000).
   */
  @Property({ type: 'text', nullable: true })
  tenantKey?: string | null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  finishedAt?: Date | null;
}
