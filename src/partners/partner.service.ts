import { createHash, randomBytes } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.service.js';
import { actorOf, type Ctx } from '../context.js';
import { columnsOf, type EntityRow } from '../db/schema.js';
import { idList, query, queryOne, sql } from '../db/sql.js';
import { CredentialRevoked, refuse, UserErrorCode } from '../domain/refusals.js';
import { shown } from '../domain/text.js';
import { createOnce, setsFingerprint } from '../idempotency/idempotency.service.js';
import { setOrder } from '../domain/lists.js';
import { recordSessionEnd } from '../events/outbox.service.js';
import type { RawBuilder } from 'kysely';
import { Partner } from './partner.entity.js';

/** What a partner may be allowed to do (contract README). */
export const PARTNER_SCOPES = ['customers:read', 'offers:redeem', 'transactions:write', 'transactions:read', 'activities:write', 'webhooks:manage'] as const;
export type PartnerScope = (typeof PARTNER_SCOPES)[number];

/**
 * A partner as staff and the auth layer see it: `partner` but its key hash and creator. `scopes`
 * is the `text[]` column narrowed to the known scopes (createPartner stores no other).
 */
export type PartnerRow = Omit<Pick<EntityRow<Partner>, (typeof PARTNER_KEYS)[number]>, 'scopes'> & { scopes: PartnerScope[] };

const PARTNER_KEYS = ['id', 'name', 'keyPrefix', 'scopes', 'revokedAt', 'createdAt'] as const;
const PARTNER_COLUMNS = sql<PartnerRow>`${columnsOf(Partner, 'p', PARTNER_KEYS)}`;

const KEY_FORMAT = /^rg_[A-Za-z0-9_-]{32}$/;

export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');

/**
 * A condition (SQL, boolean) for a partner's write, to fold into the statement that writes: the
 * partner's key is not revoked, read with a `FOR KEY SHARE` lock on its row (edges-11). The key is
 * checked when a request is authenticated, but a request can run for a while after (waiting on an
 * account's lock, up to DB_STATEMENT_TIMEOUT_MS), so a key revoked meanwhile could still commit
 * writes. With the lock, `revokePartner` (which takes the row `FOR UPDATE`) waits for writes that
 * hold it to commit, and a write that comes to lock it after the revocation committed reads the
 * revoked row (READ COMMITTED re-checks a locked row's condition on its latest version) and writes
 * nothing: once revokePartner has answered, no write of the key commits. A write whose statement
 * also references `partner` by foreign key takes the same lock there, so this adds an index read,
 * not a row write. `partnerId` null (a staff member's or a job's write, which no key makes): `true`.
 * Every write a partner key can make carries it (docs/decisions.md, edges-11 and edges-12): a
 * sale, a return, a till's lock, release and redemption, an activity, and its webhook endpoints.
 */
export function partnerStillHolds(partnerId: number | null): RawBuilder<boolean> {
  if (partnerId === null) return sql<boolean>`true`;
  return sql<boolean>`exists (select 1 from partner live where live.id = ${partnerId} and live.revoked_at is null for key share)`;
}

/** Whether the partner's key is revoked now: asked when a write guarded by `partnerStillHolds` wrote nothing, to say why. */
export async function partnerRevoked(em: SqlEntityManager, partnerId: number): Promise<boolean> {
  const row = await queryOne<{ revoked: boolean }>(em, sql`select revoked_at is not null as revoked from partner where id = ${partnerId}`);
  return row?.revoked ?? true;
}

/**
 * After a write guarded by `partnerStillHolds` wrote nothing: throws CredentialRevoked (answered as
 * a revoked key is at the door: UNAUTHENTICATED "Unknown or revoked API key.", HTTP 401; the
 * caller's transaction rolls back) when the key was revoked while the request ran, else returns
 * (the caller refuses as it would: no such row, not redeemable, …). `partnerId` null: returns.
 */
export async function refuseIfRevoked(em: SqlEntityManager, partnerId: number | null): Promise<void> {
  if (partnerId !== null && (await partnerRevoked(em, partnerId))) throw new CredentialRevoked();
}

/** The partner holding `key`, unless the key is malformed, unknown or revoked. */
export async function partnerByApiKey(em: SqlEntityManager, key: string): Promise<PartnerRow | undefined> {
  if (!KEY_FORMAT.test(key)) return undefined;
  return queryOne(em, sql<PartnerRow>`select ${PARTNER_COLUMNS} from partner p where p.key_hash = ${hashApiKey(key)} and p.revoked_at is null`);
}

/** Every partner, newest first. */
export async function allPartners(em: SqlEntityManager): Promise<PartnerRow[]> {
  return query(em, sql<PartnerRow>`select ${PARTNER_COLUMNS} from partner p order by p.id desc`);
}

/** Partners by id (any order; unknown ids are left out). */
export async function partnersByIds(em: SqlEntityManager, ids: readonly number[]): Promise<PartnerRow[]> {
  return query(em, sql<PartnerRow>`select ${PARTNER_COLUMNS} from partner p where p.id = any(${idList(ids)})`);
}

/** What createPartner answers: the partner, and its plain API key unless this repeats an earlier create by key (then withheld). */
export type CreatedPartner = { partner: PartnerRow; apiKey: string; apiKeyWithheld: false } | { partner: PartnerRow; apiKey: null; apiKeyWithheld: true };

