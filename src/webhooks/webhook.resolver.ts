import { Arg, Args, Ctx as Context, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Ctx } from '../context.js';
import type { RequestCtx } from '../graphql/context.js';
import { connectionOf, PageArgs, pageOf } from '../graphql/connection.js';
import { badInput, payloadOf, UserErrorCode } from '../graphql/errors.js';
import { requireOperator, requirePartnerScope } from '../graphql/guards.js';
import { fromGlobalId, toGlobalId } from '../graphql/ids.js';
import { Partner } from '../partners/partner.types.js';
import {
  enableWebhookEndpoint,
  registerWebhookEndpoint,
  removeWebhookEndpoint,
  replayFailedWebhookDeliveries,
  replayWebhookDelivery,
  retryWebhookDeliveriesNow,
  webhookDeliveriesPage,
  webhookEndpointsPage,
  webhookEndpointVisible,
  type WebhookDeliveryRow,
  type WebhookEndpointRow,
} from './webhook.service.js';
import {
  EnableWebhookEndpointInput,
  EnableWebhookEndpointPayload,
  eventTypeOf,
  RegisterWebhookEndpointInput,
  RegisterWebhookEndpointPayload,
  RemoveWebhookEndpointInput,
  RemoveWebhookEndpointPayload,
  ReplayFailedWebhookDeliveriesInput,
  ReplayFailedWebhookDeliveriesPayload,
  ReplayWebhookDeliveryInput,
  ReplayWebhookDeliveryPayload,
  RetryWebhookDeliveriesNowInput,
  RetryWebhookDeliveriesNowPayload,
  WebhookAttempt,
  WebhookDeliveriesArgs,
  WebhookDelivery,
  WebhookDeliveryConnection,
  WebhookEndpoint,
  WebhookEndpointConnection,
  WebhookEventType,
  WebhookRetrying,
  wireTypeOf,
} from './webhook.types.js';

export const WEBHOOKS_SCOPE = 'webhooks:manage';

/** Operators, or a partner holding webhooks:manage (for its own endpoints). */
function requireWebhookManager(ctx: Ctx): void {
  if (ctx.caller.kind === 'staff') {
    requireOperator(ctx);
    return;
  }
  requirePartnerScope(ctx, WEBHOOKS_SCOPE);
}

/**
 * Who reads what an endpoint's deliveries say (WebhookEndpoint.retrying), as `webhookEndpoints` lists
 * endpoints: staff, and the partner that owns it with webhooks:manage. Every way to an endpoint
 * (webhookEndpoints, node, a delivery's endpoint, a mutation's payload) is guarded already; this
 * keeps a way added later from showing another owner's receiver failures.
 */
function mayReadEndpoint(ctx: Ctx, e: WebhookEndpointRow): boolean {
  if (ctx.caller.kind === 'staff') return true;
  return ctx.caller.kind === 'partner' && ctx.caller.partnerId === e.partnerId && ctx.caller.scopes.includes(WEBHOOKS_SCOPE);
}

@Resolver(() => WebhookEndpoint)
export class WebhookEndpointResolver {
  @Query(() => WebhookEndpointConnection, { description: "Staff: every webhook endpoint; a partner with webhooks:manage: its own. Newest first." })
  async webhookEndpoints(@Args() args: PageArgs, @Context() ctx: Ctx) {
    if (ctx.caller.kind !== 'staff') requirePartnerScope(ctx, WEBHOOKS_SCOPE);
    const page = pageOf(args, ctx.config.maxPageSize, 'WebhookEndpoint');
    return connectionOf(await webhookEndpointsPage(ctx, page), page, (e) => [e.id]);
  }

  @FieldResolver(() => ID)
  id(@Root() e: WebhookEndpointRow) {
    return toGlobalId('WebhookEndpoint', e.id);
  }

  @FieldResolver(() => [WebhookEventType])
  eventTypes(@Root() e: WebhookEndpointRow) {
    return e.eventTypes.map(eventTypeOf);
  }

  @FieldResolver(() => Partner, { nullable: true, description: 'The partner it belongs to (staff only); null: the program\'s own.' })
  async partner(@Root() e: WebhookEndpointRow, @Context() ctx: RequestCtx) {
    if (e.partnerId === null || ctx.caller.kind !== 'staff') return null;
    return (await ctx.loaders.partner.load(e.partnerId)) ?? null;
  }

