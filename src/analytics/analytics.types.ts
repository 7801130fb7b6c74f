import { Field, Float, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar, DecimalScalar } from '../graphql/scalars.js';

@ObjectType({ description: "A currency's figures over a window (analysts and operators)." })
export class ProgramStats {
  @Field()
  currency!: string;

  @Field(() => DateTimeScalar)
  from!: Date;

  @Field(() => DateTimeScalar)
  to!: Date;

  @Field(() => Int, { description: 'Points credited in the window: earned, and granted by staff.' })
  pointsIssued!: number;

  @Field(() => Int, { description: 'Points spent on offers and gifts in the window.' })
  pointsSpent!: number;

  @Field(() => Int)
  pointsExpired!: number;

  @Field(() => Int, { description: 'Spendable points held by members now.' })
  outstandingPoints!: number;

  @Field(() => DecimalScalar, { description: "Their money value now, in the currency's money currency: the liability." })
  outstandingLiability!: string;

  @Field(() => Float, { description: 'Points spent ÷ points issued in the window (0 when none were issued).' })
  redemptionRate!: number;

  @Field(() => Int, { description: 'Members with any points movement, sale or purchase in the window.' })
  activeMembers!: number;
}

@ObjectType()
export class TierMembers {
  @Field(() => Int)
  members!: number;
}

@ObjectType()
export class OfferStats {
  @Field(() => Int)
  purchases!: number;

  @Field(() => Int, { description: 'Of the issued offers, how many were redeemed in the window.' })
  redemptions!: number;
}
