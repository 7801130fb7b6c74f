import { named, segmentOf } from '../domain/text.js';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import type { RawBuilder } from 'kysely';
import { recordAudit } from '../audit/audit.service.js';
import { actorOf, type Ctx, type CustomerCaller } from '../context.js';
import { byDefault, columnsOf, db, fromPrefixed, prefixedColumnsOf, type EntityRow, type PrefixedRow, type Selected } from '../db/schema.js';
import { idList, plannedEachRun, query, queryOne, sql, statement } from '../db/sql.js';
import type { Page } from '../domain/page.js';
import { refuse, UserErrorCode, UserErrorException } from '../domain/refusals.js';
import { noteReplay } from '../idempotency/replays.js';
import { claimIdempotencyKey, completeIdempotencyKey, createOnce, requestFingerprint, setsFingerprint } from '../idempotency/idempotency.service.js';
import { sameSet, setOrder } from '../domain/lists.js';
import {
  amountsFitDigitsSql,
  offerVersionColumns,
  offerVersionFrom,
  refuseAmountsFinerThanMoney,
  type OfferVersionColumns,
  type OfferVersionRow,
} from '../offers/offer.service.js';
import { CustomerStatus } from '../customers/customer.entity.js';
import { Listing } from './listing.entity.js';
import { RewardStore } from './reward-store.entity.js';
import { refuseUnknownTiers } from '../tiers/tier.service.js';
import { WHOLE_LADDER, tierPlacements } from '../tiers/placement.js';
import { balancesAt } from '../points/due.js';
import { instantOf } from '../domain/instant.js';

/** A reward store as the API shows it: every column of `reward_store` but `createdAt`. */
export type StoreRow = Pick<EntityRow<RewardStore>, (typeof STORE_KEYS)[number]>;

const STORE_KEYS = [
  'id', 'code', 'name', 'currencyCode', 'startsAt', 'endsAt', 'eligibleTiers', 'eligibleSegments', 'minBalance', 'minLifetimePoints', 'version', 'updatedAt',
] as const;

const LISTING_KEYS = [
  'id', 'storeId', 'priceInPoints', 'stockTotal', 'stockRemaining', 'perCustomerLimit', 'visibleFrom', 'visibleUntil', 'sortOrder', 'removedAt', 'version', 'updatedAt',
] as const;

/**
 * A listing as the store page shows it: its `listing` columns (but `offerId` and `createdAt`),
 * its store's currency, the offer at its current version, and what the viewer needs beside it.
 */
export type ListingRow = Pick<EntityRow<Listing>, (typeof LISTING_KEYS)[number]> &
  Pick<EntityRow<RewardStore>, 'currencyCode'> & {
    /** How many times the viewing customer bought it (0 for staff). */
    purchasedByViewer: number;
    /** The viewing customer's available balance in the store's currency (null for staff). */
    viewerBalance: number | null;
    offer: OfferVersionRow;
    /** `Listing.purchasedByMe`: purchasedByViewer for a customer, null for staff. */
    purchasedByMe: number | null;
    /** `Listing.affordable`: the viewer's balance pays for it (null for staff). */
    affordable: boolean | null;
    /** `Listing.pointsMissing`: points the viewer lacks, 0 when affordable (null for staff). */
    pointsMissing: number | null;
  };

/**
 * Whom a read is for: a customer (by id) sees only what is open to them; staff (null) see
 * everything. The customer's tier and segments are read by the statement itself (customerQualifies).
 */
export type Viewer = Pick<CustomerCaller, 'customerId'> | null;

const STORE_COLUMNS = columnsOf(RewardStore, 's', STORE_KEYS);
const LISTING_COLUMNS = columnsOf(Listing, 'l', LISTING_KEYS);
const LISTING_CURRENCY = columnsOf(RewardStore, 's', ['currencyCode']);

/** The store `s` is open at `now`. */
export function storeOpen(now: Date): RawBuilder<unknown> {
  return sql`(s.starts_at is null or s.starts_at <= ${now}) and (s.ends_at is null or s.ends_at > ${now})`;
}

/**
 * The customer meets every eligibility rule that store `s` sets: tiers, segments, minimum balance
 * and minimum lifetime points in the store's currency, all as of `now` (the tier a rolling window
 * leaves the customer, points expired or released that second, whether or not a job has written
 * them down). The single definition used by every read and by the purchase, so what a customer
 * sees and what they may buy never disagree.
 *
 * `balances`: a relation of the customer's balances as of the same `now`, one row per currency
 * (`currency_code`, `available`, `lifetime_earned`, as `point_account_at` gives them), that the
 * statement computes anyway (the store page's `vb`): the balance rules then read it. Without it
 * they call `customer_balance_at` (SQL, the same figures), one plan node each, run only for a
 * store with such a rule: an inlined `point_account_at` is ~30 nodes that PostgreSQL sets up on
 * every execution, rule or not (~80 µs of its CPU per page, ~8 % of a purchase's; issue 12,
 * fifth and sixth sessions, bench/README.md).
 *
 * `segments`: an expression of the customer's segments that the statement has at hand (the store
 * page's `vc.segments`); by default the statement reads them from the customer's row. Either way
 * they are the row's as of the statement, not as of the request's authentication.
 *
 * `viewer.customerId`: the customer's id, or an SQL expression of it (a column of the statement's,
 * for a read of several customers at once: `eligibleStoresPages`).
 *
 * `tier`: an expression of the customer's tier's id as of `now` (null: none) that the statement
 * has at hand, read for many customers at once (`tierPlacements`: storeAccessChange); by default
 * `customer_tier_at`, called when the store has a tier list.
 */
export function customerQualifies(
  viewer: { customerId: number | RawBuilder<unknown> },
  now: Date,
  balances?: RawBuilder<unknown>,
  segments?: RawBuilder<unknown>,
  tier?: RawBuilder<unknown>,
): RawBuilder<unknown> {
  const segmentsOf = segments ?? sql`(select c.segments from customer c where c.id = ${viewer.customerId})`;
  const tierOf = tier ?? sql`customer_tier_at(${viewer.customerId}, ${now})`;
  const tiersAndSegments = sql`(cardinality(s.eligible_tiers) = 0 or exists (select 1 from tier t where t.id = ${tierOf} and t.code = any(s.eligible_tiers)))
    and (cardinality(s.eligible_segments) = 0 or s.eligible_segments && ${segmentsOf})`;
  if (balances) {
    return sql`${tiersAndSegments}
    and (s.min_balance is null or coalesce((select b.available from ${balances} b where b.currency_code = s.currency_code), 0) >= s.min_balance)
    and (s.min_lifetime_points is null or coalesce((select b.lifetime_earned from ${balances} b where b.currency_code = s.currency_code), 0) >= s.min_lifetime_points)`;
  }
  return sql`${tiersAndSegments}
    and (s.min_balance is null or coalesce((customer_balance_at(${viewer.customerId}, s.currency_code, ${now})).available, 0) >= s.min_balance)
    and (s.min_lifetime_points is null or coalesce((customer_balance_at(${viewer.customerId}, s.currency_code, ${now})).lifetime_earned, 0) >= s.min_lifetime_points)`;
}

