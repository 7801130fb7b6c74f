import { createHash, randomBytes } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.service.js';
import { actorOf, type Ctx } from '../context.js';
import { idList, query, queryOne, sql } from '../db/sql.js';
import { refuse, UserErrorCode } from '../domain/refusals.js';

/** What a partner may be allowed to do (contract README). */
export const PARTNER_SCOPES = ['customers:read', 'offers:redeem', 'transactions:write', 'transactions:read', 'activities:write', 'webhooks:manage'] as const;
export type PartnerScope = (typeof PARTNER_SCOPES)[number];

export interface PartnerRow {
  id: number;
  name: string;
  keyPrefix: string;
  scopes: PartnerScope[];
  revokedAt: Date | null;
  createdAt: Date;
}

const PARTNER_COLUMNS = sql`p.id, p.name, p.key_prefix as "keyPrefix", p.scopes, p.revoked_at as "revokedAt", p.created_at as "createdAt"`;

const KEY_FORMAT = /^rg_[A-Za-z0-9_-]{32}$/;

export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');

/** The partner holding `key`, unless the key is malformed, unknown or revoked. */
export async function partnerByApiKey(em: SqlEntityManager, key: string): Promise<PartnerRow | undefined> {
  if (!KEY_FORMAT.test(key)) return undefined;
  return queryOne<PartnerRow>(em, sql`select ${PARTNER_COLUMNS} from partner p where p.key_hash = ${hashApiKey(key)} and p.revoked_at is null`);
}

/** Every partner, newest first. */
export async function allPartners(em: SqlEntityManager): Promise<PartnerRow[]> {
  return query<PartnerRow>(em, sql`select ${PARTNER_COLUMNS} from partner p order by p.id desc`);
}

export async function partnersByIds(em: SqlEntityManager, ids: readonly number[]): Promise<PartnerRow[]> {
  return query<PartnerRow>(em, sql`select ${PARTNER_COLUMNS} from partner p where p.id = any(${idList(ids)})`);
}

/** Creates a partner and its API key: 192 random bits, returned once; only its hash is kept. */
export async function createPartner(
  ctx: Ctx,
  data: { name: string; scopes: string[] },
  /** Only the demo seed passes one (derived, so it can be printed at every start). */
  apiKey = `rg_${randomBytes(24).toString('base64url')}`,
): Promise<{ partner: PartnerRow; apiKey: string }> {
  const unknown = data.scopes.filter((s) => !(PARTNER_SCOPES as readonly string[]).includes(s));
  if (unknown.length) {
    throw refuse(UserErrorCode.INVALID, `Unknown scopes: ${unknown.join(', ')}. Known: ${PARTNER_SCOPES.join(', ')}.`, ['input', 'scopes']);
  }
  const now = ctx.clock.now();
  const actor = actorOf(ctx.caller);
  return ctx.em.transactional(async (em) => {
    const [partner] = await query<PartnerRow>(
      em,
      sql`insert into partner as p (name, key_prefix, key_hash, scopes, created_by, created_at)
          values (${data.name}, ${apiKey.slice(0, 9)}, ${hashApiKey(apiKey)}, ${[...new Set(data.scopes)]}::text[], ${actor}, ${now})
          returning ${PARTNER_COLUMNS}`,
    );
    await recordAudit(em, { actor, action: 'createPartner', target: `Partner:${partner.id}`, details: { name: data.name, scopes: partner.scopes }, at: now });
    return { partner, apiKey };
  });
}

/** Revokes a partner's key at once: its next request is UNAUTHENTICATED. */
export async function revokePartner(ctx: Ctx, partnerId: number, reason: string | null): Promise<PartnerRow> {
  const now = ctx.clock.now();
  return ctx.em.transactional(async (em) => {
    const partner = await queryOne<PartnerRow>(
      em,
      sql`update partner p set revoked_at = coalesce(p.revoked_at, ${now}) where p.id = ${partnerId} returning ${PARTNER_COLUMNS}`,
    );
    if (!partner) throw refuse(UserErrorCode.NOT_FOUND, 'No such partner.', ['input', 'partnerId']);
    await recordAudit(em, { actor: actorOf(ctx.caller), action: 'revokePartner', target: `Partner:${partnerId}`, reason, at: now });
    return partner;
  });
}
