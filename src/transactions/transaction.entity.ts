import { BigIntType, Opt, EntityName } from '@mikro-orm/core';
import { Check, Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Customer } from '../customers/customer.entity.js';
import { Partner } from '../partners/partner.entity.js';
import { LedgerEntry } from '../points/ledger-entry.entity.js';
import { PendingCredit } from '../points/pending-credit.entity.js';
import { Campaign } from '../rules/rule.entity.js';
import { IssuedOffer } from '../wallet/issued-offer.entity.js';

export enum TransactionStatus {
  RECEIVED = 'RECEIVED',
  PROCESSED = 'PROCESSED',
  FAILED = 'FAILED',
  REVERSED = 'REVERSED',
}

export interface SaleLine {
  sku: string;
  category: string | null;
  quantity: number;
  /** Minor units of the sale's money: cents, fils, yen (`SalesTransaction.moneyScale` says which). */
  unitPrice: number;
}

/**
 * A sale sent by a till. (partner, externalId) is its idempotency key. Its money (`total`,
 * `discount`, the lines' `unitPrice`) has the decimals of its money currency (`minorDigits`: "12.50"
 * EUR, "1.250" KWD, "1000" JPY), kept in `moneyScale`; sales stored before it were all in cents (2).
 */
@Entity({ tableName: 'sales_transaction' })
@Check({ name: 'sales_transaction_occurred_offset', expression: 'occurred_offset_minutes >= -1080 and occurred_offset_minutes <= 1080' })
@Check({ name: 'sales_transaction_money_scale', expression: 'money_scale >= 0 and money_scale <= 4' })
@Check({ name: 'sales_transaction_money_range', expression: 'total >= 0 and total < 1000000000000 and discount >= 0 and discount <= total' })
@Unique({ name: 'sales_transaction_partner_external_unique', properties: ['partner', 'externalId'] })
// An analytics window's sales by when they were received (BRIN: written in that order) and returned (placement-50, Migration20261207020000).
@Index({ name: 'sales_transaction_received_brin', expression: 'create index sales_transaction_received_brin on sales_transaction using brin (received_at)' })
@Index({ name: 'sales_transaction_reversed_idx', expression: 'create index sales_transaction_reversed_idx on sales_transaction (reversed_at) where reversed_at is not null' })
@Index({ name: 'sales_transaction_customer_idx', properties: ['customer', 'id'] })
export class SalesTransaction {
  [EntityName]?: 'SalesTransaction';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  @ManyToOne(() => Partner, { deleteRule: 'restrict' })
  partner!: Partner;

  @Property({ type: 'text' })
  externalId!: string;

  @ManyToOne(() => Customer, { deleteRule: 'restrict' })
  customer!: Customer;

  @Property({ type: 'text', nullable: true })
  channel?: string | null;

  @Property({ type: 'text', nullable: true })
  locationId?: string | null;

  @Property({ type: 'timestamptz' })
  occurredAt!: Date;

  /**
   * The UTC offset the till wrote `occurredAt` with, in minutes east of UTC (`+09:00`: 540; `Z`: 0):
   * the day of the week of the sale where it happened, which a campaign's `daysOfWeek` reads.
   */
  @Property({ type: 'smallint', default: 0 })
  occurredOffsetMinutes: number & Opt = 0;

  @Property({ type: 'text' })
  moneyCurrency!: string;

  @Property({ type: 'jsonb' })
  lines!: SaleLine[];

  /** The decimals of the sale's money (`minorDigits` of `moneyCurrency`): the scale of the lines' `unitPrice` minor units. */
  @Property({ type: 'smallint', default: 2 })
  moneyScale: number & Opt = 2;

  @Property({ type: 'text', nullable: true })
  lockId?: string | null;

  /**
   * What the sale's answer said of its `lockId` when it went unused for some of its codes (no
   * basket's lock held them: `SubmitTransactionPayload.notice`, till-23); null otherwise. Kept so a
   * repeat of the sale answers the same, as its first answer (Migration20261203100000).
   */
  @Property({ type: 'text', nullable: true })
  lockNotice?: string | null;

  @Enum({ items: () => TransactionStatus, default: TransactionStatus.RECEIVED })
  status: TransactionStatus & Opt = TransactionStatus.RECEIVED;

  @Property({ type: 'text', nullable: true })
  failureReason?: string | null;

  /** Before discounts, written with the money's decimals (`moneyScale`). */
  @Property({ type: 'decimal', columnType: 'numeric' })
  total!: string;

  @Property({ type: 'decimal', columnType: 'numeric', default: 0 })
  discount: string & Opt = '0';

  @Property({ type: new BigIntType('number'), default: 0 })
  pointsAwarded: number & Opt = 0;

  @Property({ type: 'timestamptz' })
  receivedAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  processedAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  reversedAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  reversalReason?: string | null;

