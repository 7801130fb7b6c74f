import { Arg, Ctx as Context, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestCtx } from '../graphql/context.js';
import { payloadOf } from '../graphql/errors.js';
import { requireOperator, requireStaff } from '../graphql/guards.js';
import { fromGlobalId, toGlobalId, offerRefOf } from '../graphql/ids.js';
import { offerIdsOf } from '../offers/offer.service.js';
import { Offer } from '../offers/offer.types.js';
import { PointCurrency } from '../points/points.types.js';
import type { CampaignRow, EconomyRuleStaffRow } from './earning.js';
import { allCampaigns, allEconomyRules, createCampaign, endCampaign, setEconomyRule } from './rule.service.js';
import { Campaign, CampaignConditions, CreateCampaignInput, CreateCampaignPayload, EndCampaignInput, EndCampaignPayload, EconomyRule, SetEconomyRuleInput, SetEconomyRulePayload } from './rule.types.js';

@Resolver(() => EconomyRule)
export class EconomyRuleResolver {
  @Query(() => [EconomyRule], { description: "Staff: each currency's economy rule, by currency code (currencies without one are left out)." })
  economyRules(@Context() ctx: RequestCtx) {
    requireStaff(ctx);
    return allEconomyRules(ctx.em);
  }

  @FieldResolver(() => ID)
  id(@Root() rule: EconomyRuleStaffRow) {
    return toGlobalId('EconomyRule', rule.id);
  }

  @FieldResolver(() => PointCurrency)
  currency(@Root() rule: EconomyRuleStaffRow, @Context() ctx: RequestCtx) {
    return ctx.loaders.currency.load(rule.currencyCode);
  }

  @Mutation(() => SetEconomyRulePayload, { description: "Sets a currency's economy rule, replacing the one it had from now on: a sale earns by the rule in force when it happened (occurredAt, or when it was received if earlier), so sales made before keep the rule of their time." })
  setEconomyRule(@Arg('input') input: SetEconomyRuleInput, @Context() ctx: RequestCtx) {
    requireOperator(ctx);
    const { reason, ...rule } = input;
    return payloadOf(async () => ({ rule: await setEconomyRule(ctx, rule, reason ?? null) }));
  }
}

@Resolver(() => Campaign)
export class CampaignResolver {
  @Query(() => [Campaign], { description: 'Staff: every campaign, newest first.' })
  campaigns(@Context() ctx: RequestCtx) {
    requireStaff(ctx);
    return allCampaigns(ctx.em);
  }

  @FieldResolver(() => ID)
  id(@Root() campaign: CampaignRow) {
    return toGlobalId('Campaign', campaign.id);
  }

  @FieldResolver(() => PointCurrency)
  currency(@Root() campaign: CampaignRow, @Context() ctx: RequestCtx) {
    return ctx.loaders.currency.load(campaign.currencyCode);
  }

  @FieldResolver(() => CampaignConditions, { description: 'Which sales it applies to, as created (newcomer-37: a weekend-only campaign read as one for every sale).' })
  conditions(@Root() campaign: CampaignRow): CampaignConditions {
    const { minSpend, skus, categories, channels, tiers, segments, firstPurchase, daysOfWeek } = campaign;
    return { minSpend: minSpend ?? null, skus, categories, channels, tiers, segments, firstPurchase, daysOfWeek };
  }

  @FieldResolver(() => Offer, { nullable: true, description: 'The offer the campaign awards, if any.' })
  offer(@Root() campaign: CampaignRow, @Context() ctx: RequestCtx) {
    return campaign.offerId ? ctx.loaders.currentOffer.load(campaign.offerId) : null;
  }

  @Mutation(() => EndCampaignPayload, {
    description:
      'Operators: ends a campaign now, audit-logged. Sales made before now still earn from it (also those sent later); sales made from now do not. A campaign that has not started never runs (its endsAt becomes its startsAt). Ending an ended campaign answers it unchanged.',
  })
  endCampaign(@Arg('input') input: EndCampaignInput, @Context() ctx: RequestCtx) {
    requireOperator(ctx);
    const campaignId = fromGlobalId(input.campaignId, 'Campaign', 'input.campaignId');
    return payloadOf(async () => ({ campaign: await endCampaign(ctx, campaignId, input.reason ?? null) }));
  }

  @Mutation(() => CreateCampaignPayload)
  createCampaign(@Arg('input') input: CreateCampaignInput, @Context() ctx: RequestCtx) {
    requireOperator(ctx);
    const offer = input.outcome?.offerId ? offerRefOf(input.outcome.offerId, 'input.outcome.offerId') : null;
    return payloadOf(async () => {
      const offerId = offer ? (await offerIdsOf(ctx.em, [offer]))[0] : null;
      const { idempotencyKey, reason, ...data } = input;
      return { campaign: await createCampaign(ctx, { ...data, outcome: { ...input.outcome, offerId } }, idempotencyKey, reason ?? null) };
    });
  }
}
