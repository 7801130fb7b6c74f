import { Arg, Ctx as Context, FieldResolver, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import type { RequestCtx } from '../graphql/context.js';
import { requireCustomer } from '../graphql/guards.js';
import { toGlobalId } from '../graphql/ids.js';
import { PointCurrency } from '../points/points.types.js';
import { tierByCode, type TierRow } from '../tiers/tier.service.js';
import { Tier } from '../tiers/tier.types.js';
import { issuedOffersByIds } from '../wallet/wallet.service.js';
import { IssuedOffer } from '../wallet/wallet.types.js';
import { BalanceChange, TierChange, TransactionProcessed, WalletChange } from './events.types.js';
import type { DeliveredEvent } from './hub.js';

/** Subscriptions deliver the signed-in customer's own events only (SPEC §3). */
function listen(topic: string, keep: (event: DeliveredEvent, args: Record<string, unknown>) => boolean = () => true) {
  return async function* ({ context, args }: SubscribeResolverData<unknown, Record<string, unknown>, RequestCtx>) {
    const customer = requireCustomer(context);
    for await (const event of context.events!.listen(topic, customer.customerId)) if (keep(event, args)) yield event;
  };
}

@Resolver()
export class EventsResolver {
  @Subscription(() => BalanceChange, {
    subscribe: listen('BALANCE_CHANGED', (event, args) => !args.currency || event.payload.currency === args.currency),
    description: 'Your balance, each time it changes (optionally only in one currency).',
  })
  balanceChanged(@Root() event: DeliveredEvent, @Arg('currency', () => String, { nullable: true }) _currency?: string | null): BalanceChange & { currencyCode: string } {
    const p = event.payload as { currency: string; available: number; pending: number; lifetimeEarned: number; change?: BalanceChange['change'] };
    return { currencyCode: p.currency, available: p.available, pending: p.pending, lifetimeEarned: p.lifetimeEarned, change: p.change ?? null };
  }

  @Subscription(() => WalletChange, { subscribe: listen('WALLET_CHANGED'), description: 'Offers in your wallet: issued, locked, redeemed, expired…' })
  walletChanged(@Root() event: DeliveredEvent): WalletChange & { issuedOfferId: number } {
    const p = event.payload as { change: string; issuedOfferId: number };
    return { change: p.change, issuedOfferId: p.issuedOfferId };
  }

  @Subscription(() => TierChange, { subscribe: listen('TIER_CHANGED'), description: 'Your tier, when it changes.' })
  tierChanged(@Root() event: DeliveredEvent): TierChange {
    const p = event.payload as { from: string | null; to: string | null };
    return { fromCode: p.from, toCode: p.to };
  }

  @Subscription(() => TransactionProcessed, { subscribe: listen('TRANSACTION_PROCESSED'), description: 'Your sales, as they are processed.' })
  transactionProcessed(@Root() event: DeliveredEvent): TransactionProcessed {
    const p = event.payload as { transactionId: number; pointsAwarded: number; discount: string };
    return { transactionId: toGlobalId('SalesTransaction', p.transactionId), pointsAwarded: p.pointsAwarded, discount: p.discount };
  }
}

@Resolver(() => BalanceChange)
export class BalanceChangeResolver {
  @FieldResolver(() => PointCurrency)
  currency(@Root() change: { currencyCode: string }, @Context() ctx: RequestCtx) {
    return ctx.loaders.currency.load(change.currencyCode);
  }
}

@Resolver(() => WalletChange)
export class WalletChangeResolver {
  /** Read fresh for each event: a subscription's context outlives any one event. */
  @FieldResolver(() => IssuedOffer, { nullable: true })
  async issuedOffer(@Root() change: { issuedOfferId: number }, @Context() ctx: RequestCtx) {
    return (await issuedOffersByIds(ctx.em, [change.issuedOfferId], ctx.clock.now()))[0] ?? null;
  }
}

@Resolver(() => TierChange)
export class TierChangeResolver {
  private static async byCode(ctx: RequestCtx, code: string | null): Promise<TierRow | null> {
    return code ? ((await tierByCode(ctx.em, code)) ?? null) : null;
  }

  @FieldResolver(() => Tier, { nullable: true })
  from(@Root() change: TierChange, @Context() ctx: RequestCtx) {
    return TierChangeResolver.byCode(ctx, change.fromCode);
  }

  @FieldResolver(() => Tier, { nullable: true })
  to(@Root() change: TierChange, @Context() ctx: RequestCtx) {
    return TierChangeResolver.byCode(ctx, change.toCode);
  }
}
