import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.service.js';
import { actorOf, type Ctx } from '../context.js';
import { idList, query, queryOne, sql } from '../db/sql.js';
import { refuse, UserErrorCode } from '../domain/refusals.js';
import { OfferBenefitKind } from './offer.entity.js';

/** One version of an offer: what GraphQL's `Offer` shows. */
export interface OfferVersionRow {
  versionId: number;
  offerId: number;
  version: number;
  name: string;
  description: string | null;
  imageUrl: string | null;
  terms: string | null;
  benefitKind: OfferBenefitKind;
  percentOff: number | null;
  amountOff: string | null;
  freeSku: string | null;
  skus: string[];
  categories: string[];
  maxDiscount: string | null;
  validDays: number | null;
  validUntil: Date | null;
  channels: string[];
}

/**
 * An offer named by a client: by the id of one of its versions (what `Offer.id` is: each version
 * is its own object, so a normalised client cache never mixes two) or by the offer's id across
 * versions (`Offer.offerId`, and every id handed out before versions had their own).
 */
export type OfferRef = { offerId: number } | { versionId: number };

/**
 * The offers `refs` name, in order, in one statement. A version id that names no version gives 0,
 * which names no offer, so each caller's own "No such offer" check answers for it.
 */
export async function offerIdsOf(em: SqlEntityManager, refs: readonly OfferRef[]): Promise<number[]> {
  const versionIds = refs.flatMap((r) => ('versionId' in r ? [r.versionId] : []));
  const rows = versionIds.length
    ? await query<{ id: number; offerId: number }>(em, sql`select id, offer_id as "offerId" from offer_version where id = any(${idList(versionIds)})`)
    : [];
  const offerOf = new Map(rows.map((r) => [r.id, r.offerId]));
  return refs.map((r) => ('offerId' in r ? r.offerId : (offerOf.get(r.versionId) ?? 0)));
}

/** Columns of `offer_version ov` as an OfferVersionRow, each prefixed with `prefix`. */
export function offerVersionColumns(prefix = '') {
  const p = (name: string) => sql.id(`${prefix}${name}`);
  return sql`ov.id as ${p('versionId')}, ov.offer_id as ${p('offerId')}, ov.version as ${p('version')}, ov.name as ${p('name')},
    ov.description as ${p('description')}, ov.image_url as ${p('imageUrl')}, ov.terms as ${p('terms')},
    ov.benefit_kind as ${p('benefitKind')}, ov.percent_off::float8 as ${p('percentOff')}, ov.amount_off::text as ${p('amountOff')},
    ov.free_sku as ${p('freeSku')}, ov.skus as ${p('skus')}, ov.categories as ${p('categories')},
    ov.max_discount::text as ${p('maxDiscount')}, ov.valid_days as ${p('validDays')}, ov.valid_until as ${p('validUntil')},
    ov.channels as ${p('channels')}`;
}

const OFFER_VERSION_FIELDS = [
  'versionId', 'offerId', 'version', 'name', 'description', 'imageUrl', 'terms', 'benefitKind', 'percentOff', 'amountOff',
  'freeSku', 'skus', 'categories', 'maxDiscount', 'validDays', 'validUntil', 'channels',
] as const;

/** Lifts the `prefix`ed offer columns of a joined row into an OfferVersionRow. */
export function offerVersionFrom(row: Record<string, unknown>, prefix: string): OfferVersionRow {
  const offer: Record<string, unknown> = {};
  for (const field of OFFER_VERSION_FIELDS) offer[field] = row[`${prefix}${field}`];
  return offer as unknown as OfferVersionRow;
}

export async function offerVersionsByIds(em: SqlEntityManager, versionIds: readonly number[]): Promise<OfferVersionRow[]> {
  return query<OfferVersionRow>(em, sql`select ${offerVersionColumns()} from offer_version ov where ov.id = any(${idList(versionIds)})`);
}

export async function currentOffersByIds(em: SqlEntityManager, offerIds: readonly number[]): Promise<OfferVersionRow[]> {
  return query<OfferVersionRow>(
    em,
    sql`select ${offerVersionColumns()} from offer o join offer_version ov on ov.id = o.current_version_id where o.id = any(${idList(offerIds)})`,
  );
}

export async function offersPage(em: SqlEntityManager, limit: number, afterId: number | null): Promise<OfferVersionRow[]> {
  return query<OfferVersionRow>(
    em,
    sql`select ${offerVersionColumns()} from offer o join offer_version ov on ov.id = o.current_version_id
         where (${afterId}::bigint is null or o.id > ${afterId}) order by o.id limit ${limit + 1}`,
  );
}

