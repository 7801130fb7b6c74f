import { Arg, Ctx as Context, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestCtx } from '../graphql/context.js';
import { payloadOf } from '../graphql/errors.js';
import { requireOperator, requirePartnerScope, requireStaff } from '../graphql/guards.js';
import { toGlobalId } from '../graphql/ids.js';
import { PointCurrency } from '../points/points.types.js';
import { activityRulesByIds, recordActivity, setActivityRule, type ActivityRuleRow } from './activity.service.js';
import { ActivityRule, RecordActivityInput, RecordActivityPayload, SetActivityRuleInput, SetActivityRulePayload } from './activity.types.js';

@Resolver(() => ActivityRule)
export class ActivityRuleResolver {
  @Query(() => [ActivityRule], { description: 'Staff: every activity rule.' })
  activityRules(@Context() ctx: RequestCtx) {
    requireStaff(ctx);
    return activityRulesByIds(ctx.em, null);
  }

  @FieldResolver(() => ID)
  id(@Root() rule: ActivityRuleRow) {
    return toGlobalId('ActivityRule', rule.id);
  }

  @FieldResolver(() => PointCurrency)
  currency(@Root() rule: ActivityRuleRow, @Context() ctx: RequestCtx) {
    return ctx.loaders.currency.load(rule.currencyCode);
  }

  @Mutation(() => SetActivityRulePayload, { description: 'Operators: create or replace the rule of a kind in a currency; recorded in the audit log.' })
  setActivityRule(@Arg('input') input: SetActivityRuleInput, @Context() ctx: RequestCtx) {
    requireOperator(ctx);
    const { reason, ...rule } = input;
    return payloadOf(async () => ({ rule: await setActivityRule(ctx, rule, reason ?? null) }));
  }

  @Mutation(() => RecordActivityPayload, { description: "Partners with activities:write: earn the rule's points within the kind's natural limit and the rule's cap." })
  recordActivity(@Arg('input') input: RecordActivityInput, @Context() ctx: RequestCtx) {
    requirePartnerScope(ctx, 'activities:write');
    return payloadOf(() => recordActivity(ctx, input));
  }
}
