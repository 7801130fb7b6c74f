import { MaxLength, MinLength } from '../graphql/class-validator.js';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { UserError } from '../graphql/errors.js';
import { Node } from '../graphql/node.js';
import { ChangeReason, MaxItems, MinItems, NotBlank, OptionalIdempotencyKey } from '../graphql/validation.js';
import { DateTimeScalar } from '../graphql/scalars.js';

@ObjectType({ implements: Node, description: 'An integration calling with an API key.' })
export class Partner extends Node {
  @Field()
  name!: string;

  @Field(() => [String])
  scopes!: string[];

  @Field({ description: 'The first characters of its key, to tell keys apart.' })
  keyPrefix!: string;

  @Field(() => DateTimeScalar, { nullable: true })
  revokedAt!: Date | null;

  @Field(() => DateTimeScalar)
  createdAt!: Date;
}

@InputType()
export class CreatePartnerInput {
  @Field()
  @MinLength(1)
  @MaxLength(200)
  @NotBlank()
  name!: string;

  @Field(() => [String])
  @MinItems(1, 'scope')
  @MaxItems(20, 'scope')
  scopes!: string[];

  @OptionalIdempotencyKey('partner (without its API key: see apiKeyWithheld)')
  idempotencyKey?: string | null;

  @ChangeReason()
  reason?: string | null;
}

@ObjectType()
export class CreatePartnerPayload {
  @Field(() => Partner, { nullable: true })
  partner?: Partner | null;

  @Field(() => String, { nullable: true, description: 'The API key, shown this once: only its hash is stored.' })
  apiKey?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'True when this answer repeats an earlier createPartner with the same idempotencyKey: apiKey is null, since the key was shown in the first answer only and is stored nowhere in plain. If that answer was lost, revoke this partner and create another. False when apiKey is shown; null when refused.',
  })
  apiKeyWithheld?: boolean | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@InputType()
export class RevokePartnerInput {
  @Field(() => ID)
  partnerId!: string;

  @ChangeReason()
  reason?: string | null;
}

@ObjectType()
export class RevokePartnerPayload {
  @Field(() => Partner, { nullable: true })
  partner?: Partner | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
