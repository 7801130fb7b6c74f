import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { columnsOf, type Selected } from '../db/schema.js';
import type { RawBuilder } from 'kysely';
import { query, sql } from '../db/sql.js';
import { refuse, UserErrorCode, UserErrorException } from '../domain/refusals.js';
import { IdempotencyRecord } from './idempotency-record.entity.js';
import { noteReplay, type IdempotentReplays } from './replays.js';
import type { Fingerprints } from './fingerprint.js';

export { canonicalDecimal, requestFingerprint, setsFingerprint } from './fingerprint.js';

/**
 * What claimIdempotencyKey found: the key is this request's (`replay: false`), or a repeat's
 * stored `result`; `former` when the key matched one of the `formerFingerprints` only (the caller
 * checks that the stored request is from before the change that gave it another fingerprint).
 */
export type Claim<R> = { replay: false } | { replay: true; result: R; former: boolean };

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
 * - A key whose record the purge removed (older than IDEMPOTENCY_RETENTION_HOURS, retention.job.ts)
 *   is claimed again: the request is a new one (retain-13).
 * - `formerFingerprints`: what the same request meant to an earlier version of the gateway, when
 *   the operation's reading changed (a sale's prices, in cents before money-12 and in its money's
 *   minor units since): a key stored with one of them is the same request too, so a client
 *   retrying across an upgrade gets its answer, not a refusal (hostile pass 12d).
 */
export async function claimIdempotencyKey<R>(
  em: SqlEntityManager,
  scope: string,
  key: string,
  fingerprint: string,
  now: Date,
  refusal: IdempotencyRefusal = {},
  formerFingerprints: readonly string[] = [],
): Promise<Claim<R>> {
  // Twice at most: a record the purge removed between the claim (which found it) and the read of
  // its answer was past IDEMPOTENCY_RETENTION_HOURS, so this request is a new one and claims again.
  for (let attempt = 0; attempt < 2; attempt++) {
    const [claimed] = await query(em, claimKeySql(scope, key, fingerprint, now));
    if (claimed) return { replay: false };
    const stored = await storedAnswer<R>(em, scope, key, fingerprint, refusal, formerFingerprints);
    if (stored) return { replay: true, ...stored };
  }
  throw new Error(`idempotency key of ${scope} neither claimed nor found twice`);
}

/** How a repeat whose fingerprint differs is refused (see claimIdempotencyKey). */
export interface IdempotencyRefusal {
  code?: UserErrorCode;
  field?: string[];
  message?: string;
  /** The key is held by the row an earlier request made (keyOutlived): refused as KeyHeldByRow. */
  heldByRow?: boolean;
}

/**
 * The refusal of a key whose record is gone while the row its first request made still holds it
 * (keyOutlived): IDEMPOTENCY_KEY_REUSED as it stands, and the sign for answeringOutlivedKeys to
 * answer the resend from that row instead.
 */
export class KeyHeldByRow extends UserErrorException {}

/**
 * The claiming insert of claimIdempotencyKey as a statement of its own or a CTE in a caller's
 * statement (the purchase claims its key in the same round trip as it reads the listing): one row
 * `{ claimed: 1 }` when this transaction took the key, none when a committed request holds it (an
 * in-flight one is waited for). A caller that gets no row must answer with replayOf.
 */
export function claimKeySql(scope: string, key: string, fingerprint: string, now: Date): RawBuilder<{ claimed: number }> {
  return sql`insert into idempotency_record (scope, key, fingerprint, created_at) values (${scope}, ${key}, ${fingerprint}, ${now})
        on conflict do nothing returning 1 as claimed`;
}

/**
 * The answer a repeat gets once its claim found the key taken: the first request's stored result
 * (its JSON, typed by the caller). Refuses as claimIdempotencyKey describes when the fingerprint
 * differs (IDEMPOTENCY_KEY_REUSED unless `refusal` says otherwise), and with `outlived` (by default
 * `refusal`) when no record is found: one removed past its retention while the key is still held
 * elsewhere (a purchase's own key, `keyOutlived`).
 */
export async function replayOf<R>(
  em: SqlEntityManager,
  scope: string,
  key: string,
  fingerprint: string,
  refusal: IdempotencyRefusal = {},
  outlived: IdempotencyRefusal = refusal,
): Promise<R> {
  const stored = await storedAnswer<R>(em, scope, key, fingerprint, refusal, []);
  // The claim found the key taken and the record is gone: the purge removed it in between (it was
  // past its retention), or a business row still holds the key (a purchase's): either way not a
  // repeat whose answer is kept. `outlived` says so.
  if (!stored) throw reused(outlived);
  return stored.result;
}

