import { EntityName, PrimaryKeyProp } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * One caller's request count in the current rate-limit window, shared by every gateway instance
 * (`rate-limiter-flexible`'s PostgreSQL table, in its own column layout, created by a migration
 * instead of at start-up). Rows are counters, not records: expired ones are deleted in passing.
 */
@Entity({ tableName: 'rate_limit_bucket' })
export class RateLimitBucket {
  [EntityName]?: 'RateLimitBucket';
  [PrimaryKeyProp]?: 'key';

  /** `<prefix>:<kind>:<caller>`, e.g. `rg:customer:42` or `rg:anonymous:203.0.113.7`. */
  @PrimaryKey({ type: 'varchar', length: 255 })
  key!: string;

  /** Requests counted in the window. */
  @Property({ type: 'integer', default: 0 })
  points!: number;

  /** When the window ends, in epoch milliseconds (wall clock). */
  @Property({ type: 'bigint', nullable: true })
  expire?: string | null;
}
