import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { query, sql } from '../db/sql.js';

export type EventTopic = 'BALANCE_CHANGED' | 'WALLET_CHANGED' | 'TIER_CHANGED' | 'TRANSACTION_PROCESSED';

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
