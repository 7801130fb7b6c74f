import { Arg, Ctx as Context, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestCtx } from '../graphql/context.js';
import { Customer } from '../customers/customer.types.js';
import { payloadOf } from '../graphql/errors.js';
import { partnerHolds, requirePartnerScope, requireStaffOrScope } from '../graphql/guards.js';
import { toGlobalId } from '../graphql/ids.js';
import { lookedUpByKey } from '../graphql/validation.js';
import { Offer } from '../offers/offer.types.js';
import { IssuedOffer } from '../wallet/wallet.types.js';
import {
  pointsByCurrencyOf,
  reverseTransaction,
  submitTransaction,
  transactionByExternalId,
  type AwardRow,
  type TransactionRow,
} from './transaction.service.js';
import type { OfferNotAwardedRow } from './transaction.entity.js';
import {
  OfferNotAwarded,
  ReverseTransactionInput,
  ReverseTransactionPayload,
  SalesTransaction,
  SubmitTransactionInput,
  SubmitTransactionPayload,
  TransactionAward,
} from './transaction.types.js';
import { CurrencyPoints } from '../points/currency-points.js';

@Resolver(() => SalesTransaction)
export class TransactionResolver {
  @Query(() => SalesTransaction, { nullable: true, description: "A partner's sale by its externalId (transactions:read; blank, or with invisible characters when none of its sales is stored under exactly that id: BAD_USER_INPUT); staff see any partner's." })
  transaction(@Arg('externalId') externalId: string, @Context() ctx: RequestCtx) {
    requireStaffOrScope(ctx, 'transactions:read');
    return lookedUpByKey(externalId, 'externalId', (key) => transactionByExternalId(ctx.em, key, ctx.caller.kind === 'partner' ? ctx.caller.partnerId : null));
  }

  @FieldResolver(() => ID)
  id(@Root() t: TransactionRow) {
    return toGlobalId('SalesTransaction', t.id);
  }

  @FieldResolver(() => [CurrencyPoints], {
    description:
      'Points the sale earned per point currency, in the order first awarded (empty before it is processed, or when it earned none). A return does not change it: with status REVERSED they were taken back (see awards.reversed).',
  })
  async pointsByCurrency(@Root() t: TransactionRow, @Context() ctx: RequestCtx) {
    return pointsByCurrencyOf(await ctx.loaders.awards.load(t.id));
  }

  @FieldResolver(() => [TransactionAward])
  awards(@Root() t: TransactionRow, @Context() ctx: RequestCtx) {
    return ctx.loaders.awards.load(t.id);
  }

  @FieldResolver(() => [IssuedOffer], { description: 'The offers applied to the sale at the till.' })
  async offersApplied(@Root() t: TransactionRow, @Context() ctx: RequestCtx) {
    const ids = await ctx.loaders.appliedOffers.load(t.id);
    return (await ctx.loaders.issuedOffer.loadMany(ids)).filter((o) => o && !(o instanceof Error));
  }

  @FieldResolver(() => Customer, { nullable: true, description: 'For staff and for partners with customers:read; null for others.' })
  async customer(@Root() t: TransactionRow, @Context() ctx: RequestCtx) {
    // Writing sales must not open customer profiles (and their wallet codes) to a partner that may
    // not read customers.
    const mayRead = ctx.caller.kind === 'staff' || partnerHolds(ctx, 'customers:read');
    // Through the request's loader: a list of sales reads its customers in one statement (n1-28).
    return mayRead ? ((await ctx.loaders.customer.load(t.customerId)) ?? null) : null;
  }

  @Mutation(() => SubmitTransactionPayload, { description: 'A sale from a till: accepted at once (RECEIVED) and processed in the background.' })
  submitTransaction(@Arg('input') input: SubmitTransactionInput, @Context() ctx: RequestCtx) {
    const partner = requirePartnerScope(ctx, 'transactions:write');
    return payloadOf(async () => {
      const transaction = await submitTransaction(ctx, partner, input);
      return { transaction, notice: transaction.lockNotice ?? null };
    });
  }

  @Mutation(() => ReverseTransactionPayload, {
    description:
      'A return: undoes what the sale earned and awarded, once. A sale not processed yet (RECEIVED) is returned before it earns (its processing then does nothing). Refused: NOT_FOUND (no sale of yours with this externalId), ALREADY_REVERSED (saying when), INVALID (a FAILED sale: it earned and awarded nothing, so nothing is taken back, and it stays FAILED; the offers it redeemed stay redeemed).',
  })
  reverseTransaction(@Arg('input') input: ReverseTransactionInput, @Context() ctx: RequestCtx) {
    const partner = requirePartnerScope(ctx, 'transactions:write');
    return payloadOf(async () => {
      const outcome = await reverseTransaction(ctx, partner, input.externalId, input.reason ?? null);
      return { ...outcome, offersKept: (await ctx.loaders.issuedOffer.loadMany(outcome.offersKept)).filter(Boolean) };
    });
  }
}

/** SalesTransaction.offersNotAwarded's entries (OfferNotAwardedRow): the offer at the version the campaign would have issued, through the request's loader. */
@Resolver(() => OfferNotAwarded)
export class OfferNotAwardedResolver {
  @FieldResolver(() => Offer, { nullable: true, description: 'The offer, at the version the campaign would have issued.' })
  offer(@Root() n: OfferNotAwardedRow, @Context() ctx: RequestCtx) {
    return ctx.loaders.offerVersion.load(n.offerVersionId);
  }
}

@Resolver(() => TransactionAward)
export class TransactionAwardResolver {
  @FieldResolver(() => Offer, { nullable: true, description: 'The offer awarded, as issued.' })
  async offer(@Root() a: AwardRow, @Context() ctx: RequestCtx) {
    if (!a.issuedOfferId) return null;
    const issued = await ctx.loaders.issuedOffer.load(a.issuedOfferId);
    return issued ? ctx.loaders.offerVersion.load(issued.offerVersionId) : null;
  }
}
