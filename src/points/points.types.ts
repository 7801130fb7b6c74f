import { Max, MaxLength, Min, MinLength, Matches, IsInt, NotEquals } from '../graphql/class-validator.js';
import { Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ConnectionType } from '../graphql/connection.js';
import { UserError } from '../graphql/errors.js';
import { Node } from '../graphql/node.js';
import { DateTimeScalar, DecimalScalar } from '../graphql/scalars.js';
import { ChangeReason, IsCurrencyCode, IsIdempotencyKey, IsStoredKey, NotBlank } from '../graphql/validation.js';
import { LedgerEntryKind, LedgerSource } from './ledger-entry.entity.js';

registerEnumType(LedgerEntryKind, { name: 'LedgerEntryKind' });
registerEnumType(LedgerSource, { name: 'LedgerSource' });

/** Points can be large but never beyond what a balance column and a JS number hold exactly. */
export const MAX_POINTS = 1_000_000_000;

@ObjectType()
export class PointCurrency {
  @Field()
  code!: string;

  @Field()
  name!: string;

  @Field(() => Int, { nullable: true, description: "Days after earning at which points expire; null: never. A sale's points count from when they became spendable had its job run as it arrived: its release (the sale's moment plus the economy rule's pendingDays) or its receipt, whichever is later." })
  expiryDays!: number | null;

  @Field(() => DecimalScalar, { description: 'Money value of one point, in moneyCurrency (0.01 for a point worth a euro cent; up to 6 decimals).' })
  pointValue!: string;

  @Field({ description: 'ISO 4217 code of the money the point value is in.' })
  moneyCurrency!: string;
}

@ObjectType()
export class ExpiringPoints {
  @Field(() => Int)
  amount!: number;

  @Field(() => DateTimeScalar)
  expiresAt!: Date;
}

/**
 * What `lifetimeEarned` means, for the schema (PointBalance and BalanceChange): the rule of
 * break-13 (docs/decisions.md), as src/points/ledger.service.ts's `lifetimeMoves` keeps it.
 */
export const LIFETIME_EARNED_DESCRIPTION =
  'Qualifying points in all: earned points and qualifying adjustments less returns and qualifying debits, in any order, never below 0 (a drop past 0 is made up by later qualifying credits first). Spending does not lower it. Tiers without a window and minLifetimePoints read it.';

@ObjectType({ description: "A customer's points in one currency." })
export class PointBalance {
  @Field(() => Int)
  available!: number;

  @Field(() => Int, { description: 'Earned but not yet available.' })
  pending!: number;

  @Field(() => Int, { description: LIFETIME_EARNED_DESCRIPTION })
  lifetimeEarned!: number;
}

@ObjectType({ implements: Node, description: 'One immutable movement of points.' })
export class LedgerEntry extends Node {
  @Field(() => Int, { description: 'Signed: positive credits, negative debits.' })
  amount!: number;

  @Field(() => LedgerEntryKind)
  kind!: LedgerEntryKind;

  @Field(() => LedgerSource, { name: 'source' })
  sourceType!: LedgerSource;

  @Field(() => String, { nullable: true })
  reason!: string | null;

  @Field(() => Int)
  balanceAfter!: number;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Credits: when their unconsumed part expires.' })
  expiresAt!: Date | null;
}

export const LedgerEntryConnection = ConnectionType(LedgerEntry, 'LedgerEntry');

@InputType()
export class CreateCurrencyInput {
  @Field()
  @Matches(/^[A-Z][A-Z0-9_]{1,19}$/, { message: 'code must be 2-20 capital letters, digits or _' })
  code!: string;

  @Field()
  @MinLength(1)
  @MaxLength(100)
  @NotBlank()
  name!: string;

  @Field(() => Int, { nullable: true })
  @Min(1)
  @Max(36500)
  expiryDays?: number | null;

  @Field(() => DecimalScalar, {
    description:
      'Money value of one point, in moneyCurrency, above 0: at most 8 digits and 6 decimals, sent as a string ("0.01" for a point worth a euro cent). It is what the program owes per point (the liability): a point worth 0 is refused.',
  })
  // a digit 1-9 somewhere: "0", "0.000000" and "-0" are refused (noticed-40: a point worth nothing made the liability 0)
  @Matches(/^(?=[\d.]*[1-9])\d{1,8}(\.\d{1,6})?$/, { message: 'pointValue must be a decimal above 0 such as "0.01" (at most 8 digits before the point and 6 after)' })
  pointValue!: string;

  @Field({ description: 'The ISO 4217 code, in capitals, of the money a point is worth (and of the sales that earn it), e.g. EUR.' })
  @IsCurrencyCode()
  moneyCurrency!: string;

  @ChangeReason()
  reason?: string | null;
}

@ObjectType()
export class CreateCurrencyPayload {
  @Field(() => PointCurrency, { nullable: true })
  currency?: PointCurrency | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@InputType()
export class AdjustPointsInput {
  @Field()
  @MinLength(1)
  @MaxLength(200)
  @NotBlank()
  @IsStoredKey('customer')
  customerExternalId!: string;

  @Field()
  @MinLength(1)
  @MaxLength(20)
  @NotBlank()
  currency!: string;

  @Field(() => Int, { description: 'Signed: positive credits, negative debits.' })
  @IsInt()
  @NotEquals(0, { message: '$property must not be 0: a positive amount credits, a negative one debits' })
  @Min(-MAX_POINTS)
  @Max(MAX_POINTS)
  amount!: number;

  @Field()
  @MinLength(1)
  @MaxLength(500)
  @NotBlank()
  reason!: string;

  @Field()
  @IsIdempotencyKey()
  idempotencyKey!: string;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Whether the adjustment counts towards lifetime points and tiers. Unset: a positive adjustment counts, a negative one does not.',
  })
  qualifying?: boolean | null;
}

@ObjectType()
export class AdjustPointsPayload {
  @Field(() => LedgerEntry, { nullable: true })
  entry?: LedgerEntry | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

