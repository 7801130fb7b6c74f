import { Max, MaxLength, Min, MinLength } from '../graphql/class-validator.js';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ConnectionType } from '../graphql/connection.js';
import { UserError } from '../graphql/errors.js';
import { Node } from '../graphql/node.js';
import { IsCurrencyCode, IsIdempotencyKey, IsKey, IsStoredKey, NotBlank } from '../graphql/validation.js';
import { DateTimeScalar } from '../graphql/scalars.js';
import { IssuedOfferSource, IssuedOfferStatus } from './issued-offer.entity.js';
import { LOCK_TTL_SECONDS } from './redemption.service.js';

registerEnumType(IssuedOfferStatus, { name: 'IssuedOfferStatus' });
registerEnumType(IssuedOfferSource, { name: 'IssuedOfferSource' });

/**
 * The optional `currency` of lockOffer and redeemOffer: the sale's money, an ISO 4217 code in
 * capitals, checked against the offer's money (redemption.service `checkCurrency`).
 */
function SaleCurrency(): PropertyDecorator {
  const field = Field(() => String, {
    nullable: true,
    description:
      "The sale's ISO 4217 money currency, in capitals (e.g. EUR): an offer with an amount off or a maximum discount in another money (IssuedOffer.moneyCurrency) is refused with OFFER_NOT_APPLICABLE. Unset: the till applies the discount in the offer's moneyCurrency, and an offer with such an amount that no till could apply in it (its moneyCurrency unknown, not an ISO 4217 currency in use, or one its amount is finer than) is refused with OFFER_NOT_APPLICABLE on code.",
  });
  const iso = IsCurrencyCode();
  return (target, key) => {
    field(target, key);
    iso(target, key);
  };
}

@ObjectType({ implements: Node, description: "An offer in a customer's wallet." })
export class IssuedOffer extends Node {
  @Field({ description: 'What the customer shows at the till.' })
  code!: string;

  @Field(() => IssuedOfferStatus)
  status!: IssuedOfferStatus;

  @Field(() => IssuedOfferSource)
  source!: IssuedOfferSource;

  @Field(() => String, {
    nullable: true,
    description:
      "ISO 4217 money the offer's amounts (the benefit's amountOff and maxDiscount) are in: the money of the program it was issued in (e.g. EUR, so amountOff 2.00 reads €2 off). A sale in another money cannot apply an offer with an amount off or a maximum discount (OFFER_NOT_APPLICABLE); percent off without a maximum and free items apply in any money. Null only for an offer issued before this was recorded whose program could not be traced.",
  })
  moneyCurrency!: string | null;

  @Field(() => DateTimeScalar, { nullable: true })
  expiresAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  lockExpiresAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  redeemedAt!: Date | null;

  @Field(() => DateTimeScalar)
  createdAt!: Date;
}

export const IssuedOfferConnection = ConnectionType(IssuedOffer, 'IssuedOffer');

@InputType({ description: "Hold an issued offer for one basket while the sale is rung up." })
export class LockOfferInput {
  @Field({ description: 'The code the customer shows (any case; dashes optional).' })
  @MinLength(1)
  @MaxLength(100)
  @NotBlank()
  code!: string;

  @Field({ description: "The basket holding the lock: the partner's own id for it." })
  @MinLength(1)
  @MaxLength(200)
  @NotBlank()
  @IsKey()
  lockId!: string;

  @Field(() => Int, {
    nullable: true,
    defaultValue: LOCK_TTL_SECONDS.default,
    description: `How long the lock holds, ${LOCK_TTL_SECONDS.min} to ${LOCK_TTL_SECONDS.max} seconds. Locking again with the same lockId renews it from now.`,
  })
  @Min(LOCK_TTL_SECONDS.min)
  @Max(LOCK_TTL_SECONDS.max)
  ttlSeconds?: number | null;

  @Field(() => String, { nullable: true, description: "The sale's channel (e.g. STORE, ONLINE, APP): an offer limited to other channels is refused with OFFER_NOT_APPLICABLE." })
  @MinLength(1)
  @MaxLength(100)
  @NotBlank()
  channel?: string | null;

  @SaleCurrency()
  currency?: string | null;
}

