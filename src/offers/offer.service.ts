import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { sql, type RawBuilder } from 'kysely';
import { recordAudit } from '../audit/audit.service.js';
import { actorOf, type Ctx } from '../context.js';
import { byDefault, columnMap, db, type EntityRow } from '../db/schema.js';
import { anyOf, idList, query, queryOne } from '../db/sql.js';
import { amountFitsMoney, decimalsOf, isIsoCurrency, moneysByDigits, withCents } from '../domain/currency.js';
import { refuse, UserErrorCode } from '../domain/refusals.js';
import { canonicalDecimal, createOnce, setsFingerprint } from '../idempotency/idempotency.service.js';
import { setOrder } from '../domain/lists.js';
import { OfferVersion, type OfferBenefitKind } from './offer.entity.js';

type Version = EntityRow<OfferVersion>;

/**
 * One version of an offer: what GraphQL's `Offer` shows. Derived from the `OfferVersion` entity:
 * every column but `createdBy`/`createdAt`, the version's id as `versionId` (what `Offer.id` is)
 * and `percentOff` read as a number (`percent_off::float8`: pricing does arithmetic on it; the
 * entity keeps the exact decimal as a string). Money (`amountOff`, `maxDiscount`) stays a decimal string.
 */
export type OfferVersionRow = Omit<Version, 'id' | 'percentOff' | 'moneyDigitsNeeded' | 'createdBy' | 'createdAt'> & {
  versionId: Version['id'];
  percentOff: number | null;
};

/**
 * Where each OfferVersionRow field comes from: the `OfferVersion` property and, where the row
 * reads it in another type, the cast. `satisfies` keeps it complete: a field missing here, or a
 * renamed property, fails `tsc`.
 */
const OFFER_VERSION_SOURCE = {
  versionId: ['id'],
  offerId: ['offerId'],
  version: ['version'],
  name: ['name'],
  description: ['description'],
  imageUrl: ['imageUrl'],
  terms: ['terms'],
  benefitKind: ['benefitKind'],
  percentOff: ['percentOff', 'float8'],
  amountOff: ['amountOff', 'text'],
  freeSku: ['freeSku'],
  skus: ['skus'],
  categories: ['categories'],
  maxDiscount: ['maxDiscount', 'text'],
  validDays: ['validDays'],
  validUntil: ['validUntil'],
  channels: ['channels'],
} as const satisfies Record<keyof OfferVersionRow, readonly [keyof Version, ('float8' | 'text')?]>;

const OFFER_VERSION_FIELDS = Object.keys(OFFER_VERSION_SOURCE) as (keyof OfferVersionRow)[];

/** An OfferVersionRow's fields as a joined row carries them, each named `${prefix}${field}` (`offer.name`). */
export type OfferVersionColumns<P extends string> = { [K in keyof OfferVersionRow as `${P}${K}`]: OfferVersionRow[K] };

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
    ? await db(em).selectFrom('OfferVersion').select(['id', 'offer as offerId']).where('id', '=', anyOf(versionIds)).execute()
    : [];
  const offerOf = new Map(rows.map((r) => [r.id, r.offerId]));
  return refs.map((r) => ('offerId' in r ? r.offerId : (offerOf.get(r.versionId) ?? 0)));
}

const offerVersionLists = new Map<string, RawBuilder<unknown>>();

/**
 * The select list of `offer_version ov` as an OfferVersionRow, each field named
 * `${prefix}${field}` (so a joined row can carry it beside its own columns: `offerVersionFrom`
 * lifts it out). Column names come from the entity's metadata.
 */
export function offerVersionColumns<P extends string = ''>(prefix: P = '' as P): RawBuilder<OfferVersionColumns<P>> {
  let list = offerVersionLists.get(prefix);
  if (!list) {
    const columns = columnMap(OfferVersion);
    list = sql.raw(
      Object.entries(OFFER_VERSION_SOURCE)
        .map(([field, [key, cast]]: [string, readonly string[]]) => `ov.${columns.get(key)}${cast ? `::${cast}` : ''} as "${prefix}${field}"`)
        .join(', '),
    );
    offerVersionLists.set(prefix, list);
  }
  return list as RawBuilder<OfferVersionColumns<P>>;
}

