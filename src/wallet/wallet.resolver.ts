import { Ctx as Context, FieldResolver, ID, Resolver, Root } from 'type-graphql';
import type { Ctx } from '../context.js';
import { toGlobalId } from '../graphql/ids.js';
import { Offer } from '../offers/offer.types.js';
import type { IssuedOfferRow } from './wallet.service.js';
import { IssuedOffer } from './wallet.types.js';

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
}
