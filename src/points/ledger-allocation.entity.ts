import { BigIntType, EntityName } from '@mikro-orm/core';
import { Check, Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Customer } from '../customers/customer.entity.js';
import { PointAccount } from './account.entity.js';
import { LedgerEntry } from './ledger-entry.entity.js';

/**
 * Which debit consumed how many points of which credit. Every debit (SPEND, EXPIRE, a negative
 * ADJUST, REVERSAL) writes one row per credit it takes from, in the statement that lowers the
 * credit's `remaining`; so for any credit the ledger can tell what of it was spent, what expired
 * and what a reversal took back. A reversal by reference reads it to know what of the reversed
 * credit expired (gone) and what was spent (owed again).
 */
@Entity({ tableName: 'ledger_allocation' })
@Index({ name: 'ledger_allocation_credit_idx', properties: ['credit'] })
@Index({ name: 'ledger_allocation_debit_idx', properties: ['debit'] })
@Check({ name: 'ledger_allocation_amount_positive', expression: 'amount > 0' })
export class LedgerAllocation {
  [EntityName]?: 'LedgerAllocation';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  @ManyToOne(() => PointAccount, { deleteRule: 'restrict' })
  account!: PointAccount;

  @ManyToOne(() => Customer, { deleteRule: 'restrict' })
  customer!: Customer;

  /** The debit entry (amount < 0). */
  @ManyToOne(() => LedgerEntry, { deleteRule: 'restrict' })
  debit!: LedgerEntry;

  /** The credit entry (amount > 0) it took points from. */
  @ManyToOne(() => LedgerEntry, { deleteRule: 'restrict' })
  credit!: LedgerEntry;

  /** Points taken from the credit: positive. */
  @Property({ type: new BigIntType('number') })
  amount!: number;
}