const lifters = new Map<string, (row: object) => OfferVersionRow>();

/** Lifts the `prefix`ed offer columns of a joined row into an OfferVersionRow. */
export function offerVersionFrom<P extends string>(row: OfferVersionColumns<P>, prefix: P): OfferVersionRow {
  let lift = lifters.get(prefix);
  if (!lift) lifters.set(prefix, (lift = lifterFor(prefix)));
  return lift(row);
}

/**
 * `row => ({ versionId: row["offer.versionId"], … })` for one prefix, as code made once. Copying the
 * fields in a loop (a property name per iteration) went through V8's generic keyed loads and
 * stores, 17 of each per listing, and a new object's shape grown one property at a time: about
 * 11 µs of CPU per page of 20 (bench/README.md, issue 12, third session). An object literal with
 * fixed names reads and builds each row's offer in one shape. The code holds only the field names
 * of OFFER_VERSION_SOURCE and the prefix, both quoted as JSON strings.
 */
function lifterFor(prefix: string): (row: object) => OfferVersionRow {
  const fields = OFFER_VERSION_FIELDS.map((field) => `${JSON.stringify(field)}: row[${JSON.stringify(`${prefix}${field}`)}]`);
  return new Function('row', `return { ${fields.join(', ')} };`) as (row: object) => OfferVersionRow;
}

/** Offer versions by version id (any order; unknown ids are left out), for the `offerVersion` loader. */
export async function offerVersionsByIds(em: SqlEntityManager, versionIds: readonly number[]): Promise<OfferVersionRow[]> {
  return query(em, sql<OfferVersionRow>`select ${offerVersionColumns()} from offer_version ov where ov.id = any(${idList(versionIds)})`);
}

/** Offers at their current version, by offer id (any order; unknown ids are left out). */
export async function currentOffersByIds(em: SqlEntityManager, offerIds: readonly number[]): Promise<OfferVersionRow[]> {
  return query(
    em,
    sql<OfferVersionRow>`select ${offerVersionColumns()} from offer o join offer_version ov on ov.id = o.current_version_id where o.id = any(${idList(offerIds)})`,
  );
}

