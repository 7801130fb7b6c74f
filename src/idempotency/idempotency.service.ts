import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { columnsOf, type Selected } from '../db/schema.js';
import { query, sql } from '../db/sql.js';
import { refuse, UserErrorCode } from '../domain/refusals.js';
import { IdempotencyRecord } from './idempotency-record.entity.js';

export { canonicalDecimal, requestFingerprint } from './fingerprint.js';

export type Claim<R> = { replay: false } | { replay: true; result: R };

/** What a repeat reads of the first request: its fingerprint and the answer it stored (JSON). */
const CLAIMED_COLUMNS = columnsOf(IdempotencyRecord, '', ['fingerprint', 'result']);

/**
 * Claims `key` in `scope` inside the caller's transaction: the one rule of every idempotent
 * operation (docs/decisions.md, "Idempotency").
 *
 * - `scope` names the operation and the caller the key belongs to (`purchase:<customer>`,
 *   `sale:partner:<id>`, …), so one caller's key never meets another's.
 * - `fingerprint` is `requestFingerprint(...)` of what the request means.
 * - The first caller gets `replay: false` and must `completeIdempotencyKey` before committing. A
 *   repeat gets `replay: true` and the stored result; one that arrives while the first is still
 *   running waits on the key's row (the primary key) and then reads what the first committed. If
 *   the first rolled back, the key was never taken and the repeat runs as the first.
 * - A repeat whose fingerprint differs is refused (a UserErrorException, so the caller's transaction
 *   writes nothing): `IDEMPOTENCY_KEY_REUSED` on `["input", "idempotencyKey"]` unless `refusal` names
 *   another code, field or message (a sale's externalId; a code that already exists).
 */
export async function claimIdempotencyKey<R>(
  em: SqlEntityManager,
  scope: string,
  key: string,
  fingerprint: string,
  now: Date,
  refusal: { code?: UserErrorCode; field?: string[]; message?: string } = {},
): Promise<Claim<R>> {
  const field = refusal.field ?? ['input', 'idempotencyKey'];
  const [claimed] = await query<{ claimed: number }>(
    em,
    sql`insert into idempotency_record (scope, key, fingerprint, created_at) values (${scope}, ${key}, ${fingerprint}, ${now})
        on conflict do nothing returning 1 as claimed`,
  );
  if (claimed) return { replay: false };
  const [existing] = await query(
    em,
    sql<Selected<typeof CLAIMED_COLUMNS>>`select ${CLAIMED_COLUMNS} from idempotency_record where scope = ${scope} and key = ${key}`,
  );
  if (!existing || existing.fingerprint !== fingerprint) {
    throw refuse(
      refusal.code ?? UserErrorCode.IDEMPOTENCY_KEY_REUSED,
      refusal.message ?? `This ${field.at(-1) ?? 'key'} was already used for a different request.`,
      field,
    );
  }
  // The stored JSON is what completeIdempotencyKey stored for this scope's operation, typed by its caller.
  return { replay: true, result: existing.result as R };
}

/** Stores the first request's answer with its key, in the same transaction (see claimIdempotencyKey). */
export async function completeIdempotencyKey(em: SqlEntityManager, scope: string, key: string, result: unknown): Promise<void> {
  await query(em, sql`update idempotency_record set result = ${JSON.stringify(result)}::jsonb where scope = ${scope} and key = ${key}`);
}
