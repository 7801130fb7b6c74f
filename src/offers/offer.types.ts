import { IsUrl, Max, MaxLength, Min, MinLength, ValidateNested } from '../graphql/class-validator.js';
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { UserError } from '../graphql/errors.js';
import { Node } from '../graphql/node.js';
import { ChangeReason, HasAtMostDecimals, IsPositiveMoney, NotBlank, OptionalIdempotencyKey } from '../graphql/validation.js';
import { ItemKeyList } from '../graphql/list-fields.js';
import { DateTimeScalar, DecimalScalar } from '../graphql/scalars.js';
import { OfferBenefitKind } from './offer.entity.js';

registerEnumType(OfferBenefitKind, { name: 'OfferBenefitKind' });

/** Where an offer's money amounts are in, and which decimals they may have (money-12; docs/decisions.md, "Money and time edges"). */
const OFFER_MONEY_RULE =
  "An offer names no money: the amount is in the money of the program it is put in (the moneyCurrency of the store's, gift list's or campaign's point currency), and a sale in another money cannot use it (OFFER_NOT_APPLICABLE). At most 12 digits and 4 decimals, sent as a string; an amount finer than that money's ISO 4217 decimals (\"2.50\" where the money is JPY) is refused INVALID where the offer is listed, put in a gift list or campaign, or updated while one offers it.";
const AMOUNT_OFF_DESCRIPTION = `AMOUNT_OFF: money taken off the sale, above 0 ("2.00" EUR, "0.125" KWD, "200" JPY). ${OFFER_MONEY_RULE}`;
const MAX_DISCOUNT_DESCRIPTION = `The most the offer takes off a sale, whatever its kind, above 0. ${OFFER_MONEY_RULE}`;

@ObjectType({ description: 'What an offer gives at the till.' })
export class OfferBenefit {
  @Field(() => OfferBenefitKind)
  kind!: OfferBenefitKind;

  @Field(() => Float, { nullable: true })
  percentOff!: number | null;

  @Field(() => DecimalScalar, { nullable: true, description: AMOUNT_OFF_DESCRIPTION })
  amountOff!: string | null;

  @Field(() => String, { nullable: true })
  freeSku!: string | null;

  @Field(() => [String], { description: 'Only these SKUs count (empty: any).' })
  skus!: string[];

  @Field(() => [String], { description: 'Only these categories count (empty: any).' })
  categories!: string[];

  @Field(() => DecimalScalar, { nullable: true, description: MAX_DISCOUNT_DESCRIPTION })
  maxDiscount!: string | null;
}

@ObjectType({ implements: Node, description: 'An offer as of one version: listings show the current one, wallet items the one they were issued with.' })
export class Offer extends Node {
  @Field(() => Int)
  version!: number;

  @Field()
  name!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => String, { nullable: true })
  imageUrl!: string | null;

  @Field(() => String, { nullable: true })
  terms!: string | null;

  @Field(() => Int, { nullable: true, description: 'Days an issued offer stays valid.' })
  validDays!: number | null;

  @Field(() => DateTimeScalar, { nullable: true })
  validUntil!: Date | null;

  @Field(() => [String])
  channels!: string[];
}

/** Optional free text of an offer (description, terms): null means none (an update's null clears it); blank text is refused. */
const NULL_CLEARS_OR_NOT_BLANK = 'Null: none (on an update, clears it). When given, not blank (white space or invisible characters only).';

@InputType()
export class OfferBenefitInput {
  @Field(() => OfferBenefitKind)
  kind!: OfferBenefitKind;

  @Field(() => Float, { nullable: true })
  @Min(0.01)
  @Max(100)
  @HasAtMostDecimals(2)
  percentOff?: number | null;

  @Field(() => DecimalScalar, { nullable: true, description: AMOUNT_OFF_DESCRIPTION })
  @IsPositiveMoney()
  amountOff?: string | null;

  @Field(() => String, { nullable: true })
  @MinLength(1)
  @MaxLength(100)
  @NotBlank()
  freeSku?: string | null;

  @ItemKeyList(500, 'Each SKU once (compared as the till compares them: case, spacing and invisible characters aside).')
  skus?: string[] | null;

  @ItemKeyList(100, 'Each category once (compared as the till compares them: case, spacing and invisible characters aside).')
  categories?: string[] | null;

  @Field(() => DecimalScalar, { nullable: true, description: MAX_DISCOUNT_DESCRIPTION })
  @IsPositiveMoney()
  maxDiscount?: string | null;
}

@InputType()
export class CreateOfferInput {
  @Field()
  @MinLength(1)
  @MaxLength(200)
  @NotBlank()
  name!: string;

  @Field(() => String, { nullable: true, description: NULL_CLEARS_OR_NOT_BLANK })
  @MaxLength(5000)
  @NotBlank()
  description?: string | null;

