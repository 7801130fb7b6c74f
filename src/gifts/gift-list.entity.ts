import { BigIntType, Opt, EntityName } from '@mikro-orm/core';
import { Check, Entity, Index, ManyToOne, OneToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Customer } from '../customers/customer.entity.js';
import { Offer } from '../offers/offer.entity.js';
import { PointCurrency } from '../points/currency.entity.js';
import { LedgerEntry } from '../points/ledger-entry.entity.js';
import { IssuedOffer } from '../wallet/issued-offer.entity.js';

/**
 * A threshold gift list ("every 10 points: pick one from list A"): unlocked while the customer's
 * available balance in its currency reaches `threshold`; each claim spends `threshold` points and
 * issues one of its options. `maxClaims` caps the claims per customer (null: no cap).
 */
@Entity({ tableName: 'gift_list' })
@Index({ name: 'gift_list_currency_idx', properties: ['currency', 'threshold'] })
@Check({ name: 'gift_list_threshold_positive', expression: 'threshold > 0' })
@Check({ name: 'gift_list_max_claims_positive', expression: 'max_claims is null or max_claims > 0' })
@Check({ name: 'gift_list_name_not_blank', expression: 'length(TRIM(BOTH FROM name)) > 0' })
export class GiftList {
  [EntityName]?: 'GiftList';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  @ManyToOne(() => PointCurrency, { fieldName: 'currency_code' })
  currency!: PointCurrency;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: new BigIntType('number') })
  threshold!: number;

  @Property({ type: 'integer', nullable: true })
  maxClaims?: number | null;

  @Property({ type: 'text', nullable: true })
  createdBy?: string | null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();
}

/** One offer a customer may pick from a gift list; listed in `position` order. */
@Entity({ tableName: 'gift_list_option' })
@Index({ name: 'gift_list_option_offer_idx', properties: ['offer'] })
@Check({ name: 'gift_list_option_position_non_negative', expression: 'position >= 0' })
export class GiftListOption {
  [EntityName]?: 'GiftListOption';

  @ManyToOne(() => GiftList, { primary: true, deleteRule: 'cascade' })
  giftList!: GiftList;

  @ManyToOne(() => Offer, { primary: true, deleteRule: 'restrict' })
  offer!: Offer;

  @Property({ type: 'integer' })
  position!: number;
}

/** One claim: the points it spent (the ledger entry) and the offer it issued, once per idempotency key. */
@Entity({ tableName: 'gift_claim' })
@Unique({ properties: ['customer', 'idempotencyKey'] })
@Index({ name: 'gift_claim_customer_idx', properties: ['customer', 'id'] })
@Index({ name: 'gift_claim_list_idx', properties: ['giftList'] })
@Check({ name: 'gift_claim_points_positive', expression: 'points_paid > 0' })
export class GiftClaim {
  [EntityName]?: 'GiftClaim';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  @ManyToOne(() => Customer, { deleteRule: 'restrict' })
  customer!: Customer;

  @ManyToOne(() => GiftList, { deleteRule: 'restrict' })
  giftList!: GiftList;

  /** The option picked (the offer; the issued offer pins the version). */
  @ManyToOne(() => Offer, { deleteRule: 'restrict' })
  offer!: Offer;

  @Property({ type: new BigIntType('number') })
  pointsPaid!: number;

  @OneToOne(() => LedgerEntry, { owner: true, deleteRule: 'restrict' })
  ledgerEntry!: LedgerEntry;

  @OneToOne(() => IssuedOffer, { owner: true, deleteRule: 'restrict' })
  issuedOffer!: IssuedOffer;

  @Property({ type: 'text' })
  idempotencyKey!: string;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();
}

/** How many times a customer claimed from a list: the row `maxClaims` is enforced on. */
@Entity({ tableName: 'gift_claim_count' })
@Check({ name: 'gift_claim_count_non_negative', expression: 'claimed >= 0' })
export class GiftClaimCount {
  [EntityName]?: 'GiftClaimCount';

  @ManyToOne(() => GiftList, { primary: true, deleteRule: 'restrict' })
  giftList!: GiftList;

  @ManyToOne(() => Customer, { primary: true, deleteRule: 'restrict' })
  customer!: Customer;

  @Property({ type: 'integer', default: 0 })
  claimed: number & Opt = 0;
}
