import { Arg, Ctx as Context, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestCtx } from '../graphql/context.js';
import type { CustomerRow } from '../customers/customer.service.js';
import { Customer } from '../customers/customer.types.js';
import { payloadOf } from '../graphql/errors.js';
import { requireCustomer, requireOperator, requireStaff } from '../graphql/guards.js';
import { fromGlobalId, toGlobalId, offerRefOf } from '../graphql/ids.js';
import { offerIdsOf } from '../offers/offer.service.js';
import { PointCurrency } from '../points/points.types.js';
import { claimGift, createGiftList, giftListsById, giftListsFor, type GiftListRow } from './gift.service.js';
import { ClaimGiftInput, ClaimGiftPayload, CreateGiftListInput, CreateGiftListPayload, GiftList } from './gift.types.js';

@Resolver(() => GiftList)
export class GiftListResolver {
  @Query(() => [GiftList], { description: 'Staff: every gift list, lowest threshold first.' })
  giftLists(@Context() ctx: RequestCtx) {
    requireStaff(ctx);
    return giftListsById(ctx.em, null, ctx.clock.now());
  }

  @FieldResolver(() => ID)
  id(@Root() list: GiftListRow) {
    return toGlobalId('GiftList', list.id);
  }

  @FieldResolver(() => PointCurrency, { description: 'The currency the threshold is in.' })
  currency(@Root() list: GiftListRow, @Context() ctx: RequestCtx) {
    return ctx.loaders.currency.load(list.currencyCode);
  }

  @Mutation(() => CreateGiftListPayload, { description: 'Operators: a threshold gift list; recorded in the audit log.' })
  createGiftList(@Arg('input') input: CreateGiftListInput, @Context() ctx: RequestCtx) {
    requireOperator(ctx);
    const offers = input.offerIds.map((id, i) => offerRefOf(id, `input.offerIds.${i}`));
    const { idempotencyKey, reason, ...data } = input;
    return payloadOf(async () => ({ giftList: await createGiftList(ctx, { ...data, offerIds: await offerIdsOf(ctx.em, offers) }, idempotencyKey, reason ?? null) }));
  }

  @Mutation(() => ClaimGiftPayload, { description: 'Spend a list\'s threshold and take one of its offers; idempotent per key.' })
  claimGift(@Arg('input') input: ClaimGiftInput, @Context() ctx: RequestCtx) {
    const customer = requireCustomer(ctx);
    const giftListId = fromGlobalId(input.giftListId, 'GiftList', 'input.giftListId');
    const option = offerRefOf(input.optionId, 'input.optionId');
    return payloadOf(async () => {
      // An option is the offer: picked by the id of the version the app showed or any other, it
      // issues the offer's current version (as a purchase does).
      const [offerId] = await offerIdsOf(ctx.em, [option]);
      const outcome = await claimGift(ctx, customer, giftListId, offerId, input.idempotencyKey);
      const [giftList] = await giftListsFor(ctx.em, customer.customerId, ctx.clock.now(), [outcome.giftListId]);
      return { issuedOffer: await ctx.loaders.issuedOffer.load(outcome.issuedOfferId), balance: outcome.balance, giftList };
    });
  }
}

@Resolver(() => Customer)
export class CustomerGiftListsResolver {
  @FieldResolver(() => [GiftList], { description: 'Gift lists this customer can pick from, lowest threshold first, with their progress.' })
  giftLists(@Root() customer: CustomerRow, @Context() ctx: RequestCtx) {
    // Through the request's loader: a list of customers reads theirs in two statements (n1-28).
    return ctx.loaders.giftLists.load(customer.id);
  }
}
