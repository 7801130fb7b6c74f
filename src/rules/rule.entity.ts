import { BigIntType, Opt, EntityName } from '@mikro-orm/core';
import { Check, Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
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
@Check({ name: 'economy_rule_points_per_unit_range', expression: 'points_per_unit < 100000000 and scale(points_per_unit) <= 6' })
@Check({ name: 'economy_rule_pending_days_range', expression: 'pending_days >= 0 and pending_days <= 365' })
@Check({ name: 'economy_rule_version_positive', expression: 'version >= 1' })
export class EconomyRule {
  [EntityName]?: 'EconomyRule';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  @ManyToOne(() => PointCurrency, { fieldName: 'currency_code', unique: true })
  currency!: PointCurrency;

  /**
   * Points per one unit of money spent after discounts: below 100,000,000 with at most 6 decimals
   * (one point per 1,000,000 of a money of large numbers: VND, IDR, IRR), kept with at least 4
   * decimals ("10.0000", "0.00001") as the answers always showed it.
   */
  @Property({ type: 'decimal', columnType: 'numeric' })
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

  /**
   * 1 when first set, one more at each `setEconomyRule`: the number a staff form names as the rule
   * it was filled from (`expectedVersion`), so a set from a stale read is refused (break33, rules).
   */
  @Property({ type: 'integer', default: 1 })
  version: number & Opt = 1;
}

/**
 * A currency's economy rule as it was set at `validFrom`: every `setEconomyRule` adds one, in the
 * transaction that replaces the `economy_rule` row. A sale earns by the version in force when it
 * happened (`validFrom` at or before its time, the newest; id breaks a tie), or by the oldest
 * version for a sale before any (src/rules/rule.service.ts, `economyRulesJson`; docs/decisions.md,
 * econ-17). Never updated or deleted.
 */
@Entity({ tableName: 'economy_rule_version' })
@Index({ name: 'economy_rule_version_currency_idx', properties: ['currency', 'validFrom'] })
@Check({ name: 'economy_rule_version_points_per_unit_range', expression: 'points_per_unit >= 0 and points_per_unit < 100000000 and scale(points_per_unit) <= 6' })
@Check({ name: 'economy_rule_version_pending_days_range', expression: 'pending_days >= 0 and pending_days <= 365' })
export class EconomyRuleVersion {
  [EntityName]?: 'EconomyRuleVersion';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  @ManyToOne(() => PointCurrency, { fieldName: 'currency_code' })
  currency!: PointCurrency;

  /** As `EconomyRule.pointsPerUnit`: points per one unit of money spent after discounts. */
  @Property({ type: 'decimal', columnType: 'numeric' })
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

  /** When it was set (the gateway's clock): in force from then until the next version's `validFrom`. */
  @Property({ type: 'timestamptz' })
  validFrom!: Date;
}

/** Bonus rules: a window, conditions a sale must meet, an outcome, and limits. */
@Entity({ tableName: 'campaign' })
// Equal bounds: a campaign ended before it started (endCampaign), which never runs; createCampaign refuses an empty window.
@Check({ name: 'campaign_window', expression: 'starts_at <= ends_at' })
@Check({ name: 'campaign_min_spend_range', expression: 'min_spend is null or (min_spend >= 0 and min_spend < 1000000000000 and scale(min_spend) <= 4)' })
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

  /**
   * When an operator ended it early (`endCampaign`), which set `endsAt` to then (or to `startsAt`
   * for one not started); null: it runs to the end it was created with. An ended campaign is never
   * ended again, so a resend from a clock behind, or a second operator's end, does not move its end
   * earlier (break38b campaigns).
   */
  @Property({ type: 'timestamptz', nullable: true })
  endedAt?: Date | null;

  /** Money with at least 2 decimals and at most 4 (`withCents`; "0.125" for fils), below 10^12. */
  @Property({ type: 'decimal', columnType: 'numeric', nullable: true })
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

  /** ISO days of the week, 1 = Monday … 7 = Sunday, at the till that sold (its `occurredAt`'s offset; UTC when it wrote none). Empty: any day. */
  // columnType too: MikroORM reads `type: 'integer[]'` as a text[] column, which left the days strings (money-12)
  @Property({ type: 'integer[]', columnType: 'integer[]', defaultRaw: "'{}'" })
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

  /**
   * A campaign with a budget: points awarded so far, net of reversals (the budget's running total,
   * counted under this row's lock). One without: what was counted here before its counts moved to
   * `campaign_count` (Migration20261201060000); what it has awarded is this plus its counts' rows
   * (`campaignPointsAwarded`).
   */
  @Property({ type: new BigIntType('number'), default: 0 })
  pointsAwarded: number & Opt = 0;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();
}

/**
 * What a campaign without a budget has awarded, net of reversals, in shards: each sale adds its
 * points to the row of its customer's shard (`countShardOf`), a return takes them off the same row,
 * and the campaign's total is `campaign.points_awarded` plus its rows' sum (`campaignPointsAwarded`).
 * A sale holds the row it counts on from its last statement to its commit; with one row per
 * campaign every sale of an always-on campaign, on every instance, queued on it (issue 12). A
 * campaign with a budget keeps counting on its own row, under whose lock each sale checks it.
 */
@Entity({ tableName: 'campaign_count' })
export class CampaignCount {
  [EntityName]?: 'CampaignCount';

  @ManyToOne(() => Campaign, { primary: true, deleteRule: 'cascade' })
  campaign!: Campaign;

  /** `countShardOf(customer)`: 0 … CAMPAIGN_COUNT_SHARDS − 1. */
  @PrimaryKey({ type: 'smallint' })
  shard!: number;

  /** Points added by sales of this shard's customers, less those taken back by returns (a row may be negative: see Migration20261201060000). */
  @Property({ type: new BigIntType('number') })
  points!: number;
}
