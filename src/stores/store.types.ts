import { Max, MaxLength, Min, MinLength, Matches, ValidateNested } from '../graphql/class-validator.js';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { ConnectionType } from '../graphql/connection.js';
import { UserError } from '../graphql/errors.js';
import { Node } from '../graphql/node.js';
import { ChangeReason, NotBlank, OptionalIdempotencyKey } from '../graphql/validation.js';
import { SegmentList, TierCodeList } from '../graphql/list-fields.js';
import { DateTimeScalar } from '../graphql/scalars.js';
import { Offer } from '../offers/offer.types.js';
import { MAX_POINTS } from '../points/points.types.js';

@ObjectType({ description: 'Who may shop in a store: every rule that is set must hold.' })
export class StoreEligibility {
  @Field(() => [String], { description: 'Tier codes, any of which qualifies, each exactly: a higher tier is not included, so a tier added above them is not let in unless it is listed too (empty: any tier or none).' })
  tiers!: string[];

  @Field(() => [String], { description: 'Segments, any of which qualifies (empty: anyone).' })
  segments!: string[];

  @Field(() => Int, { nullable: true })
  minBalance!: number | null;

  @Field(() => Int, { nullable: true })
  minLifetimePoints!: number | null;
}

@ObjectType({ implements: Node })
export class RewardStore extends Node {
  @Field()
  code!: string;

  @Field()
  name!: string;

  @Field(() => DateTimeScalar, { nullable: true })
  startsAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  endsAt!: Date | null;

  @Field(() => Int, { description: "The store's version: 1 when created, one more at each updateRewardStore that changes something. Send it as expectedVersion with an edit made from what was read." })
  version!: number;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When updateRewardStore last changed it; null until then.' })
  updatedAt!: Date | null;
}

export const RewardStoreConnection = ConnectionType(RewardStore, 'RewardStore');

@ObjectType({ implements: Node, description: 'An offer for sale in a store.' })
export class Listing extends Node {
  @Field(() => Int)
  priceInPoints!: number;

  @Field(() => Int, { nullable: true, description: 'Null: unlimited.' })
  stockRemaining!: number | null;

  @Field(() => Int, { nullable: true, description: 'Null: unlimited.' })
  stockTotal!: number | null;

  @Field(() => Int, { nullable: true })
  perCustomerLimit!: number | null;

  @Field(() => DateTimeScalar, { nullable: true })
  visibleFrom!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  visibleUntil!: Date | null;

  @Field(() => Int)
  sortOrder!: number;

  @Field(() => Int, { description: "The listing's version: 1 when listed, one more at each updateListing that changes something. Send it as expectedVersion with an edit made from what was read." })
  version!: number;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When updateListing last changed it; null until then.' })
  updatedAt!: Date | null;

  // What the listing is to the viewer, set where its row is read (`toListing`): plain fields, so a
  // page of 20 runs no resolver for them (each resolver call costs graphql-jit a resolve-info object).
  @Field(() => Offer, { description: 'The offer at its current version.' })
  offer!: Offer;

  @Field(() => Int, { nullable: true, description: 'How many times the signed-in customer bought it (null for staff).' })
  purchasedByMe!: number | null;

  @Field(() => Boolean, { nullable: true, description: "Whether the signed-in customer's balance pays for it." })
  affordable!: boolean | null;

  @Field(() => Int, { nullable: true, description: 'Points the signed-in customer lacks to buy it (0 when affordable).' })
  pointsMissing!: number | null;
}

export const ListingConnection = ConnectionType(Listing, 'Listing');

@InputType()
export class StoreEligibilityInput {
  @TierCodeList()
  tiers?: string[] | null;

  @SegmentList()
  segments?: string[] | null;

  @Field(() => Int, { nullable: true })
  @Min(0)
  @Max(MAX_POINTS)
  minBalance?: number | null;

  @Field(() => Int, { nullable: true })
  @Min(0)
  @Max(MAX_POINTS)
  minLifetimePoints?: number | null;
}

@InputType()
export class CreateRewardStoreInput {
  @Field()
  @Matches(/^[A-Za-z0-9_-]{1,50}$/, { message: 'code must be 1-50 letters, digits, _ or -' })
  code!: string;

  @Field()
  @MinLength(1)
  @MaxLength(200)
  @NotBlank()
  name!: string;

  @Field()
  @MinLength(1)
  @MaxLength(20)
  @NotBlank()
  currency!: string;

  @Field(() => DateTimeScalar, { nullable: true })
  startsAt?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  endsAt?: Date | null;

  @Field(() => StoreEligibilityInput, { nullable: true })
  @ValidateNested()
  eligibility?: StoreEligibilityInput | null;

  @ChangeReason()
  reason?: string | null;
}

@ObjectType()
export class CreateRewardStorePayload {
  @Field(() => RewardStore, { nullable: true })
  rewardStore?: RewardStore | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@InputType({ description: 'An edit of a store: each field left out keeps what is stored. Its code and currency cannot change (its listings are priced in the currency).' })
export class UpdateRewardStoreInput {
  @Field(() => ID)
  storeId!: string;