export interface OfferContent {
  name: string;
  description?: string | null;
  imageUrl?: string | null;
  terms?: string | null;
  benefit: {
    kind: OfferBenefitKind;
    percentOff?: number | null;
    amountOff?: string | null;
    freeSku?: string | null;
    skus?: string[] | null;
    categories?: string[] | null;
    maxDiscount?: string | null;
  };
  validDays?: number | null;
  validUntil?: Date | null;
  channels?: string[] | null;
}

/** The benefit must carry the value its kind needs, and only that. */
function checkBenefit(benefit: OfferContent['benefit']): void {
  const need = { PERCENT_OFF: 'percentOff', AMOUNT_OFF: 'amountOff', FREE_ITEM: 'freeSku' } as const;
  const field = need[benefit.kind];
  if (benefit[field] == null) {
    throw refuse(UserErrorCode.INVALID, `A ${benefit.kind} benefit needs ${field}.`, ['input', 'benefit', field]);
  }
}

async function insertVersion(em: SqlEntityManager, offerId: number, version: number, c: OfferContent, actor: string, now: Date): Promise<number> {
  const [row] = await query<{ id: number }>(
    em,
    sql`insert into offer_version (offer_id, version, name, description, image_url, terms, benefit_kind, percent_off, amount_off,
                                   free_sku, skus, categories, max_discount, valid_days, valid_until, channels, created_by, created_at)
        values (${offerId}, ${version}, ${c.name}, ${c.description ?? null}, ${c.imageUrl ?? null}, ${c.terms ?? null}, ${c.benefit.kind},
                ${c.benefit.percentOff ?? null}, ${c.benefit.amountOff ?? null}, ${c.benefit.freeSku ?? null},
                ${c.benefit.skus ?? []}::text[], ${c.benefit.categories ?? []}::text[], ${c.benefit.maxDiscount ?? null},
                ${c.validDays ?? null}, ${c.validUntil ?? null}, ${c.channels ?? []}::text[], ${actor}, ${now})
        returning id`,
  );
  await query(em, sql`update offer set current_version_id = ${row.id}, updated_at = ${now} where id = ${offerId}`);
  return row.id;
}

export async function createOffer(ctx: Ctx, content: OfferContent): Promise<OfferVersionRow> {
  checkBenefit(content.benefit);
  const now = ctx.clock.now();
  const actor = actorOf(ctx.caller);
  return ctx.em.transactional(async (em) => {
    const [offer] = await query<{ id: number }>(em, sql`insert into offer (created_at, updated_at) values (${now}, ${now}) returning id`);
    const versionId = await insertVersion(em, offer.id, 1, content, actor, now);
    await recordAudit(em, { actor, action: 'createOffer', target: `Offer:${offer.id}`, details: content, at: now });
    return (await offerVersionsByIds(em, [versionId]))[0];
  });
}

export type OfferChanges = { [K in keyof OfferContent]?: OfferContent[K] | null };

/**
 * Edits an offer by writing a new version from the current one and the changes, then pointing the
 * offer at it, in one transaction: issued offers keep the version they were issued with.
 */
export async function updateOffer(ctx: Ctx, offerId: number, changes: OfferChanges): Promise<OfferVersionRow> {
  const now = ctx.clock.now();
  const actor = actorOf(ctx.caller);
  return ctx.em.transactional(async (em) => {
    // Lock the offer so two edits at once make two successive versions, not one number twice.
    const locked = await queryOne(em, sql`select id from offer where id = ${offerId} for update`);
    if (!locked) throw refuse(UserErrorCode.NOT_FOUND, 'No such offer.', ['input', 'offerId']);
    const [current] = await currentOffersByIds(em, [offerId]);
    const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) as OfferChanges;
    const next: OfferContent = {
      name: defined.name ?? current.name,
      description: 'description' in defined ? defined.description : current.description,
      imageUrl: 'imageUrl' in defined ? defined.imageUrl : current.imageUrl,
      terms: 'terms' in defined ? defined.terms : current.terms,
      benefit: defined.benefit ?? {
        kind: current.benefitKind,
        percentOff: current.percentOff,
        amountOff: current.amountOff,
        freeSku: current.freeSku,
        skus: current.skus,
        categories: current.categories,
        maxDiscount: current.maxDiscount,
      },
      validDays: 'validDays' in defined ? defined.validDays : current.validDays,
      validUntil: 'validUntil' in defined ? defined.validUntil : current.validUntil,
      channels: defined.channels ?? current.channels,
    };
    checkBenefit(next.benefit);
    const versionId = await insertVersion(em, offerId, current.version + 1, next, actor, now);
    await recordAudit(em, { actor, action: 'updateOffer', target: `Offer:${offerId}`, details: { version: current.version + 1, changes }, at: now });
    return (await offerVersionsByIds(em, [versionId]))[0];
  });
}
