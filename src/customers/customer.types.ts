import { IsEmail, MaxLength, MinLength } from '../graphql/class-validator.js';
import { Field, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { UserError } from '../graphql/errors.js';
import { Node } from '../graphql/node.js';
import { AreTags, IsStoredKey, MaxItems, NotBlank } from '../graphql/validation.js';
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
}

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
}

@ObjectType()
export class UpsertCustomerPayload {
  @Field(() => Customer, { nullable: true })
  customer?: Customer | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
