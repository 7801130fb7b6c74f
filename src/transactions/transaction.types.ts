import { Matches, Max, MaxLength, Min, MinLength, ValidateNested } from '../graphql/class-validator.js';
import { Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { UserError } from '../graphql/errors.js';
import { Node } from '../graphql/node.js';
import { IsCurrencyCode, IsKey, IsStoredKey, MaxItems, MinItems, moneyMessage, NotBlank, SaleTotalFits, UNIT_PRICE } from '../graphql/validation.js';
import { DateTimeScalar, DecimalScalar } from '../graphql/scalars.js';
import { IssuedOffer } from '../wallet/wallet.types.js';
import { ITEM_KEY_MAX } from './pricing.js';
import { AwardKind, OfferNotAwardedReason, TransactionStatus } from './transaction.entity.js';
import { MIXED_SUM_DEPRECATION, ReversedPoints } from '../points/currency-points.js';

registerEnumType(TransactionStatus, { name: 'TransactionStatus' });
registerEnumType(AwardKind, { name: 'AwardKind' });
registerEnumType(OfferNotAwardedReason, {
  name: 'OfferNotAwardedReason',
  description: 'Why a campaign did not issue its offer to a sale.',
  valuesConfig: {
    OFFER_ENDED: { description: "The offer's fixed end (validUntil) had passed: it would have been issued EXPIRED." },
    AMOUNT_FINER_THAN_MONEY: { description: "Its amountOff or maxDiscount is finer than the sale's money can be paid in (2.50 off in yen): no till could apply it." },
  },
});

@ObjectType({ description: "An offer a campaign would have awarded the sale but did not issue; the campaign's points were awarded (see awards)." })
export class OfferNotAwarded {
  @Field({ description: 'campaign:<id>:<name>, as in awards.' })
  rule!: string;

  @Field(() => OfferNotAwardedReason)
  reason!: OfferNotAwardedReason;

  @Field({ description: 'Why, for people: "This offer\'s amountOff 2.50 is finer than JPY can be paid in (it has no decimals). It was not issued; the campaign\'s points were awarded."' })
  message!: string;
}

@ObjectType({ description: 'Something a sale earned, and the rule that produced it.' })
export class TransactionAward {
  @Field(() => AwardKind)
  kind!: AwardKind;

  @Field(() => Int, { description: 'Points awarded (0 for an offer).' })
  points!: number;

  @Field(() => String, { nullable: true, description: 'The point currency of the points.' })
  currencyCode!: string | null;

  @Field({ description: 'economy:<CURRENCY> or campaign:<id>:<name>.' })
  rule!: string;

  @Field({ description: 'The points are earned but not yet available.' })
  pending!: boolean;

  @Field({ description: 'Undone by a reversal of the sale.' })
  reversed!: boolean;
}

@ObjectType({ implements: Node, description: 'A sale sent by a till and what it earned.' })
export class SalesTransaction extends Node {
  @Field()
  externalId!: string;

  @Field(() => TransactionStatus)
  status!: TransactionStatus;

  @Field(() => String, { nullable: true })
  failureReason!: string | null;

  @Field(() => String, { nullable: true })
  channel!: string | null;

  @Field(() => String, { nullable: true })
  locationId!: string | null;

  @Field(() => DateTimeScalar)
  occurredAt!: Date;

  @Field(() => String, { name: 'currency', description: 'ISO 4217 money currency.' })
  moneyCurrency!: string;

  @Field(() => DecimalScalar, { description: 'Before discounts, in the sale\'s currency with its ISO 4217 decimals ("13.00" EUR, "3.875" KWD, "1003" JPY).' })
  total!: string;

  @Field(() => DecimalScalar, { description: 'What the offers applied took off, in the sale\'s currency with its decimals (a percent off rounds half up to its minor unit).' })
  discount!: string;

  @Field(() => Int, {
    description:
      'Points the sale earned when it was processed (0 before), all point currencies added up: exact only when the sale earned in one currency (see pointsByCurrency). A return does not change it: with status REVERSED they were taken back (reversedAt), and the ledger shows the REVERSAL.',
    deprecationReason: MIXED_SUM_DEPRECATION,
  })
  pointsAwarded!: number;

  @Field(() => DateTimeScalar)
  receivedAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  processedAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  reversedAt!: Date | null;

  @Field(() => [OfferNotAwarded], {
    description: "Offers its campaigns would have awarded but did not issue, and why (empty before it is processed, and for most sales); logged as warnings too. Staff find the offers to edit in unpayableOffers.",
  })
  offersNotAwarded!: OfferNotAwarded[];
}

@InputType()
export class TransactionLineInput {
  @Field({ description: 'Not blank (white space or invisible characters only).' })
  @MinLength(1)
  @MaxLength(ITEM_KEY_MAX)
  @NotBlank()
  sku!: string;

  @Field(() => String, { nullable: true, description: 'Null or absent: none; when given, not blank.' })
  @MaxLength(ITEM_KEY_MAX)
  @NotBlank()
  category?: string | null;

  @Field(() => Int)
  @Min(1)
  @Max(100_000)
  quantity!: number;

  @Field(() => DecimalScalar, {
    description:
      'One unit\'s price in the sale\'s currency, sent as a string: a whole number of its minor unit, so at most its ISO 4217 decimals (2 for EUR: "3.20"; 3 for KWD, BHD, OMR…: "1.250" is 1250 fils; none for JPY, KRW…: "1000"). Zeros past them are taken ("1000.00" JPY is ¥1000); any other digit past them ("10.5" JPY) is BAD_USER_INPUT on this field, never rounded (a retry of a sale taken before money-12, when cents were prices of every money, is answered with that sale).',
  })
  @Matches(UNIT_PRICE, { message: moneyMessage('4.50', 9) })
  unitPrice!: string;
}

@InputType()
export class SubmitTransactionInput {
  @Field({ description: "The partner's id of the sale, unique per partner: its idempotency key. Not blank." })
  @MinLength(1)
  @MaxLength(200)
  @NotBlank()
  @IsStoredKey('sale')
  externalId!: string;

  @Field()
  @MinLength(1)
  @MaxLength(200)
  @NotBlank()
  @IsStoredKey('customer')
  customerExternalId!: string;

  @Field(() => String, { nullable: true, description: 'e.g. STORE, ONLINE, APP; up to 100 characters, as an offer or campaign may name; when given, not blank.' })
  @MaxLength(ITEM_KEY_MAX)
  @NotBlank()
  channel?: string | null;

  @Field(() => String, { nullable: true, description: 'When given, not blank.' })
  @MaxLength(100)
  @NotBlank()
  locationId?: string | null;

  @Field(() => DateTimeScalar, {
    description:
      "When the sale happened, written with the till's own UTC offset (2026-12-01T08:30:00+09:00): campaigns' daysOfWeek are that day. At most SALE_MAX_AGE_DAYS (30) old and a day ahead of the gateway, else INVALID.",
  })
  occurredAt!: Date;

  @Field({ description: 'ISO 4217 money currency, in capitals (e.g. EUR).' })
  @IsCurrencyCode()
  currency!: string;

  @Field(() => [TransactionLineInput])
  @MinItems(1, 'line')
  @MaxItems(500, 'line')
  @ValidateNested({ each: true })
  @SaleTotalFits()
  lines!: TransactionLineInput[];

  @Field(() => [String], {
    nullable: true,
    description:
      "Offers to apply: locked ones are redeemed with lockId, issued ones at once. No blank code. Each offer's expiry is judged at the sale's moment (occurredAt, or when the sale arrived if that is earlier), its lock when the sale arrives.",
  })
  @MaxItems(20, 'code')
  @NotBlank({ each: true })
  offerCodes?: string[] | null;

  @Field(() => String, { nullable: true, description: 'When given, not blank.' })
  @MaxLength(200)
  @NotBlank()
  @IsKey()
  lockId?: string | null;
}

@ObjectType()
export class SubmitTransactionPayload {
  @Field(() => SalesTransaction, { nullable: true })
  transaction?: SalesTransaction | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Said of a sale that was taken, for the till to log or show; null when there is nothing to say. Today: the lockId sent held no lock on some of its offer codes (never locked, released, or its lock had run out), so each such code, named, was redeemed as an unlocked one is, as RedeemOfferPayload.notice says it. A repeat of the sale answers the same.',
  })
  notice?: string | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@InputType()
