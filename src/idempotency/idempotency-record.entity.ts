import { Opt, EntityName, PrimaryKeyProp } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * A claimed idempotency key. The first request inserts the row inside its own transaction; a
 * concurrent repeat blocks on the primary key until that transaction ends, then reads `result`.
 * A refused request rolls back, so its key is free to be used again.
 */
@Entity({ tableName: 'idempotency_record' })
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

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();
}