  @Field(() => String, { nullable: true })
  @IsUrl({ require_protocol: true }, { message: '$property must be an absolute URL with its scheme, such as https://example.com/offer.png' })
  @MaxLength(2000)
  imageUrl?: string | null;

  @Field(() => String, { nullable: true, description: NULL_CLEARS_OR_NOT_BLANK })
  @MaxLength(10000)
  @NotBlank()
  terms?: string | null;

  @Field(() => OfferBenefitInput)
  @ValidateNested()
  benefit!: OfferBenefitInput;

  @Field(() => Int, { nullable: true })
  @Min(1)
  @Max(3650)
  validDays?: number | null;

  @Field(() => DateTimeScalar, { nullable: true })
  validUntil?: Date | null;

  @ItemKeyList(20, 'Each channel once (case, spacing and invisible characters aside); empty or null: every channel.')
  channels?: string[] | null;

  @OptionalIdempotencyKey('offer')
  idempotencyKey?: string | null;

  @ChangeReason()
  reason?: string | null;
}

@InputType()
export class UpdateOfferInput {
  @Field(() => ID)
  offerId!: string;

  @Field(() => String, { nullable: true })
  @MinLength(1)
  @MaxLength(200)
  @NotBlank()
  name?: string | null;

  @Field(() => String, { nullable: true, description: NULL_CLEARS_OR_NOT_BLANK })
  @MaxLength(5000)
  @NotBlank()
  description?: string | null;

  @Field(() => String, { nullable: true })
  @IsUrl({ require_protocol: true }, { message: '$property must be an absolute URL with its scheme, such as https://example.com/offer.png' })
  @MaxLength(2000)
  imageUrl?: string | null;

  @Field(() => String, { nullable: true, description: NULL_CLEARS_OR_NOT_BLANK })
  @MaxLength(10000)
  @NotBlank()
  terms?: string | null;

  @Field(() => OfferBenefitInput, { nullable: true })
  @ValidateNested()
  benefit?: OfferBenefitInput | null;

  @Field(() => Int, { nullable: true })
  @Min(1)
  @Max(3650)
  validDays?: number | null;

  @Field(() => DateTimeScalar, { nullable: true })
  validUntil?: Date | null;

  @ItemKeyList(20, 'Each channel once (case, spacing and invisible characters aside); empty or null: every channel.')
  channels?: string[] | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'The version this edit was made from (the `version` read with the texts it changes). When the offer has moved on since, nothing is written and the answer is VERSION_CONFLICT naming the current version, so an edit from a stale read cannot put back what another edit changed. Null or absent: the edit applies to whatever version is current (the last edit wins).',
  })
  @Min(1)
  expectedVersion?: number | null;

  @OptionalIdempotencyKey('version')
  idempotencyKey?: string | null;

  @ChangeReason()
  reason?: string | null;
}

@ObjectType()
export class OfferPayload {
  @Field(() => Offer, { nullable: true })
  offer?: Offer | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

/** What holds an offer no till can apply in its money (`unpayableOffers`). */
export enum UnpayableOfferHolder {
  LISTING = 'LISTING',
  GIFT_LIST = 'GIFT_LIST',
  CAMPAIGN = 'CAMPAIGN',
  ISSUED_OFFER = 'ISSUED_OFFER',
}
registerEnumType(UnpayableOfferHolder, {
  name: 'UnpayableOfferHolder',
  description: 'What holds an offer no till can apply: a store listing, a gift list option or a campaign award (remedy: edit the offer to an amount of the money, or remove the listing), or a customer\'s live wallet item (remedy: issueReplacementOffer with unusable: true).',
});

@ObjectType({
  description:
    "An offer that no till can apply in its program's money (an amount from before money-12, \"2.50\" off in a yen program), and where it is: listings of it are not shown to members or sold, gift lists do not issue it, campaigns do not award it, and a wallet item of it is OFFER_NOT_APPLICABLE at a till naming its money.",
})
export class UnpayableOffer {
  @Field(() => UnpayableOfferHolder)
  holder!: UnpayableOfferHolder;

  @Field(() => ID, { description: 'The global id of the Listing, GiftList, Campaign or IssuedOffer.' })
  holderId!: string;

  @Field(() => Offer, { description: 'The version concerned: the current one for a listing, gift list or campaign (what they would issue); the one issued for a wallet item.' })
  offer!: unknown;

  @Field(() => String, { nullable: true, description: "The holder's point currency (null for a wallet item)." })
  currency!: string | null;

  @Field(() => String, { nullable: true, description: 'The ISO 4217 money its amounts are in; null for a wallet item whose money was never recorded.' })
  moneyCurrency!: string | null;

  @Field(() => String, { nullable: true, description: 'The amount that does not fit: amountOff or maxDiscount.' })
  field!: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'That amount as stored ("2.50").' })
  amount!: string | null;

  @Field({ description: 'Why no till can apply it, as a sentence.' })
  message!: string;
}
