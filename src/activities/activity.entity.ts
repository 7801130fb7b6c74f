import { BigIntType, Opt, EntityName } from '@mikro-orm/core';
import { Check, Entity, Enum, Index, ManyToOne, OneToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Customer } from '../customers/customer.entity.js';
import { PointCurrency } from '../points/currency.entity.js';
import { LedgerEntry } from '../points/ledger-entry.entity.js';

/** Things a customer does, besides buying, that a program rewards. */
export enum ActivityKind {
  SIGN_UP = 'SIGN_UP',
  REFERRAL = 'REFERRAL',
  REVIEW = 'REVIEW',
  SOCIAL_SHARE = 'SOCIAL_SHARE',
  EVENT_CHECK_IN = 'EVENT_CHECK_IN',
  BIRTHDAY = 'BIRTHDAY',
  SURVEY = 'SURVEY',
}

/**
 * What one kind of activity earns in one currency: `points` per activity, at most `capPerPeriod`
 * times per `periodDays` days (a cap without a period counts for the customer's whole life).
 */
@Entity({ tableName: 'activity_rule' })
@Unique({ properties: ['currency', 'kind'] })
@Index({ name: 'activity_rule_kind_idx', properties: ['kind'] })
@Check({ name: 'activity_rule_points_positive', expression: 'points > 0' })
@Check({ name: 'activity_rule_cap_positive', expression: 'cap_per_period is null or cap_per_period > 0' })
@Check({ name: 'activity_rule_period_positive', expression: 'period_days is null or period_days > 0' })
@Check({ name: 'activity_rule_period_needs_cap', expression: 'period_days is null or cap_per_period is not null' })
@Check({ name: 'activity_rule_version_positive', expression: 'version >= 1' })
export class ActivityRule {
  [EntityName]?: 'ActivityRule';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  @ManyToOne(() => PointCurrency, { fieldName: 'currency_code' })
  currency!: PointCurrency;

  @Enum({ items: () => ActivityKind })
  kind!: ActivityKind;

  @Property({ type: new BigIntType('number') })
  points!: number;

  @Property({ type: 'integer', nullable: true })
  capPerPeriod?: number | null;

  @Property({ type: 'integer', nullable: true })
  periodDays?: number | null;

  @Property({ type: 'boolean', default: true })
  active: boolean & Opt = true;

  @Property({ type: 'text', nullable: true })
  updatedBy?: string | null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  updatedAt: Date & Opt = new Date();

  /**
   * 1 when first set, one more at each `setActivityRule`: the number a staff form names as the rule
   * it was filled from (`expectedVersion`), so a set from a stale read is refused (break33, rules).
   */
  @Property({ type: 'integer', default: 1 })
  version: number & Opt = 1;
}

/**
 * One recorded activity of a customer. Each kind has its natural limit (activity-limits.ts): at
 * most one row per (customer, kind, occurrence) — the occurrence is the year of a birthday, `once`
 * for a sign-up, the referred customer of a referral, the reference for the other kinds — and a
 * referred customer is referred once, whoever refers them. A repeat of a reference (within the year,
 * for a birthday) answers `pointsAwarded` from this row and changes nothing.
 */
@Entity({ tableName: 'activity' })
@Index({ name: 'activity_reference_idx', properties: ['customer', 'kind', 'reference'] })
@Unique({ name: 'activity_customer_kind_occurrence_unique', properties: ['customer', 'kind', 'occurrence'] })
@Unique({ name: 'activity_referred_customer_unique', properties: ['referredCustomer'] })
@Check({ name: 'activity_reference_not_blank', expression: 'length(reference) > 0' })
@Check({ name: 'activity_points_positive', expression: 'points_awarded > 0' })
export class Activity {
  [EntityName]?: 'Activity';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  @ManyToOne(() => Customer, { deleteRule: 'restrict' })
  customer!: Customer;

  @Enum({ items: () => ActivityKind })
  kind!: ActivityKind;

  /** The caller's id of the occurrence (a review id, an event id, `birthday-2026`), normalised (trimmed, case-folded, NFC). */
  @Property({ type: 'text' })
  reference!: string;

  /**
   * What the kind's natural limit counts: the year of a birthday, `once` for a sign-up, `customer:<id>`
   * for a referral, the reference for the others. Null only on rows recorded before the limit existed
   * that repeated an earlier row's occurrence.
   */
  @Property({ type: 'text', nullable: true })
  occurrence?: string | null;

  /** For a referral: the customer who was referred (referred once, whoever refers them). */
  @ManyToOne(() => Customer, { nullable: true, deleteRule: 'restrict' })
  referredCustomer?: Customer | null;

  @Property({ type: new BigIntType('number') })
  pointsAwarded!: number;

  /** Who reported it: `partner:<id>`, or `system` for scheduled awards. */
  @Property({ type: 'text' })
  actor!: string;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();
}

/** The points one rule awarded for one activity: the rows each rule's cap is counted on. */
@Entity({ tableName: 'activity_award' })
@Index({ name: 'activity_award_cap_idx', properties: ['customer', 'rule', 'createdAt'] })
@Check({ name: 'activity_award_points_positive', expression: 'points > 0' })
export class ActivityAward {
  [EntityName]?: 'ActivityAward';

  @ManyToOne(() => Activity, { primary: true, deleteRule: 'restrict' })
  activity!: Activity;

  @ManyToOne(() => ActivityRule, { primary: true, deleteRule: 'restrict' })
  rule!: ActivityRule;

  /** Denormalised owner, so customer-owned rows stay keyed by customer (sharding). */
  @ManyToOne(() => Customer, { deleteRule: 'restrict' })
  customer!: Customer;

  @Property({ type: new BigIntType('number') })
  points!: number;

  @OneToOne(() => LedgerEntry, { owner: true, deleteRule: 'restrict' })
  ledgerEntry!: LedgerEntry;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();
}