/** A page of offers at their current version, by offer id; `limit + 1` rows tell whether there is a next page. */
export async function offersPage(em: SqlEntityManager, limit: number, afterId: number | null): Promise<OfferVersionRow[]> {
  return query(
    em,
    sql<OfferVersionRow>`select ${offerVersionColumns()} from offer o join offer_version ov on ov.id = o.current_version_id
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

/**
 * The benefit must carry the value its kind needs, and only that: INVALID on the missing field, or
 * on a value of another kind (`amountOff` on a PERCENT_OFF benefit), which the till would ignore
 * while the app showed it beside the benefit that applies. `sent: false` (a benefit copied from the
 * current version) checks only the first: versions written before this rule keep their stray
 * values and stay editable.
 */
function checkBenefit(benefit: OfferContent['benefit'], sent = true): void {
  const need = { PERCENT_OFF: 'percentOff', AMOUNT_OFF: 'amountOff', FREE_ITEM: 'freeSku' } as const;
  const field = need[benefit.kind];
  if (benefit[field] == null) {
    throw refuse(UserErrorCode.INVALID, `A benefit of kind ${benefit.kind} needs ${field}.`, ['input', 'benefit', field]);
  }
  for (const other of sent ? Object.values(need) : []) {
    if (other !== field && benefit[other] != null) {
      throw refuse(UserErrorCode.INVALID, `A benefit of kind ${benefit.kind} takes no ${other}.`, ['input', 'benefit', other]);
    }
  }
}

/** Writes version `version` of offer `offerId` and makes it the offer's current one; answers its id. */
async function insertVersion(em: SqlEntityManager, offerId: number, version: number, c: OfferContent, actor: string, now: Date): Promise<number> {
  const { id } = await db(em)
    .insertInto('OfferVersion')
    .values({
      id: byDefault,
      offer: offerId,
      version,
      name: c.name,
      description: c.description ?? null,
      imageUrl: c.imageUrl ?? null,
      terms: c.terms ?? null,
      benefitKind: c.benefit.kind,
      // numeric from a JS number: the same text the driver would send for it
      percentOff: c.benefit.percentOff == null ? null : String(c.benefit.percentOff),
      amountOff: c.benefit.amountOff == null ? null : withCents(c.benefit.amountOff),
      freeSku: c.benefit.freeSku ?? null,
      skus: c.benefit.skus ?? [],
      categories: c.benefit.categories ?? [],
      maxDiscount: c.benefit.maxDiscount == null ? null : withCents(c.benefit.maxDiscount),
      validDays: c.validDays ?? null,
      validUntil: c.validUntil ?? null,
      channels: c.channels ?? [],
      createdBy: actor,
      createdAt: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db(em).updateTable('Offer').set({ currentVersion: id, updatedAt: now }).where('id', '=', offerId).execute();
  return id;
}

/**
 * What an offer's content means, for the fingerprint of a keyed create or edit: money amounts in
 * one spelling ("2.50" = "2.5"); everything else as sent.
 */
function contentMeaning(c: OfferChanges) {
  const b = c.benefit;
  const money = (v: string | null | undefined) => (v == null ? v : canonicalDecimal(v));
  return { ...c, benefit: b == null ? b : { ...b, amountOff: money(b.amountOff), maxDiscount: money(b.maxDiscount) } };
}

/**
 * The fingerprints of offer content (`meaning`: contentMeaning's, with what else the request
 * carries): its SKUs, categories and channels as sets (noticed-40), and as sent before.
 */
function contentFingerprint(meaning: ReturnType<typeof contentMeaning> & { offerId?: number; cleared?: string[]; expectedVersion?: number }) {
  const b = meaning.benefit;
  const set = (l: string[] | null | undefined) => (l == null ? l : setOrder(l));
  return setsFingerprint({ ...meaning, benefit: b == null ? b : { ...b, skus: set(b.skus), categories: set(b.categories) }, channels: set(meaning.channels) }, meaning);
}

/**
 * Creates an offer at version 1 (staff). INVALID when the benefit lacks the value its kind needs.
 * With `idempotencyKey` (the staff member's own; see createOnce): the same key and content again
 * answer the same offer, as it is now, and create nothing; other content is IDEMPOTENCY_KEY_REUSED.
 */
export async function createOffer(ctx: Ctx, content: OfferContent, idempotencyKey?: string | null, reason: string | null = null): Promise<OfferVersionRow> {
  checkBenefit(content.benefit);
  const now = ctx.clock.now();
  const actor = actorOf(ctx.caller);
  return ctx.em.transactional(async (em) => {
    const { result } = await createOnce(ctx, em, `create-offer:${actor}`, idempotencyKey, () => contentFingerprint(contentMeaning(content)), now, async () => {
      const offer = await db(em).insertInto('Offer').values({ id: byDefault, createdAt: now, updatedAt: now }).returning('id').executeTakeFirstOrThrow();
      await insertVersion(em, offer.id, 1, content, actor, now);
      await recordAudit(em, { actor, action: 'createOffer', target: `Offer:${offer.id}`, reason, details: content, at: now });
      return { id: offer.id };
    });
    return (await currentOffersByIds(em, [result.id]))[0];
  });
}

export type OfferChanges = { [K in keyof OfferContent]?: OfferContent[K] | null };

/** The first money amount of a benefit (`amountOff`, then `maxDiscount`) finer than money `code` can be paid in (`amountFitsMoney`), named; null when none is. */
function amountFinerThan(b: Pick<OfferVersionRow, 'amountOff' | 'maxDiscount'>, code: string): { name: string; amount: string } | null {
  if (b.amountOff !== null && !amountFitsMoney(b.amountOff, code)) return { name: 'amountOff', amount: b.amountOff };
  if (b.maxDiscount !== null && !amountFitsMoney(b.maxDiscount, code)) return { name: 'maxDiscount', amount: b.maxDiscount };
  return null;
}

/**
 * Whether an offer version's money amounts (`amountOff`, `maxDiscount`) are whole minor units of
 * money `code` (ISO 4217): "2.50" off is no amount of yen. A version without them fits every money.
 * What a purchase, a gift claim and a campaign's award check before issuing a version (offsale-12).
 */
export function versionFitsMoney(version: Pick<OfferVersionRow, 'amountOff' | 'maxDiscount'>, code: string): boolean {
  return amountFinerThan(version, code) === null;
}

/**
 * The decimals of money `money` (an SQL text expression, an ISO 4217 code) as an SQL integer:
 * ISO 4217's minor unit (`minorDigits`), a CASE over the moneys that do not have two
 * (`moneysByDigits`), literals in the text, no table read.
 */
export function moneyDigitsSql(money: RawBuilder<unknown>): RawBuilder<number> {
  return sql<number>`(case ${sql.join(
    [...moneysByDigits()].map(([d, codes]) => sql`when ${money} = any(${sql.lit(`{${codes.join(',')}}`)}::text[]) then ${sql.lit(d)}`),
    sql` `,
  )} else 2 end)`;
}

/**
 * Whether the offer version `ov` (the alias) has no `amount_off` or `max_discount` with more
 * decimals than `digits` (an SQL integer expression: a store's `money_digits`, or a money's
 * `moneyDigitsSql`). One comparison of small integers with `ov.money_digits_needed`, the fewest
 * decimals the version's amounts need (`min_scale`, stored with the row by
 * Migration20261201200000; `trunc(x, d) = x` exactly when `min_scale(x) <= d`). The one SQL
 * definition of the rule for the store page, the purchase, gift lists and the staff lists: two
 * numeric `trunc`s per row cost the store page ×1.19 of its PostgreSQL CPU (bench/README.md,
 * twelfth session). `versionFitsMoney` is the same rule in TypeScript.
 */
export function amountsFitDigitsSql(digits: RawBuilder<unknown>, needed: RawBuilder<unknown> = sql`ov.money_digits_needed`): RawBuilder<boolean> {
  return sql<boolean>`${needed} <= ${digits}`;
}

/**
 * Whether the wallet item `io` (the alias) is one no till can apply in its money: its version has a
 * money value (`io.money_digits_needed` not null, kept from the version by a trigger) and its
 * recorded money is unknown, not a money tills name (`iso_money_digits` null: not an ISO 4217
 * currency in use) or has fewer decimals than the amounts need. amountsFitDigitsSql, negated, on
 * `issued_offer`'s own columns: the predicate of `issued_offer_unpayable_idx`
 * (Migration20261201210000), written the same so the planner proves the index applies; the staff
 * list reads the exceptions only, not the wallet (offsale-12c).
 */
export function issuedOfferUnpayableSql(): RawBuilder<boolean> {
  return sql<boolean>`not ${amountsFitDigitsSql(sql`coalesce(iso_money_digits(io.money_currency), -1)`, sql`io.money_digits_needed`)}`;
}

/**
 * versionFitsMoney in SQL: whether the offer version `ov` (the alias) has no `amount_off` or
 * `max_discount` finer than the money `money` (an SQL text expression, an ISO 4217 code) can be
 * paid in (amountsFitDigitsSql of moneyDigitsSql). One comparison per row, no table read: for
 * the purchase's one statement (offsale-12).
 */
export function amountsFitMoneySql(money: RawBuilder<unknown>): RawBuilder<boolean> {
  return amountsFitDigitsSql(moneyDigitsSql(money));
}

/** A listing, gift list or campaign that holds an offer no till in its program's money could apply (offersNoTillCanApply). */
export interface OfferNoTillCanApply {
  /** What holds it: a store's `listing`, a `giftList` (one of its options) or a `campaign` (its award). */
  holder: 'listing' | 'giftList' | 'campaign';
  /** The holder's id (`listing.id`, `gift_list.id`, `campaign.id`). */
  holderId: number;
  /** The program's point currency and its money (ISO 4217). */
  currency: string;
  money: string;
  offerId: number;
  /** The offer's current version (its id and number) and its money amounts as stored ("2.50"). */
  versionId: number;
  version: number;
  amountOff: string | null;
  maxDiscount: string | null;
}

const HOLDER_COLUMNS = sql`pc.code as currency, pc.money_currency as money, o.id as "offerId", ov.id as "versionId", ov.version,
  ov.amount_off::text as "amountOff", ov.max_discount::text as "maxDiscount"`;

/**
 * The listings (not removed), gift list options and campaigns whose offer's current version does
 * not fit their program's money (`amountsFitMoneySql`), each with `rank` (1, 2, 3: the order of
 * `holder`s) for the callers' order: the one description of offersNoTillCanApply's holders.
 */
function holdersNoTillCanApply(): RawBuilder<OfferNoTillCanApply & { rank: number }> {
  const unfit = amountsFitMoneySql(sql`pc.money_currency`);
  return sql`select 1 as rank, 'listing' as holder, l.id as "holderId", ${HOLDER_COLUMNS}
          from listing l join reward_store s on s.id = l.store_id join point_currency pc on pc.code = s.currency_code
          join offer o on o.id = l.offer_id join offer_version ov on ov.id = o.current_version_id
         where l.removed_at is null and not ${unfit}
        union all
        select 2, 'giftList', g.id, ${HOLDER_COLUMNS}
          from gift_list_option go join gift_list g on g.id = go.gift_list_id join point_currency pc on pc.code = g.currency_code
          join offer o on o.id = go.offer_id join offer_version ov on ov.id = o.current_version_id
         where not ${unfit}
        union all
        select 3, 'campaign', c.id, ${HOLDER_COLUMNS}
          from campaign c join point_currency pc on pc.code = c.currency_code
          join offer o on o.id = c.offer_id join offer_version ov on ov.id = o.current_version_id
         where not ${unfit}`;
}

/**
 * The listings (not removed), gift list options and campaigns whose offer, as its current version
 * reads, has an `amountOff` or `maxDiscount` finer than their program's money (`amountsFitMoneySql`):
 * data from before money-12, which refuses to make them since. Such an offer is not sold, claimed
 * or awarded (offsale-12) nor shown on the store page (offsale-12b); staff edit the offer to an
 * amount of the money (or remove the listing) to put it back. Read at start-up for the log
 * (`logOffersNoTillCanApply`), ordered by holder and id.
 */
export async function offersNoTillCanApply(em: SqlEntityManager): Promise<OfferNoTillCanApply[]> {
  const rows = await query<OfferNoTillCanApply & { rank?: number }>(em, sql`${holdersNoTillCanApply()} order by 2, 3, "versionId"`);
  return rows.map(({ rank: _, ...row }) => row);
}

/** One row of unpayableOffersPage: a holder of offersNoTillCanApply, or a live wallet item no till can apply. */
export interface UnpayableOffer extends Omit<OfferNoTillCanApply, 'holder' | 'currency' | 'money'> {
  /** offersNoTillCanApply's holders, and `issuedOffer`: a customer's ISSUED or LOCKED offer (`holderId`: `issued_offer.id`). */
  holder: OfferNoTillCanApply['holder'] | 'issuedOffer';
  /** The holder's point currency; null for an issued offer (it records its money only). */
  currency: string | null;
  /** The money (ISO 4217) its amounts are in; null for an issued offer whose money was never recorded. */
  money: string | null;
  /** 1–4 by holder, then `holderId` and `versionId`: the page's order and its cursor's key. */
  rank: number;
}

/**
 * What staff can act on (offsale-12b): offersNoTillCanApply's holders (edit the offer to an amount
 * of the money, or remove the listing), then every customer's live offer (ISSUED or LOCKED, not
 * past its `expiresAt` at `now`) whose issued version has a money value (an AMOUNT_OFF or a
 * `maxDiscount`, as `hasMoneyValue`) that no till can apply: finer than the offer's
 * `money_currency`, in no recorded money (null, an offer from before that column whose program
 * could not be traced), or in a recorded money no till names (not an ISO 4217 currency in use: a
 * program configured with DEM before its money was set to EUR; break-12i). Those are OFFER_NOT_APPLICABLE at a till naming its money; the remedy is
 * `issueReplacementOffer` with `unusable: true` (and, for an unknown money, `moneyCurrency`).
 * Ordered by (rank, holderId, versionId), after `after` (that key), `limit` rows. A staff read:
 * the wallet part reads `issued_offer_unpayable_idx`, which holds those items only
 * (`issuedOfferUnpayableSql`; offsale-12c), so a page costs what the exceptions number, not the wallet.
 */
export async function unpayableOffersPage(em: SqlEntityManager, now: Date, limit: number, after: readonly number[] | null): Promise<UnpayableOffer[]> {
  return query(em, unpayableOffersPageSql(now, limit, after));
}

/**
 * unpayableOffersPage's one statement (what a test explains: offsale-12c). The wallet branch is
 * limited on its own, in `issued_offer_unpayable_idx`'s order, after the cursor's wallet item
 * (`io.id >` a bound worked out here, so it is an index condition): it then reads at most `limit`
 * items of the index. Without its own limit PostgreSQL took the partial index's predicate for a
 * third of the wallet (its default guess for an inequality it has no statistics for) and planned
 * parallel workers, whose start cost more than the scan (bench/unpayable-page.ts).
 */
export function unpayableOffersPageSql(now: Date, limit: number, after: readonly number[] | null): RawBuilder<UnpayableOffer> {
  const [rank, holderId, versionId] = after ?? [null, null, null];
  // The wallet items after the cursor: all (a holder's cursor, or none), those after its wallet item, or none (a rank past 4).
  const afterIssued = rank === null || rank < 4 ? 0 : rank === 4 ? holderId! : Number.MAX_SAFE_INTEGER;
  return sql<UnpayableOffer>`select * from (
          ${holdersNoTillCanApply()}
          union all
          (select 4, 'issuedOffer', io.id, null, io.money_currency, ov.offer_id, ov.id, ov.version, ov.amount_off::text, ov.max_discount::text
             from issued_offer io join offer_version ov on ov.id = io.offer_version_id
            where io.status in ('ISSUED', 'LOCKED') and ${issuedOfferUnpayableSql()} and io.id > ${afterIssued}::bigint
              and (io.expires_at is null or io.expires_at > ${now})
            order by io.id limit ${limit})
        ) u
        where (${rank}::int is null or (u.rank, u."holderId", u."versionId") > (${rank}::int, ${holderId}::bigint, ${versionId}::bigint))
        order by u.rank, u."holderId", u."versionId" limit ${limit}`;
}

/**
 * Why no till can apply `row`'s offer in its money, as staff read it: the first amount
 * (`amountOff`, then `maxDiscount`) finer than the money, or the money not being known.
 */
export function unpayableReason(row: Pick<UnpayableOffer, 'money' | 'amountOff' | 'maxDiscount'>): { field: string | null; amount: string | null; message: string } {
  if (row.money === null || !isIsoCurrency(row.money)) {
    const [field, amount] = row.amountOff !== null ? ['amountOff', row.amountOff] : ['maxDiscount', row.maxDiscount];
    const where = row.money === null ? 'in no recorded money' : `in ${row.money}, which is not an ISO 4217 currency in use (tills name only those)`;
    return { field, amount, message: `This offer's ${field} ${amount} is ${where}, so no till naming its money can apply it.` };
  }
  const finer = amountFinerThan(row, row.money);
  return finer
    ? { field: finer.name, amount: finer.amount, message: `This offer's ${finer.name} ${finer.amount} is finer than ${row.money} can be paid in (it has ${decimalsOf(row.money)}).` }
    : { field: null, amount: null, message: `This offer can be paid in ${row.money}.` };
}

