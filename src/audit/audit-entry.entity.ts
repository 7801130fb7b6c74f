import { BigIntType, Opt, EntityName } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** Who changed what and why: written in the same transaction as every staff change. */
@Entity({ tableName: 'audit_entry' })
// A customer's writes that set a status (creations too, ACTIVE when they named none), in order: Customer.statusChange (Migration20261206140000)
@Index({
  name: 'audit_entry_customer_status_idx',
  expression: `create index audit_entry_customer_status_idx on audit_entry (target, (coalesce(details->>'status', 'ACTIVE')), id) where action = 'createCustomer' or (action = 'updateCustomer' and details->>'status' is not null)`,
})
// The audit log about one object, by one actor or of one action, or by an actor of an action, newest first: auditLog's filters (audit-46, Migration20261206170000 and 180200)
@Index({ name: 'audit_entry_target_idx', properties: ['target', 'id'] })
@Index({ name: 'audit_entry_actor_idx', properties: ['actor', 'id'] })
@Index({ name: 'audit_entry_action_idx', properties: ['action', 'id'] })
@Index({ name: 'audit_entry_actor_action_idx', properties: ['actor', 'action', 'id'] })
// A customer's wallet offers' entries, for the log about the customer (audit-47, Migration20261206190000)
// The audit log of a time window, newest first by time (audit-49, Migration20261207010000), and with each filter (Migration20261207010100)
@Index({ name: 'audit_entry_at_idx', properties: ['at', 'id'] })
@Index({ name: 'audit_entry_target_at_idx', properties: ['target', 'at', 'id'] })
@Index({ name: 'audit_entry_customer_at_idx', expression: 'create index audit_entry_customer_at_idx on audit_entry (customer_id, at, id) where customer_id is not null' })
@Index({ name: 'audit_entry_actor_at_idx', properties: ['actor', 'at', 'id'] })
@Index({ name: 'audit_entry_action_at_idx', properties: ['action', 'at', 'id'] })
@Index({ name: 'audit_entry_actor_action_at_idx', properties: ['actor', 'action', 'at', 'id'] })
// The changes whose reason holds some words, case and accents aside (audit-49b, Migration20261207010200)
// The newest entries with a reason, which a reason search checks first (audit-49b, Migration20261207010300)
@Index({ name: 'audit_entry_reasoned_idx', expression: 'create index audit_entry_reasoned_idx on audit_entry (id) where reason is not null' })
@Index({ name: 'audit_entry_reasoned_at_idx', expression: 'create index audit_entry_reasoned_at_idx on audit_entry (at, id) where reason is not null' })
@Index({ name: 'audit_entry_reason_key_idx', expression: 'create index audit_entry_reason_key_idx on audit_entry using gin (search_key(reason) gin_trgm_ops) where reason is not null' })
@Index({ name: 'audit_entry_customer_idx', expression: 'create index audit_entry_customer_idx on audit_entry (customer_id, id) where customer_id is not null' })
export class AuditEntry {
  [EntityName]?: 'AuditEntry';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  @Property({ type: 'text' })
  actor!: string;

  @Property({ type: 'text' })
  action!: string;

  @Property({ type: 'text' })
  target!: string;

  /**
   * The customer who owns what `target` names (the wallet offer an `issueReplacementOffer`
   * replaced), so the log about that customer holds it (audit-47); null when the target is the
   * customer row itself (its target names them) or something no customer owns.
   */
  @Property({ type: new BigIntType('number'), nullable: true })
  customerId?: number | null;

  @Property({ type: 'text', nullable: true })
  reason?: string | null;

  @Property({ type: 'jsonb', nullable: true })
  details?: unknown;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  at: Date & Opt = new Date();
}