/**
 * What a repeat of `key` in `scope` would be answered, read without claiming the key: for a dry
 * run, which must neither take a key nor wait on one. `{ result }` (the first request's stored
 * answer) when a committed request holds the key with this `fingerprint`; undefined when none does
 * (a request still in flight is not seen, nor waited for). A different fingerprint is refused as
 * claimIdempotencyKey refuses it (`refusal`).
 */
export async function storedAnswerOf<R>(
  em: SqlEntityManager,
  scope: string,
  key: string,
  fingerprint: string,
  refusal: IdempotencyRefusal = {},
): Promise<{ result: R } | undefined> {
  const stored = await storedAnswer<R>(em, scope, key, fingerprint, refusal, []);
  return stored && { result: stored.result };
}

/**
 * replayOf, also taking a key stored with one of `formerFingerprints` (then `former`: see
 * claimIdempotencyKey); undefined when the key has no record (the purge removed it).
 */
async function storedAnswer<R>(
  em: SqlEntityManager,
  scope: string,
  key: string,
  fingerprint: string,
  refusal: IdempotencyRefusal,
  formerFingerprints: readonly string[],
): Promise<{ result: R; former: boolean } | undefined> {
  const [existing] = await query(
    em,
    sql<Selected<typeof CLAIMED_COLUMNS>>`select ${CLAIMED_COLUMNS} from idempotency_record where scope = ${scope} and key = ${key}`,
  );
  if (!existing) return undefined;
  if (existing.fingerprint !== fingerprint && !formerFingerprints.includes(existing.fingerprint)) throw reused(refusal);
  // The stored JSON is what completeIdempotencyKey stored for this scope's operation, typed by its caller.
  return { result: existing.result as R, former: existing.fingerprint !== fingerprint };
}

/** The refusal of a repeat whose fingerprint differs (see claimIdempotencyKey). */
export function reused(refusal: IdempotencyRefusal = {}) {
  const field = refusal.field ?? ['input', 'idempotencyKey'];
  const code = refusal.code ?? UserErrorCode.IDEMPOTENCY_KEY_REUSED;
  // What to do, not only what happened (newcomer-36): a retry must repeat the first request exactly.
  const name = field.at(-1) ?? 'key';
  const message = refusal.message ?? `This ${name} was already used for a different request: send exactly the first request again to get its answer, or a new ${name} for a new request.`;
  return refusal.heldByRow ? new KeyHeldByRow(code, message, field) : refuse(code, message, field);
}

/** Stores the first request's answer with its key, in the same transaction (see claimIdempotencyKey). */
export async function completeIdempotencyKey(em: SqlEntityManager, scope: string, key: string, result: unknown): Promise<void> {
  await query(em, completeKeySql(scope, key, sql`${JSON.stringify(result)}::jsonb`));
}

/**
 * completeIdempotencyKey as a statement or a CTE: stores `result` (a jsonb expression, which may
 * read the caller's other CTEs through `from`) as the answer of `key` in `scope`.
 */
export function completeKeySql(scope: string, key: string, result: RawBuilder<unknown>, from?: RawBuilder<unknown>): RawBuilder<never> {
  return sql`update idempotency_record set result = ${result}, created_at = ${ANSWERED_AT}
              ${from ? sql`from ${from}` : sql``} where scope = ${scope} and key = ${key}`;
}

/**
 * When a record's answer is stored: the date the claim gave it (the request's clock, read as it
 * began) plus the time its transaction has run since, as PostgreSQL's clock measures it (a
 * difference of one clock, so a skewed or moved gateway clock is kept as it is). Retention counts
 * from the answer, not from the request's start: a request that waited on locks has its window
 * whole (retain-13; the claim is the transaction's first statement, so its start is the claim's).
 */
const ANSWERED_AT = sql`idempotency_record.created_at + (clock_timestamp() - transaction_timestamp())`;

/**
 * The refusal of a key whose record is gone (past IDEMPOTENCY_RETENTION_HOURS) while the row it
 * made keeps it as its own key (a purchase's, a gift claim's: one per key and customer, for ever):
 * the resend is a new request, and a new request cannot take a key a purchase holds.
 * IDEMPOTENCY_KEY_REUSED on ["input","idempotencyKey"]; `what` names the row ("purchase").
 */
export function keyOutlived(what: string): IdempotencyRefusal {
  return { message: `This idempotencyKey was used for an earlier ${what} whose answer is no longer kept; send a new key for a new ${what}.`, heldByRow: true };
}