function storeVisibleTo(viewer: Viewer, now: Date): RawBuilder<unknown> {
  return viewer ? sql`${storeOpen(now)} and ${customerQualifies(viewer, now)}` : sql`true`;
}

/** The listing `l` of offer version `ov` is on show at `now`. */
export function listingOnShow(now: Date): RawBuilder<unknown> {
  return sql`l.removed_at is null and (l.visible_from is null or l.visible_from <= ${now}) and (l.visible_until is null or l.visible_until > ${now})
    and (ov.valid_until is null or ov.valid_until > ${now})`;
}

/**
 * What a customer is shown of a store's listings beyond listingOnShow: the listing's offer (`ov`,
 * its current version) can be paid in the store's money, whose decimals are `digits` (an SQL
 * integer: the store's `money_digits`, kept by the database from its point currency's money;
 * amountsFitDigitsSql). A listing kept from before money-12 whose offer reads "2.50" off in a
 * yen store is refused at purchase (OFFER_UNAVAILABLE, offsale-12), so it is not shown either: not
 * on the page, not counted in its `hasNextPage`, not given a cursor, null by `node(id:)`; it is
 * back on show once staff edit the offer to an amount of the money (offsale-12b). Staff see it.
 */
function listingPayable(digits: RawBuilder<unknown>): RawBuilder<unknown> {
  return amountsFitDigitsSql(digits);
}

/** Stores by id that `viewer` may see at `now` (any order; unknown and hidden ones are left out), for the `store` loader. */
export async function storesByIds(em: SqlEntityManager, ids: readonly number[], viewer: Viewer, now: Date): Promise<StoreRow[]> {
  if (ids.length !== 1) return query<Selected<typeof STORE_COLUMNS>>(em, storesWhere(idList(ids), viewer, now));
  return viewer ? STORE_FOR_CUSTOMER.run(em, ids[0], viewer.customerId, now) : STORE_FOR_STAFF.run(em, ids[0]);
}

function storesWhere(ids: RawBuilder<unknown>, viewer: Viewer, now: Date) {
  return sql<Selected<typeof STORE_COLUMNS>>`select ${STORE_COLUMNS} from reward_store s where s.id = any(${ids}) and ${storeVisibleTo(viewer, now)}`;
}

// One store by id (a `node(id:)` of a store without the page read with it, `Listing.store`): built once per viewer kind.
const STORE_FOR_CUSTOMER = statement((id: number, customerId: number, now: Date) => storesWhere(idList([id]), { customerId }, now));
const STORE_FOR_STAFF = statement((id: number) => storesWhere(idList([id]), null, new Date(0)));

/** A store of `eligibleStoresPages`, with the customer it is open to. */
export interface EligibleStoreRow {
  customerId: number;
  store: StoreRow;
}

/**
 * A page of the stores each customer may shop in (as `storesPage` answers it for that customer as
 * viewer), by id: up to `page.limit + 1` per customer (after `page.after`, the same for each), all
 * in one statement, in the order of `customerIds`. The `eligibleStores` loader's read:
 * Customer.eligibleRewardStores of a list of customers was one statement per customer (n1-28).
 */
export async function eligibleStoresPages(em: SqlEntityManager, customerIds: readonly number[], now: Date, page: Page): Promise<EligibleStoreRow[]> {
  const after = page.after?.[0] ?? null;
  const rows = await query<{ viewerId: number } & Selected<typeof STORE_COLUMNS>>(
    em,
    sql`select u.customer_id as "viewerId", p.* from unnest(${idList(customerIds)}) with ordinality as u(customer_id, n)
         cross join lateral (
           select ${STORE_COLUMNS} from reward_store s
            where ${storeOpen(now)} and ${customerQualifies({ customerId: sql`u.customer_id` }, now)} and (${after}::bigint is null or s.id > ${after})
            order by s.id limit ${page.limit + 1}) p
         order by u.n, p.id`,
  );
  return rows.map(({ viewerId, ...store }) => ({ customerId: viewerId, store }));
}

/** The stores the viewer may shop in, by id. */
export async function storesPage(em: SqlEntityManager, viewer: Viewer, now: Date, page: Page): Promise<StoreRow[]> {
  const after = page.after?.[0] ?? null;
  return query<Selected<typeof STORE_COLUMNS>>(
    em,
    sql`select ${STORE_COLUMNS} from reward_store s
         where ${storeVisibleTo(viewer, now)} and (${after}::bigint is null or s.id > ${after})
         order by s.id limit ${page.limit + 1}`,
  );
}

/**
 * Listings with their current offer version and, for a customer, their own purchase count and
 * balance: one statement for a whole page, whatever its size. The viewer's balances as of `now`
 * (`point_account_at`, one row per currency they hold) are computed once per statement in a
 * materialized CTE and joined by the store's currency: as a subquery per listing they were
 * computed once per row, about a fifth of the statement's PostgreSQL CPU for a page of 20
 * (bench/README.md).
 */
function listingSelect(viewer: Viewer, now: Date, where: RawBuilder<unknown>, tail: RawBuilder<unknown>, storeChecked = false) {
  return sql<ListingSelected>`${viewerBalances(viewer, now)}
    ${listingRows(viewer, now, where, tail, storeChecked)}`;
}

/** The `vb` CTE of `listingSelect`: the viewer's balances as of `now`, one row per currency they hold (none for staff). */
function viewerBalances(viewer: Viewer, now: Date) {
  return sql`
    with vb as materialized (select a.currency_code, n.available from point_account a cross join lateral point_account_at(a.id, ${now}) n
                              where a.customer_id = ${viewer?.customerId ?? null}::bigint)`;
}

/** `listingSelect` but its `vb` CTE (`viewerBalances`), which must precede it: a lateral subquery of several stores' pages (`listingsPages`) shares it. */
function listingRows(viewer: Viewer, now: Date, where: RawBuilder<unknown>, tail: RawBuilder<unknown>, storeChecked: boolean) {
  const viewerId = viewer?.customerId ?? null;
  return sql<ListingSelected>`
    select ${LISTING_COLUMNS}, ${LISTING_CURRENCY},
           coalesce(pc.purchased, 0) as "purchasedByViewer", vb.available as "viewerBalance",
           ${offerVersionColumns('offer.')}
      from listing l
      join reward_store s on s.id = l.store_id
      join offer o on o.id = l.offer_id
      join offer_version ov on ov.id = o.current_version_id
      left join listing_purchase_count pc on pc.listing_id = l.id and pc.customer_id = ${viewerId}::bigint
      left join vb on vb.currency_code = s.currency_code
     where ${where} and ${
       viewer
         ? sql`${listingOnShow(now)} and ${listingPayable(sql`s.money_digits`)} and ${storeChecked ? sql`true` : storeVisibleTo(viewer, now)}`
         : sql`true`
     }
     ${tail}`;
}