/**
 * Logs, at start-up, one warning per listing, gift list and campaign holding an offer no till in
 * its program's money could apply (offersNoTillCanApply), so staff find what is off sale and why.
 * `log`: anything with pino's `warn(object, message)`. Returns what it logged.
 */
export async function logOffersNoTillCanApply(em: SqlEntityManager, log: { warn(details: object, message: string): void }): Promise<OfferNoTillCanApply[]> {
  const found = await offersNoTillCanApply(em);
  for (const f of found) {
    log.warn(
      f,
      `${f.holder} ${f.holderId} holds offer ${f.offerId} (version ${f.version}) whose amount is finer than ${f.money} can be paid in: it is not sold, claimed or awarded until the offer is edited to an amount of ${f.money}`,
    );
  }
  return found;
}

/**
 * Refuses to put offers where their money amounts cannot be paid (money-12): offer `offerIds[i]`
 * (its current version) in a program valued in `moneyCurrency` when its `amountOff` or
 * `maxDiscount` is finer than that money ("2.50 off" in yen, which no sale in JPY can take, so the
 * customer would pay points for an offer no till applies). INVALID on `field(i)`: "This offer's
 * amountOff 2.50 is finer than JPY, the money of this program, can be paid in (it has no
 * decimals)." For addListing, createGiftList and a campaign's offer.
 * Holds each offer's row (FOR SHARE, to the caller's commit) before reading its current version:
 * `updateOffer` takes the row FOR UPDATE before it checks the programs offering the offer, so an
 * edit and a putting that meet wait for each other and the second checks what the first wrote.
 * Without it both passed their check at once (the edit saw no JPY listing yet, the listing the
 * version before the edit) and a JPY store sold "2.50 off" (break-12f). The lock is a statement of
 * its own: read in the same statement, a version changed meanwhile would not join the row locked.
 */
