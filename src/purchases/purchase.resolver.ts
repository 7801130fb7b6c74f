import { Arg, Ctx as Context, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { RequestCtx } from '../graphql/context.js';
import { payloadOf } from '../graphql/errors.js';
import { requireCustomer } from '../graphql/guards.js';
import { fromGlobalId, toGlobalId } from '../graphql/ids.js';
import { Listing } from '../stores/store.types.js';
import { IssuedOffer } from '../wallet/wallet.types.js';
import { purchaseOffer, type PurchaseRow } from './purchase.service.js';
import { OfferPurchase, PurchaseOfferInput, PurchaseOfferPayload } from './purchase.types.js';

@Resolver(() => OfferPurchase)
export class PurchaseResolver {
  @Mutation(() => PurchaseOfferPayload, { description: 'Buy a listing with points; idempotent per key.' })
  purchaseOffer(@Arg('input') input: PurchaseOfferInput, @Context() ctx: RequestCtx) {
    const customer = requireCustomer(ctx);
    const listingId = fromGlobalId(input.listingId, 'Listing', 'input.listingId');
    return payloadOf(async () => {
      const outcome = await purchaseOffer(ctx, customer, listingId, input.idempotencyKey, ctx.customerCheck, input.expectedPriceInPoints ?? null);
      if (outcome.rows) {
        ctx.loaders.issuedOffer.prime(outcome.rows.issued.id, outcome.rows.issued);
        ctx.loaders.offerVersion.prime(outcome.rows.offer.versionId, outcome.rows.offer);
        ctx.loaders.currency.prime(outcome.rows.currency.code, outcome.rows.currency);
      }
      const purchase = outcome.rows?.purchase ?? (await ctx.loaders.purchase.load(outcome.purchaseId));
      // The balance right after the purchase, fresh or repeated: the rest of it (expiringSoon) is
      // read as of the purchase's ledger entry too (BalanceRow.afterEntryId).
      const afterEntryId = outcome.balanceAsOfNow ? undefined : purchase?.ledgerEntryId;
      return { purchase, balance: { ...outcome.balance, afterEntryId } };
    });
  }

  @FieldResolver(() => ID)
  id(@Root() purchase: PurchaseRow) {
    return toGlobalId('OfferPurchase', purchase.id);
  }

  @FieldResolver(() => IssuedOffer)
  issuedOffer(@Root() purchase: PurchaseRow, @Context() ctx: RequestCtx) {
    return ctx.loaders.issuedOffer.load(purchase.issuedOfferId);
  }

  @FieldResolver(() => Listing, {
    nullable: true,
    description:
      'The listing as it is now (a repeat with the same key reads it now too: its stock and your `purchasedByMe`, `affordable` and `pointsMissing` are of the present, for a client cache keyed by its id; the payload\'s `balance` is the one right after the purchase). Null when the listing is no longer on show to you.',
  })
  listing(@Root() purchase: PurchaseRow, @Context() ctx: RequestCtx) {
    return ctx.loaders.listing.load(purchase.listingId);
  }
}