@ObjectType()
export class LockOfferPayload {
  @Field(() => IssuedOffer, { nullable: true })
  issuedOffer?: IssuedOffer | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@InputType()
export class RedeemOfferInput {
  @Field({ description: 'The code the customer shows (any case; dashes optional).' })
  @MinLength(1)
  @MaxLength(100)
  @NotBlank()
  code!: string;

  @Field(() => String, { nullable: true, description: 'Required when the offer is locked: the basket holding the lock.' })
  @MinLength(1)
  @MaxLength(200)
  @NotBlank()
  @IsKey()
  lockId?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "The partner's id of the sale. A retry with the same one answers the first redemption instead of refusing.",
  })
  @MinLength(1)
  @MaxLength(200)
  @NotBlank()
  @IsStoredKey('sale')
  transactionExternalId?: string | null;

  @Field(() => String, { nullable: true, description: "The sale's channel (e.g. STORE, ONLINE, APP): an offer limited to other channels is refused with OFFER_NOT_APPLICABLE." })
  @MinLength(1)
  @MaxLength(100)
  @NotBlank()
  channel?: string | null;

  @SaleCurrency()
  currency?: string | null;
}

@ObjectType()
export class RedeemOfferPayload {
  @Field(() => IssuedOffer, { nullable: true })
  issuedOffer?: IssuedOffer | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Said of a redemption that succeeded, for the till to log or show; null when there is nothing to say. Today: the lockId sent held no lock on the code (never locked, released, or its lock had run out), so the code was redeemed as an unlocked one is, whatever lockId is sent.',
  })
  notice?: string | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@InputType()
export class ReleaseOfferInput {
  @Field()
  @MinLength(1)
  @MaxLength(100)
  @NotBlank()
  code!: string;

  @Field()
  @MinLength(1)
  @MaxLength(200)
  @NotBlank()
  @IsKey()
  lockId!: string;
}

@ObjectType()
export class ReleaseOfferPayload {
  @Field(() => IssuedOffer, { nullable: true })
  issuedOffer?: IssuedOffer | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@InputType({ description: 'Operators: give a customer a used-up offer again (e.g. redeemed for a sale that then failed), as a new wallet item; or, with `unusable`, replace an offer no till can apply in its money.' })
export class IssueReplacementOfferInput {
  @Field(() => ID, {
    description:
      'The used-up issued offer (REDEEMED, EXPIRED or VOIDED) to replace, or with `unusable` a live one no till can apply in its money; each is replaced at most once. An offer a returned sale gave (or that replaces one) is not replaced: INVALID.',
  })
  issuedOfferId!: string;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'true: replace an offer still ISSUED or LOCKED that no till can apply in its money (an amount finer than it, such as "2.50" off issued in yen before money-12): it is VOIDED in the same step, and the replacement is the offer\'s current version, which must be payable in that money (edit the offer first; INVALID otherwise). INVALID when the offer can be applied, or is no longer ISSUED or LOCKED (a till used it meanwhile: nothing is replaced). Absent or false: only used-up offers are replaced.',
  })
  unusable?: boolean | null;

  @Field(() => String, {
    nullable: true,
    description:
      "With `unusable`, for an offer whose money was never recorded (IssuedOffer.moneyCurrency null: issued before that column, its program not traced) or is recorded as one no till names (not an ISO 4217 currency in use, such as DEM): the ISO 4217 money, in capitals, of the program it was issued in, as staff establish it. The replacement is in that money (its amounts must be payable in it) and the audit entry records it. INVALID when the offer's recorded money is an ISO 4217 currency and another one.",
  })
  @IsCurrencyCode()
  moneyCurrency?: string | null;

  @Field({ description: 'Why; kept in the audit log.' })
  @MinLength(1)
  @MaxLength(500)
  @NotBlank()
  reason!: string;

  @Field({ description: 'A repeat with the same key answers the same replacement.' })
  @IsIdempotencyKey()
  idempotencyKey!: string;
}

@ObjectType()
export class IssueReplacementOfferPayload {
  @Field(() => IssuedOffer, { nullable: true, description: 'The new wallet item.' })
  issuedOffer?: IssuedOffer | null;

  @Field(() => IssuedOffer, { nullable: true, description: 'The offer it replaces, as it stands.' })
  replaced?: IssuedOffer | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