export async function refuseAmountsFinerThanMoney(em: SqlEntityManager, offerIds: readonly number[], moneyCurrency: string, field: (i: number) => string[]): Promise<void> {
  await query(em, sql`select id from offer where id = any(${idList(offerIds)}) order by id for share`);
  const versions = new Map((await currentOffersByIds(em, offerIds)).map((v) => [v.offerId, v]));
  for (const [i, offerId] of offerIds.entries()) {
    const version = versions.get(offerId);
    const finer = version ? amountFinerThan(version, moneyCurrency) : null;
    if (finer) {
      throw refuse(
        UserErrorCode.INVALID,
        `This offer's ${finer.name} ${finer.amount} is finer than ${moneyCurrency}, the money of this program, can be paid in (it has ${decimalsOf(moneyCurrency)}).`,
        field(i),
      );
    }
  }
}

/**
 * The money currencies of the programs an offer is put in now, where its next version would be
 * issued: the stores listing it (not removed), the gift lists offering it and the campaigns that
 * award it and may still award it: those that ended after `lateSalesFrom` too, as a sale that
 * happened in one may still be sent (SALE_MAX_AGE_DAYS) and is awarded the offer's version of the
 * day it is processed (break-12f: an edit to "2.50" the day after a JPY campaign ended put an
 * offer no yen till can apply in the wallet of the customer whose sale came late).
 */