  @Field(() => String, { nullable: true, description: 'Null or absent: unchanged.' })
  @MinLength(1)
  @MaxLength(200)
  @NotBlank()
  name?: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Absent: unchanged; null: open from the start.' })
  startsAt?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Absent: unchanged; null: no end.' })
  endsAt?: Date | null;

  @Field(() => StoreEligibilityInput, {
    nullable: true,
    description:
      'Who may shop in it from now on, replacing every rule: a rule left out (or null) is no longer set, so `{}` opens it to everyone. Null or absent: unchanged. Offers already bought stay in their wallets; a customer who no longer qualifies cannot buy here or see the store.',
  })
  @ValidateNested()
  eligibility?: StoreEligibilityInput | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'The version this edit was made from (the `version` read with the store). When the store has moved on since, nothing is written and the answer is VERSION_CONFLICT naming the current version, so an edit from a stale read cannot put back what another edit changed. Null or absent: the edit applies to whatever version is current (the last edit wins).',
  })
  @Min(1)
  expectedVersion?: number | null;

  @OptionalIdempotencyKey('store')
  idempotencyKey?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    defaultValue: false,
    description: 'true: everything is checked, nothing is written; the answer shows the store as it is and what the edit would change (accessLost, accessGained).',
  })
  dryRun?: boolean | null;

  @ChangeReason()
  reason?: string | null;
}

@ObjectType()
export class UpdateRewardStorePayload {
  @Field(() => RewardStore, { nullable: true, description: 'The store as edited (with dryRun: as it is). Null when refused.' })
  rewardStore?: RewardStore | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'Active customers (who can buy now; suspended and closed ones are not counted) the store was open to and eligible for just before this edit and not after it, judged now (their tier, segments and balances as they are now): with dryRun, who would lose it. 0 when none; null when refused. Read over every customer when asked for: a preview, not for a hot path.',
  })
  accessLost?: number | null;

  @Field(() => Int, { nullable: true, description: 'Active customers the edit opens the store to, judged as accessLost is. Null when refused.' })
  accessGained?: number | null;

  @Field(() => Boolean, { nullable: true, description: 'Whether the edit changed anything (false: the store already was so, nothing was written, its version stays). Null when refused.' })
  changed?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'true: a dry run, nothing was written.' })
  dryRun?: boolean | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@InputType()
export class AddListingInput {
  @Field(() => ID)
  storeId!: string;

  @Field(() => ID)
  offerId!: string;

  @Field(() => Int)
  @Min(1)
  @Max(MAX_POINTS)
  priceInPoints!: number;

  @Field(() => Int, { nullable: true, description: 'Null: unlimited.' })
  @Min(0)
  @Max(100_000_000)
  stock?: number | null;

  @Field(() => Int, { nullable: true })
  @Min(1)
  @Max(1_000_000)
  perCustomerLimit?: number | null;

  @Field(() => DateTimeScalar, { nullable: true })
  visibleFrom?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  visibleUntil?: Date | null;

  @Field(() => Int, { nullable: true })
  @Min(-1_000_000)
  @Max(1_000_000)
  sortOrder?: number | null;

  @OptionalIdempotencyKey('listing')
  idempotencyKey?: string | null;

  @ChangeReason()
  reason?: string | null;
}

@InputType({ description: 'An edit of a listing: each field left out (or null, where null does not say otherwise) keeps what is stored. Its offer and store cannot change.' })
export class UpdateListingInput {
  @Field(() => ID)
  listingId!: string;

  @Field(() => Int, { nullable: true, description: 'The price from now on, in points. Purchases made before keep what they paid.' })
  @Min(1)
  @Max(MAX_POINTS)
  priceInPoints?: number | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'The stock in all, those sold included: the stock left moves by as much (20 of 50 left, 80 in all leaves 50). INVALID below what was sold. A listing with unlimited stock stays unlimited and one with a stock keeps one (null is refused there): list the offer again to change that.',
  })
  @Min(0)
  @Max(100_000_000)
  stock?: number | null;

  @Field(() => Int, { nullable: true, description: "Absent: unchanged; null: no limit. Counts what each customer bought of this listing already." })
  @Min(1)
  @Max(1_000_000)
  perCustomerLimit?: number | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Absent: unchanged; null: shown from the start.' })
  visibleFrom?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Absent: unchanged; null: no end.' })
  visibleUntil?: Date | null;

  @Field(() => Int, { nullable: true })
  @Min(-1_000_000)
  @Max(1_000_000)
  sortOrder?: number | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'The version this edit was made from (the `version` read with the listing). When the listing has moved on since, nothing is written and the answer is VERSION_CONFLICT naming the current version. Null or absent: the edit applies to whatever version is current (the last edit wins).',
  })
  @Min(1)
  expectedVersion?: number | null;

  @OptionalIdempotencyKey('listing')
  idempotencyKey?: string | null;

  @ChangeReason()
  reason?: string | null;
}

@InputType()
export class RemoveListingInput {
  @Field(() => ID)
  listingId!: string;

  @ChangeReason()
  reason?: string | null;
}

@ObjectType()
export class ListingPayload {
  @Field(() => Listing, { nullable: true })
  listing?: Listing | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
