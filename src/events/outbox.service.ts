import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { query, sql } from '../db/sql.js';

/**
 * What an outbox event reports. `TRANSACTION_REVERSED` (a return, `reverseTransaction`; payload
 * `{ transactionId, pointsReversed, pointsOwed, reason }`) has no subscription: webhooks carry it
 * (`sale.reversed`, webhooks-24).
 */
export type EventTopic = 'BALANCE_CHANGED' | 'WALLET_CHANGED' | 'TIER_CHANGED' | 'TRANSACTION_PROCESSED' | 'TRANSACTION_REVERSED';

/**
 * Outbox topics that end sessions rather than inform subscribers (docs/decisions.md, "The network
 * edge"): every instance's hub ends the caller's subscriptions and its WebSocket server closes the
 * caller's sockets when the relay reads one. No subscription and no webhook carries them.
 * - `CUSTOMER_CLOSED`: the customer's stream (`customer_id`), payload `{}`;
 * - `PARTNER_REVOKED`: no customer, payload `{ partnerId }`.
 */
export const SessionTopic = { CUSTOMER_CLOSED: 'CUSTOMER_CLOSED', PARTNER_REVOKED: 'PARTNER_REVOKED' } as const;
export type SessionTopic = (typeof SessionTopic)[keyof typeof SessionTopic];

/**
 * Records, in the caller's transaction, that a customer's or a partner's sessions end (the account
 * closed, the key revoked): if and only if the change commits, the relays of every instance read
 * it, a customer's in order with its other events (its stream position is after everything the
 * customer had before the close).
 */
export async function recordSessionEnd(em: SqlEntityManager, who: { customerId: number } | { partnerId: number }, now: Date): Promise<void> {
  const [topic, customerId, payload] =
    'customerId' in who ? [SessionTopic.CUSTOMER_CLOSED, who.customerId, {}] : [SessionTopic.PARTNER_REVOKED, null, { partnerId: who.partnerId }];
  await query(em, sql`insert into outbox_event (topic, customer_id, payload, created_at) values (${topic}, ${customerId}, ${JSON.stringify(payload)}::jsonb, ${now})`);
}

/**
 * Records an event in the caller's transaction (the outbox): it exists if and only if the change
 * commits. The insert is all the transaction does for delivery (relays poll by snapshot); its
 * trigger numbers the event in the customer's stream under that customer's `event_stream` row lock.
 */
export async function recordEvent(em: SqlEntityManager, topic: EventTopic, customerId: number, payload: Record<string, unknown>, now: Date): Promise<void> {
  await query(
    em,
    sql`insert into outbox_event (topic, customer_id, payload, created_at) values (${topic}, ${customerId}, ${JSON.stringify(payload)}::jsonb, ${now})`,
  );
}

/** Records many events of one topic in one statement (set-based jobs), in the caller's transaction. */
export async function recordEvents(
  em: SqlEntityManager,
  topic: EventTopic,
  events: readonly { customerId: number; payload: Record<string, unknown> }[],
  now: Date,
): Promise<void> {
  if (events.length === 0) return;
  // By customer: the trigger takes each customer's `event_stream` row lock in this order, the same
  // order in every statement, so two batches never wait on each other in a cycle.
  const rows = JSON.stringify([...events].sort((a, b) => a.customerId - b.customerId).map((e) => ({ customer_id: e.customerId, payload: e.payload })));
  await query(
    em,
    sql`insert into outbox_event (topic, customer_id, payload, created_at)
        select ${topic}, e.customer_id, e.payload, ${now} from jsonb_to_recordset(${rows}::jsonb) as e(customer_id bigint, payload jsonb)`,
  );
}
