import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { ConnectionType } from '../graphql/connection.js';
import { Node } from '../graphql/node.js';
import { DateTimeScalar } from '../graphql/scalars.js';
import { IssuedOfferSource, IssuedOfferStatus } from './issued-offer.entity.js';

registerEnumType(IssuedOfferStatus, { name: 'IssuedOfferStatus' });
registerEnumType(IssuedOfferSource, { name: 'IssuedOfferSource' });

@ObjectType({ implements: Node, description: "An offer in a customer's wallet." })
export class IssuedOffer extends Node {
  @Field({ description: 'What the customer shows at the till.' })
  code!: string;

  @Field(() => IssuedOfferStatus)
  status!: IssuedOfferStatus;

  @Field(() => IssuedOfferSource)
  source!: IssuedOfferSource;

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
