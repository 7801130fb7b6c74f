import { Field, ObjectType } from 'type-graphql';
import { ConnectionType } from '../graphql/connection.js';
import { Node } from '../graphql/node.js';
import { DateTimeScalar, JSONScalar } from '../graphql/scalars.js';

@ObjectType({ implements: Node, description: 'A staff change: who, what, on what, and why.' })
export class AuditEntry extends Node {
  @Field()
  actor!: string;

  @Field()
  action!: string;

  @Field()
  target!: string;

  @Field(() => String, { nullable: true })
  reason!: string | null;

  @Field(() => JSONScalar, { nullable: true })
  details!: unknown;

  @Field(() => DateTimeScalar, { description: "When the change was made, by the gateway's clock: what auditLog's `from` and `to` read." })
  at!: Date;
}

export const AuditEntryConnection = ConnectionType(AuditEntry, 'AuditEntry');