/** One row of `listingSelect`: the listing's fields with its offer's alongside, prefixed `offer.`. */
type ListingSelected = Omit<ListingRow, 'offer' | 'purchasedByMe' | 'affordable' | 'pointsMissing'> & OfferVersionColumns<'offer.'>;

/**
 * A listing as `viewer` (the viewer it was read for) sees it: its offer, and for a customer what
 * they bought of it and what their balance (points; 0 when they hold none of the store's
 * currency) lacks for it; null for staff.
 *
 * Built as one object literal, every ListingRow field in one shape, from the statement's row
 * (which is left behind: the store page's carries the store's ten columns and the offer's
 * sixteen prefixed ones beside the listing's). `Object.assign(row, {…})` added five properties
 * to a row of ~40 in-object ones: a temporary object, a property store grown out of the object,
 * and V8's generic SetDataProperties, ~35k instructions a page of 20 under callgrind
 * (bench/README.md, page-23 and page-24).
 */
function toListing(row: ListingSelected, viewer: Viewer): ListingRow {
  const balance = viewer ? (row.viewerBalance ?? 0) : null;
  const price = row.priceInPoints;
  return {
    id: row.id,
    storeId: row.storeId,
    priceInPoints: price,
    stockTotal: row.stockTotal,
    stockRemaining: row.stockRemaining,
    perCustomerLimit: row.perCustomerLimit,
    visibleFrom: row.visibleFrom,
    visibleUntil: row.visibleUntil,
    sortOrder: row.sortOrder,
    removedAt: row.removedAt,
    version: row.version,
    updatedAt: row.updatedAt,
    currencyCode: row.currencyCode,
    purchasedByViewer: row.purchasedByViewer,
    viewerBalance: balance,
    offer: offerVersionFrom(row, 'offer.'),
    purchasedByMe: viewer ? row.purchasedByViewer : null,
    affordable: balance === null ? null : balance >= price,
    pointsMissing: balance === null ? null : Math.max(0, price - balance),
  };
}

/**
 * A page of a store's listings. The store itself must already have been read for this viewer
 * (every path to `RewardStore.listings` reads it through the viewer's eligibility filter), so its
 * eligibility is not checked again here.
 */
export async function listingsPage(em: SqlEntityManager, storeId: number, viewer: Viewer, now: Date, page: Page): Promise<ListingRow[]> {
  const [afterSort, afterId] = page.after ?? [null, null];
  const rows = viewer
    ? await LISTINGS_PAGE_FOR_CUSTOMER.run(em, viewer.customerId, now, storeId, afterSort, afterId, page.limit + 1)
    : await LISTINGS_PAGE_FOR_STAFF.run(em, now, storeId, afterSort, afterId, page.limit + 1);
  return rows.map((row) => toListing(row, viewer));
}

function listingsPageSelect(viewer: Viewer, now: Date, storeId: number, afterSort: number | null, afterId: number | null, limit: number) {
  return listingSelect(viewer, now, listingsPageWhere(storeId, afterSort, afterId), sql`order by l.sort_order, l.id limit ${limit}`, true);
}

/** A page's listings of store `storeId` (its id, or an SQL expression of it) after `(afterSort, afterId)`, removed ones left out. */
function listingsPageWhere(storeId: number | RawBuilder<unknown>, afterSort: number | null, afterId: number | null) {
  return sql`l.store_id = ${storeId} and l.removed_at is null and (${afterId}::bigint is null or (l.sort_order, l.id) > (${afterSort}::int, ${afterId}::bigint))`;
}

/**
 * The same page (`page`: size and cursor) of each of several stores' listings, as `listingsPage`
 * reads one store's, in one statement whatever the number of stores: a lateral page per store,
 * the viewer's balances (`vb`) computed once for them all; in the order of `storeIds`, each
 * store's by (sortOrder, id). The stores must already have been read for this viewer (see
 * listingsPage). One store reads through listingsPage's prepared statement, as before. The
 * `storeListings` loader's read: RewardStore.listings over a page of stores was one statement
 * per store (n1-28).
 */
export async function listingsPages(em: SqlEntityManager, storeIds: readonly number[], viewer: Viewer, now: Date, page: Page): Promise<ListingRow[]> {
  if (storeIds.length === 1) return listingsPage(em, storeIds[0], viewer, now, page);
  const [afterSort, afterId] = page.after ?? [null, null];
  const rows = await query<ListingSelected>(
    em,
    sql`${viewerBalances(viewer, now)}
    select x.* from unnest(${idList(storeIds)}) with ordinality as u(store_id, n)
     cross join lateral (${listingRows(viewer, now, listingsPageWhere(sql`u.store_id`, afterSort, afterId), sql`order by l.sort_order, l.id limit ${page.limit + 1}`, true)}) x
     order by u.n, x."sortOrder", x.id`,
  );
  return rows.map((row) => toListing(row, viewer));
}

// A page of a store's listings on its own (a page the store page's statement did not read, staff),
// built once per viewer kind (`limit`: the page size + 1). The store was checked for the viewer
// before (storeChecked), so the viewer's eligibility is not part of it.
const LISTINGS_PAGE_FOR_CUSTOMER = statement((customerId: number, now: Date, storeId: number, afterSort: number | null, afterId: number | null, limit: number) =>
  listingsPageSelect({ customerId }, now, storeId, afterSort, afterId, limit),
);
const LISTINGS_PAGE_FOR_STAFF = statement((now: Date, storeId: number, afterSort: number | null, afterId: number | null, limit: number) =>
  listingsPageSelect(null, now, storeId, afterSort, afterId, limit),
);

/**
 * One row of the store page's statement: whether the viewer is active, the store's columns, prefixed
 * `store.` (all null when the store is not open to them), beside a listing's (all null when it has none).
 */
type StorePageSelected = { viewerActive: boolean } & Nullable<PrefixedRow<RewardStore, (typeof STORE_KEYS)[number], 'store.'>> & ListingSelected;

type Nullable<T> = { [K in keyof T]: T[K] | null };

const STORE_PREFIXED = prefixedColumnsOf(RewardStore, 's', STORE_KEYS, 'store.');

