import { BigIntType, EntityName, Opt, PrimaryKeyProp } from '@mikro-orm/core';
import { Check, Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

/**
 * A partner's (or the program's) HTTPS endpoint and the webhook event types it receives. The
 * signing secret is kept as is (Standard Webhooks signs with HMAC-SHA256, so the gateway needs the
 * secret itself, not a hash); the API shows it only in the answer that created it.
 */
@Entity({ tableName: 'webhook_endpoint' })
@Index({ name: 'webhook_endpoint_partner_idx', properties: ['partnerId', 'id'] })
@Check({ name: 'webhook_endpoint_event_types_present', expression: 'cardinality(event_types) >= 1' })
export class WebhookEndpoint {
  [EntityName]?: 'WebhookEndpoint';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  /** The partner that owns it; null for an endpoint of the program's own (registered by an operator). */
  @Property({ type: new BigIntType('number'), nullable: true })
  partnerId?: number | null;

  @Property({ type: 'text' })
  url!: string;

  /** Wire names (`sale.processed`, …). */
  @Property({ type: 'text[]' })
  eventTypes!: string[];

  @Property({ type: 'text' })
  secret!: string;

  @Property({ type: 'text', nullable: true })
  description?: string | null;

  @Property({ type: 'text' })
  createdBy!: string;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  /**
   * Removed endpoints receive nothing more; their deliveries stay in the log until pruned. Set by
   * staff or its partner (`removeWebhookEndpoint`), a partner's revocation, or its receiver
   * answering 410 Gone (webhooks-23). `enableWebhookEndpoint` clears it (webhooks-24), moving
   * `generation` on.
   */
  @Property({ type: 'timestamptz', nullable: true })
  disabledAt?: Date | null;

  /**
   * How many times it was turned on again after a removal (`enableWebhookEndpoint` adds one; 0 for
   * an endpoint never enabled again). A delivery's attempt reads it before its POST, and its
   * receiver's 410 Gone removes the endpoint only while it is unchanged (webhooks-25): a 410 to a
   * request sent before an operator's or partner's enable, committed after it, removed the endpoint
   * again. A count, not a time: it compares no two instances' clocks.
   */
  @Property({ type: 'integer', default: 0 })
  generation: number & Opt = 0;

  /**
   * The snapshot (`pg_current_snapshot()` as text) taken when it was registered or last enabled: it
   * is sent the events whose transaction is not visible in it, those that committed after
   * (`dispatchWebhooks`, break38 live). Null for an endpoint registered by an older build: it is sent
   * events dated from its `createdAt` on, as before.
   */
  @Property({ type: 'text', nullable: true })
  receivesFrom?: string | null;

  /**
   * The times it was removed, as commit snapshots (`pg_current_snapshot()` text): `from` taken at
   * the removal (`removeEndpoint`), `to` at the enable after it (null while it is removed), oldest
   * first; a closed window is dropped once the dispatcher has read all it could decide
   * (`dispatchWebhooks`; dropped by count, eleven removals in the lag sent the first one's events:
   * break38d). What committed inside a window is not sent (break38b,
   * break38c live: a second removal within the dispatcher's lag made the first one's events owed
   * again); what committed before a removal still is, its delivery ending FAILED "The endpoint was
   * removed." while it is removed (replayable once enabled). Empty: never removed, or removed by an
   * older build or by its partner's revocation (which cannot be enabled again).
   */
  @Property({ type: 'jsonb', defaultRaw: "'[]'" })
  removedWindows: { from: string; to: string | null }[] & Opt = [];

  /**
   * Since when its receiver keeps failing: the time the first of its deliveries ran out of attempts
   * (WEBHOOK_MAX_ATTEMPTS failed answers) after its last DELIVERED one; null while it receives. A
   * delivery FAILED otherwise (its endpoint removed, its job failing for good on the gateway's
   * side: deliverWebhookJob.onFailed) says nothing of the receiver and does not set it. Cleared by the next delivery it answers 2xx (a retry, a new event, a replay),
   * or by the prune that removes its last FAILED delivery while none is failing (`clearStaleFailingMarks`, webhooks-23).
   * Sending goes on meanwhile: it is a report, not a switch (docs/decisions.md, webhooks-22).
   */
  @Property({ type: 'timestamptz', nullable: true })
  failingSince?: Date | null;
}

export enum WebhookDeliveryStatus {
  PENDING = 'PENDING',
  DELIVERED = 'DELIVERED',
  FAILED = 'FAILED',
}

/**
 * One event for one endpoint: the message as it is sent (frozen when the event was dispatched, so
 * every retry and replay sends the same body under the same `webhook-id`), and where it stands.
 */
@Entity({ tableName: 'webhook_delivery' })
@Unique({ name: 'webhook_delivery_endpoint_event_key', properties: ['endpointId', 'eventId'] })
@Index({ name: 'webhook_delivery_finished_idx', properties: ['finishedAt'] })
@Index({ name: 'webhook_delivery_endpoint_idx', properties: ['endpointId', 'id'] })
// staff's FAILED (or PENDING) deliveries, newest first, without reading the DELIVERED ones (Migration20261203090000)
@Index({ name: 'webhook_delivery_undelivered_idx', expression: "create index webhook_delivery_undelivered_idx on webhook_delivery (status, id) where status <> 'DELIVERED'" })
// each endpoint's deliveries being retried (PENDING after a failed attempt), for WebhookEndpoint.retrying (Migration20261205160000)
@Index({ name: 'webhook_delivery_retrying_idx', expression: "create index webhook_delivery_retrying_idx on webhook_delivery (endpoint_id) where status = 'PENDING' and last_error is not null" })
export class WebhookDelivery {
  [EntityName]?: 'WebhookDelivery';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  @Property({ type: new BigIntType('number') })
  endpointId!: number;

  /** The outbox event it carries (`outbox_event.id`; the row itself may be pruned before this one). */
  @Property({ type: new BigIntType('number') })
  eventId!: number;

  @Property({ type: 'text' })
  eventType!: string;

  /** The JSON body sent, exactly (its signature covers these bytes). */
  @Property({ type: 'text' })
  body!: string;

  @Enum({ items: () => WebhookDeliveryStatus, default: WebhookDeliveryStatus.PENDING })
  status: WebhookDeliveryStatus & Opt = WebhookDeliveryStatus.PENDING;

  /** Attempts in the current round (a staff replay starts a new round at 0). */
  @Property({ type: 'integer', default: 0 })
  attempts: number & Opt = 0;

  @Property({ type: 'timestamptz', nullable: true })
  nextAttemptAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  /** When it was DELIVERED or FAILED; null while PENDING. */
  @Property({ type: 'timestamptz', nullable: true })
  finishedAt?: Date | null;
}

/** One HTTP request of a delivery: what the receiver answered, or why there was no answer. */
@Entity({ tableName: 'webhook_attempt' })
@Index({ name: 'webhook_attempt_delivery_idx', properties: ['deliveryId', 'id'] })
@Index({ name: 'webhook_attempt_at_idx', properties: ['attemptedAt'] })
export class WebhookAttempt {
  [EntityName]?: 'WebhookAttempt';

  @PrimaryKey({ type: new BigIntType('number') })
  id!: number;

  @Property({ type: new BigIntType('number') })
  deliveryId!: number;

  @Property({ type: 'timestamptz' })
  attemptedAt!: Date;

  /** The receiver's HTTP status; null when it did not answer (refused, timed out). */
  @Property({ type: 'integer', nullable: true })
  statusCode?: number | null;

  @Property({ type: 'text', nullable: true })
  error?: string | null;

  @Property({ type: 'integer' })
  durationMs!: number;

  /**
   * Made by "Retry now" (retryWebhookDeliveriesNow), outside the back-off schedule: not counted in
   * its delivery's `attempts`, and a failure leaves the delivery waiting for its scheduled attempt
   * (webhook-retry-40b, Migration20261205190000).
   */
  @Property({ type: 'boolean', default: false })
  manual: boolean & Opt = false;
}

/** The dispatcher's row in `webhook_cursor` (`events.prune` reads it too). */
export const WEBHOOK_CURSOR = 'webhooks';

/**
 * Where the webhook dispatcher stands in the outbox: `cursor` is its `OutboxCursor`
 * (`encodeCursor`, src/events/outbox.reader.ts), moved in the transaction that writes the
 * deliveries of the events it passed. Every event whose transaction is visible in the cursor's
 * `from` snapshot has been dispatched (`events.prune` removes only those); the rest are read by
 * the next runs. One row, WEBHOOK_CURSOR, written by the first run (from `OUTBOX_BEGINNING`).
 */
@Entity({ tableName: 'webhook_cursor' })
export class WebhookCursor {
  [EntityName]?: 'WebhookCursor';
  [PrimaryKeyProp]?: 'name';

  @PrimaryKey({ type: 'text' })
  name!: string;

  @Property({ type: 'text' })
  cursor!: string;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  updatedAt: Date & Opt = new Date();
}
