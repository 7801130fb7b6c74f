import { BigIntType, Opt, EntityName } from '@mikro-orm/core';
import { Check, Entity, Enum, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

export enum OfferBenefitKind {
  PERCENT_OFF = 'PERCENT_OFF',
  AMOUNT_OFF = 'AMOUNT_OFF',
  FREE_ITEM = 'FREE_ITEM',
}

/**
 * The stable identity of an offer. Its content lives in OfferVersion rows; `currentVersion`
 * moves to a new, fully written version in one transaction, so readers never see half an edit.
 */
@Entity({ tableName: 'offer' })
export class Offer {
  [EntityName]?: 'Offer';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  @ManyToOne(() => OfferVersion, { nullable: true, deferMode: 'deferred' })
  currentVersion?: OfferVersion | null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  updatedAt: Date & Opt = new Date();
}

@Entity({ tableName: 'offer_version' })
@Unique({ properties: ['offer', 'version'] })
@Check({ name: 'offer_version_percent_range', expression: 'percent_off is null or (percent_off > 0 and percent_off <= 100)' })
@Check({ name: 'offer_version_amount_positive', expression: 'amount_off is null or amount_off > 0' })
@Check({ name: 'offer_version_max_discount_positive', expression: 'max_discount is null or max_discount > 0' })
@Check({
  name: 'offer_version_money_range',
  expression:
    '(amount_off is null or (amount_off < 1000000000000 and scale(amount_off) <= 4)) and (max_discount is null or (max_discount < 1000000000000 and scale(max_discount) <= 4))',
})
@Check({ name: 'offer_version_valid_days_positive', expression: 'valid_days is null or valid_days > 0' })
@Check({
  name: 'offer_version_benefit_shape',
  expression:
    "(benefit_kind = 'PERCENT_OFF' and percent_off is not null) or (benefit_kind = 'AMOUNT_OFF' and amount_off is not null) or (benefit_kind = 'FREE_ITEM' and free_sku is not null)",
})
export class OfferVersion {
  [EntityName]?: 'OfferVersion';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  @ManyToOne(() => Offer, { deleteRule: 'restrict' })
  offer!: Offer;

  @Property({ type: 'integer' })
  version!: number;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text', nullable: true })
  description?: string | null;

  @Property({ type: 'text', nullable: true })
  imageUrl?: string | null;

  @Property({ type: 'text', nullable: true })
  terms?: string | null;

  @Enum({ items: () => OfferBenefitKind })
  benefitKind!: OfferBenefitKind;

  @Property({ type: 'decimal', precision: 5, scale: 2, nullable: true })
  percentOff?: string | null;

  /** Money with at least 2 decimals and at most 4 (`withCents`; "0.125" for fils), below 10^12. */
  @Property({ type: 'decimal', columnType: 'numeric', nullable: true })
  amountOff?: string | null;

  @Property({ type: 'text', nullable: true })
  freeSku?: string | null;

  @Property({ type: 'text[]', defaultRaw: "'{}'" })
  skus: string[] & Opt = [];

  @Property({ type: 'text[]', defaultRaw: "'{}'" })
  categories: string[] & Opt = [];

  /** Money with at least 2 decimals and at most 4 (`withCents`; "0.125" for fils), below 10^12. */
  @Property({ type: 'decimal', columnType: 'numeric', nullable: true })
  maxDiscount?: string | null;

  /** Days an issued offer stays valid after issue; `validUntil` caps it. Neither: no expiry. */
  @Property({ type: 'integer', nullable: true })
  validDays?: number | null;

  /**
   * The fewest decimals a money must have for `amountOff` and `maxDiscount` to be amounts of it
   * (PostgreSQL's `min_scale`, 0 when both are null): a smallint PostgreSQL computes and stores
   * (Migration20261201200000), never written by the gateway. The store page's listing filter
   * compares it with the store's money decimals (offsale-12b). Declared so that
   * `npm run migration:create` knows the column (it wrote a migration dropping it); lazy, so no
   * entity load selects it.
   */
  @Property({
    type: 'smallint',
    nullable: true,
    lazy: true,
    generated: '(greatest(coalesce(min_scale(amount_off), 0), coalesce(min_scale(max_discount), 0))::smallint) stored',
  })
  moneyDigitsNeeded?: (number | null) & Opt;

  @Property({ type: 'timestamptz', nullable: true })
  validUntil?: Date | null;

  @Property({ type: 'text[]', defaultRaw: "'{}'" })
  channels: string[] & Opt = [];

  @Property({ type: 'text', nullable: true })
  createdBy?: string | null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();
}
