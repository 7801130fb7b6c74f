import { Arg, Args, Ctx as Context, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestCtx } from '../graphql/context.js';
import { connectionOf, ID_KEY, INT4_KEY, PageArgs, pageOf } from '../graphql/connection.js';
import { payloadOf } from '../graphql/errors.js';
import { requireOperator, requireStaffOrCustomer } from '../graphql/guards.js';
import { fromGlobalId, toGlobalId, offerRefOf } from '../graphql/ids.js';
import { listingsPageKey, pageKey } from '../graphql/loaders.js';
import { offerIdsOf } from '../offers/offer.service.js';
import { PointCurrency } from '../points/points.types.js';
import { addListing, createRewardStore, removeListing, updateListing, storeAccessChange, storesPage, updateRewardStore, type ListingRow, type StoreRow, type StoreRules } from './store.service.js';
import {
  AddListingInput,
  CreateRewardStoreInput,
  CreateRewardStorePayload,
  Listing,
  ListingConnection,
  ListingPayload,
  RemoveListingInput,
  RewardStore,
  RewardStoreConnection,
  StoreEligibility,
  UpdateListingInput,
  UpdateRewardStoreInput,
  UpdateRewardStorePayload,
} from './store.types.js';

@Resolver(() => RewardStore)
export class RewardStoreResolver {
  @Query(() => RewardStoreConnection, { description: 'Staff: every store. A customer: the stores open to them. Not for API keys.' })
  async rewardStores(@Args() args: PageArgs, @Context() ctx: RequestCtx) {
    requireStaffOrCustomer(ctx);
    const page = pageOf(args, ctx.config.maxPageSize, 'RewardStore');
    return connectionOf(await storesPage(ctx.em, ctx.loaders.viewer, ctx.clock.now(), page), page, (s) => [s.id]);
  }

  @FieldResolver(() => ID)
  id(@Root() store: StoreRow) {
    return toGlobalId('RewardStore', store.id);
  }

  @FieldResolver(() => PointCurrency, { description: 'The currency its offers are bought with.' })
  currency(@Root() store: StoreRow, @Context() ctx: RequestCtx) {
    return ctx.loaders.currency.load(store.currencyCode);
  }

  @FieldResolver(() => StoreEligibility)
  eligibility(@Root() store: StoreRow): StoreEligibility {
    return { tiers: store.eligibleTiers, segments: store.eligibleSegments, minBalance: store.minBalance, minLifetimePoints: store.minLifetimePoints };
  }

  @FieldResolver(() => ListingConnection, { description: 'For a customer, the listings on show now; for staff, all that are not removed.' })
  async listings(@Root() store: StoreRow, @Args() args: PageArgs, @Context() ctx: RequestCtx) {
    // A viewer that is not a customer gets the staff view: only staff may (belt and braces; no
    // partner path reaches a store).
    requireStaffOrCustomer(ctx);
    const page = pageOf(args, ctx.config.maxPageSize, 'Listing', [INT4_KEY, ID_KEY]);
    // Read with the store when node(id:) asked for this very page (store-page.ts); else through the
    // request's loader, one statement for the page of every store of a list (n1-28).
    const viewer = ctx.loaders.viewer;
    const rows =
      (viewer && ctx.loaders.listingPages.get(listingsPageKey(store.id, viewer.customerId, page))) ?? (await ctx.loaders.storeListings.load(pageKey(store.id, page)));
    return connectionOf(rows, page, (l) => [l.sortOrder, l.id]);
  }

  @Mutation(() => CreateRewardStorePayload)
  createRewardStore(@Arg('input') input: CreateRewardStoreInput, @Context() ctx: RequestCtx) {
    requireOperator(ctx);
    const { reason, ...data } = input;
    return payloadOf(async () => ({ rewardStore: await createRewardStore(ctx, data, reason ?? null) }));
  }

  @Mutation(() => UpdateRewardStorePayload, {
    description:
      'Operators: edits a store\'s name, window or eligibility (its code and currency stay). Audit-logged with the rules before and after. Refused: NOT_FOUND (no such store, an unknown tier), INVALID (an empty window), VERSION_CONFLICT (expectedVersion is not the current one), IDEMPOTENCY_KEY_REUSED.',
  })
  updateRewardStore(@Arg('input') input: UpdateRewardStoreInput, @Context() ctx: RequestCtx) {
    requireOperator(ctx);
    const storeId = fromGlobalId(input.storeId, 'RewardStore', 'input.storeId');
    return payloadOf(async (): Promise<UpdateRewardStoreAnswer> => {
      const { name, startsAt, endsAt, eligibility, expectedVersion, idempotencyKey, dryRun, reason } = input;
      const edit = await updateRewardStore(ctx, storeId, { name, startsAt, endsAt, eligibility }, { expectedVersion, idempotencyKey, dryRun: dryRun ?? false, reason });
      return { rewardStore: edit.store, changed: edit.changed, dryRun: dryRun ?? false, edit: { currency: edit.store.currencyCode, before: edit.before, after: edit.after } };
    });
  }

