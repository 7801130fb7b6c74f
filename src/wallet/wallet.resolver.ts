import { Arg, Ctx as Context, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { RequestCtx } from '../graphql/context.js';
import { payloadOf } from '../graphql/errors.js';
import { requireOperator, requirePartnerScope } from '../graphql/guards.js';
import { fromGlobalId, toGlobalId } from '../graphql/ids.js';
import { Offer } from '../offers/offer.types.js';
import { lockOffer, redeemOffer, releaseOffer } from './redemption.service.js';
import { issueReplacementOffer } from './replacement.service.js';
import { issuedOffersByIds, type IssuedOfferRow } from './wallet.service.js';
import {
  IssuedOffer,
  IssueReplacementOfferInput,
  IssueReplacementOfferPayload,
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
  offer(@Root() issued: IssuedOfferRow, @Context() ctx: RequestCtx) {
    return ctx.loaders.offerVersion.load(issued.offerVersionId);
  }

  @Mutation(() => LockOfferPayload, { description: 'Partner (offers:redeem): hold an issued offer for one basket.' })
  lockOffer(@Arg('input') input: LockOfferInput, @Context() ctx: RequestCtx) {
    const partner = requirePartnerScope(ctx, TILL_SCOPE);
    return payloadOf(async () => ({ issuedOffer: await lockOffer(ctx, partner, input) }));
  }

  @Mutation(() => RedeemOfferPayload, { description: 'Partner (offers:redeem): redeem an issued offer, or a locked one by its lock holder; at most once.' })
  redeemOffer(@Arg('input') input: RedeemOfferInput, @Context() ctx: RequestCtx) {
    const partner = requirePartnerScope(ctx, TILL_SCOPE);
    return payloadOf(() => redeemOffer(ctx, partner, input));
  }

  @Mutation(() => IssueReplacementOfferPayload, { description: 'Operators: issue a used-up offer again as a new wallet item, or replace a live one no till can apply in its money (`unusable`: the original is voided), with a reason (audited).' })
  issueReplacementOffer(@Arg('input') input: IssueReplacementOfferInput, @Context() ctx: RequestCtx) {
    requireOperator(ctx);
    const issuedOfferId = fromGlobalId(input.issuedOfferId, 'IssuedOffer', 'input.issuedOfferId');
    return payloadOf(async () => {
      const outcome = await issueReplacementOffer(ctx, { ...input, issuedOfferId });
      const rows = await issuedOffersByIds(ctx.em, [outcome.issuedOfferId, outcome.replacedId], ctx.clock.now());
      return { issuedOffer: rows.find((r) => r.id === outcome.issuedOfferId), replaced: rows.find((r) => r.id === outcome.replacedId) };
    });
  }

  @Mutation(() => ReleaseOfferPayload, { description: 'Partner (offers:redeem): give a locked offer back.' })
  releaseOffer(@Arg('input') input: ReleaseOfferInput, @Context() ctx: RequestCtx) {
    const partner = requirePartnerScope(ctx, TILL_SCOPE);
    return payloadOf(async () => ({ issuedOffer: await releaseOffer(ctx, partner, input) }));
  }
}
