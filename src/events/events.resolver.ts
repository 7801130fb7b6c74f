import { GraphQLError } from 'graphql';
import { Arg, Ctx as Context, FieldResolver, ID, Query, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import type { RequestCtx } from '../graphql/context.js';
import { shown } from '../domain/text.js';
import { badInput, ErrorCode } from '../graphql/errors.js';
import { currencyFilterArgument } from '../graphql/arguments.js';
import { requireCustomer } from '../graphql/guards.js';
import { toGlobalId } from '../graphql/ids.js';
import { PointCurrency } from '../points/points.types.js';
import { Tier } from '../tiers/tier.types.js';
import { issuedOffersByIds } from '../wallet/wallet.service.js';
import { IssuedOffer } from '../wallet/wallet.types.js';
import { checkResumePoint, streamHead } from './events.service.js';
import { BalanceChange, TierChange, TransactionProcessed, WalletChange } from './events.types.js';
import { resumeExpiredMessage, type DeliveredEvent, type EventStream } from './hub.js';
import type { EventTopic } from './outbox.service.js';
import type { CurrencyPoints } from '../points/currency-points.js';

type Args = { after?: string | null; currency?: string | null };

const AFTER_DESCRIPTION =
  'Resume: the last `eventId` you received. Events after it are replayed first (if no older than EVENT_RETENTION_HOURS, else EVENT_ID_EXPIRED, which may also end the replay when the window passes events still to be replayed), then live ones follow, with none missed or repeated. `0` (before your first event) replays every event of yours from the first, or answers EVENT_ID_EXPIRED once the first is no longer kept.';

/** Where a subscription starts: live from now (undefined), or after a resume point that is still kept, with the stream's last position then. */
async function resumeAfter(ctx: RequestCtx, customerId: number, after: string | null | undefined): Promise<{ after: number; lastSeq: number } | undefined> {
  if (after === undefined || after === null) return undefined;
  const check = await checkResumePoint(ctx.em, customerId, after, ctx.clock.now(), ctx.config.events.retentionHours);
  if (check.ok) return check;
  if (check.reason === 'expired') {
    throw new GraphQLError(resumeExpiredMessage(Number(after), ctx.config.events.retentionHours), { extensions: { code: ErrorCode.EVENT_ID_EXPIRED } });
  }
  throw badInput(`after must be an eventId this stream gave you; ${shown(after)} is not one.`, 'after');
}

/**
 * Subscriptions deliver the signed-in customer's own events only (SPEC §3). The subscriber is the
 * hub's `EventStream` itself (no generator in between), so a client that leaves is released at once.
 */
function listen(topic: EventTopic, filterOf?: (args: Args, ctx: RequestCtx) => Promise<((event: DeliveredEvent) => boolean) | undefined>) {
  return async ({ context, args }: SubscribeResolverData<unknown, Args, RequestCtx>): Promise<EventStream> => {
    const customer = requireCustomer(context);
    const filter = await filterOf?.(args, context);
    const resume = await resumeAfter(context, customer.customerId, args.after);
    // The start is read once the stream is registered (the hub calls `head`): see OpenOptions.head.
    const head = () => streamHead(context.em, customer.customerId);
    const from = resume ? { after: resume.after, seenSeq: resume.lastSeq } : { head };
    return context.events!.open(customer.customerId, topic, { ...from, filter, onOverflow: (error) => context.socket?.slowConsumer(error) });
  };
}

/** Only one currency's balance, when `currency` is given; a blank or unknown one is refused as `pointHistory(currency:)` refuses it. */
async function currencyFilter(args: Args, ctx: RequestCtx) {
  const code = await currencyFilterArgument(ctx, args.currency);
  if (code === null) return undefined;
  return (event: DeliveredEvent) => event.payload.currency === code;
}

const eventId = (event: DeliveredEvent) => String(event.id);

@Resolver()
export class EventsResolver {
  /**
   * The signed-in customer's resume point for a screen about to read (live-21): the last position
   * of their event stream, any topic, as decimal text ("0" before their first event). Every change
   * with an event at or before it has committed (the event is written in the change's transaction),
   * so reads begun after this one show it; one after it is replayed to `after:` this id. Customers
   * only (UNAUTHENTICATED/FORBIDDEN otherwise, as `me`).
   */
  @Query(() => ID, {
    description:
      'The eventId of your latest event, any topic ("0" before your first). Read it before the data you show, then subscribe with `after:` it: every change your reads missed is replayed, none missed.',
  })
  async lastEventId(@Context() ctx: RequestCtx): Promise<string> {
    return String(await streamHead(ctx.em, requireCustomer(ctx).customerId));
  }

  @Subscription(() => BalanceChange, { subscribe: listen('BALANCE_CHANGED', currencyFilter), description: 'Your balance, each time it changes (optionally only in one currency).' })
  balanceChanged(
    @Root() event: DeliveredEvent,
    @Arg('currency', () => String, { nullable: true, description: 'Only this point currency (its code). Blank or unknown: BAD_USER_INPUT.' }) _currency?: string | null,
    @Arg('after', () => ID, { nullable: true, description: AFTER_DESCRIPTION }) _after?: string | null,
  ): BalanceChange & { currencyCode: string } {
    const p = event.payload as { currency: string; available: number; pending: number; lifetimeEarned: number; change?: BalanceChange['change'] };
    return { eventId: eventId(event), currencyCode: p.currency, available: p.available, pending: p.pending, lifetimeEarned: p.lifetimeEarned, change: p.change ?? null };
  }

  @Subscription(() => WalletChange, { subscribe: listen('WALLET_CHANGED'), description: 'Offers in your wallet: issued, locked, redeemed, expired…' })
  walletChanged(@Root() event: DeliveredEvent, @Arg('after', () => ID, { nullable: true, description: AFTER_DESCRIPTION }) _after?: string | null): WalletChange & { issuedOfferId: number } {
    const p = event.payload as { change: string; issuedOfferId: number };
    return { eventId: eventId(event), change: p.change, issuedOfferId: p.issuedOfferId };
  }

  @Subscription(() => TierChange, { subscribe: listen('TIER_CHANGED'), description: 'Your tier, when it changes.' })
  tierChanged(@Root() event: DeliveredEvent, @Arg('after', () => ID, { nullable: true, description: AFTER_DESCRIPTION }) _after?: string | null): TierChange {
    const p = event.payload as { from: string | null; to: string | null };
    return { eventId: eventId(event), fromCode: p.from, toCode: p.to };
  }

  @Subscription(() => TransactionProcessed, { subscribe: listen('TRANSACTION_PROCESSED'), description: 'Your sales, as they are processed.' })
  transactionProcessed(
    @Root() event: DeliveredEvent,
    @Arg('after', () => ID, { nullable: true, description: AFTER_DESCRIPTION }) _after?: string | null,
  ): TransactionProcessed {
    const p = event.payload as { transactionId: number; pointsAwarded: number; pointsByCurrency?: CurrencyPoints[]; discount: string };
    return {
      eventId: eventId(event),
      transactionId: toGlobalId('SalesTransaction', p.transactionId),
      pointsAwarded: p.pointsAwarded,
      pointsByCurrency: p.pointsByCurrency ?? null,
      discount: p.discount,
    };
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
  @FieldResolver(() => IssuedOffer, {
    nullable: true,
    description:
      'The offer as it is now (as `node(id:)` reads it), so a client cache keyed by its id stays current: an event replayed with `after` after the offer moved on (an ISSUED read once it was redeemed) shows its present status; `change` says what happened then.',
  })
  async issuedOffer(@Root() change: { issuedOfferId: number }, @Context() ctx: RequestCtx) {
    return (await issuedOffersByIds(ctx.em, [change.issuedOfferId], ctx.clock.now()))[0] ?? null;
  }
}

@Resolver(() => TierChange)
export class TierChangeResolver {
  /** The tier a change names, through the request's `tierByCode` loader (for a subscription: each event's own; src/http/ws.ts). */
  private static async byCode(ctx: RequestCtx, code: string | null) {
    return code ? ((await ctx.loaders.tierByCode.load(code)) ?? null) : null;
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