  @Mutation(() => ListingPayload)
  addListing(@Arg('input') input: AddListingInput, @Context() ctx: RequestCtx) {
    requireOperator(ctx);
    const storeId = fromGlobalId(input.storeId, 'RewardStore', 'input.storeId');
    const offer = offerRefOf(input.offerId, 'input.offerId');
    return payloadOf(async () => {
      const [offerId] = await offerIdsOf(ctx.em, [offer]);
      const { idempotencyKey, reason, ...data } = input;
      return { listing: await addListing(ctx, { ...data, storeId, offerId }, idempotencyKey, reason ?? null) };
    });
  }

  @Mutation(() => ListingPayload, {
    description:
      "Operators: edits a listing's price, stock, per-customer limit, visibility or order (its offer and store stay). Audit-logged with the terms before and after. Refused: NOT_FOUND, INVALID (a removed listing, a stock below what was sold or between unlimited and a stock, an empty window), VERSION_CONFLICT, IDEMPOTENCY_KEY_REUSED.",
  })
  updateListing(@Arg('input') input: UpdateListingInput, @Context() ctx: RequestCtx) {
    requireOperator(ctx);
    const listingId = fromGlobalId(input.listingId, 'Listing', 'input.listingId');
    const { priceInPoints, stock, perCustomerLimit, visibleFrom, visibleUntil, sortOrder, expectedVersion, idempotencyKey, reason } = input;
    return payloadOf(async () => ({
      listing: await updateListing(ctx, listingId, { priceInPoints, stock, perCustomerLimit, visibleFrom, visibleUntil, sortOrder }, { expectedVersion, idempotencyKey, reason }),
    }));
  }

  @Mutation(() => ListingPayload, { description: 'Takes a listing off sale; offers already bought are kept.' })
  removeListing(@Arg('input') input: RemoveListingInput, @Context() ctx: RequestCtx) {
    requireOperator(ctx);
    const listingId = fromGlobalId(input.listingId, 'Listing', 'input.listingId');
    return payloadOf(async () => ({ listing: await removeListing(ctx, listingId, input.reason ?? null) }));
  }
}

@Resolver(() => Listing)
export class ListingResolver {
  @FieldResolver(() => ID)
  id(@Root() listing: ListingRow) {
    return toGlobalId('Listing', listing.id);
  }

  @FieldResolver(() => RewardStore, { nullable: true })
  store(@Root() listing: ListingRow, @Context() ctx: RequestCtx) {
    return ctx.loaders.store.load(listing.storeId);
  }

}

/** UpdateRewardStorePayload as the mutation answers it: `edit` (absent when refused) is what accessLost and accessGained judge. */
type UpdateRewardStoreAnswer = {
  rewardStore: StoreRow;
  changed: boolean;
  dryRun: boolean;
  edit?: { currency: string; before: StoreRules; after: StoreRules; counted?: Promise<{ lost: number; gained: number }> };
};

@Resolver(() => UpdateRewardStorePayload)
export class UpdateRewardStorePayloadResolver {
  @FieldResolver(() => Int, { nullable: true })
  async accessLost(@Root() answer: Partial<UpdateRewardStoreAnswer>, @Context() ctx: RequestCtx) {
    return (await countedOnce(answer, ctx))?.lost ?? null;
  }

  @FieldResolver(() => Int, { nullable: true })
  async accessGained(@Root() answer: Partial<UpdateRewardStoreAnswer>, @Context() ctx: RequestCtx) {
    return (await countedOnce(answer, ctx))?.gained ?? null;
  }
}

/** The edit's StoreAccessChange, read once for both fields (one statement), none when refused. */
function countedOnce(answer: Partial<UpdateRewardStoreAnswer>, ctx: RequestCtx) {
  const edit = answer.edit;
  if (!edit) return undefined;
  edit.counted ??= storeAccessChange(ctx.em, edit.currency, edit.before, edit.after, ctx.clock.now());
  return edit.counted;
}