/**
 * The store page's statement for a customer: whether the viewer is active (`vc`: the customer row
 * of that id and external id, not CLOSED: what authentication checks, folded in), the store, if it
 * is open to them at `now`, and the page of its listings after (`afterSort`, `afterId`), `limit`
 * rows at most. The viewer's balances (`vb`, as in listingSelect) are computed once and serve both
 * the store's balance rules and each listing's affordability; their segments are the row's (`vc`).
 * No row: no customer of that id. One row with a null store id: the viewer is not active, or the
 * store is unknown or not open to them. One row with a null listing id: the store has no listing on
 * show on this page.
 */
function storePageSelect(viewer: NonNullable<Viewer>, externalId: string, now: Date, storeId: number, afterSort: number | null, afterId: number | null, limit: number) {
  return sql<StorePageSelected>`
    with vc as materialized (select c.segments, c.external_id = ${externalId} and c.status <> ${CustomerStatus.CLOSED} as active
                               from customer c where c.id = ${viewer.customerId}::bigint),
         vb as materialized (select a.currency_code, n.available, n.lifetime_earned from point_account a cross join lateral point_account_at(a.id, ${now}) n
                              where a.customer_id = ${viewer.customerId}::bigint)
    select vc.active as "viewerActive", ${STORE_PREFIXED}, l.*, vb.available as "viewerBalance"
      from vc
      left join reward_store s on vc.active and s.id = ${storeId}::bigint and ${storeOpen(now)} and ${customerQualifies(viewer, now, sql`vb`, sql`vc.segments`)}
      left join lateral (
        select ${LISTING_COLUMNS}, ${LISTING_CURRENCY},
               coalesce(pc.purchased, 0) as "purchasedByViewer",
               ${offerVersionColumns('offer.')}
          from listing l
          join offer o on o.id = l.offer_id
          join offer_version ov on ov.id = o.current_version_id
          left join listing_purchase_count pc on pc.listing_id = l.id and pc.customer_id = ${viewer.customerId}::bigint
         where l.store_id = s.id and (${afterId}::bigint is null or (l.sort_order, l.id) > (${afterSort}::int, ${afterId}::bigint)) and ${listingOnShow(now)}
           and ${listingPayable(sql`s.money_digits`)}
         order by l.sort_order, l.id limit ${limit}) l on true
      left join vb on vb.currency_code = s.currency_code
     order by l."sortOrder", l.id`;
}

// The store page's statement (`limit`: the page size + 1), built once.
const STORE_PAGE_FOR_CUSTOMER = statement(
  (customerId: number, externalId: string, now: Date, storeId: number, afterSort: number | null, afterId: number | null, limit: number) =>
    storePageSelect({ customerId }, externalId, now, storeId, afterSort, afterId, limit),
);

/**
 * A store as a customer may see it at `now`, with a page of its listings (up to `page.limit + 1`
 * rows, as listingsPage reads them), in one statement instead of storesByIds' and listingsPage's
 * two: `RewardStore` by `node(id:)` with its `listings` (the store page). The same rules as those
 * two: the store open and every eligibility rule met (customerQualifies), the listings on show.
 *
 * The same statement reads whether the viewer is active (`viewerActive`: a customer row with
 * `viewer.customerId` and `externalId`, not CLOSED), so a request whose authentication left that
 * check to it (CustomerCheck) needs no statement of its own. `store` is undefined when the store
 * is unknown or not open to the viewer, or the viewer is not active: then no listing is read at all.
 */
export async function storeWithListingsPage(
  em: SqlEntityManager,
  storeId: number,
  viewer: NonNullable<Viewer>,
  externalId: string,
  now: Date,
  page: Page,
): Promise<{ viewerActive: boolean; store?: StoreRow; listings: ListingRow[] }> {
  const [afterSort, afterId] = page.after ?? [null, null];
  const rows = await STORE_PAGE_FOR_CUSTOMER.run(em, viewer.customerId, externalId, now, storeId, afterSort, afterId, page.limit + 1);
  const head = rows[0];
  if (!head?.viewerActive || head['store.id'] === null) return { viewerActive: head?.viewerActive ?? false, listings: [] };
  const store = fromPrefixed(RewardStore, head as PrefixedRow<RewardStore, (typeof STORE_KEYS)[number], 'store.'>, STORE_KEYS, 'store.');
  return { viewerActive: true, store, listings: head.id === null ? [] : rows.map((row) => toListing(row, viewer)) };
}

/** Listings by id as `viewer` sees them at `now` (any order; unknown and hidden ones are left out), for the `listing` loader. */
export async function listingsByIds(em: SqlEntityManager, ids: readonly number[], viewer: Viewer, now: Date): Promise<ListingRow[]> {
  const rows = await query(em, listingSelect(viewer, now, sql`l.id = any(${idList(ids)})`, sql``));
  return rows.map((row) => toListing(row, viewer));
}

export interface StoreData {
  code: string;
  name: string;
  currency: string;
  startsAt?: Date | null;
  endsAt?: Date | null;
  eligibility?: { tiers?: string[] | null; segments?: string[] | null; minBalance?: number | null; minLifetimePoints?: number | null } | null;
}

/**
 * Creates a reward store (staff), idempotent on its code: the same request again answers the store;
 * another with the same code is ALREADY_EXISTS. NOT_FOUND for an unknown currency or eligibility tier, INVALID for an empty window.
 */
