import { IsEmail, MaxLength, Min, MinLength } from '../graphql/class-validator.js';
import { Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { UserError } from '../graphql/errors.js';
import { ConnectionType } from '../graphql/connection.js';
import { Node } from '../graphql/node.js';
import { AreTags, ChangeReason, IsStoredKey, MaxItems, NotBlank } from '../graphql/validation.js';
import { DateScalar, DateTimeScalar, JSONScalar } from '../graphql/scalars.js';
import { CustomerStatus } from './customer.entity.js';

registerEnumType(CustomerStatus, { name: 'CustomerStatus' });

/** The longest customer segment (tag), and so the longest segment a store or campaign can name. */
export const SEGMENT_MAX = 100;

@ObjectType({ implements: Node, description: 'A member of the loyalty program.' })
export class Customer extends Node {
  @Field({ description: "The retailer's id of the customer." })
  externalId!: string;

  @Field(() => String, { nullable: true })
  email!: string | null;

  @Field(() => String, { nullable: true })
  name!: string | null;

  @Field(() => DateScalar, { nullable: true })
  birthDate!: string | null;

  @Field(() => CustomerStatus)
  status!: CustomerStatus;

  @Field(() => [String])
  segments!: string[];

  @Field(() => JSONScalar)
  attributes!: Record<string, unknown>;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar)
  updatedAt!: Date;

  @Field(() => Int, { description: "The customer's version: 1 when created, one more at each upsertCustomer that changes a value (one that sends what is stored keeps it). Send it as expectedVersion with a write made from what was read." })
  version!: number;
}

/** Staff's customer search (`customers(search:)`): customers, best match first. */
export const CustomerConnection = ConnectionType(Customer, 'Customer');

@InputType()
export class UpsertCustomerInput {
  @Field()
  @MinLength(1)
  @MaxLength(200)
  @NotBlank()
  @IsStoredKey('customer')
  externalId!: string;

  @Field(() => String, { nullable: true })
  @IsEmail({}, { message: '$property must be an email address such as name@example.com' })
  @MaxLength(320)
  email?: string | null;

  @Field(() => String, { nullable: true, description: 'Null clears it; otherwise not blank.' })
  @MaxLength(200)
  @NotBlank()
  name?: string | null;

  @Field(() => DateScalar, { nullable: true })
  birthDate?: string | null;

  @Field(() => CustomerStatus, { nullable: true })
  status?: CustomerStatus | null;

  @Field(() => [String], { nullable: true, description: 'Replaces the tags; a tag sent twice is kept once; a blank tag, or one with invisible characters or white space other than single inner spaces, is refused (tags are compared exactly).' })
  @MaxItems(100)
  @MaxLength(SEGMENT_MAX, { each: true })
  @NotBlank({ each: true })
  @AreTags()
  segments?: string[] | null;

  @Field(() => JSONScalar, { nullable: true })
  attributes?: Record<string, unknown> | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'The version of the customer this write was made from (its `version` as read), 0 to create only (refused when a customer already has this externalId). When the customer is at another version, nothing is written and the answer is VERSION_CONFLICT naming the current one, so a write from a stale read (segments or attributes read, changed and sent back) cannot put back what another write changed. Null or absent: the write applies to whatever is current (the last write wins).',
  })
  @Min(0)
  expectedVersion?: number | null;

  @ChangeReason()
  reason?: string | null;
}

@ObjectType()
export class UpsertCustomerPayload {
  @Field(() => Customer, { nullable: true })
  customer?: Customer | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
