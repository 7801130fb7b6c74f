import { MaxLength } from '../graphql/class-validator.js';
import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ConnectionType, PageArgs } from '../graphql/connection.js';
import { UserError, UserErrorCode } from '../graphql/errors.js';
import { ChangeReason, IsIdempotencyKey, MaxItems, MinItems, NotBlank, OptionalIdempotencyKey } from '../graphql/validation.js';
import { Node } from '../graphql/node.js';
import { DateTimeScalar } from '../graphql/scalars.js';
import { WEBHOOK_EVENT_TYPES, WEBHOOK_WIRE_NAMES, type WebhookEventWireType } from './event-types.js';

/** Webhook event types as GraphQL names them; the message's `type` is the wire name beside each. */
export enum WebhookEventType {
  SALE_PROCESSED = 'SALE_PROCESSED',
  SALE_REVERSED = 'SALE_REVERSED',
  OFFER_ISSUED = 'OFFER_ISSUED',
  OFFER_REDEEMED = 'OFFER_REDEEMED',
  BALANCE_CHANGED = 'BALANCE_CHANGED',
  TIER_CHANGED = 'TIER_CHANGED',
}
registerEnumType(WebhookEventType, {
  name: 'WebhookEventType',
  description: 'What an endpoint is sent; the message `type` is given per value.',
  valuesConfig: {
    SALE_PROCESSED: { description: '`sale.processed`: a sale was processed (a partner: its own sales only, with transactions:read).' },
    SALE_REVERSED: { description: '`sale.reversed`: a sale was returned (reverseTransaction), with the points taken back (a partner: its own sales only, with transactions:read).' },
    OFFER_ISSUED: { description: '`offer.issued`: an offer landed in a wallet (the program\'s endpoints only).' },
    OFFER_REDEEMED: { description: '`offer.redeemed`: an offer was redeemed (the program\'s endpoints only).' },
    BALANCE_CHANGED: { description: '`balance.changed`: a point balance changed (a partner: with customers:read).' },
    TIER_CHANGED: { description: '`tier.changed`: a customer moved tier (a partner: with customers:read).' },
  },
});

const WIRE: Record<WebhookEventType, WebhookEventWireType> = WEBHOOK_WIRE_NAMES;
export const wireTypeOf = (t: WebhookEventType): WebhookEventWireType => WIRE[t];
export const eventTypeOf = (wire: string): WebhookEventType => (Object.keys(WIRE) as WebhookEventType[]).find((k) => WIRE[k] === wire)!;

export enum WebhookDeliveryStatus {
  PENDING = 'PENDING',
  DELIVERED = 'DELIVERED',
  FAILED = 'FAILED',
}
registerEnumType(WebhookDeliveryStatus, { name: 'WebhookDeliveryStatus', description: 'PENDING until a 2xx (DELIVERED) or the last attempt (FAILED).' });

@ObjectType({
  description:
    "An endpoint's deliveries being retried now: PENDING after at least one failed attempt, each waiting for its next attempt on the back-off schedule (README, Webhooks). Its receiver has been failing since firstFailedAt, though failingSince is set only when one of them runs out of attempts (about 29 hours with the defaults).",
})
export class WebhookRetrying {
  @Field(() => Int, { description: 'How many of its deliveries are PENDING after at least one failed attempt (a count of deliveries, not of attempts); at least 1.' })
  count!: number;

  @Field(() => DateTimeScalar, {
    description:
      "When the first of them first failed: the earliest first failed attempt among them (UTC instant), counting each delivery's current round only (a replay starts a new one). Attempts older than EVENT_RETENTION_HOURS are pruned: with a retention shorter than the schedule, the earliest failure still kept.",
  })
  firstFailedAt!: Date;

  @Field({
    description:
      "The most recent failed attempt's error among them, as WebhookDelivery.lastError says it: `HTTP 503` (an answer other than 2xx), `ECONNREFUSED` (a network error's code), `no answer within 10000 ms`, `destination not allowed: …`.",
  })
  lastError!: string;

  @Field(() => Int, { nullable: true, description: 'The HTTP status of that attempt (e.g. 503); null when the receiver did not answer (refused, timed out, a DNS or destination failure).' })
  lastStatusCode!: number | null;

  @Field(() => DateTimeScalar, { description: 'When that attempt (the most recent failed one among them) began (UTC instant); a Retry now attempt counts (WebhookAttempt.manual).' })
  lastFailedAt!: Date;

  @Field(() => DateTimeScalar, {
    description: "The soonest next attempt among them, on the back-off schedule (UTC instant; README, Webhooks): after a receiver is mended, each waits for its own, so this says when the first will be sent again.",
  })
  nextAttemptAt!: Date;
}