async function moneysOfferedIn(em: SqlEntityManager, offerId: number, lateSalesFrom: Date): Promise<string[]> {
  const rows = await query<{ money: string }>(
    em,
    sql`select pc.money_currency as money from listing l join reward_store s on s.id = l.store_id join point_currency pc on pc.code = s.currency_code
         where l.offer_id = ${offerId} and l.removed_at is null
        union select pc.money_currency from gift_list_option o join gift_list g on g.id = o.gift_list_id join point_currency pc on pc.code = g.currency_code
         where o.offer_id = ${offerId}
        union select pc.money_currency from campaign c join point_currency pc on pc.code = c.currency_code
         where c.offer_id = ${offerId} and c.ends_at > ${lateSalesFrom} and c.starts_at < c.ends_at
        order by 1`,
  );
  return rows.map((r) => r.money);
}

/**
 * Edits an offer by writing a new version from the current one and the changes, then pointing the
 * offer at it, in one transaction: issued offers keep the version they were issued with. With
 * `idempotencyKey` (the staff member's own; see createOnce): the same key and changes again answer
 * the version the first made and write no other; other changes are IDEMPOTENCY_KEY_REUSED.
 * `expectedVersion` (optimistic concurrency, as HTTP's If-Match): the version number the edit was
 * made from; when the current version is another, VERSION_CONFLICT on ["input","expectedVersion"]
 * and nothing written (break33: two operators editing one offer, the second's form, filled from
 * the version before the first's save, wrote the first's texts back). Checked under the offer's
 * row lock, so of two edits from one version exactly one is written. A resend under the same
 * idempotency key answers the first's version, not a conflict with it.
 */
