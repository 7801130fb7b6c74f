import { Arg, Ctx as Context, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestCtx } from '../graphql/context.js';
import { payloadOf } from '../graphql/errors.js';
import { requireOperator, requireStaff } from '../graphql/guards.js';
import { fromGlobalId, toGlobalId } from '../graphql/ids.js';
import { allPartners, createPartner, revokePartner, type PartnerRow } from './partner.service.js';
import { CreatePartnerInput, CreatePartnerPayload, Partner, RevokePartnerInput, RevokePartnerPayload } from './partner.types.js';

@Resolver(() => Partner)
export class PartnerResolver {
  @Query(() => [Partner], { description: 'Staff: every partner, newest first.' })
  partners(@Context() ctx: RequestCtx) {
    requireStaff(ctx);
    return allPartners(ctx.em);
  }

  @FieldResolver(() => ID)
  id(@Root() partner: PartnerRow) {
    return toGlobalId('Partner', partner.id);
  }

  @Mutation(() => CreatePartnerPayload, { description: 'Returns the plain API key once; only its hash is stored.' })
  createPartner(@Arg('input') input: CreatePartnerInput, @Context() ctx: RequestCtx) {
    requireOperator(ctx);
    return payloadOf(() => createPartner(ctx, input));
  }

  @Mutation(() => RevokePartnerPayload, { description: 'The key stops working at once.' })
  revokePartner(@Arg('input') input: RevokePartnerInput, @Context() ctx: RequestCtx) {
    requireOperator(ctx);
    const partnerId = fromGlobalId(input.partnerId, 'Partner', 'input.partnerId');
    return payloadOf(async () => ({ partner: await revokePartner(ctx, partnerId, input.reason ?? null) }));
  }
}
