import { IntBetween, IsIdempotencyKey } from '../graphql/validation.js';
import { MAX_POINTS } from '../points/points.types.js';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { UserError } from '../graphql/errors.js';
import { Node } from '../graphql/node.js';
import { DateTimeScalar } from '../graphql/scalars.js';
import { PointBalance } from '../points/points.types.js';
import { PurchaseStatus } from './purchase.entity.js';

registerEnumType(PurchaseStatus, { name: 'PurchaseStatus' });

@ObjectType({ implements: Node })
export class OfferPurchase extends Node {
  @Field(() => Int)
  pointsPaid!: number;

  @Field(() => PurchaseStatus)
  status!: PurchaseStatus;

  @Field(() => DateTimeScalar)
  createdAt!: Date;
}

@InputType()
export class PurchaseOfferInput {
  @Field(() => ID)
  listingId!: string;

  @Field({ description: 'Repeats with the same key return the first result and buy nothing more.' })
  @IsIdempotencyKey()
  idempotencyKey!: string;

  @Field(() => Int, {
    nullable: true,
    description:
      "The listing's priceInPoints the member was shown and confirmed. When the listing costs another now (staff changed its price meanwhile), nothing is spent and the answer is PRICE_CHANGED naming the new price, so a member never pays a price they did not see. Absent: the purchase pays the price at the moment it is made. Send it.",
  })
  // a clear rule, not @Min/@Max: the purchase's input keeps passing without class-validator (clear-rules test)
  @IntBetween(1, MAX_POINTS, 'points')
  expectedPriceInPoints?: number | null;
}

@ObjectType()
export class PurchaseOfferPayload {
  @Field(() => OfferPurchase, { nullable: true })
  purchase?: OfferPurchase | null;

  @Field(() => PointBalance, { nullable: true, description: 'The balance right after this purchase.' })
  balance?: PointBalance | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