export async function updateOffer(
  ctx: Ctx,
  offerId: number,
  changes: OfferChanges,
  idempotencyKey?: string | null,
  expectedVersion?: number | null,
  reason: string | null = null,
): Promise<OfferVersionRow> {
  const now = ctx.clock.now();
  const actor = actorOf(ctx.caller);
  return ctx.em.transactional(async (em) => {
    // null clears a field and absent keeps it, which the canonical form does not tell apart: the cleared ones by name
    const cleared = Object.keys(changes).filter((k) => changes[k as keyof OfferChanges] === null).sort();
    // expectedVersion joins the fingerprint only when sent, so keys stored before it existed still match their resends
    const fingerprint = () => contentFingerprint({ offerId, ...contentMeaning(changes), cleared, ...(expectedVersion != null ? { expectedVersion } : {}) });
    const { result } = await createOnce(ctx, em, `update-offer:${actor}`, idempotencyKey, fingerprint, now, () => writeNextVersion(em, ctx, offerId, changes, { actor, reason }, now, expectedVersion));
    return (await offerVersionsByIds(em, [result.versionId]))[0];
  });
}

/** updateOffer's effect: the next version from the current one and the changes, and its audit entry. */
async function writeNextVersion(
  em: SqlEntityManager,
  ctx: Ctx,
  offerId: number,
  changes: OfferChanges,
  { actor, reason }: { actor: string; reason: string | null },
  now: Date,
  expectedVersion?: number | null,
): Promise<{ versionId: number }> {
  // Lock the offer so two edits at once make two successive versions, not one number twice.
  const locked = await queryOne(em, sql`select id from offer where id = ${offerId} for update`);
  if (!locked) throw refuse(UserErrorCode.NOT_FOUND, 'No such offer.', ['input', 'offerId']);
  const [current] = await currentOffersByIds(em, [offerId]);
  if (expectedVersion != null && current.version !== expectedVersion) {
    throw refuse(
      UserErrorCode.VERSION_CONFLICT,
      `This offer was edited since version ${expectedVersion}, the one this edit was made from: it is now version ${current.version} ("${current.name}"), and nothing was saved. Read it again and edit the current version.`,
      ['input', 'expectedVersion'],
    );
  }
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
  checkBenefit(next.benefit, defined.benefit != null);
  // The new version is what its stores, gift lists and campaigns issue from now on: its amounts must be payable in their moneys.
  for (const money of await moneysOfferedIn(em, offerId, new Date(now.getTime() - ctx.config.saleMaxAgeDays * 86_400_000))) {
    const finer = amountFinerThan({ amountOff: next.benefit.amountOff ?? null, maxDiscount: next.benefit.maxDiscount ?? null }, money);
    if (finer) {
      throw refuse(
        UserErrorCode.INVALID,
        `This offer's ${finer.name} ${finer.amount} is finer than ${money}, the money of a program it is offered in, can be paid in (it has ${decimalsOf(money)}).`,
        ['input', 'benefit', finer.name],
      );
    }
  }
  const versionId = await insertVersion(em, offerId, current.version + 1, next, actor, now);
  await recordAudit(em, { actor, action: 'updateOffer', target: `Offer:${offerId}`, reason, details: { version: current.version + 1, ...(expectedVersion != null ? { expectedVersion } : {}), changes }, at: now });
  return { versionId };
}