@ObjectType({ implements: Node, description: 'An endpoint webhooks are sent to, signed per Standard Webhooks.' })
export class WebhookEndpoint extends Node {
  @Field()
  url!: string;

  @Field(() => [WebhookEventType])
  eventTypes!: WebhookEventType[];

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description:
      'Set once removed (by staff, its partner, or its receiver answering 410 Gone): nothing more is sent to it. enableWebhookEndpoint turns it on again with the same secret (events while it was removed are not sent), unless its partner was revoked.',
  })
  disabledAt!: Date | null;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description:
      'Since when its receiver keeps failing: set when one of its deliveries failed every attempt (FAILED after WEBHOOK_MAX_ATTEMPTS, at least about 29 hours with the defaults), cleared when one is delivered again (a retry, a new event, a replay) or when the event retention has removed its last FAILED delivery and none is failing now (nothing is left to replay). Null while it receives. Sending goes on meanwhile; its FAILED deliveries are replayed with replayWebhookDelivery.',
  })
  failingSince!: Date | null;
}

@ObjectType({ description: 'One HTTP request of a delivery.' })
export class WebhookAttempt {
  @Field(() => DateTimeScalar)
  attemptedAt!: Date;

  @Field(() => Int, { nullable: true, description: "The receiver's HTTP status; null when it did not answer." })
  statusCode!: number | null;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field(() => Int)
  durationMs!: number;

  @Field({
    description:
      "Made by Retry now (retryWebhookDeliveriesNow): an attempt outside the back-off schedule, not counted in the delivery's `attempts`; when it fails, the delivery keeps waiting for its next scheduled attempt. False for the schedule's attempts.",
  })
  manual!: boolean;
}

@ObjectType({ implements: Node, description: 'One event for one endpoint, and where it stands.' })
export class WebhookDelivery extends Node {
  @Field(() => WebhookEventType)
  eventType!: WebhookEventType;

  @Field({ description: "The message's `webhook-id` (the same on every retry and replay)." })
  messageId!: string;

  @Field({ description: 'The JSON body sent, exactly as signed.' })
  body!: string;

  @Field(() => WebhookDeliveryStatus)
  status!: WebhookDeliveryStatus;

  @Field(() => Int, { description: "The back-off schedule's attempts in the current round (a replay starts a new one); at WEBHOOK_MAX_ATTEMPTS failed ones it is FAILED. Retry now's attempts (`attemptLog`, `manual`) are not counted." })
  attempts!: number;

  @Field(() => DateTimeScalar, { nullable: true })
  nextAttemptAt!: Date | null;

  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  finishedAt!: Date | null;
}

export const WebhookEndpointConnection = ConnectionType(WebhookEndpoint, 'WebhookEndpoint');
export const WebhookDeliveryConnection = ConnectionType(WebhookDelivery, 'WebhookDelivery');

@ArgsType()
export class WebhookDeliveriesArgs extends PageArgs {
  @Field(() => ID, { nullable: true, description: 'Only this endpoint\'s deliveries (a removed endpoint\'s too); an id of no endpoint is BAD_USER_INPUT.' })
  endpointId?: string | null;

  @Field(() => WebhookDeliveryStatus, { nullable: true })
  status?: WebhookDeliveryStatus | null;
}

@InputType()
export class RegisterWebhookEndpointInput {
  @Field({ description: 'https:// (http:// only to localhost where WEBHOOK_ALLOW_HTTP_LOCALHOST is on); no credentials in it.' })
  @MaxLength(2000)
  url!: string;

  @Field(() => [WebhookEventType])
  @MinItems(1, 'event type')
  @MaxItems(WEBHOOK_EVENT_TYPES.length, 'event type')
  eventTypes!: WebhookEventType[];

  @Field(() => String, { nullable: true, description: 'Null or absent: none; when given, not blank.' })
  @MaxLength(500)
  @NotBlank()
  description?: string | null;

  @Field(() => ID, { nullable: true, description: 'Operators: register it for this partner (default: the program). Ignored for an API key (always its own).' })
  partnerId?: string | null;

  @OptionalIdempotencyKey('endpoint (without its secret: see secretWithheld)')
  idempotencyKey?: string | null;

  @ChangeReason()
  reason?: string | null;
}

@ObjectType()
export class RegisterWebhookEndpointPayload {
  @Field(() => WebhookEndpoint, { nullable: true })
  endpoint?: WebhookEndpoint | null;

  @Field(() => String, { nullable: true, description: 'The signing secret (`whsec_…`), shown this once.' })
  secret?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'True when this answer repeats an earlier registration with the same idempotencyKey: secret is null, since it is shown in the first answer only. If that answer was lost, remove this endpoint and register another. False when secret is shown; null when refused.',
  })
  secretWithheld?: boolean | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@InputType()
