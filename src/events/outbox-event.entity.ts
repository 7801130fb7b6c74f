import { BigIntType, Opt, EntityName, PrimaryKeyProp } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

/**
 * Events written in the same transaction as the change they report (transactional outbox), so no
 * committed change goes unannounced and no rolled-back one is announced. Readers: the relay and
 * the webhook dispatcher (`outbox.reader.ts`, by commit snapshot) and resuming subscribers (by
 * `customerSeq`).
 */
@Entity({ tableName: 'outbox_event' })
@Index({ name: 'outbox_event_customer_idx', properties: ['customerId', 'id'] })
@Index({ name: 'outbox_event_xid_idx', properties: ['xid', 'id'] })
@Unique({ name: 'outbox_event_customer_seq_idx', properties: ['customerId', 'customerSeq'] })
export class OutboxEvent {
  [EntityName]?: 'OutboxEvent';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  @Property({ type: 'text' })
  topic!: string;

  @Property({ type: new BigIntType('number'), nullable: true })
  customerId?: number | null;

  @Property({ type: 'jsonb' })
  payload!: unknown;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  @Index({ name: 'outbox_event_created_at_idx' })
  createdAt: Date & Opt = new Date();

  /**
   * The writing top-level transaction (`pg_current_xact_id()`). Readers that must not miss a row
   * committed late with a lower `id` (`outbox.reader.ts`: the relay and the webhook dispatcher)
   * read the rows whose transaction committed between two snapshots (`pg_visible_in_snapshot`).
   */
  @Property({ columnType: 'xid8', type: 'string', defaultRaw: 'pg_current_xact_id()' })
  xid!: string & Opt;

  /**
   * Position in the customer's event stream (1, 2, 3 …, in commit order), set by the
   * `outbox_event_sequence` trigger from `event_stream`; the `eventId` clients resume from. Null
   * for events of no customer.
   */
  @Property({ type: new BigIntType('number'), nullable: true })
  customerSeq?: number | null;
}

/** The last number given out in each customer's event stream (the trigger's counter, one row lock per customer), and its event's date. */
@Entity({ tableName: 'event_stream' })
export class EventStream {
  [EntityName]?: 'EventStream';
  [PrimaryKeyProp]?: 'customerId';

  @PrimaryKey({ type: new BigIntType('number'), autoincrement: false })
  customerId!: number;

  @Property({ type: new BigIntType('number') })
  lastSeq!: number;

  /**
   * The date of the customer's latest event (null: none since dates-12c). The trigger dates each
   * new event no earlier (`greatest(created_at, last_at)`): writers read their clock before they
   * wait for their locks, and the customer's events' dates (a webhook's `timestamp`) went back in
   * their stream's order.
   */
  @Property({ type: 'timestamptz', nullable: true })
  lastAt?: Date | null;
}

/**
 * The Redis relay's row in `event_relay_cursor` (`events.prune` reads it too when EVENT_FANOUT=redis).
 * Since the channel carries the deployment's id (break35-instances) the relay has a row and a
 * leader of its own, apart from the builds before, which publish on `<prefix>:events` and keep
 * `REDIS_RELAY_CURSOR_BEFORE_DEPLOYMENT`: during a rolling upgrade each build's leader serves its
 * own build's instances.
 */
export const REDIS_RELAY_CURSOR = 'redis:deployment';
/** The row the builds before break35-instances keep (read once, by the first leader of this build, to start where they were). */
export const REDIS_RELAY_CURSOR_BEFORE_DEPLOYMENT = 'redis';

/**
 * Where a relay that publishes elsewhere (Redis) stopped reading the outbox, so its successor goes
 * on from there: `cursor` is its `OutboxCursor` (`encodeCursor`), saved after each page it
 * published. Every event whose transaction is visible in the cursor's `from` snapshot was
 * published; `events.prune` keeps the others while the deployment fans out through Redis.
 */
@Entity({ tableName: 'event_relay_cursor' })
export class EventRelayCursor {
  [EntityName]?: 'EventRelayCursor';
  [PrimaryKeyProp]?: 'name';

  @PrimaryKey({ type: 'text' })
  name!: string;

  @Property({ type: 'text' })
  cursor!: string;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  updatedAt: Date & Opt = new Date();
}

/**
 * What had committed at an instant: `snapshot` is `pg_current_snapshot()` taken by `events.prune`
 * at `takenAt` (its clock). The prune removes an event only once its transaction is visible in a
 * snapshot taken at least EVENT_RETENTION_HOURS before, so an event is kept that long after it
 * committed, whatever date its writer gave it (`createdAt`, read before the transaction's locks or
 * its end), and a reader that keeps its cursor in memory (a PostgreSQL relay) has that long to read it.
 */
@Entity({ tableName: 'outbox_horizon' })
export class OutboxHorizon {
  [EntityName]?: 'OutboxHorizon';
  [PrimaryKeyProp]?: 'takenAt';

  @PrimaryKey({ type: 'timestamptz' })
  takenAt!: Date;

  @Property({ type: 'text' })
  snapshot!: string;
}
