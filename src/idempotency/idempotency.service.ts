import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { query, sql } from '../db/sql.js';
import { refuse, UserErrorCode } from '../graphql/errors.js';

export type Claim<R> = { replay: false } | { replay: true; result: R };

/**
 * Claims `key` in `scope` inside the caller's transaction. The first caller gets `replay: false`
 * and must `complete` before committing; a repeat (also one that arrived at the same moment and
 * waited on the key's row) gets the first result. A repeat that asks for something else is refused.
 */
export async function claimIdempotencyKey<R>(em: SqlEntityManager, scope: string, key: string, fingerprint: string, now: Date): Promise<Claim<R>> {
  const [claimed] = await query<{ claimed: number }>(
    em,
    sql`insert into idempotency_record (scope, key, fingerprint, created_at) values (${scope}, ${key}, ${fingerprint}, ${now})
        on conflict do nothing returning 1 as claimed`,
  );
  if (claimed) return { replay: false };
  const [existing] = await query<{ fingerprint: string; result: R }>(
    em,
    sql`select fingerprint, result from idempotency_record where scope = ${scope} and key = ${key}`,
  );
  if (!existing || existing.fingerprint !== fingerprint) {
    throw refuse(UserErrorCode.IDEMPOTENCY_KEY_REUSED, 'This idempotency key was already used for a different request.', ['idempotencyKey']);
  }
  return { replay: true, result: existing.result };
}

export async function completeIdempotencyKey(em: SqlEntityManager, scope: string, key: string, result: unknown): Promise<void> {
  await query(em, sql`update idempotency_record set result = ${JSON.stringify(result)}::jsonb where scope = ${scope} and key = ${key}`);
}
