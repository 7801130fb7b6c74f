import { MaxLength } from '../graphql/class-validator.js';
import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { UserError } from '../graphql/errors.js';
import { JSONScalar } from '../graphql/scalars.js';
import { ChangeReason, NotBlank } from '../graphql/validation.js';

@InputType()
export class RegisterPersistedOperationsInput {
  @Field({ description: 'A partner id, or a first-party client name such as `mobile`, `web` or `console` (what its apollographql-client-name header says).' })
  @MaxLength(64)
  @NotBlank()
  client!: string;

  @Field(() => JSONScalar, {
    description: 'An Apollo persisted query manifest: { format: "apollo-persisted-query-manifest", version: 1, operations: [{ id, name, type, body }] }, id the SHA-256 of body.',
  })
  manifest!: unknown;

  @ChangeReason()
  reason?: string | null;
}

@ObjectType()
export class RegisterPersistedOperationsPayload {
  @Field(() => Int, { nullable: true, description: 'Operations newly added to the client\'s list (0 when all were already on it).' })
  count?: number | null;

  @Field(() => [UserError], { description: 'INVALID for each operation that does not check out (nothing is registered then), NOT_FOUND for an unknown partner.' })
  userErrors!: UserError[];
}