/**
 * Scopes whose key is also the key of the row the request made, kept as long as that row (never
 * purged): a sale's externalId (`sale:partner:<id>`: the record's fingerprint is what tells a till's
 * resend from another sale under the same externalId) and a currency's, tier's or store's code
 * (`create:<kind>`, one record per row). Every other scope's key is the caller's alone and expires
 * (retention.job.ts). SQL, so the purge and its partial index say the same.
 */
export const KEPT_SCOPES = sql`(scope like 'sale:%' or scope like 'create:%')`;

/**
 * A create a caller may send again under an optional key (the staff console's creates, a partner's
 * webhook endpoint; idem-12), inside the caller's transaction, as its first statement: the key is
 * claimed before anything is read (the lock order of every keyed operation).
 *
 * - `key` null or absent: `create` runs, as before keys were taken (each call creates).
 * - `key` given, first time: `create` runs and its answer (`{ id }`, the created row's id, or
 *   whatever JSON the caller needs to answer again) is stored with the key; `replay: false`.
 * - The same key and `fingerprint` again (also while the first is still running: it waits on the
 *   key's row): `create` does not run; the first answer and `replay: true`. The caller answers the
 *   object as it is now (as `node(id:)` would show it).
 * - The same key with another fingerprint: IDEMPOTENCY_KEY_REUSED on ["input","idempotencyKey"],
 *   nothing written (a UserErrorException, which rolls the caller's transaction back).
 * `scope` names the operation and the caller (`create-offer:staff:<id>`): see claimIdempotencyKey.
 * `fingerprint` may also give former fingerprints of the same request (setsFingerprint).
 * `ctx`: the request's context, whose `replays` notes a replay (replay-22).
 */
export async function createOnce<R extends object>(
  ctx: { replays?: IdempotentReplays },
  em: SqlEntityManager,
  scope: string,
  key: string | null | undefined,
  fingerprint: () => string | Fingerprints,
  now: Date,
  create: () => Promise<R>,
): Promise<{ result: R; replay: boolean }> {
  if (key == null) return { result: await create(), replay: false };
  const f = fingerprint();
  const claim = typeof f === 'string' ? await claimIdempotencyKey<R>(em, scope, key, f, now) : await claimIdempotencyKey<R>(em, scope, key, f.fingerprint, now, {}, f.former);
  if (claim.replay) {
    noteReplay(ctx);
    return { result: claim.result, replay: true };
  }
  const result = await create();
  await completeIdempotencyKey(em, scope, key, result);
  return { result, replay: false };
}

/**
 * What a row that keeps its request's idempotency key for ever (a purchase, a gift claim) says of
 * a resend under that key: `undefined` when no row holds the key, `'different'` when the row was
 * made by another request (another listing, list or option), else the answer the resend gets.
 */
export type EarlierByKey<T> = T | 'different' | undefined;

/**
 * `run`, a keyed request whose key a row of its own keeps for ever (`offer_purchase`'s or
 * `gift_claim`'s customer and idempotency key, `constraint`), answered by that row once the key's
 * record was purged past IDEMPOTENCY_RETENTION_HOURS (edges-21; retain-13 refused it). Such a
 * resend claims the key afresh; `run` then finds the row holding it, in the statement that claims
 * the key or reads the request's inputs, before any other refusal (the points spent, the list used
 * up, the account suspended since), and throws KeyHeldByRow (`reused(keyOutlived(what))`); or, in a
 * race, its insert violates `constraint`. Either way `earlier` (read after the rollback, outside
 * its transaction) decides: the row answers as the first result; a row of another request is
 * IDEMPOTENCY_KEY_REUSED "already used for a different request"; with no row the refusal stands.
 * A request whose key no row holds costs nothing more. Other errors pass as they are.
 */
export async function answeringOutlivedKeys<T>(constraint: string, what: string, run: () => Promise<T>, earlier: () => Promise<EarlierByKey<T>>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const violated = violates(error, constraint);
    if (!violated && !(error instanceof KeyHeldByRow)) throw error;
    const answer = await earlier();
    if (answer === 'different') throw reused();
    if (answer !== undefined) return answer;
    throw violated ? reused(keyOutlived(what)) : error;
  }
}

/** Whether `error` (the driver's, or MikroORM's wrapping of it) is PostgreSQL's unique violation (23505) of `constraint`. */
function violates(error: unknown, constraint: string): boolean {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const found = e as { code?: unknown; constraint?: unknown };
    if (found.code === '23505' && found.constraint === constraint) return true;
  }
  return false;
}