export async function createRewardStore(ctx: Ctx, data: StoreData, reason: string | null = null): Promise<StoreRow> {
  if (data.startsAt && data.endsAt && data.startsAt >= data.endsAt) {
    throw refuse(UserErrorCode.INVALID, 'endsAt must be after startsAt.', ['input', 'endsAt']);
  }
  const now = ctx.clock.now();
  const e = data.eligibility ?? {};
  // stored as customers' tags are (NFC), so the exact comparison with them holds for what looks the same
  const segments = (e.segments ?? []).map(segmentOf);
  return ctx.em.transactional(async (em) => {
    const currency = await db(em).selectFrom('PointCurrency').select('code').where('code', '=', data.currency).executeTakeFirst();
    if (!currency) throw refuse(UserErrorCode.NOT_FOUND, `No currency ${named(data.currency)}.`, ['input', 'currency']);
    await refuseUnknownTiers(em, e.tiers, ['input', 'eligibility', 'tiers']);
    // The code is the request's key: the same request again answers the store and changes nothing.
    const exists = { code: UserErrorCode.ALREADY_EXISTS, field: ['input', 'code'], message: `A store with code ${data.code} already exists.` };
    // Its tiers and segments as sets: the same store sent again with them in another order is the same request.
    const meaning = { ...data, eligibility: { tiers: e.tiers ?? [], segments, minBalance: e.minBalance, minLifetimePoints: e.minLifetimePoints } };
    const f = setsFingerprint({ ...meaning, eligibility: eligibilityMeaning(meaning.eligibility) }, meaning);
    const claim = await claimIdempotencyKey<{ id: number }>(em, 'create:reward-store', data.code, f.fingerprint, now, exists, f.former).catch(async (error: unknown) => {
      throw await storeCodeTaken(em, data.code, error);
    });
    if (claim.replay) {
      noteReplay(ctx);
      return (await storesByIds(em, [claim.result.id], null, now))[0];
    }
    // Raw, not the builder: the builder types the returned optional columns as `| undefined`
    // (MikroORM's class-entity inference), where the statement returns null, as StoreRow says.
    const [row] = await query<Selected<typeof STORE_COLUMNS>>(
      em,
      sql`insert into reward_store as s (code, name, currency_code, starts_at, ends_at, eligible_tiers, eligible_segments, min_balance, min_lifetime_points, created_at)
          values (${data.code}, ${data.name}, ${data.currency}, ${data.startsAt ?? null}, ${data.endsAt ?? null}, ${e.tiers ?? []}::text[],
                  ${segments}::text[], ${e.minBalance ?? null}, ${e.minLifetimePoints ?? null}, ${now})
          on conflict (code) do nothing returning ${STORE_COLUMNS}`,
    );
    if (!row) throw await storeCodeTaken(em, data.code, refuse(UserErrorCode.ALREADY_EXISTS, `A store with code ${data.code} already exists.`, ['input', 'code']));
    await completeIdempotencyKey(em, 'create:reward-store', data.code, { id: row.id });
    await recordAudit(em, { actor: actorOf(ctx.caller), action: 'createRewardStore', target: `RewardStore:${row.id}`, reason, details: data, at: now });
    return row;
  });
}

/**
 * Who may shop in a store and when, as updateRewardStore compares them: its window and its
 * eligibility rules (tiers and segments as stored: tier codes exactly, segments NFC; points in the
 * store's currency; null: no such rule).
 */
export interface StoreRules {
  startsAt: Date | null;
  endsAt: Date | null;
  tiers: string[];
  segments: string[];
  minBalance: number | null;
  minLifetimePoints: number | null;
}

/**
 * An edit of a store (updateRewardStore). Each field absent (undefined) keeps what is stored;
 * `startsAt`/`endsAt` null remove that bound. `eligibility`, when given, replaces every rule: a
 * rule it leaves out is no longer set (a form sends the whole set it shows).
 */
export interface StoreChanges {
  name?: string | null;
  startsAt?: Date | null;
  endsAt?: Date | null;
  eligibility?: StoreData['eligibility'];
}

/**
 * What updateRewardStore answers: the store (as edited, or with `dryRun` as it is), its rules
 * before and after the edit (for StoreAccessChange), and whether anything changed.
 */
export interface StoreUpdate {
  store: StoreRow;
  before: StoreRules;
  after: StoreRules;
  changed: boolean;
}

/** Eligibility as a request fingerprint reads it: its tiers and segments are sets (setOrder), so a resend in another order is the same request. */
function eligibilityMeaning<E extends { tiers: string[]; segments: string[] }>(e: E | undefined): E | undefined {
  return e && { ...e, tiers: setOrder(e.tiers), segments: setOrder(e.segments) };
}

// (the raw read answers timestamps as the driver gives them: made Dates here)
const rulesOf = (s: StoreRow): StoreRules => ({
  startsAt: s.startsAt ? instantOf(s.startsAt) : null,
  endsAt: s.endsAt ? instantOf(s.endsAt) : null,
  tiers: s.eligibleTiers,
  segments: s.eligibleSegments,
  minBalance: s.minBalance ?? null,
  minLifetimePoints: s.minLifetimePoints ?? null,
});

// tiers and segments are sets: the same codes in another order are no edit (noticed-40)
const sameRules = (a: StoreRules, b: StoreRules) =>
  a.startsAt?.getTime() === b.startsAt?.getTime() &&
  a.endsAt?.getTime() === b.endsAt?.getTime() &&
  sameSet(a.tiers, b.tiers) &&
  sameSet(a.segments, b.segments) &&
  a.minBalance === b.minBalance &&
  a.minLifetimePoints === b.minLifetimePoints;

/**
 * Edits a reward store (staff, store-edit-39): its name, its window, who may shop in it. Its code
 * and currency stay (listings are priced in the currency; the code is its key). One transaction:
 * the store's row is locked, the edit checked and written, the version raised by one, the audit
 * entry written with the rules before and after. An edit that changes nothing writes nothing (the
 * version stays, no audit entry).
 *
 * It takes effect for the next read and the next purchase: a purchase re-reads eligibility after
 * its account lock (purchase.service.ts), so one that waited across the edit's commit is judged by
 * the new rules; offers already bought stay in their wallets.
 *
 * Refusals (UserErrorException, nothing written): NOT_FOUND (no such store; an unknown tier in
 * `eligibility.tiers`), INVALID (the window would be empty: `endsAt` not after `startsAt`),
 * VERSION_CONFLICT on ["input","expectedVersion"] when `expectedVersion` is given and the store is
 * at another version (two operators' forms: the second, made from the version before the first's
 * save, would put the first's rules back), IDEMPOTENCY_KEY_REUSED (createOnce). With
 * `idempotencyKey` (the staff member's own): the same key and edit again answer the store as it
 * is now and write nothing more, also after the version moved on. `dryRun`: everything is checked
 * as for the edit, nothing is written or locked, the store answered as it is.
 */
