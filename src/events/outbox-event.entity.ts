import { BigIntType, Opt, EntityName } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * Events written in the same transaction as the change they report (transactional outbox), so no
 * committed change goes unannounced and no rolled-back one is announced.
 */
@Entity({ tableName: 'outbox_event' })
@Index({ name: 'outbox_event_customer_idx', properties: ['customerId', 'id'] })
@Index({ name: 'outbox_event_xid_idx', properties: ['xid', 'id'] })
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
  createdAt: Date & Opt = new Date();

  /**
   * The writing transaction's id. Readers that must not miss a row committed late with a lower
   * `id` (the webhook dispatcher) read up to the oldest transaction still running
   * (`pg_snapshot_xmin(pg_current_snapshot())`): every row below it is committed or never will be.
   */
  @Property({ type: 'xid8', columnType: 'xid8', defaultRaw: 'pg_current_xact_id()', lazy: true })
  xid: string & Opt = '';
}
