import { BigIntType, Opt, EntityName } from '@mikro-orm/core';
import { Check, Entity, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Customer } from '../customers/customer.entity.js';
import { PointCurrency } from './currency.entity.js';

/**
 * A customer's balance in one currency. The balance is a cache of the ledger: it only ever changes
 * in the same database transaction that writes the ledger entry (see LedgerService).
 */
@Entity({ tableName: 'point_account' })
@Unique({ properties: ['customer', 'currency'] })
@Check({ name: 'point_account_available_non_negative', expression: 'available >= 0' })
@Check({ name: 'point_account_pending_non_negative', expression: 'pending >= 0' })
@Check({ name: 'point_account_lifetime_non_negative', expression: 'lifetime_earned >= 0' })
@Check({ name: 'point_account_debt_non_negative', expression: 'debt >= 0' })
@Check({ name: 'point_account_lifetime_shortfall_non_negative', expression: 'lifetime_shortfall >= 0 and (lifetime_shortfall = 0 or lifetime_earned = 0)' })
// Per-customer amounts fit GraphQL Int (contract); postEntry refuses a write that would pass it,
// these only back that up.
@Check({ name: 'point_account_amounts_fit_int', expression: 'available + pending <= 2147483647 and lifetime_earned + pending <= 2147483647 and debt <= 2147483647' })
export class PointAccount {
  [EntityName]?: 'PointAccount';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  @ManyToOne(() => Customer, { deleteRule: 'restrict' })
  customer!: Customer;

  @ManyToOne(() => PointCurrency, { fieldName: 'currency_code' })
  currency!: PointCurrency;

  @Property({ type: new BigIntType('number'), default: 0 })
  available: number & Opt = 0;

  @Property({ type: new BigIntType('number'), default: 0 })
  pending: number & Opt = 0;

  @Property({ type: new BigIntType('number'), default: 0 })
  lifetimeEarned: number & Opt = 0;

  /**
   * Qualifying points dropped past a lifetime of 0 (a qualifying debit or a returned sale's credit
   * larger than lifetimeEarned): later qualifying credits make it up before lifetimeEarned grows,
   * so lifetimeEarned is max(0, the sum of qualifying movements) in any order (break-13). Only one
   * of the two is ever above 0.
   */
  @Property({ type: new BigIntType('number'), default: 0 })
  lifetimeShortfall: number & Opt = 0;

  /**
   * Points a reversal could not take back because they were already spent: later credits pay it
   * off first (see LedgerService). Never part of the balance, which stays >= 0.
   */
  @Property({ type: new BigIntType('number'), default: 0 })
  debt: number & Opt = 0;

  @Property({ type: 'integer', default: 0 })
  version: number & Opt = 0;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  updatedAt: Date & Opt = new Date();
}
