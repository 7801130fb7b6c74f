import { BigIntType, EntityName } from '@mikro-orm/core';
import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Customer } from '../customers/customer.entity.js';
import { PointAccount } from './account.entity.js';
import { LedgerEntry } from './ledger-entry.entity.js';

/**
 * A credit entry undone by reference (a returned sale's points, a released pending credit), once:
 * the unique credit makes a second reversal of the same entry impossible. Records how the
 * credit's points were settled: `taken` back from its open remainder (by `reversalEntry`), `owed`
 * (already spent: added to the account's debt) and `expired` (gone already: nothing to take).
 * taken + owed + expired = the credit's amount.
 */
@Entity({ tableName: 'ledger_reversal' })
export class LedgerReversal {
  [EntityName]?: 'LedgerReversal';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  @ManyToOne(() => PointAccount, { deleteRule: 'restrict' })
  account!: PointAccount;

  @ManyToOne(() => Customer, { deleteRule: 'restrict' })
  customer!: Customer;

  @ManyToOne(() => LedgerEntry, { deleteRule: 'restrict', unique: 'ledger_reversal_credit_unique' })
  credit!: LedgerEntry;

  /** The REVERSAL entry that took the open remainder back; null when nothing was open. */
  @ManyToOne(() => LedgerEntry, { nullable: true, deleteRule: 'restrict' })
  reversalEntry?: LedgerEntry | null;

  @Property({ type: new BigIntType('number') })
  taken!: number;

  @Property({ type: new BigIntType('number') })
  owed!: number;

  @Property({ type: new BigIntType('number') })
  expired!: number;

  @Property({ type: 'text', nullable: true })
  reason?: string | null;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;
}