export class ReverseTransactionInput {
  @Field()
  @MinLength(1)
  @MaxLength(200)
  @NotBlank()
  @IsStoredKey('sale')
  externalId!: string;

  @Field(() => String, { nullable: true, description: 'Why (not blank when given).' })
  @MaxLength(500)
  @NotBlank()
  reason?: string | null;
}

@ObjectType()
export class ReverseTransactionPayload {
  @Field(() => SalesTransaction, { nullable: true })
  transaction?: SalesTransaction | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Points the reversal took back or cancelled, all point currencies added up: exact only for a sale that earned in one currency (see reversedByCurrency).',
    deprecationReason: MIXED_SUM_DEPRECATION,
  })
  pointsReversed?: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Of those, points already spent: owed, and repaid from the next points earned; all point currencies added up (see reversedByCurrency).',
    deprecationReason: MIXED_SUM_DEPRECATION,
  })
  pointsOwed?: number | null;

  @Field(() => [ReversedPoints], { nullable: true, description: 'What the reversal took back and what is owed, per point currency the sale earned in (in the order awarded).' })
  reversedByCurrency?: ReversedPoints[] | null;

  @Field(() => [IssuedOffer], { nullable: true, description: 'Offers the sale awarded, or staff replacements of them, that were already redeemed, so could not be voided: the customer keeps them.' })
  offersKept?: unknown[] | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
