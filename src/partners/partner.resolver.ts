import { Arg, Ctx as Context, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestCtx } from '../graphql/context.js';
import { payloadOf } from '../graphql/errors.js';
import { requireOperator, requireStaff } from '../graphql/guards.js';
import { fromGlobalId, toGlobalId } from '../graphql/ids.js';
import { releaseLocksOfRevoked } from '../wallet/redemption.service.js';
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
    return payloadOf(async () => {
      const partner = await revokePartner(ctx, partnerId, input.reason ?? null);
      // After the revocation committed (in it, it would deadlock with a till of the partner's
      // holding an offer's row and waiting for the partner's). Locks run out on their own, so a
      // failure here is logged, not answered: the key is revoked either way.
      await releaseLocksOfRevoked(ctx.em, partnerId, ctx.clock.now()).catch((error: unknown) =>
        ctx.log.warn({ err: error, partnerId }, 'the revoked partner\'s locks were not given back; they run out on their own'),
      );
      return { partner };
    });
  }
}