export class RemoveWebhookEndpointInput {
  @Field(() => ID)
  endpointId!: string;

  @ChangeReason()
  reason?: string | null;
}

@ObjectType()
export class RemoveWebhookEndpointPayload {
  @Field(() => WebhookEndpoint, { nullable: true })
  endpoint?: WebhookEndpoint | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@InputType()
export class EnableWebhookEndpointInput {
  @Field(() => ID, { description: 'A removed endpoint (an endpoint not removed is answered as it is).' })
  endpointId!: string;

  @ChangeReason()
  reason?: string | null;
}

@ObjectType()
export class EnableWebhookEndpointPayload {
  @Field(() => WebhookEndpoint, { nullable: true, description: 'The endpoint, receiving again (disabledAt null), with its URL, event types and secret as before.' })
  endpoint?: WebhookEndpoint | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@InputType()
export class ReplayWebhookDeliveryInput {
  @Field(() => ID)
  deliveryId!: string;

  @Field(() => String, {
    nullable: true,
    description:
      'Optional, yours alone: the same key and delivery again answer the delivery as it is now and send nothing more (a resend after a lost answer does not send, again, a delivery the first replay sent); with another delivery it is IDEMPOTENCY_KEY_REUSED. Absent: each call replays.',
  })
  @IsIdempotencyKey()
  idempotencyKey?: string | null;

  @ChangeReason()
  reason?: string | null;
}

@ObjectType()
export class ReplayWebhookDeliveryPayload {
  @Field(() => WebhookDelivery, { nullable: true })
  delivery?: WebhookDelivery | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@InputType()
export class ReplayFailedWebhookDeliveriesInput {
  @Field(() => ID, { description: 'The endpoint whose FAILED deliveries are sent again (not a removed one).' })
  endpointId!: string;

  @Field({ description: 'Yours alone: the same key and endpoint again answer the first count and replay nothing more; with another endpoint it is IDEMPOTENCY_KEY_REUSED.' })
  @IsIdempotencyKey()
  idempotencyKey!: string;

  @ChangeReason()
  reason?: string | null;
}

@ObjectType({
  description:
    "FAILED deliveries of one event type that a bulk replay left as they are: the endpoint's partner may not read that type now, so each would end FAILED at its attempt, nothing sent.",
})
export class SkippedWebhookDeliveries {
  @Field(() => WebhookEventType)
  eventType!: WebhookEventType;

  @Field(() => Int, { description: 'How many FAILED deliveries of this type were left FAILED.' })
  count!: number;

  @Field(() => UserErrorCode, { description: 'Why, as a code: NOT_ELIGIBLE (as replayWebhookDelivery refuses one of them).' })
  code!: UserErrorCode;

  @Field({ description: 'Why, in words (the scope the type needs that the partner lacks).' })
  message!: string;
}

@ObjectType()
export class ReplayFailedWebhookDeliveriesPayload {
  @Field(() => WebhookEndpoint, { nullable: true })
  endpoint?: WebhookEndpoint | null;

  @Field(() => Int, { nullable: true, description: 'How many FAILED deliveries this request made PENDING again (each with a new round of attempts, due now); null when refused.' })
  replayed?: number | null;

  @Field(() => [SkippedWebhookDeliveries], {
    nullable: true,
    description:
      "FAILED deliveries not replayed, per event type, with why: types the endpoint's partner may not read now (empty: none). Null when refused, and on a repeat of a request answered before this field existed.",
  })
  skipped?: SkippedWebhookDeliveries[] | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@InputType()
export class RetryWebhookDeliveriesNowInput {
  @Field(() => ID, { description: 'The endpoint whose deliveries being retried are sent now (not a removed one, nor a revoked partner\'s).' })
  endpointId!: string;

  @ChangeReason()
  reason?: string | null;
}

@ObjectType()
export class RetryWebhookDeliveriesNowPayload {
  @Field(() => WebhookEndpoint, { nullable: true, description: 'The endpoint, its `retrying.nextAttemptAt` now the soonest of the new times.' })
  endpoint?: WebhookEndpoint | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'How many deliveries being retried this request brought forward (0: none was waiting, or each is being attempted now or was already due); null when refused. Each is due now, or WEBHOOK_BACKOFF_MS after its last attempt began when that is later.',
  })
  broughtForward?: number | null;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description:
      'When the last of the deliveries brought forward is due (UTC instant): now, or WEBHOOK_BACKOFF_MS after its last attempt began. Once the workers have run past it, `endpoint.retrying` says what the attempts did (null: delivered; else its lastFailedAt, lastError and nextAttemptAt). Null when none was brought forward, or refused.',
  })
  dueAt?: Date | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