export async function updateRewardStore(
  ctx: Ctx,
  storeId: number,
  changes: StoreChanges,
  options: { expectedVersion?: number | null; idempotencyKey?: string | null; dryRun?: boolean; reason?: string | null },
): Promise<StoreUpdate> {
  const now = ctx.clock.now();
  const actor = actorOf(ctx.caller);
  const { expectedVersion, idempotencyKey, dryRun = false, reason = null } = options;
  const e = changes.eligibility;
  const wanted = {
    name: changes.name ?? undefined,
    startsAt: changes.startsAt,
    endsAt: changes.endsAt,
    eligibility: e === undefined || e === null ? undefined : {
      tiers: e.tiers ?? [],
      segments: (e.segments ?? []).map(segmentOf),
      minBalance: e.minBalance ?? null,
      minLifetimePoints: e.minLifetimePoints ?? null,
    },
  };
  return ctx.em.transactional(async (em) => {
    const edit = async (): Promise<{ id: number; before: StoreRules; after: StoreRules; changed: boolean }> => {
      const current = await queryOne<Selected<typeof STORE_COLUMNS>>(
        em,
        sql`select ${STORE_COLUMNS} from reward_store s where s.id = ${storeId} ${dryRun ? sql`` : sql`for no key update`}`,
      );
      if (!current) throw refuse(UserErrorCode.NOT_FOUND, 'No such store.', ['input', 'storeId']);
      if (expectedVersion != null && current.version !== expectedVersion) {
        throw refuse(
          UserErrorCode.VERSION_CONFLICT,
          `This store was edited since version ${expectedVersion}, the one this edit was made from: it is now version ${current.version}, and nothing was saved. Read it again and edit the current version.`,
          ['input', 'expectedVersion'],
        );
      }
      const before = rulesOf(current);
      const after: StoreRules = {
        startsAt: wanted.startsAt === undefined ? before.startsAt : wanted.startsAt,
        endsAt: wanted.endsAt === undefined ? before.endsAt : wanted.endsAt,
        ...(wanted.eligibility ?? { tiers: before.tiers, segments: before.segments, minBalance: before.minBalance, minLifetimePoints: before.minLifetimePoints }),
      };
      // The same set sent in another order keeps the stored order: a reorder alone is no edit, and
      // an edit of something else does not rewrite the lists (stored as first sent).
      if (sameSet(after.tiers, before.tiers)) after.tiers = before.tiers;
      if (sameSet(after.segments, before.segments)) after.segments = before.segments;
      if (after.startsAt && after.endsAt && after.startsAt >= after.endsAt) {
        throw refuse(UserErrorCode.INVALID, 'The store would never be open: endsAt must be after startsAt.', ['input', wanted.endsAt === undefined ? 'startsAt' : 'endsAt']);
      }
      await refuseUnknownTiers(em, wanted.eligibility?.tiers, ['input', 'eligibility', 'tiers']);
      const name = wanted.name ?? current.name;
      const changed = name !== current.name || !sameRules(before, after);
      if (!changed || dryRun) return { id: current.id, before, after, changed };
      await query(
        em,
        sql`update reward_store set name = ${name}, starts_at = ${after.startsAt}, ends_at = ${after.endsAt}, eligible_tiers = ${after.tiers}::text[],
              eligible_segments = ${after.segments}::text[], min_balance = ${after.minBalance}, min_lifetime_points = ${after.minLifetimePoints},
              version = version + 1, updated_at = ${now}
             where id = ${storeId}`,
      );
      await recordAudit(em, {
        actor,
        action: 'updateRewardStore',
        target: `RewardStore:${storeId}`,
        reason,
        details: { version: current.version + 1, ...(expectedVersion != null ? { expectedVersion } : {}), ...(name !== current.name ? { name: { before: current.name, after: name } } : {}), before, after },
        at: now,
      });
      return { id: current.id, before, after, changed };
    };
    // The key and expectedVersion join the fingerprint as sent, the lists as sets; a dry run claims no key.
    const meaning = { storeId, ...wanted, cleared: (['startsAt', 'endsAt'] as const).filter((k) => changes[k] === null), ...(expectedVersion != null ? { expectedVersion } : {}) };
    const fingerprint = () => setsFingerprint({ ...meaning, eligibility: eligibilityMeaning(meaning.eligibility) }, meaning);
    const { result } = dryRun ? { result: await edit() } : await createOnce(ctx, em, `update-reward-store:${actor}`, idempotencyKey, fingerprint, now, edit);
    const [store] = await storesByIds(em, [result.id], null, now);
    return { store, before: reviveRules(result.before), after: reviveRules(result.after), changed: result.changed };
  });
}

/** StoreRules read back from an idempotency record's JSON (dates as ISO strings). */
function reviveRules(r: StoreRules): StoreRules {
  return { ...r, startsAt: r.startsAt ? instantOf(r.startsAt) : null, endsAt: r.endsAt ? instantOf(r.endsAt) : null };
}

/**
 * How many ACTIVE customers (those who can buy now: a suspended one cannot) an edit of store `currency`'s rules from `before` to `after`
 * takes the store from (`lost`: open to them and eligible as of `now` under `before`, not under
 * `after`) and gives it to (`gained`: the reverse), as customerQualifies and storeOpen judge them.
 * One statement over every customer, each judged twice: a staff preview, read only when the field
 * is asked for. Their tiers (when either side has a tier list) and balances (when either has a
 * balance rule) are read for all of them at once, `tierPlacements` and `balancesAt`, not per
 * customer by `customer_tier_at` and `customer_balance_at`: 0.3 ms a customer for the tier alone,
 * a minute for a program of 200,000 (placement-50).
 */
export async function storeAccessChange(em: SqlEntityManager, currency: string, before: StoreRules, after: StoreRules, now: Date): Promise<{ lost: number; gained: number }> {
  const rules = (r: StoreRules) =>
    sql`(select ${r.startsAt}::timestamptz as starts_at, ${r.endsAt}::timestamptz as ends_at, ${r.tiers}::text[] as eligible_tiers, ${r.segments}::text[] as eligible_segments,
                ${r.minBalance}::bigint as min_balance, ${r.minLifetimePoints}::bigint as min_lifetime_points, ${currency}::text as currency_code) s`;
  const tiers = before.tiers.length > 0 || after.tiers.length > 0;
  const balances = [before, after].some((r) => r.minBalance !== null || r.minLifetimePoints !== null);
  const qualifies = customerQualifies(
    { customerId: sql`c.id` },
    now,
    balances ? sql`(select cb.currency_code, cb.available, cb.lifetime_earned)` : undefined,
    sql`c.segments`,
    tiers ? sql`ct.id` : undefined,
  );
  const opens = (r: StoreRules) => sql`coalesce((select ${storeOpen(now)} and ${qualifies} from ${rules(r)}), false)`;
  const active = sql`select c.id, ${now}::timestamptz as at from customer c where c.status = ${CustomerStatus.ACTIVE}`;
  const row = await queryOne<{ lost: string; gained: string }>(
    em,
    plannedEachRun(sql`select count(*) filter (where b and not a) as lost, count(*) filter (where a and not b) as gained
          from (select ${opens(before)} as b, ${opens(after)} as a from customer c
                  ${tiers ? sql`left join ${tierPlacements(active, WHOLE_LADDER)} p on p.customer_id = c.id left join tier ct on ct.rank = p.rank` : sql``}
                  ${balances ? sql`left join (${balancesAt(currency, now)}) cb on cb.customer_id = c.id` : sql``}
                 where c.status = ${CustomerStatus.ACTIVE}) x`),
  );
  return { lost: Number(row?.lost ?? 0), gained: Number(row?.gained ?? 0) };
}

/**
 * createRewardStore's refusal of a code another store has (`error`, ALREADY_EXISTS), naming that
 * store: its name and currency (edges-28: "A store with code SPRING already exists." left the
 * operator to find which store, and in which currency, among the list). Any other error, or a
 * store that cannot be read, is answered as it is.
 */
