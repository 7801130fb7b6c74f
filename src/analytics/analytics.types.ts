import { Field, Float, Int, ObjectType } from 'type-graphql';
import { BigIntScalar, DateTimeScalar, DecimalScalar } from '../graphql/scalars.js';

/**
 * Point totals here are program-wide, so they are `BigInt` (64-bit): the sum of every member's
 * points passes 32-bit `Int` long before any one member's balance does.
 */
@ObjectType({ description: "A currency's figures over a window (analysts and operators)." })
export class ProgramStats {
  @Field()
  currency!: string;

  @Field(() => DateTimeScalar)
  from!: Date;

  @Field(() => DateTimeScalar)
  to!: Date;

  @Field(() => BigIntScalar, { description: 'Points credited in the window: earned, and granted by staff.' })
  pointsIssued!: number;

  @Field(() => BigIntScalar, { description: 'Points spent on offers and gifts in the window.' })
  pointsSpent!: number;

  @Field(() => BigIntScalar, { description: 'Points that expired in the window.' })
  pointsExpired!: number;

  @Field(() => BigIntScalar, { description: "Spendable points held by members now: not CLOSED customers' (closedPoints)." })
  outstandingPoints!: number;

  @Field(() => DecimalScalar, { description: "Their money value now, in the currency's money currency, rounded half up to its ISO 4217 decimals (\"0.039\" KWD, \"12\" JPY): the liability." })
  outstandingLiability!: string;

  @Field(() => BigIntScalar, {
    description:
      'Points earned but still pending now: waiting for their release day (the economy rule\'s pendingDays), not cancelled by a return, less what their release will repay of a member\'s debt. Not CLOSED customers\' (closedPoints). Not in outstandingPoints until released; then exactly these move into it.',
  })
  pendingPoints!: number;

  @Field(() => DecimalScalar, { description: "Their money value now, in the currency's money currency, rounded half up to its ISO 4217 decimals: the liability that becomes outstanding unless the sale is returned." })
  pendingLiability!: string;

  @Field(() => BigIntScalar, {
    description:
      'Points CLOSED customers hold now, spendable or pending: in neither outstandingPoints nor pendingPoints, since a closed account cannot spend them; they count again if the customer is reopened (upsertCustomer status ACTIVE).',
  })
  closedPoints!: number;

  @Field(() => Float, { description: 'Points spent ÷ points issued in the window (0 when none were issued).' })
  redemptionRate!: number;

  @Field(() => Int, {
    description:
      'Customers who did something of their own in this currency within [from, to): earned its points from a sale or an activity, spent them (an offer, a gift), returned a sale, made a sale in its money currency, bought from one of its stores, or redeemed an offer of its money at the till; each counted once, whatever their status or tier now. What the program did to their points (expiry, a pending release, a debt repaid, a birthday credit) and staff adjustments do not count. A window figure: a member who did nothing in it is in tierMix but not here, so the two need not add up (edges-12, edges-12b).',
  })
  activeMembers!: number;
}

@ObjectType({ description: 'One tier of the ladder and how many customers are on it now.' })
export class TierMembers {
  @Field(() => Int, { description: 'Customers not CLOSED whose tier is this one now.' })
  members!: number;
}

@ObjectType()
export class OfferStats {
  @Field(() => Int)
  purchases!: number;

  @Field(() => Int, { description: "Of the items bought from this currency's stores (whenever bought; a staff replacement counts for the item it replaces), how many were redeemed in the window; items of the offer bought with another currency, or given by a gift list or a campaign, are not counted." })
  redemptions!: number;
}
