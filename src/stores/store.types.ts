import { Max, MaxLength, Min, MinLength, Matches, ValidateNested } from '../graphql/class-validator.js';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { ConnectionType } from '../graphql/connection.js';
import { UserError } from '../graphql/errors.js';
import { Node } from '../graphql/node.js';
import { NotBlank, OptionalIdempotencyKey } from '../graphql/validation.js';
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
}

@ObjectType()
export class CreateRewardStorePayload {
  @Field(() => RewardStore, { nullable: true })
  rewardStore?: RewardStore | null;

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
}

@InputType()
export class RemoveListingInput {
  @Field(() => ID)
  listingId!: string;
}

@ObjectType()
export class ListingPayload {
  @Field(() => Listing, { nullable: true })
  listing?: Listing | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
