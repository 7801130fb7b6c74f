import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { query, sql } from '../db/sql.js';

export const JOBS_CHANNEL = 'reward_gateway_jobs';

export interface EnqueueOptions {
  runAt: Date;
  /** At most one job with this key is ever enqueued. */
  uniqueKey?: string;
  maxAttempts?: number;
}

/**
 * Adds a job in the caller's transaction: it exists, and workers are woken (NOTIFY is delivered on
 * commit), if and only if the caller's change commits. Returns the job id, or null when a job with
 * the same unique key already exists (and then nobody is woken).
 *
 * One statement: the NOTIFY rides on the insert (once per inserted row), so enqueueing costs the
 * caller's transaction one round trip, not two. PostgreSQL folds identical notifications of one
 * transaction into one, so a transaction that enqueues many jobs of a kind wakes once.
 */
export async function enqueueJob(em: SqlEntityManager, kind: string, payload: unknown, options: EnqueueOptions): Promise<number | null> {
  const [row] = await query<{ id: number }>(
    em,
    sql`with inserted as (
          insert into job (kind, payload, run_at, unique_key, max_attempts, created_at)
          values (${kind}, ${JSON.stringify(payload)}::jsonb, ${options.runAt}, ${options.uniqueKey ?? null}, ${options.maxAttempts ?? 5}, ${options.runAt})
          on conflict (unique_key) do nothing returning id)
        select id, pg_notify(${JOBS_CHANNEL}, ${kind}) from inserted`,
  );
  return row?.id ?? null;
}
