import { BigIntType, Opt, EntityName } from '@mikro-orm/core';
import { Check, Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Customer } from '../customers/customer.entity.js';
import { OfferVersion } from '../offers/offer.entity.js';
import { Partner } from '../partners/partner.entity.js';

export enum IssuedOfferStatus {
  ISSUED = 'ISSUED',
  LOCKED = 'LOCKED',
  REDEEMED = 'REDEEMED',
  EXPIRED = 'EXPIRED',
  VOIDED = 'VOIDED',
}

export enum IssuedOfferSource {
  PURCHASE = 'PURCHASE',
  CAMPAIGN = 'CAMPAIGN',
  STAFF = 'STAFF',
  GIFT = 'GIFT',
}

/** An offer in a customer's wallet, pinned to the offer version it was issued with. */
@Entity({ tableName: 'issued_offer' })
@Index({ name: 'issued_offer_wallet_idx', properties: ['customer', 'id'] })
@Check({ name: 'issued_offer_lock_shape', expression: "(status = 'LOCKED') = (lock_id is not null and lock_expires_at is not null)" })
@Check({ name: 'issued_offer_redeemed_shape', expression: "(status = 'REDEEMED') = (redeemed_at is not null)" })
// A lock is held by one basket of one partner: lockIds are the partner's own, so two partners may use the same one.
@Check({ name: 'issued_offer_lock_holder_shape', expression: '(lock_id is null) = (lock_partner_id is null)' })
@Check({ name: 'issued_offer_money_format', expression: "money_currency ~ '^[A-Z]{3}$'" })
// What the sweeper job scans: locks that may have run out, and live offers that may be past expiry.
// An analytics window's redemptions (placement-50, Migration20261207020000).
@Index({ name: 'issued_offer_redeemed_idx', expression: 'create index issued_offer_redeemed_idx on issued_offer (redeemed_at) where redeemed_at is not null' })
@Index({ name: 'issued_offer_lock_expiry_idx', expression: "create index issued_offer_lock_expiry_idx on issued_offer (lock_expires_at) where status = 'LOCKED'" })
@Index({ name: 'issued_offer_expiry_idx', expression: "create index issued_offer_expiry_idx on issued_offer (expires_at) where status in ('ISSUED', 'LOCKED') and expires_at is not null" })
// What unpayableOffers reads of the wallet: the live items no till can apply in their money (offsale-12c,
// Migration20261201210000; the same predicate as issuedOfferUnpayableSql, so the planner proves it applies).
@Index({
  name: 'issued_offer_unpayable_idx',
  expression:
    "create index issued_offer_unpayable_idx on issued_offer (id) where status in ('ISSUED', 'LOCKED') and not (money_digits_needed <= coalesce(iso_money_digits(money_currency), -1))",
})
export class IssuedOffer {
  [EntityName]?: 'IssuedOffer';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  /** What the customer shows at the till. */
  @Property({ type: 'text', unique: true })
  code!: string;

  @ManyToOne(() => Customer, { deleteRule: 'restrict' })
  customer!: Customer;

  @ManyToOne(() => OfferVersion, { deleteRule: 'restrict' })
  offerVersion!: OfferVersion;

  @Enum({ items: () => IssuedOfferSource })
  source!: IssuedOfferSource;

  @Property({ type: 'text', nullable: true })
  sourceId?: string | null;

  /**
   * The ISO 4217 money of the program it was issued in (`point_currency.money_currency` of the
   * currency its points, gift list or campaign are in; a staff replacement keeps the replaced
   * offer's): the money its `amountOff` and `maxDiscount` are in. A sale in another money cannot
   * apply it when its benefit has a money value. Null only for an offer issued before the column
   * whose program could not be traced (docs/decisions.md, "An offer's money is its program's").
   */
  @Property({ type: 'text', nullable: true })
  moneyCurrency?: string | null;

  /**
   * The fewest decimals its version's money amounts need (`offer_version.money_digits_needed`) when
   * the version has a money value (an AMOUNT_OFF, a `maxDiscount`); null when it has none. Kept by
   * the database's triggers (Migration20261201210000), never written by the gateway: what
   * `issued_offer_unpayable_idx` compares with its money's decimals (offsale-12c).
   */
  @Property({ type: 'smallint', nullable: true })
  moneyDigitsNeeded?: number | null;

  @Enum({ items: () => IssuedOfferStatus, default: IssuedOfferStatus.ISSUED })
  status: IssuedOfferStatus & Opt = IssuedOfferStatus.ISSUED;

  /** The basket holding the lock, as the partner named it. */
  @Property({ type: 'text', nullable: true })
  lockId?: string | null;

