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
 * the same unique key already exists.
 */
export async function enqueueJob(em: SqlEntityManager, kind: string, payload: unknown, options: EnqueueOptions): Promise<number | null> {
  const [row] = await query<{ id: number }>(
    em,
    sql`insert into job (kind, payload, run_at, unique_key, max_attempts, created_at)
        values (${kind}, ${JSON.stringify(payload)}::jsonb, ${options.runAt}, ${options.uniqueKey ?? null}, ${options.maxAttempts ?? 5}, ${options.runAt})
        on conflict (unique_key) do nothing returning id`,
  );
  if (row) await query(em, sql`select pg_notify(${JOBS_CHANNEL}, ${kind})`);
  return row?.id ?? null;
}