  @FieldResolver(() => WebhookRetrying, {
    nullable: true,
    description:
      "Whether its deliveries are being retried now, and how: how many, since when, the last error (WebhookRetrying). Null when none is (every delivery answered 2xx, ran out of attempts, or was never tried), and for a removed endpoint or a revoked partner's (nothing more is sent to it). Read with the endpoint: staff, or its partner with webhooks:manage; null for anyone else. A page of endpoints reads it in one statement.",
  })
  async retrying(@Root() e: WebhookEndpointRow, @Context() ctx: RequestCtx) {
    if (!mayReadEndpoint(ctx, e)) return null;
    return (await ctx.loaders.webhookRetrying.load(e.id)) ?? null;
  }

  @Mutation(() => RegisterWebhookEndpointPayload, {
    description: 'Operators or a partner with webhooks:manage. Returns the signing secret once. ALREADY_EXISTS when its owner already has an endpoint (not removed) for the same URL.',
  })
  registerWebhookEndpoint(@Arg('input') input: RegisterWebhookEndpointInput, @Context() ctx: Ctx) {
    requireWebhookManager(ctx);
    const partnerId = input.partnerId ? fromGlobalId(input.partnerId, 'Partner', 'input.partnerId') : null;
    return payloadOf(() => registerWebhookEndpoint(ctx, { url: input.url, eventTypes: input.eventTypes.map(wireTypeOf), description: input.description, partnerId, idempotencyKey: input.idempotencyKey, reason: input.reason }));
  }

  @Mutation(() => ReplayFailedWebhookDeliveriesPayload, {
    description:
      "Operators, or a partner with webhooks:manage (its own endpoints; another's is NOT_FOUND): send every FAILED delivery of an endpoint again (after its receiver is mended), each with a new round of attempts; those of a type the endpoint's partner may not read now are left FAILED and counted in `skipped`. Keyed: a resend answers the first count.",
  })
  replayFailedWebhookDeliveries(@Arg('input') input: ReplayFailedWebhookDeliveriesInput, @Context() ctx: Ctx) {
    requireWebhookManager(ctx);
    const endpointId = fromGlobalId(input.endpointId, 'WebhookEndpoint', 'input.endpointId');
    return payloadOf(async () => {
      const { skipped, ...answer } = await replayFailedWebhookDeliveries(ctx, { endpointId, idempotencyKey: input.idempotencyKey, reason: input.reason });
      return { ...answer, skipped: skipped?.map((s) => ({ eventType: eventTypeOf(s.eventType), count: s.count, code: UserErrorCode.NOT_ELIGIBLE, message: s.message })) ?? null };
    });
  }

  @Mutation(() => RetryWebhookDeliveriesNowPayload, {
    description:
      "Operators, or a partner with webhooks:manage (its own endpoints; another's is NOT_FOUND): once its receiver is mended, send the endpoint's deliveries being retried (WebhookEndpoint.retrying) now, each one attempt outside the back-off schedule. Delivered on a 2xx; on a failure each goes back to the schedule as it was: its `attempts` unmoved (the attempt is logged, `WebhookAttempt.manual`), its next attempt the scheduled one it was waiting for (up to WEBHOOK_MAX_BACKOFF_MS away, no sooner than WEBHOOK_BACKOFF_MS after this one), so pressing on a receiver still failing never makes a delivery FAILED. None is attempted sooner than WEBHOOK_BACKOFF_MS after its last attempt began; one being attempted right now is left to that attempt. FAILED deliveries are not touched: replayFailedWebhookDeliveries sends those. Refused: NOT_FOUND, INVALID (the endpoint was removed, or its partner revoked: nothing is sent to it).",
  })
  retryWebhookDeliveriesNow(@Arg('input') input: RetryWebhookDeliveriesNowInput, @Context() ctx: Ctx) {
    requireWebhookManager(ctx);
    const endpointId = fromGlobalId(input.endpointId, 'WebhookEndpoint', 'input.endpointId');
    return payloadOf(() => retryWebhookDeliveriesNow(ctx, endpointId, input.reason));
  }