/**
 * Creates a partner and its API key: 192 random bits, returned once; only its hash is kept.
 * A scope not in `PARTNER_SCOPES` is INVALID "Unknown scopes: "x" (item 2), …", each unknown one
 * named with its position, `field` the first (`["input","scopes","2"]`); nothing written.
 *
 * With `data.idempotencyKey` (the staff member's own; see createOnce): the same key, name and
 * scopes again answer the same partner, as it is now, and create nothing; another partner under it
 * is IDEMPOTENCY_KEY_REUSED. Such a repeat answers `apiKey: null, apiKeyWithheld: true`: the plain
 * key is in the first answer only, and kept nowhere (the idempotency record holds the partner's
 * id, not the key), so a key is never readable at rest (docs/decisions.md, "idem-12").
 */
export async function createPartner(ctx: Ctx, data: { name: string; scopes: string[]; idempotencyKey?: undefined; reason?: string | null }, apiKey?: string): Promise<CreatedPartner & { apiKey: string }>;
export async function createPartner(ctx: Ctx, data: { name: string; scopes: string[]; idempotencyKey?: string | null; reason?: string | null }, apiKey?: string): Promise<CreatedPartner>;
export async function createPartner(
  ctx: Ctx,
  data: { name: string; scopes: string[]; idempotencyKey?: string | null; reason?: string | null },
  /** Only the demo seed passes one (derived, so it can be printed at every start). */
  apiKey = `rg_${randomBytes(24).toString('base64url')}`,
): Promise<CreatedPartner> {
  // each unknown scope by its position, and the path at the first: a console marks that entry
  const unknown = data.scopes.flatMap((s, i) => ((PARTNER_SCOPES as readonly string[]).includes(s) ? [] : [i]));
  if (unknown.length) {
    const named = unknown.map((i) => `${shown(data.scopes[i])} (item ${i})`).join(', ');
    throw refuse(UserErrorCode.INVALID, `Unknown scopes: ${named}. Known: ${PARTNER_SCOPES.join(', ')}.`, ['input', 'scopes', String(unknown[0])]);
  }
  const now = ctx.clock.now();
  const actor = actorOf(ctx.caller);
  // its scopes as a set: the same partner sent again with them in another order is the same request (noticed-40)
  const meaning = () => setsFingerprint({ name: data.name, scopes: setOrder(data.scopes) }, { name: data.name, scopes: data.scopes });
  return ctx.em.transactional(async (em) => {
    const { result, replay } = await createOnce(ctx, em, `create-partner:${actor}`, data.idempotencyKey, meaning, now, async () => {
      const partner = await insertPartner(em, data, apiKey, actor, now);
      return { id: partner.id };
    });
    const [partner] = await partnersByIds(em, [result.id]);
    return replay ? { partner, apiKey: null, apiKeyWithheld: true } : { partner, apiKey, apiKeyWithheld: false };
  });
}

/** createPartner's effect: the partner with its key's hash and prefix, and its audit entry. */
async function insertPartner(em: SqlEntityManager, data: { name: string; scopes: string[]; reason?: string | null }, apiKey: string, actor: string, now: Date): Promise<PartnerRow> {
  // SQL, not the builder: the class-inferred DB type requires `id` on insert (no Generated<> for a serial key).
  const [partner] = await query(
    em,
    sql<PartnerRow>`insert into partner as p (name, key_prefix, key_hash, scopes, created_by, created_at)
        values (${data.name}, ${apiKey.slice(0, 9)}, ${hashApiKey(apiKey)}, ${[...new Set(data.scopes)]}::text[], ${actor}, ${now})
        returning ${PARTNER_COLUMNS}`,
  );
  await recordAudit(em, { actor, action: 'createPartner', target: `Partner:${partner.id}`, reason: data.reason ?? null, details: { name: data.name, scopes: partner.scopes }, at: now });
  return partner;
}

/**
 * Revokes a partner's key at once: its next request is UNAUTHENTICATED, its sockets close on every
 * instance (a `PARTNER_REVOKED` outbox event), and its webhook endpoints are removed (pending
 * deliveries end FAILED). NOT_FOUND: no such partner. Revoking again keeps the first revocation's time.
 */
export async function revokePartner(ctx: Ctx, partnerId: number, reason: string | null): Promise<PartnerRow> {
  const now = ctx.clock.now();
  return ctx.em.transactional(async (em) => {
    const partner = await queryOne(
      em,
      // FOR UPDATE (an UPDATE of a non-key column would take only FOR NO KEY UPDATE): it waits for
      // the partner's writes in flight, which hold the row FOR KEY SHARE (partnerStillHolds).
      sql<PartnerRow>`with held as (select id from partner where id = ${partnerId} for update)
        update partner p set revoked_at = coalesce(p.revoked_at, ${now}) from held where p.id = held.id returning ${PARTNER_COLUMNS}`,
    );
    if (!partner) throw refuse(UserErrorCode.NOT_FOUND, 'No such partner.', ['input', 'partnerId']);
    // Its sockets close on every instance as the relays read this (src/http/ws.ts), and its
    // webhook endpoints are removed: a revoked partner is sent no more customer events, and its
    // pending deliveries end FAILED.
    await recordSessionEnd(em, { partnerId }, now);
    await query(em, sql`update webhook_endpoint set disabled_at = coalesce(disabled_at, ${now}) where partner_id = ${partnerId}`);
    await recordAudit(em, { actor: actorOf(ctx.caller), action: 'revokePartner', target: `Partner:${partnerId}`, reason, at: now });
    return partner;
  });
}
