import { BigIntType, Opt, EntityName } from '@mikro-orm/core';
import { Check, Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { PointCurrency } from '../points/currency.entity.js';

/** A store of offers bought with one currency. Every eligibility rule that is set must hold. */
@Entity({ tableName: 'reward_store' })
@Check({ name: 'reward_store_window', expression: 'starts_at is null or ends_at is null or starts_at < ends_at' })
@Check({ name: 'reward_store_min_balance_non_negative', expression: 'min_balance is null or min_balance >= 0' })
@Check({ name: 'reward_store_min_lifetime_non_negative', expression: 'min_lifetime_points is null or min_lifetime_points >= 0' })
export class RewardStore {
  [EntityName]?: 'RewardStore';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  @Property({ type: 'text', unique: true })
  code!: string;

  @Property({ type: 'text' })
  name!: string;

  @ManyToOne(() => PointCurrency, { fieldName: 'currency_code' })
  currency!: PointCurrency;

  @Property({ type: 'timestamptz', nullable: true })
  startsAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  endsAt?: Date | null;

  @Property({ type: 'text[]', defaultRaw: "'{}'" })
  eligibleTiers: string[] & Opt = [];

  @Property({ type: 'text[]', defaultRaw: "'{}'" })
  eligibleSegments: string[] & Opt = [];

  @Property({ type: 'bigint', nullable: true })
  minBalance?: number | null;

  @Property({ type: 'bigint', nullable: true })
  minLifetimePoints?: number | null;

  /**
   * ISO 4217's decimals (`minorDigits`) of its point currency's money: kept by the database's
   * triggers (migration Migration20261201190000), never written by the gateway. What the store page
   * tests its offers' amounts against (offsale-12b).
   */
  @Property({ type: 'smallint', default: 2 })
  moneyDigits: number & Opt = 2;

  /** 1 when created, one more at each updateRewardStore that changes something (store-edit-39). */
  @Property({ type: 'int', default: 1 })
  version: number & Opt = 1;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  /** When updateRewardStore last changed it; null until then. */
  @Property({ type: 'timestamptz', nullable: true })
  updatedAt?: Date | null;
}
