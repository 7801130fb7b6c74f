import { Max, MaxLength, Min, MinLength, Matches } from '../graphql/class-validator.js';
import { TIER_CODE } from '../domain/text.js';
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { UserError } from '../graphql/errors.js';
import { Node } from '../graphql/node.js';
import { ChangeReason, HasAtMostDecimals, NotBlank } from '../graphql/validation.js';
import { MAX_POINTS } from '../points/points.types.js';

/** The longest tier code (`CreateTierInput.code`), and so the longest tier a condition or eligibility list can name. */
export const TIER_CODE_MAX = 30;

@ObjectType({ implements: Node })
export class Tier extends Node {
  @Field()
  code!: string;

  @Field()
  name!: string;

  @Field(() => Int)
  rank!: number;

  @Field(() => Int, { description: 'Qualifying points needed to reach the tier.' })
  threshold!: number;

  @Field(() => Int, { nullable: true, description: 'Days of qualifying points that count; null: lifetime.' })
  windowDays!: number | null;

  @Field(() => Float, { description: 'Multiplies points earned by the economy rule.' })
  multiplier!: number;
}

@ObjectType({ description: 'The tier above the current one and what reaching it takes.' })
export class NextTier {
  @Field()
  code!: string;

  @Field()
  name!: string;

  @Field(() => Int)
  rank!: number;

  @Field(() => Int)
  threshold!: number;

  @Field(() => Int, { description: 'Qualifying points still needed.' })
  pointsNeeded!: number;
}

@InputType()
export class CreateTierInput {
  @Field()
  @MinLength(1)
  @MaxLength(20)
  @NotBlank()
  currency!: string;

  @Field()
  @Matches(TIER_CODE, { message: 'code must be capital letters, digits or _' })
  code!: string;

  @Field()
  @MinLength(1)
  @MaxLength(100)
  @NotBlank()
  name!: string;

  @Field(() => Int)
  @Min(0)
  @Max(1000)
  rank!: number;

  @Field(() => Int)
  @Min(0)
  @Max(MAX_POINTS)
  threshold!: number;

  @Field(() => Int, { nullable: true })
  @Min(1)
  @Max(3650)
  windowDays?: number | null;

  @Field(() => Float, { nullable: true, defaultValue: 1 })
  @Min(0.01)
  @Max(100)
  @HasAtMostDecimals(4)
  multiplier?: number | null;

  @Field(() => Boolean, {
    nullable: true,
    defaultValue: false,
    description:
      'true: nothing is written; the answer says how many customers the tier would move now (customersMoved, moves), tier null. Refusals are the same as for the real request. It reads at one moment and locks nothing, so sales and tier placements go on meanwhile. A request already made (its code taken with the same input) answers as its repeat: the first answer.',
  })
  dryRun?: boolean | null;

  @ChangeReason()
  reason?: string | null;
}

@ObjectType({ description: 'Customers moved from one tier to another by a change of the ladder.' })
export class TierMoveCount {
  @Field(() => String, { nullable: true, description: 'The tier code they left (null: none).' })
  from!: string | null;

  @Field(() => String, { nullable: true, description: 'The tier code they are placed on now (null: none).' })
  to!: string | null;

  @Field(() => Int)
  customers!: number;
}

/** What names a list of tiers that its members must hold (TierAccessLoss.kind). */
export enum TierListHolder {
  STORE = 'STORE',
  CAMPAIGN = 'CAMPAIGN',
}
registerEnumType(TierListHolder, { name: 'TierListHolder', description: "A reward store (its eligibility's tiers) or a campaign (its conditions' tiers)." });

@ObjectType({ description: 'A store or campaign some customers moved by a ladder change would no longer reach: its tier list names the tier they leave and not the one they go to (tier lists match exactly).' })
export class TierAccessLoss {
  @Field(() => TierListHolder)
  kind!: TierListHolder;

  @Field(() => ID, { description: 'The RewardStore or Campaign id.' })
  id!: string;

  @Field()
  name!: string;

  @Field(() => [String], { description: 'The tier codes it lists.' })
  tiers!: string[];

  @Field(() => Int, { description: 'Active customers (who can buy and earn now) the change moves out of its tiers: they would no longer shop in the store, or earn from the campaign, until their new tier is listed too (for a store with updateRewardStore; the conditions of a campaign cannot be changed: end it and create another).' })
  customers!: number;
}

@ObjectType()
export class CreateTierPayload {
  @Field(() => Tier, { nullable: true, description: 'The tier created (null on a dry run, and on a refusal).' })
  tier?: Tier | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'Customers the tier moved (with dryRun: would move): every customer is placed on the ladder again when a tier is added, whatever its currency. On a repeat of the request: what the first one moved.',
  })
  customersMoved?: number | null;

  @Field(() => [TierMoveCount], { nullable: true, description: 'Those customers by the tiers they left and went to.' })
  moves?: TierMoveCount[] | null;

  @Field(() => [TierAccessLoss], {
    nullable: true,
    description:
      'Stores and campaigns (not ended) that the moved customers would no longer reach, as they are now: their tier lists name the tier those customers leave and not the one they go to (the thirty-seventh newcomer added a tier above GOLD and moved the top members out of a GOLD-only store unawares). Empty when none.',
  })
  accessLost?: TierAccessLoss[] | null;

  @Field(() => Boolean, { nullable: true, description: 'true: a dry run, nothing was written.' })
  dryRun?: boolean | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
