import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { query, sql } from '../db/sql.js';

export type EventTopic = 'BALANCE_CHANGED' | 'WALLET_CHANGED' | 'TIER_CHANGED' | 'TRANSACTION_PROCESSED';

/** Records an event in the caller's transaction (the outbox): it exists if and only if the change commits. */
export async function recordEvent(em: SqlEntityManager, topic: EventTopic, customerId: number, payload: Record<string, unknown>, now: Date): Promise<void> {
  await query(
    em,
    sql`insert into outbox_event (topic, customer_id, payload, created_at) values (${topic}, ${customerId}, ${JSON.stringify(payload)}::jsonb, ${now})`,
  );
}
