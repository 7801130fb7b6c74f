import { Arg, Args, Ctx as Context, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestCtx } from '../graphql/context.js';
import { ConnectionType, connectionOf, ID_KEY, INT4_KEY, PageArgs, pageOf } from '../graphql/connection.js';
import { payloadOf } from '../graphql/errors.js';
import { requireOperator, requireStaff } from '../graphql/guards.js';
import { toGlobalId, offerRefOf } from '../graphql/ids.js';
import { createOffer, offerIdsOf, offersPage, unpayableOffersPage, unpayableReason, updateOffer, type OfferVersionRow, type UnpayableOffer as UnpayableOfferRow } from './offer.service.js';
import { CreateOfferInput, Offer, OfferBenefit, OfferPayload, UnpayableOffer, UnpayableOfferHolder, UpdateOfferInput } from './offer.types.js';

export const OfferConnection = ConnectionType(Offer, 'Offer');
export const UnpayableOfferConnection = ConnectionType(UnpayableOffer, 'UnpayableOffer');

const HOLDERS = {
  listing: [UnpayableOfferHolder.LISTING, 'Listing'],
  giftList: [UnpayableOfferHolder.GIFT_LIST, 'GiftList'],
  campaign: [UnpayableOfferHolder.CAMPAIGN, 'Campaign'],
  issuedOffer: [UnpayableOfferHolder.ISSUED_OFFER, 'IssuedOffer'],
} as const;

@Resolver(() => Offer)
export class OfferResolver {
  @Query(() => OfferConnection, { description: 'Staff: every offer at its current version.' })
  async offers(@Args() args: PageArgs, @Context() ctx: RequestCtx) {
    requireStaff(ctx);
    const page = pageOf(args, ctx.config.maxPageSize, 'Offer');
    return connectionOf(await offersPage(ctx.em, page.limit, page.after?.[0] ?? null), page, (o) => [o.offerId]);
  }

  @Query(() => UnpayableOfferConnection, {
    description:
      "Staff: offers no till can apply in their program's money (amounts from before money-12), where they are and why: listings, gift lists and campaigns first (edit the offer to an amount of the money), then customers' live wallet items (issueReplacementOffer with unusable: true).",
  })
  async unpayableOffers(@Args() args: PageArgs, @Context() ctx: RequestCtx) {
    requireStaff(ctx);
    const page = pageOf(args, ctx.config.maxPageSize, 'UnpayableOffer', [INT4_KEY, ID_KEY, ID_KEY]);
    const rows = await unpayableOffersPage(ctx.em, ctx.clock.now(), page.limit + 1, page.after);
    return connectionOf(rows.map((row) => unpayableOfferOf(row, ctx)), page, (u) => u.key);
  }

  @FieldResolver(() => ID, { description: "This version's id: every version is its own object (its content never changes)." })
  id(@Root() offer: OfferVersionRow) {
    return toGlobalId('OfferVersion', offer.versionId);
  }

  @FieldResolver(() => ID, { description: 'The offer across its versions: accepted wherever an offer id is, as is any version id.' })
  offerId(@Root() offer: OfferVersionRow) {
    return toGlobalId('Offer', offer.offerId);
  }

  @FieldResolver(() => OfferBenefit)
  benefit(@Root() offer: OfferVersionRow): OfferBenefit {
    return {
      kind: offer.benefitKind,
      percentOff: offer.percentOff,
      amountOff: offer.amountOff,
      freeSku: offer.freeSku,
      skus: offer.skus,
      categories: offer.categories,
      maxDiscount: offer.maxDiscount,
    };
  }

  @Mutation(() => OfferPayload)
  createOffer(@Arg('input') input: CreateOfferInput, @Context() ctx: RequestCtx) {
    requireOperator(ctx);
    const { idempotencyKey, reason, ...content } = input;
    return payloadOf(async () => ({ offer: await createOffer(ctx, content, idempotencyKey, reason ?? null) }));
  }

  @Mutation(() => OfferPayload, { description: 'Makes a new version; offers already issued keep theirs.' })
  updateOffer(@Arg('input') input: UpdateOfferInput, @Context() ctx: RequestCtx) {
    requireOperator(ctx);
    const { offerId, idempotencyKey, expectedVersion, reason, ...changes } = input;
    const ref = offerRefOf(offerId, 'input.offerId');
    return payloadOf(async () => {
      const [id] = await offerIdsOf(ctx.em, [ref]);
      return { offer: await updateOffer(ctx, id, changes, idempotencyKey, expectedVersion, reason ?? null) };
    });
  }
}

/** An unpayableOffersPage row as GraphQL's UnpayableOffer shows it, with its cursor's key. */
function unpayableOfferOf(row: UnpayableOfferRow, ctx: RequestCtx): UnpayableOffer & { key: number[] } {
  const [holder, type] = HOLDERS[row.holder];
  return {
    holder,
    holderId: toGlobalId(type, row.holderId),
    offer: ctx.loaders.offerVersion.load(row.versionId),
    currency: row.currency,
    moneyCurrency: row.money,
    ...unpayableReason(row),
    key: [row.rank, row.holderId, row.versionId],
  };
}