async function storeCodeTaken(em: SqlEntityManager, code: string, error: unknown): Promise<unknown> {
  if (!(error instanceof UserErrorException) || error.code !== UserErrorCode.ALREADY_EXISTS) return error;
  const store = await db(em).selectFrom('RewardStore').select(['name', 'currency']).where('code', '=', code).executeTakeFirst();
  if (!store) return error;
  return refuse(UserErrorCode.ALREADY_EXISTS, `A store with code ${code} already exists: “${store.name}”, paid in ${store.currency}. Choose another code.`, ['input', 'code']);
}

export interface ListingData {
  storeId: number;
  offerId: number;
  priceInPoints: number;
  stock?: number | null;
  perCustomerLimit?: number | null;
  visibleFrom?: Date | null;
  visibleUntil?: Date | null;
  sortOrder?: number | null;
}

/**
 * Puts an offer on sale in a store (staff). NOT_FOUND for an unknown store or offer, INVALID for an
 * empty window. With `idempotencyKey` (the staff member's own; see createOnce): the same key and
 * listing again answer the same listing, as it is now, and create nothing; another listing under
 * it is IDEMPOTENCY_KEY_REUSED.
 */
export async function addListing(ctx: Ctx, data: ListingData, idempotencyKey?: string | null, reason: string | null = null): Promise<ListingRow> {
  if (data.visibleFrom && data.visibleUntil && data.visibleFrom >= data.visibleUntil) {
    throw refuse(UserErrorCode.INVALID, 'visibleUntil must be after visibleFrom.', ['input', 'visibleUntil']);
  }
  const now = ctx.clock.now();
  const actor = actorOf(ctx.caller);
  return ctx.em.transactional(async (em) => {
    const { result } = await createOnce(ctx, em, `add-listing:${actor}`, idempotencyKey, () => requestFingerprint({ ...data }), now, () => insertListing(em, data, actor, reason, now));
    return (await listingsByIds(em, [result.id], null, now))[0];
  });
}

