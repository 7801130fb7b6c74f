import { BigIntType, Opt, EntityName } from '@mikro-orm/core';
import { Check, Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Customer } from '../customers/customer.entity.js';
import { LedgerEntry } from './ledger-entry.entity.js';
import { PointAccount } from './account.entity.js';

/**
 * Points earned but not yet spendable. They sit outside the ledger (which holds only spendable
 * points) and in the account's `pending` total until `availableAt`, when a job posts them as an
 * EARN entry; a reversal before then cancels them.
 */
@Entity({ tableName: 'pending_credit' })
// An analytics window's credits by their time (placement-50, Migration20261207020000): BRIN, as they are written in time order.
@Index({ name: 'pending_credit_created_brin', expression: 'create index pending_credit_created_brin on pending_credit using brin (created_at)' })
@Index({ name: 'pending_credit_due_idx', expression: 'create index pending_credit_due_idx on pending_credit (available_at, id) where released_at is null and cancelled_at is null' })
@Index({ name: 'pending_credit_account_due_idx', expression: 'create index pending_credit_account_due_idx on pending_credit (account_id, available_at, id) where released_at is null and cancelled_at is null' })
@Check({ name: 'pending_credit_amount_positive', expression: 'amount > 0' })
@Check({ name: 'pending_credit_one_end', expression: 'released_at is null or cancelled_at is null' })
export class PendingCredit {
  [EntityName]?: 'PendingCredit';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  @ManyToOne(() => PointAccount, { deleteRule: 'restrict' })
  account!: PointAccount;

  @ManyToOne(() => Customer, { deleteRule: 'restrict' })
  customer!: Customer;

  @Property({ type: new BigIntType('number') })
  amount!: number;

  @Property({ type: 'text' })
  kind!: string;

  @Property({ type: 'text' })
  sourceType!: string;

  @Property({ type: 'text', nullable: true })
  sourceId?: string | null;

  @Property({ type: 'text', nullable: true })
  reason?: string | null;

  @Property({ type: 'boolean', default: true })
  qualifying: boolean & Opt = true;

  @Property({ type: 'timestamptz' })
  availableAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  releasedAt?: Date | null;

  @ManyToOne(() => LedgerEntry, { nullable: true, deleteRule: 'restrict' })
  ledgerEntry?: LedgerEntry | null;

  @Property({ type: 'timestamptz', nullable: true })
  cancelledAt?: Date | null;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;
}