  @Mutation(() => EnableWebhookEndpointPayload, {
    description:
      'Operators or a partner with webhooks:manage (its own): turns a removed endpoint on again, with the same URL, event types and secret. Events while it was removed are not sent; replay its FAILED deliveries with replayFailedWebhookDeliveries. Refused: NOT_FOUND (also a revoked partner\'s), NOT_ELIGIBLE (its partner lost a scope its event types need), ALREADY_EXISTS (another endpoint of its owner has the URL now), DESTINATION_NOT_ALLOWED or INVALID (the gateway\'s settings no longer allow its URL).',
  })
  enableWebhookEndpoint(@Arg('input') input: EnableWebhookEndpointInput, @Context() ctx: Ctx) {
    requireWebhookManager(ctx);
    const endpointId = fromGlobalId(input.endpointId, 'WebhookEndpoint', 'input.endpointId');
    return payloadOf(async () => ({ endpoint: await enableWebhookEndpoint(ctx, endpointId, input.reason ?? null) }));
  }

  @Mutation(() => RemoveWebhookEndpointPayload, { description: 'Stops sending to the endpoint. A partner removes only its own. enableWebhookEndpoint turns it on again.' })
  removeWebhookEndpoint(@Arg('input') input: RemoveWebhookEndpointInput, @Context() ctx: Ctx) {
    requireWebhookManager(ctx);
    const endpointId = fromGlobalId(input.endpointId, 'WebhookEndpoint', 'input.endpointId');
    return payloadOf(async () => ({ endpoint: await removeWebhookEndpoint(ctx, endpointId, input.reason ?? null) }));
  }
}

@Resolver(() => WebhookDelivery)
export class WebhookDeliveryResolver {
  @Query(() => WebhookDeliveryConnection, {
    description: "The webhook delivery log, newest first. Staff: every endpoint's; a partner with webhooks:manage: its own endpoints' only (another's endpointId is refused as an unknown one).",
  })
  async webhookDeliveries(@Args() args: WebhookDeliveriesArgs, @Context() ctx: Ctx) {
    if (ctx.caller.kind !== 'staff') requirePartnerScope(ctx, WEBHOOKS_SCOPE);
    const page = pageOf(args, ctx.config.maxPageSize, 'WebhookDelivery');
    const endpointId = args.endpointId ? fromGlobalId(args.endpointId, 'WebhookEndpoint', 'endpointId') : null;
    // an endpoint that never was answered an empty log, which read as "nothing sent to it" (edges-11);
    // another partner's is answered alike, so a partner cannot tell it from one that does not exist
    if (endpointId !== null && !(await webhookEndpointVisible(ctx, endpointId))) throw badInput(`No webhook endpoint ${args.endpointId}.`, 'endpointId');
    return connectionOf(await webhookDeliveriesPage(ctx, { endpointId, status: args.status ?? null }, page), page, (d) => [d.id]);
  }

  @FieldResolver(() => ID)
  id(@Root() d: WebhookDeliveryRow) {
    return toGlobalId('WebhookDelivery', d.id);
  }

  @FieldResolver(() => WebhookEventType)
  eventType(@Root() d: WebhookDeliveryRow) {
    return eventTypeOf(d.eventType);
  }

  @FieldResolver(() => String)
  messageId(@Root() d: WebhookDeliveryRow) {
    return `evt_${d.eventId}`;
  }

  @FieldResolver(() => WebhookEndpoint)
  endpoint(@Root() d: WebhookDeliveryRow, @Context() ctx: RequestCtx) {
    return ctx.loaders.webhookEndpoint.load(d.endpointId);
  }

  @FieldResolver(() => [WebhookAttempt], { description: 'Every attempt, oldest first.' })
  attemptLog(@Root() d: WebhookDeliveryRow, @Context() ctx: RequestCtx) {
    return ctx.loaders.webhookAttempts.load(d.id);
  }

  @Mutation(() => ReplayWebhookDeliveryPayload, {
    description: "Operators, or a partner with webhooks:manage (its own endpoints' deliveries; another's is NOT_FOUND): send a DELIVERED or FAILED delivery again, with a new round of attempts. NOT_ELIGIBLE when its endpoint's partner may not read its event type now (it would not be sent).",
  })
  replayWebhookDelivery(@Arg('input') input: ReplayWebhookDeliveryInput, @Context() ctx: Ctx) {
    requireWebhookManager(ctx);
    const deliveryId = fromGlobalId(input.deliveryId, 'WebhookDelivery', 'input.deliveryId');
    return payloadOf(async () => ({ delivery: await replayWebhookDelivery(ctx, deliveryId, input.idempotencyKey, input.reason ?? null) }));
  }
}
