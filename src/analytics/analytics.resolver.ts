import { Arg, Ctx as Context, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import type { RequestCtx } from '../graphql/context.js';
import { badInput } from '../graphql/errors.js';
import { requireStaff } from '../graphql/guards.js';
import { Offer } from '../offers/offer.types.js';
import { DateTimeScalar } from '../graphql/scalars.js';
import { currencyFilterArgument } from '../graphql/arguments.js';
import { Tier } from '../tiers/tier.types.js';
import { programStats, tierMix, topOffers, type OfferStatsRow, type ProgramStatsRow, type TierMixRow } from './analytics.service.js';
import { OfferStats, ProgramStats, TierMembers } from './analytics.types.js';

const MAX_WINDOW_DAYS = 366 * 5;

@Resolver(() => ProgramStats)
export class ProgramStatsResolver {
  @Query(() => ProgramStats, {
    nullable: true,
    description: 'Staff: figures of one currency over [from, to). A blank code or one no currency has: BAD_USER_INPUT "No currency NOPE.", as in every currency argument.',
  })
  async programStats(
    @Arg('currency') currency: string,
    @Arg('from', () => DateTimeScalar) from: Date,
    @Arg('to', () => DateTimeScalar) to: Date,
    @Context() ctx: RequestCtx,
  ) {
    requireStaff(ctx);
    // an unknown code answered null, which read as "no figures yet" (edges-11)
    await currencyFilterArgument(ctx, currency);
    if (from >= to) throw badInput('to must be after from', 'to');
    if (to.getTime() - from.getTime() > MAX_WINDOW_DAYS * 86_400_000) throw badInput(`the window is at most ${MAX_WINDOW_DAYS} days`, 'to');
    return programStats(ctx.em, currency, from, to, ctx.clock.now());
  }

  @FieldResolver(() => [TierMembers], {
    description:
      "Every tier of this currency's ladder, lowest rank first, with the customers on it now, whatever the window: every customer not CLOSED, each on one tier (the highest they qualify for across the program's ladders, rolling windows read at now), including members who never did anything in the window or earned nothing (a tier with threshold 0 holds them). Not a window figure like activeMembers, which counts only those who did something in [from, to) (edges-12).",
  })
  tierMix(@Root() stats: ProgramStatsRow, @Context() ctx: RequestCtx) {
    return tierMix(ctx.em, stats.currency, ctx.clock.now());
  }

  @FieldResolver(() => [OfferStats], { description: 'The offers bought most in the window.' })
  topOffers(@Root() stats: ProgramStatsRow, @Arg('first', () => Int, { defaultValue: 5 }) first: number, @Context() ctx: RequestCtx) {
    if (first < 1 || first > ctx.config.maxPageSize) throw badInput(`first must be between 1 and ${ctx.config.maxPageSize}`, 'first');
    return topOffers(ctx.em, stats.currency, stats.from, stats.to, first);
  }
}

@Resolver(() => TierMembers)
export class TierMembersResolver {
  @FieldResolver(() => Tier, { nullable: true })
  tier(@Root() row: TierMixRow, @Context() ctx: RequestCtx) {
    return row.tierId ? ctx.loaders.tier.load(row.tierId) : null;
  }
}

@Resolver(() => OfferStats)
export class OfferStatsResolver {
  @FieldResolver(() => Offer, { nullable: true, description: 'At its current version.' })
  offer(@Root() row: OfferStatsRow, @Context() ctx: RequestCtx) {
    return ctx.loaders.currentOffer.load(row.offerId);
  }
}
