import { BigIntType, Opt, EntityName } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * Events written in the same transaction as the change they report (transactional outbox), so no
 * committed change goes unannounced and no rolled-back one is announced.
 */
@Entity({ tableName: 'outbox_event' })
@Index({ name: 'outbox_event_customer_idx', properties: ['customerId', 'id'] })
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
}
