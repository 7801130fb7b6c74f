import { Arg, Ctx as Context, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestCtx } from '../graphql/context.js';
import { payloadOf } from '../graphql/errors.js';
import { requireOperator, requireProgramReader } from '../graphql/guards.js';
import { toGlobalId } from '../graphql/ids.js';
import { PointCurrency } from '../points/points.types.js';
import { accessLostBy, allTiers, createTier, type NextTierRow, type TierRow } from './tier.service.js';
import { CreateTierInput, CreateTierPayload, NextTier, Tier } from './tier.types.js';

@Resolver(() => Tier)
export class TierResolver {
  @Query(() => [Tier], { description: 'The tier ladder, lowest rank first.' })
  tiers(@Context() ctx: RequestCtx) {
    requireProgramReader(ctx);
    return allTiers(ctx.em);
  }

  @FieldResolver(() => ID)
  id(@Root() tier: TierRow) {
    return toGlobalId('Tier', tier.id);
  }

  @FieldResolver(() => PointCurrency, { description: 'The currency whose earned points qualify.' })
  currency(@Root() tier: TierRow, @Context() ctx: RequestCtx) {
    return ctx.loaders.currency.load(tier.currencyCode);
  }

  @Mutation(() => CreateTierPayload)
  createTier(@Arg('input') input: CreateTierInput, @Context() ctx: RequestCtx) {
    requireOperator(ctx);
    const { dryRun, reason, ...data } = input;
    return payloadOf(async () => {
      const created = await createTier(ctx, data, dryRun ?? false, reason ?? null);
      const lost = await accessLostBy(ctx.em, created.moves, data.code, ctx.clock.now());
      return { ...created, accessLost: lost.map((l) => ({ ...l, id: toGlobalId(l.kind === 'STORE' ? 'RewardStore' : 'Campaign', l.id) })) };
    });
  }
}

@Resolver(() => NextTier)
export class NextTierResolver {
  @FieldResolver(() => PointCurrency, {
    description:
      "The currency whose qualifying points reach this tier: the unit of `threshold` and `pointsNeeded`. A ladder's tiers may count different currencies, so it may differ from the current tier's and from the customer's balances.",
  })
  currency(@Root() next: NextTierRow, @Context() ctx: RequestCtx) {
    return ctx.loaders.currency.load(next.currencyCode);
  }
}
