import { BigIntType, Opt, EntityName } from '@mikro-orm/core';
import { Check, Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Customer } from '../customers/customer.entity.js';
import { PointAccount } from './account.entity.js';

export enum LedgerEntryKind {
  EARN = 'EARN',
  SPEND = 'SPEND',
  EXPIRE = 'EXPIRE',
  ADJUST = 'ADJUST',
  REVERSAL = 'REVERSAL',
}

export enum LedgerSource {
  TRANSACTION = 'TRANSACTION',
  PURCHASE = 'PURCHASE',
  CAMPAIGN = 'CAMPAIGN',
  ACTIVITY = 'ACTIVITY',
  STAFF = 'STAFF',
  GIFT = 'GIFT',
  EXPIRY = 'EXPIRY',
  SEED = 'SEED',
}

/**
 * Immutable record of one movement of points. Credits (amount > 0) carry `remaining`, the part not
 * yet consumed by debits, and their `expiresAt`; debits consume credits oldest-expiring first.
 * `remaining` is the only column that ever changes (a trigger in the migrations enforces it).
 */
@Entity({ tableName: 'ledger_entry' })
@Index({ name: 'ledger_entry_account_history_idx', properties: ['account', 'id'] })
@Index({ name: 'ledger_entry_customer_idx', properties: ['customer', 'id'] })
@Index({ name: 'ledger_entry_open_credits_idx', expression: 'create index ledger_entry_open_credits_idx on ledger_entry (account_id, expires_at, id) where remaining > 0' })
// A rolling-window tier's points: an account's qualifying entries by date (break2-18, Migration20261202170000).
// An analytics window's entries by their time (placement-50, Migration20261207020000): BRIN, as they are written in time order.
@Index({ name: 'ledger_entry_created_brin', expression: 'create index ledger_entry_created_brin on ledger_entry using brin (created_at)' })
@Index({ name: 'ledger_entry_qualifying_window_idx', expression: 'create index ledger_entry_qualifying_window_idx on ledger_entry (account_id, created_at) include (amount) where qualifying' })
@Check({ name: 'ledger_entry_amount_not_zero', expression: 'amount <> 0' })
@Check({ name: 'ledger_entry_balance_after_non_negative', expression: 'balance_after >= 0' })
@Check({ name: 'ledger_entry_remaining_range', expression: 'remaining >= 0 and remaining <= greatest(amount, 0)' })
export class LedgerEntry {
  [EntityName]?: 'LedgerEntry';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  @ManyToOne(() => PointAccount, { deleteRule: 'restrict' })
  account!: PointAccount;

  /** Denormalised owner, so customer-owned rows stay keyed by customer (sharding). */
  @ManyToOne(() => Customer, { deleteRule: 'restrict' })
  customer!: Customer;

  @Property({ type: new BigIntType('number') })
  amount!: number;

  @Enum({ items: () => LedgerEntryKind })
  kind!: LedgerEntryKind;

  @Enum({ items: () => LedgerSource })
  sourceType!: LedgerSource;

  @Property({ type: 'text', nullable: true })
  sourceId?: string | null;

  @Property({ type: 'text', nullable: true })
  reason?: string | null;

  /** Who caused it: `customer:<id>`, `staff:<sub>`, `partner:<id>`, `system`. */
  @Property({ type: 'text', nullable: true })
  actor?: string | null;

  @Property({ type: new BigIntType('number') })
  balanceAfter!: number;

  @Property({ type: 'timestamptz', nullable: true })
  expiresAt?: Date | null;

  @Property({ type: new BigIntType('number'), default: 0 })
  remaining: number & Opt = 0;

  /** Whether this credit counts towards lifetime earned and tier qualification. */
  @Property({ type: 'boolean', default: false })
  qualifying: boolean & Opt = false;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();
}
