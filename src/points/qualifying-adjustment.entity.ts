import { BigIntType, EntityName } from '@mikro-orm/core';
import { Check, Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Customer } from '../customers/customer.entity.js';
import { PointAccount } from './account.entity.js';

/**
 * A change to qualifying points that no ledger entry carries: the part of a returned sale's
 * points that was already spent (it becomes debt, not a debit). Rolling-window tiers add these
 * to the qualifying entries of the window, so a return lowers the tier at once even when the
 * points are gone. Also written for every qualifying credit a return takes back, whatever its
 * tiers' windows: a lifetime tier read at a moment before `recordedAt` adds it back.
 */
@Entity({ tableName: 'qualifying_adjustment' })
@Index({ name: 'qualifying_adjustment_account_idx', properties: ['account', 'createdAt'] })
@Check({ name: 'qualifying_adjustment_amount_not_zero', expression: 'amount <> 0' })
export class QualifyingAdjustment {
  [EntityName]?: 'QualifyingAdjustment';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  @ManyToOne(() => PointAccount, { deleteRule: 'restrict' })
  account!: PointAccount;

  @ManyToOne(() => Customer, { deleteRule: 'restrict' })
  customer!: Customer;

  @Property({ type: new BigIntType('number') })
  amount!: number;

  @Property({ type: 'text', nullable: true })
  reason?: string | null;

  /** The credit's moment: the windows that counted the credit stop counting it. */
  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  /**
   * When the correction was made (the return's moment): a tier read at an earlier moment, the one a
   * sale made then earns at (`qualifying_points_until`), does not count it (break34, time).
   * This build always writes it (the return's clock); the column's default, the transaction's
   * time, dates the corrections of a return made by an older build that does not name the column
   * (a rolling upgrade, break35-instances; Migration20261205050000).
   */
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  recordedAt!: Date;
}
