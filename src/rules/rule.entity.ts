import { BigIntType, Opt, EntityName } from '@mikro-orm/core';
import { Check, Entity, Enum, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Offer } from '../offers/offer.entity.js';
import { PointCurrency } from '../points/currency.entity.js';

export enum Rounding {
  FLOOR = 'FLOOR',
  ROUND = 'ROUND',
  CEIL = 'CEIL',
}

/** How a currency's points are earned from money spent: one rule per currency. */
@Entity({ tableName: 'economy_rule' })
@Check({ name: 'economy_rule_points_per_unit_non_negative', expression: 'points_per_unit >= 0' })
@Check({ name: 'economy_rule_pending_days_range', expression: 'pending_days >= 0 and pending_days <= 365' })
export class EconomyRule {
  [EntityName]?: 'EconomyRule';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  @ManyToOne(() => PointCurrency, { fieldName: 'currency_code', unique: true })
  currency!: PointCurrency;

  /** Points per one unit of money spent after discounts. */
  @Property({ type: 'decimal', precision: 12, scale: 4 })
  pointsPerUnit!: string;

  /** `[{ category, multiplier }]`. */
  @Property({ type: 'jsonb', defaultRaw: "'[]'" })
  categoryMultipliers: { category: string; multiplier: number }[] & Opt = [];

  @Property({ type: 'text[]', defaultRaw: "'{}'" })
  excludedSkus: string[] & Opt = [];

  @Enum({ items: () => Rounding, default: Rounding.FLOOR })
  rounding: Rounding & Opt = Rounding.FLOOR;

  /** Days earned points wait (pending) before they can be spent; 0: available at once. */
  @Property({ type: 'integer', default: 0 })
  pendingDays: number & Opt = 0;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  updatedAt: Date & Opt = new Date();
}

/** Bonus rules: a window, conditions a sale must meet, an outcome, and limits. */
@Entity({ tableName: 'campaign' })
@Check({ name: 'campaign_window', expression: 'starts_at < ends_at' })
@Check({ name: 'campaign_has_outcome', expression: 'bonus_points is not null or multiplier is not null or offer_id is not null' })
@Check({ name: 'campaign_bonus_positive', expression: 'bonus_points is null or bonus_points > 0' })
@Check({ name: 'campaign_multiplier_positive', expression: 'multiplier is null or multiplier > 0' })
@Check({ name: 'campaign_limits_positive', expression: '(per_customer is null or per_customer > 0) and (budget_points is null or budget_points > 0)' })
@Check({ name: 'campaign_budget_respected', expression: 'budget_points is null or points_awarded <= budget_points' })
@Check({ name: 'campaign_points_awarded_non_negative', expression: 'points_awarded >= 0' })
export class Campaign {
  [EntityName]?: 'Campaign';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  @Property({ type: 'text' })
  name!: string;

  @ManyToOne(() => PointCurrency, { fieldName: 'currency_code' })
  currency!: PointCurrency;

  @Property({ type: 'timestamptz' })
  startsAt!: Date;

  @Property({ type: 'timestamptz' })
  endsAt!: Date;

  @Property({ type: 'decimal', precision: 14, scale: 2, nullable: true })
  minSpend?: string | null;

  @Property({ type: 'text[]', defaultRaw: "'{}'" })
  skus: string[] & Opt = [];

  @Property({ type: 'text[]', defaultRaw: "'{}'" })
  categories: string[] & Opt = [];

  @Property({ type: 'text[]', defaultRaw: "'{}'" })
  channels: string[] & Opt = [];

  @Property({ type: 'text[]', defaultRaw: "'{}'" })
  tiers: string[] & Opt = [];

  @Property({ type: 'text[]', defaultRaw: "'{}'" })
  segments: string[] & Opt = [];

  @Property({ type: 'boolean', default: false })
  firstPurchase: boolean & Opt = false;

  /** ISO days of the week, 1 = Monday … 7 = Sunday (UTC). Empty: any day. */
  @Property({ type: 'integer[]', defaultRaw: "'{}'" })
  daysOfWeek: number[] & Opt = [];

  @Property({ type: 'integer', nullable: true })
  bonusPoints?: number | null;

  @Property({ type: 'decimal', precision: 8, scale: 4, nullable: true })
  multiplier?: string | null;

  @ManyToOne(() => Offer, { nullable: true, deleteRule: 'restrict' })
  offer?: Offer | null;

  @Property({ type: 'integer', nullable: true })
  perCustomer?: number | null;

  @Property({ type: 'bigint', nullable: true })
  budgetPoints?: number | null;

  /** Points awarded so far, net of reversals: the budget's running total. */
  @Property({ type: new BigIntType('number'), default: 0 })
  pointsAwarded: number & Opt = 0;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();
}