/** addListing's effect: its checks against the store and the offer, the listing and its audit entry. */
async function insertListing(em: SqlEntityManager, data: ListingData, actor: string, reason: string | null, now: Date): Promise<{ id: number }> {
  const store = await queryOne<{ money: string }>(
    em,
    sql`select pc.money_currency as money from reward_store s join point_currency pc on pc.code = s.currency_code where s.id = ${data.storeId}`,
  );
  if (!store) throw refuse(UserErrorCode.NOT_FOUND, 'No such reward store.', ['input', 'storeId']);
  const offer = await db(em).selectFrom('Offer').select('id').where('id', '=', data.offerId).executeTakeFirst();
  if (!offer) throw refuse(UserErrorCode.NOT_FOUND, 'No such offer.', ['input', 'offerId']);
  await refuseAmountsFinerThanMoney(em, [data.offerId], store.money, () => ['input', 'offerId']);
  const row = await db(em)
    .insertInto('Listing')
    .values({
      id: byDefault,
      store: data.storeId,
      offer: data.offerId,
      priceInPoints: data.priceInPoints,
      stockTotal: data.stock ?? null,
      stockRemaining: data.stock ?? null,
      perCustomerLimit: data.perCustomerLimit ?? null,
      visibleFrom: data.visibleFrom ?? null,
      visibleUntil: data.visibleUntil ?? null,
      sortOrder: data.sortOrder ?? 0,
      version: 1,
      createdAt: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await recordAudit(em, { actor, action: 'addListing', target: `Listing:${row.id}`, reason, details: data, at: now });
  return { id: row.id };
}

/**
 * An edit of a listing (updateListing). Each field absent (undefined) keeps what is stored;
 * `perCustomerLimit`, `visibleFrom` and `visibleUntil` null remove that limit or bound; `stock` is
 * the new total, those sold included (a listing with stock keeps stock: see updateListing).
 */
export interface ListingChanges {
  priceInPoints?: number | null;
  stock?: number | null;
  perCustomerLimit?: number | null;
  visibleFrom?: Date | null;
  visibleUntil?: Date | null;
  sortOrder?: number | null;
}

/** A listing's terms as updateListing compares and audits them (points; stock counts; instants). */
type ListingTerms = {
  priceInPoints: number;
  stockTotal: number | null;
  stockRemaining: number | null;
  perCustomerLimit: number | null;
  visibleFrom: Date | null;
  visibleUntil: Date | null;
  sortOrder: number;
};

const LISTING_TERMS = ['priceInPoints', 'stockTotal', 'stockRemaining', 'perCustomerLimit', 'visibleFrom', 'visibleUntil', 'sortOrder'] as const;
const sameTerm = (a: unknown, b: unknown) => (a instanceof Date || b instanceof Date ? (a as Date | null)?.getTime() === (b as Date | null)?.getTime() : a === b);

/**
 * Edits a listing (staff, listing-edit-39): its price, its stock, its per-customer limit, when it
 * shows and where. The offer and store stay (list another offer, or in another store, as a new
 * listing). One transaction: the listing's row locked (the lock a purchase of a listing with stock
 * takes to take one from it, so a restock and a sale queue), the edit checked and written, the
 * version raised by one, the audit entry written with the terms before and after. An edit that
 * changes nothing writes nothing (the version stays, no audit entry).
 *
 * `stock` is the total, those sold included: the stock left moves by as much as the total
 * (20 of 50 left, a total of 80 leaves 50). A listing with unlimited stock stays unlimited and one
 * with stock keeps a stock: the count of what was sold without stock is not kept under the lock a
 * purchase takes, so it could not be counted exactly (list the offer again with a stock, and remove
 * this listing). Customers' purchase counts stay with the listing, so a per-customer limit raised
 * or lowered counts what each bought already. A purchase already past its checks pays the price
 * and limit it read, also one that waited for this edit's row lock and commits after it (with
 * `expectedPriceInPoints`, the price its member confirmed: PRICE_CHANGED otherwise).
 *
 * Refusals (UserErrorException, nothing written): NOT_FOUND (no such listing), INVALID (a listing
 * removed; a stock below what was sold, naming it; a stock set on an unlimited listing or taken
 * off a stocked one; an empty visibility window), VERSION_CONFLICT on ["input","expectedVersion"]
 * when `expectedVersion` is given and the listing is at another version, IDEMPOTENCY_KEY_REUSED
 * (createOnce: with `idempotencyKey`, the same key and edit again answer the listing as it is now
 * and write nothing more).
 */
export async function updateListing(
  ctx: Ctx,
  listingId: number,
  changes: ListingChanges,
  options: { expectedVersion?: number | null; idempotencyKey?: string | null; reason?: string | null },
): Promise<ListingRow> {
  const now = ctx.clock.now();
  const actor = actorOf(ctx.caller);
  const { expectedVersion, idempotencyKey, reason = null } = options;
  return ctx.em.transactional(async (em) => {
    const edit = async (): Promise<{ id: number }> => {
      const current = await queryOne<ListingTerms & { id: number; version: number; removedAt: Date | null }>(
        em,
        sql`select id, price_in_points as "priceInPoints", stock_total as "stockTotal", stock_remaining as "stockRemaining", per_customer_limit as "perCustomerLimit",
                   visible_from as "visibleFrom", visible_until as "visibleUntil", sort_order as "sortOrder", version, removed_at as "removedAt"
              from listing where id = ${listingId} for no key update`,
      );
      if (!current) throw refuse(UserErrorCode.NOT_FOUND, 'No such listing.', ['input', 'listingId']);
      if (current.removedAt) throw refuse(UserErrorCode.INVALID, 'This listing was removed: list the offer again to sell it.', ['input', 'listingId']);
      if (expectedVersion != null && current.version !== expectedVersion) {
        throw refuse(
          UserErrorCode.VERSION_CONFLICT,
          `This listing was edited since version ${expectedVersion}, the one this edit was made from: it is now version ${current.version}, and nothing was saved. Read it again and edit the current version.`,
          ['input', 'expectedVersion'],
        );
      }
      const before: ListingTerms = {
        ...current,
        priceInPoints: Number(current.priceInPoints),
        visibleFrom: current.visibleFrom ? instantOf(current.visibleFrom) : null,
        visibleUntil: current.visibleUntil ? instantOf(current.visibleUntil) : null,
      };
      const after: ListingTerms = {
        priceInPoints: changes.priceInPoints ?? before.priceInPoints,
        ...stockAfter(before, changes.stock),
        perCustomerLimit: changes.perCustomerLimit === undefined ? before.perCustomerLimit : changes.perCustomerLimit,
        visibleFrom: changes.visibleFrom === undefined ? before.visibleFrom : changes.visibleFrom,
        visibleUntil: changes.visibleUntil === undefined ? before.visibleUntil : changes.visibleUntil,
        sortOrder: changes.sortOrder ?? before.sortOrder,
      };
      if (after.visibleFrom && after.visibleUntil && after.visibleFrom >= after.visibleUntil) {
        throw refuse(UserErrorCode.INVALID, 'The listing would never show: visibleUntil must be after visibleFrom.', ['input', changes.visibleUntil === undefined ? 'visibleFrom' : 'visibleUntil']);
      }
      const changed = LISTING_TERMS.filter((k) => !sameTerm(before[k], after[k]));
      if (!changed.length) return { id: current.id };
      await query(
        em,
        sql`update listing set price_in_points = ${after.priceInPoints}, stock_total = ${after.stockTotal}, stock_remaining = ${after.stockRemaining},
              per_customer_limit = ${after.perCustomerLimit}, visible_from = ${after.visibleFrom}, visible_until = ${after.visibleUntil}, sort_order = ${after.sortOrder},
              version = version + 1, updated_at = ${now}
             where id = ${listingId}`,
      );
      await recordAudit(em, {
        actor,
        action: 'updateListing',
        target: `Listing:${listingId}`,
        reason,
        details: {
          version: current.version + 1,
          ...(expectedVersion != null ? { expectedVersion } : {}),
          before: Object.fromEntries(changed.map((k) => [k, before[k]])),
          after: Object.fromEntries(changed.map((k) => [k, after[k]])),
        },
        at: now,
      });
      return { id: current.id };
    };
    const cleared = (Object.keys(changes) as (keyof ListingChanges)[]).filter((k) => changes[k] === null).sort();
    const fingerprint = () => requestFingerprint({ listingId, ...changes, cleared, ...(expectedVersion != null ? { expectedVersion } : {}) });
    const { result } = await createOnce(ctx, em, `update-listing:${actor}`, idempotencyKey, fingerprint, now, edit);
    const [listing] = await query(em, listingSelect(null, now, sql`l.id = ${result.id}`, sql``));
    return toListing(listing, null);
  });
}

/**
 * updateListing's stock after an edit to `stock` (the new total, those sold included; undefined:
 * unchanged): the stock left moves by as much as the total. INVALID below what was sold, and for a
 * change between unlimited and a stock (see updateListing).
 */
function stockAfter(before: ListingTerms, stock: number | null | undefined): Pick<ListingTerms, 'stockTotal' | 'stockRemaining'> {
  const kept = { stockTotal: before.stockTotal, stockRemaining: before.stockRemaining };
  if (stock === undefined || stock === before.stockTotal) return kept;
  if (before.stockTotal === null) {
    throw refuse(UserErrorCode.INVALID, 'This listing has unlimited stock, and stays so: to sell a limited number, list the offer again with a stock and remove this listing.', ['input', 'stock']);
  }
  if (stock === null) {
    throw refuse(UserErrorCode.INVALID, 'This listing has a stock, and keeps one: set a larger stock, or list the offer again without one and remove this listing.', ['input', 'stock']);
  }
  const sold = before.stockTotal - (before.stockRemaining ?? 0);
  if (stock < sold) {
    throw refuse(UserErrorCode.INVALID, `${sold} were sold already: the stock (the total, those sold included) cannot be less than ${sold}.`, ['input', 'stock']);
  }
  return { stockTotal: stock, stockRemaining: stock - sold };
}

/**
 * Takes a listing off sale. Offers already bought stay in their wallets. Naturally idempotent, as
 * revokePartner is: a listing already off sale (a resend after a lost answer, or another operator
 * first) is answered as it is, with the first removal's date, and nothing is written (no second
 * audit entry); repeats sent at once queue on the listing's row and the later ones find it removed
 * (retain-13; it answered NOT_FOUND "No such listing on sale." before). NOT_FOUND only for an id
 * that is no listing.
 */
export async function removeListing(ctx: Ctx, listingId: number, reason: string | null = null): Promise<ListingRow> {
  const now = ctx.clock.now();
  return ctx.em.transactional(async (em) => {
    const row = await db(em)
      .updateTable('Listing')
      .set({ removedAt: now })
      .where('id', '=', listingId)
      .where('removedAt', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (row) await recordAudit(em, { actor: actorOf(ctx.caller), action: 'removeListing', target: `Listing:${listingId}`, reason, at: now });
    const [listing] = await query(em, listingSelect(null, now, sql`l.id = ${listingId}`, sql``));
    if (!listing) throw refuse(UserErrorCode.NOT_FOUND, 'No such listing.', ['input', 'listingId']);
    return toListing(listing, null);
  });
}
