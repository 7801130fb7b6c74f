import { Max, MaxLength, Min, MinLength } from '../graphql/class-validator.js';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { UserError } from '../graphql/errors.js';
import { Node } from '../graphql/node.js';
import { ChangeReason, IsIdempotencyKey, MaxItems, MinItems, NotBlank, OptionalIdempotencyKey } from '../graphql/validation.js';
import { Offer } from '../offers/offer.types.js';
import { MAX_POINTS, PointBalance } from '../points/points.types.js';
import { IssuedOffer } from '../wallet/wallet.types.js';

/** Most options a list may offer: a choice the app can show on one screen. */
export const MAX_GIFT_OPTIONS = 50;

@ObjectType({
  implements: Node,
  description: 'A threshold gift list ("every 10 points: pick one from list A"). The fields about claiming are for the customer reading it; null for staff.',
})
export class GiftList extends Node {
  @Field()
  name!: string;

  @Field(() => Int, { description: 'Points one claim spends; the list is unlocked while the available balance reaches it.' })
  threshold!: number;

  @Field(() => Int, { nullable: true, description: 'Claims each customer may make from this list; null: no limit.' })
  maxClaims!: number | null;

  @Field(() => [Offer], { description: 'The offers to pick from, at their current version (option id = that version\'s id).' })
  options!: Offer[];

  @Field(() => Boolean, { nullable: true, description: 'The available balance reaches the threshold.' })
  unlocked!: boolean | null;

  @Field(() => Int, { nullable: true, description: 'How many claims the balance pays for, capped by what is left of maxClaims.' })
  claimableCount!: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Points still needed for one claim more than claimableCount; null when maxClaims allows no more.',
  })
  pointsToNext!: number | null;

  @Field(() => Int, { nullable: true, description: 'Claims already made from this list.' })
  claimedByMe!: number | null;
}

@InputType()
export class CreateGiftListInput {
  @Field()
  @MinLength(1)
  @MaxLength(20)
  @NotBlank()
  currency!: string;

  @Field()
  @MinLength(1)
  @MaxLength(200)
  @NotBlank()
  name!: string;

  @Field(() => Int)
  @Min(1)
  @Max(MAX_POINTS)
  threshold!: number;

  @Field(() => [ID], { description: 'The offers to pick from, in the order they are shown.' })
  @MinItems(1, 'offer')
  @MaxItems(MAX_GIFT_OPTIONS, 'offer')
  offerIds!: string[];

  @Field(() => Int, { nullable: true, description: 'Claims each customer may make; null: no limit.' })
  @Min(1)
  @Max(1_000_000)
  maxClaims?: number | null;

  @OptionalIdempotencyKey('gift list')
  idempotencyKey?: string | null;

  @ChangeReason()
  reason?: string | null;
}

@ObjectType()
export class CreateGiftListPayload {
  @Field(() => GiftList, { nullable: true })
  giftList?: GiftList | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@InputType()
export class ClaimGiftInput {
  @Field(() => ID)
  giftListId!: string;

  @Field(() => ID, { description: 'The id of the offer picked from the list.' })
  optionId!: string;

  @Field({ description: 'Repeats with the same key return the first result and claim nothing more.' })
  @IsIdempotencyKey()
  idempotencyKey!: string;
}

@ObjectType()
export class ClaimGiftPayload {
  @Field(() => IssuedOffer, { nullable: true, description: 'The offer put in the wallet.' })
  issuedOffer?: IssuedOffer | null;

  @Field(() => PointBalance, { nullable: true, description: 'The balance right after this claim.' })
  balance?: PointBalance | null;

  @Field(() => GiftList, { nullable: true, description: "The list as it stands now for you (a repeat with the same key reads it now too, for a client cache keyed by its id: its progress is from your balance now, while the payload's `balance` is the one right after the claim)." })
  giftList?: GiftList | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
