import { Opt, EntityName, PrimaryKeyProp } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * A claimed idempotency key. The first request inserts the row inside its own transaction; a
 * concurrent repeat blocks on the primary key until that transaction ends, then reads `result`.
 * A refused request rolls back, so its key is free to be used again. Records expire
 * IDEMPOTENCY_RETENTION_HOURS after their answer (src/idempotency/retention.job.ts), but for
 * `KEPT_SCOPES`; the partial index holds the ones that can.
 */
@Entity({ tableName: 'idempotency_record' })
@Index({
  name: 'idempotency_record_expiry_index',
  expression: `create index "idempotency_record_expiry_index" on "idempotency_record" ("created_at") where not (scope like 'sale:%' or scope like 'create:%')`,
})
export class IdempotencyRecord {
  [EntityName]?: 'IdempotencyRecord';
  [PrimaryKeyProp]?: ['scope', 'key'];

  /** The operation and the caller the key belongs to, e.g. `purchase:customer:42`. */
  @PrimaryKey({ type: 'text' })
  scope!: string;

  @PrimaryKey({ type: 'text' })
  key!: string;

  /** What the request asked for; a repeat that asks for something else is refused. */
  @Property({ type: 'text' })
  fingerprint!: string;

  @Property({ type: 'jsonb', nullable: true })
  result?: unknown;

  /**
   * When the answer was stored (the claim's date until then): the request's clock as it began plus
   * the time its transaction ran until the answer (completeKeySql). Retention counts from it.
   */
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();
}