  /** The partner whose basket holds the lock. */
  @ManyToOne(() => Partner, { nullable: true, deleteRule: 'restrict' })
  lockPartner?: Partner | null;

  @Property({ type: 'timestamptz', nullable: true })
  lockExpiresAt?: Date | null;

  /**
   * The last lock a till released with releaseOffer (replay-22): its basket (`lockId` as the partner
   * named it), its partner and when. Kept after the code is locked, redeemed or released again, so
   * that a release sent again (a retry after a lost answer) is told its lock was released and when,
   * rather than "no lock"; only that partner is told. A lock that ran out and was then cleared
   * (the sweep, a redemption, a return, another basket's lock) is recorded here too, with
   * `releasedLockRanOut` (till-23).
   */
  @Property({ type: 'text', nullable: true })
  releasedLockId?: string | null;

  /** The partner whose basket's lock was released last (see releasedLockId). */
  @ManyToOne(() => Partner, { nullable: true, deleteRule: 'restrict' })
  releasedLockPartner?: Partner | null;

  /** When the last released lock was released (see releasedLockId). */
  @Property({ type: 'timestamptz', nullable: true })
  lockReleasedAt?: Date | null;

  /**
   * The recorded lock (releasedLockId) ran out rather than being released by its till: then
   * `lockReleasedAt` is when it ran out (its lock expiry). Migration20261203100000 (till-23).
   */
  @Property({ type: 'boolean', default: false })
  releasedLockRanOut: boolean & Opt = false;

  @Property({ type: 'timestamptz', nullable: true })
  expiresAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  redeemedAt?: Date | null;

  /** The partner (till) that redeemed it. */
  @ManyToOne(() => Partner, { nullable: true, deleteRule: 'restrict' })
  redeemedByPartner?: Partner | null;

  /** The partner's reference of the sale it was redeemed in (its transaction externalId). */
  @Property({ type: 'text', nullable: true })
  redemptionRef?: string | null;

  /**
   * What a RedeemOffer's answer said of a `lockId` it did not use (its `notice`, unusedLockNotice),
   * kept so a repeat with the same transactionExternalId answers it as the first (break-24: the
   * repeat said null). Null when it said nothing, and for a sale's redemption (the sale keeps its
   * own, `SalesTransaction.lockNotice`).
   */
  @Property({ type: 'text', nullable: true })
  redemptionNotice?: string | null;

  /** The used-up offer this one replaces (issued by staff); an offer is replaced at most once. */
  @ManyToOne(() => IssuedOffer, { nullable: true, unique: true, deleteRule: 'restrict' })
  replaces?: IssuedOffer | null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  updatedAt: Date & Opt = new Date();
}

/**
 * Each basket's last lock on an issued offer that ended without a redemption: released by its till
 * (`ranOut` false; `endedAt` when) or run out (`ranOut` true; `endedAt` the lock's end), one row per
 * (offer, partner, basket lockId). `IssuedOffer.releasedLock*` keeps only the code's last such
 * lock, so a second basket's lock and release lost the first basket's run-out lock, and that
 * basket's till was told "no lock" (till-23 left it; till-24). Written by the trigger
 * `issued_offer_lock_end_keep` (Migration20261203120000) whenever the record on the row changes,
 * so every statement that records a lock keeps it here too; a basket that locks the code again
 * deletes its row (lockOffer: its record is of the lock before), and a redemption deletes its
 * partner's rows of the offer (the trigger `issued_offer_lock_end_redeemed`, Migration20261203140000,
 * till-25: that partner is answered from the redemption from then on, so they are never read
 * again). Read by a till's release, redemption and lock of that basket only
 * (`basketLockEndColumns`). It overlaps the row's record on purpose: a till's statement that waited
 * for the row reads the row as committed but this table as before its wait, so a basket's row must
 * be here before another lock's end can displace its record from the row (docs/decisions.md, till-25).
 */
@Entity({ tableName: 'issued_offer_lock_end' })
export class IssuedOfferLockEnd {
  [EntityName]?: 'IssuedOfferLockEnd';

  @ManyToOne(() => IssuedOffer, { primary: true, deleteRule: 'cascade' })
  issuedOffer!: IssuedOffer;

  @ManyToOne(() => Partner, { primary: true, deleteRule: 'cascade' })
  partner!: Partner;

  /** The basket's lockId, as its partner named it. */
  @PrimaryKey({ type: 'text' })
  lockId!: string;

  @Property({ type: 'timestamptz' })
  endedAt!: Date;

  @Property({ type: 'boolean' })
  ranOut!: boolean;
}
