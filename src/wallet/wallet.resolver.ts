import { Arg, Ctx as Context, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { Ctx } from '../context.js';
import { payloadOf } from '../graphql/errors.js';
import { requirePartnerScope } from '../graphql/guards.js';
import { toGlobalId } from '../graphql/ids.js';
import { Offer } from '../offers/offer.types.js';
import { lockOffer, redeemOffer, releaseOffer } from './redemption.service.js';
import type { IssuedOfferRow } from './wallet.service.js';
import {
  IssuedOffer,
  LockOfferInput,
  LockOfferPayload,
  RedeemOfferInput,
  RedeemOfferPayload,
  ReleaseOfferInput,
  ReleaseOfferPayload,
} from './wallet.types.js';

const TILL_SCOPE = 'offers:redeem';

@Resolver(() => IssuedOffer)
export class IssuedOfferResolver {
  @FieldResolver(() => ID)
  id(@Root() issued: IssuedOfferRow) {
    return toGlobalId('IssuedOffer', issued.id);
  }

  @FieldResolver(() => Offer, { description: 'The offer as of the version it was issued with.' })
  offer(@Root() issued: IssuedOfferRow, @Context() ctx: Ctx) {
    return ctx.loaders.offerVersion.load(issued.offerVersionId);
  }

  @Mutation(() => LockOfferPayload, { description: 'Partner (offers:redeem): hold an issued offer for one basket.' })
  lockOffer(@Arg('input') input: LockOfferInput, @Context() ctx: Ctx) {
    const partner = requirePartnerScope(ctx, TILL_SCOPE);
    return payloadOf(async () => ({ issuedOffer: await lockOffer(ctx, partner, input) }));
  }

  @Mutation(() => RedeemOfferPayload, { description: 'Partner (offers:redeem): redeem an issued offer, or a locked one by its lock holder; at most once.' })
  redeemOffer(@Arg('input') input: RedeemOfferInput, @Context() ctx: Ctx) {
    const partner = requirePartnerScope(ctx, TILL_SCOPE);
    return payloadOf(async () => ({ issuedOffer: await redeemOffer(ctx, partner, input) }));
  }

  @Mutation(() => ReleaseOfferPayload, { description: 'Partner (offers:redeem): give a locked offer back.' })
  releaseOffer(@Arg('input') input: ReleaseOfferInput, @Context() ctx: Ctx) {
    const partner = requirePartnerScope(ctx, TILL_SCOPE);
    return payloadOf(async () => ({ issuedOffer: await releaseOffer(ctx, partner, input) }));
  }
}