  /**
   * The offers its campaigns would have awarded but did not issue, and why (offsale-12c), in the
   * order the campaigns were applied; written when the sale is processed, empty before and for
   * most sales.
   */
  @Property({ type: 'jsonb', default: '[]' })
  offersNotAwarded: OfferNotAwardedRow[] & Opt = [];
}

/**
 * Why a campaign's offer was not issued to a sale: `OFFER_ENDED`, the offer's fixed end
 * (`validUntil`) passed, so it would land in the wallet EXPIRED; `AMOUNT_FINER_THAN_MONEY`, its
 * `amountOff` or `maxDiscount` is finer than the sale's money can be paid in ("2.50" off in yen,
 * data from before money-12), so no till could apply it (offsale-12). The campaign's points are
 * awarded either way and the sale is PROCESSED.
 */
export enum OfferNotAwardedReason {
  OFFER_ENDED = 'OFFER_ENDED',
  AMOUNT_FINER_THAN_MONEY = 'AMOUNT_FINER_THAN_MONEY',
}

/** One entry of `SalesTransaction.offersNotAwarded`: the campaign (`rule`, `campaignId`), the offer version it would have issued, why, and a sentence for people. */
export interface OfferNotAwardedRow {
  rule: string;
  campaignId: number;
  offerVersionId: number;
  reason: OfferNotAwardedReason;
  message: string;
}

/** An offer applied to a sale (redeemed when the sale was received) and the discount it gave. */
@Entity({ tableName: 'transaction_offer' })
export class TransactionOffer {
  [EntityName]?: 'TransactionOffer';

  @ManyToOne(() => SalesTransaction, { primary: true, deleteRule: 'cascade' })
  transaction!: SalesTransaction;

  @ManyToOne(() => IssuedOffer, { primary: true, deleteRule: 'restrict', unique: true })
  issuedOffer!: IssuedOffer;

  /** Written with the sale's money's decimals (`SalesTransaction.moneyScale`). */
  @Property({ type: 'decimal', columnType: 'numeric', default: 0 })
  discount: string & Opt = '0';
}

export enum AwardKind {
  POINTS = 'POINTS',
  OFFER = 'OFFER',
}

/** What a sale earned, and the rule that produced it. */
@Entity({ tableName: 'transaction_award' })
@Index({ name: 'transaction_award_transaction_idx', properties: ['transaction'] })
@Index({ name: 'transaction_award_campaign_customer_idx', properties: ['campaign', 'customer'] })
@Index({
  name: 'transaction_award_late_credit_idx',
  expression: 'create index transaction_award_late_credit_idx on transaction_award (customer_id, created_at) where counts_from is not null and ledger_entry_id is not null',
})
@Check({ name: 'transaction_award_shape', expression: "(kind = 'POINTS' and points > 0) or (kind = 'OFFER' and issued_offer_id is not null)" })
export class TransactionAward {
  [EntityName]?: 'TransactionAward';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  @ManyToOne(() => SalesTransaction, { deleteRule: 'cascade' })
  transaction!: SalesTransaction;

  @ManyToOne(() => Customer, { deleteRule: 'restrict' })
  customer!: Customer;

  @Enum({ items: () => AwardKind })
  kind!: AwardKind;

  @Property({ type: new BigIntType('number'), default: 0 })
  points: number & Opt = 0;

  @Property({ type: 'text', nullable: true })
  currencyCode?: string | null;

  /** Null while the points are pending. */
  @ManyToOne(() => LedgerEntry, { nullable: true, deleteRule: 'restrict' })
  ledgerEntry?: LedgerEntry | null;

  /** Set when the points were earned pending (see PendingCredit). */
  @ManyToOne(() => PendingCredit, { nullable: true, deleteRule: 'restrict' })
  pendingCredit?: PendingCredit | null;

  @ManyToOne(() => IssuedOffer, { nullable: true, deleteRule: 'restrict' })
  issuedOffer?: IssuedOffer | null;

  @ManyToOne(() => Campaign, { nullable: true, deleteRule: 'restrict' })
  campaign?: Campaign | null;

  /** The rule, as people read it: `economy:STARS`, `campaign:12:Double points Tuesday`. */
  @Property({ type: 'text' })
  rule!: string;

  @Property({ type: 'timestamptz', nullable: true })
  reversedAt?: Date | null;

  /**
   * A points award: when its points count towards tiers had its sale been processed at once (the
   * sale's moment plus the pending days of the economy rule then: processing's `releaseAtOf`). A
   * tier read at an earlier moment than the award's credit, but not earlier than this, counts the
   * credit (`qualifying_points_until`; break34, time: a queue of two). Null for offers, and for
   * awards written before it existed (they count from their credit's moment).
   */
  @Property({ type: 'timestamptz', nullable: true })
  countsFrom?: Date | null;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;
}
