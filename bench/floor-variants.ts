/** THROWAWAY (issue 12, fifth session, experiment): the floor's page as 2 and as 1 statements. */
const OV =
  'ov.id as "offer.versionId", ov.offer_id as "offer.offerId", ov.version as "offer.version", ov.name as "offer.name", ov.description as "offer.description", ov.image_url as "offer.imageUrl", ov.terms as "offer.terms", ov.benefit_kind as "offer.benefitKind", ov.percent_off::float8 as "offer.percentOff", ov.amount_off::text as "offer.amountOff", ov.free_sku as "offer.freeSku", ov.skus as "offer.skus", ov.categories as "offer.categories", ov.max_discount::text as "offer.maxDiscount", ov.valid_days as "offer.validDays", ov.valid_until as "offer.validUntil", ov.channels as "offer.channels"';
const STORE_COLS =
  's.id, s.code, s.name, s.currency_code as "currencyCode", s.starts_at as "startsAt", s.ends_at as "endsAt", s.eligible_tiers as "eligibleTiers", s.eligible_segments as "eligibleSegments", s.min_balance as "minBalance", s.min_lifetime_points as "minLifetimePoints"';
const LISTING_COLS =
  'l.id as "l.id", l.store_id as "storeId", l.price_in_points as "priceInPoints", l.stock_total as "stockTotal", l.stock_remaining as "stockRemaining", l.per_customer_limit as "perCustomerLimit", l.visible_from as "visibleFrom", l.visible_until as "visibleUntil", l.sort_order as "sortOrder", l.removed_at as "removedAt", ' +
  'coalesce(pc.purchased, 0) as "purchasedByViewer", ' + OV;
const QUALIFIES = (cust: string, segs: string, now: string) =>
  `(cardinality(s.eligible_tiers) = 0 or exists (select 1 from tier t where t.id = customer_tier_at(${cust}, ${now}) and t.code = any(s.eligible_tiers)))
    and (cardinality(s.eligible_segments) = 0 or s.eligible_segments && ${segs}::text[])
    and (s.min_balance is null or coalesce((select n.available from point_account a cross join lateral point_account_at(a.id, ${now}) n
          where a.customer_id = ${cust} and a.currency_code = s.currency_code), 0) >= s.min_balance)
    and (s.min_lifetime_points is null or coalesce((select n.lifetime_earned from point_account a cross join lateral point_account_at(a.id, ${now}) n
          where a.customer_id = ${cust} and a.currency_code = s.currency_code), 0) >= s.min_lifetime_points)`;
const LISTINGS_LATERAL = (cust: string, now: string, afterSort: string, afterId: string, limit: string) => `left join lateral (
      select ${LISTING_COLS}
        from listing l
        join offer o on o.id = l.offer_id
        join offer_version ov on ov.id = o.current_version_id
        left join listing_purchase_count pc on pc.listing_id = l.id and pc.customer_id = ${cust}::bigint
       where l.store_id = s.id and l.removed_at is null and (${afterId}::bigint is null or (l.sort_order, l.id) > (${afterSort}::int, ${afterId}::bigint))
         and (l.visible_from is null or l.visible_from <= ${now}) and (l.visible_until is null or l.visible_until > ${now})
         and (ov.valid_until is null or ov.valid_until > ${now})
       order by l.sort_order, l.id limit ${limit}) l on true`;

/** $1 now, $2 customer id, $3 segments, $4 store id, $5 afterSort, $6 afterId, $7 limit. */
export const MERGED = {
  name: 'floor_merged',
  text: `
    with vb as materialized (select a.currency_code, n.available from point_account a cross join lateral point_account_at(a.id, $1) n
                              where a.customer_id = $2::bigint),
         s as (select ${STORE_COLS} from reward_store s where s.id = $4::bigint and (s.starts_at is null or s.starts_at <= $1) and (s.ends_at is null or s.ends_at > $1)
                  and ${QUALIFIES('$2::bigint', '$3', '$1')})
    select s.*, l.*, vb.available as "viewerBalance"
      from s ${LISTINGS_LATERAL('$2', '$1', '$5', '$6', '$7')}
      left join vb on vb.currency_code = s."currencyCode"
     order by l."sortOrder", l."l.id"`,
};

/** $1 external id, $2 now, $3 store id, $4 afterSort, $5 afterId, $6 limit. One row per listing (or one with nulls); none: no customer. */
export const ALL = {
  name: 'floor_all',
  text: `
    with c as (select c.id, c.status, c.segments from customer c where c.external_id = $1),
         vb as materialized (select a.currency_code, n.available from c join point_account a on a.customer_id = c.id cross join lateral point_account_at(a.id, $2) n),
         s as (select ${STORE_COLS} from c, reward_store s where s.id = $3::bigint and (s.starts_at is null or s.starts_at <= $2) and (s.ends_at is null or s.ends_at > $2)
                  and ${QUALIFIES('c.id', 'c.segments', '$2')})
    select c.id as "customerId", c.status as "customerStatus", s.*, l.*, vb.available as "viewerBalance"
      from c left join s on true ${LISTINGS_LATERAL('c.id', '$2', '$4', '$5', '$6')}
      left join vb on vb.currency_code = s."currencyCode"
     order by l."sortOrder", l."l.id"`,
};

const STORE_FIRST = STORE_COLS.split(', ').map((c) => {
  const [expr, alias] = c.split(' as ');
  const name = alias ?? `"${expr.slice(2)}"`;
  return `case when l.n is null or l.n = 1 then s.${name} end as ${name}`;
}).join(', ');
/** MERGED, but the store's columns only on the first row. */
export const MERGED_FIRST = {
  name: 'floor_merged_first',
  text: MERGED.text
    .replace('select s.*, l.*, vb.available', `select ${STORE_FIRST}, l.*, vb.available`)
    .replace(`select ${LISTING_COLS}`, `select row_number() over (order by l.sort_order, l.id) as n, ${LISTING_COLS}`),
};
/** MERGED with only the store's id (a bound, not a design). */
export const MERGED_ID = {
  name: 'floor_merged_id',
  text: MERGED.text.replace('select s.*, l.*, vb.available', 'select s.id, l.*, vb.available'),
};
export const TRIVIAL = { name: 'floor_trivial', text: 'select $1::int as x' };

const STORE_NULLS = STORE_COLS.split(', ').map((c) => `null as ${c.split(' as ')[1] ?? `"${c.slice(2)}"`}`).join(', ');
const LISTING_NULLS = [...LISTING_COLS.matchAll(/ as ("[^"]+")/g)].map((m) => `null as ${m[1]}`).join(', ');
/** The store's row first (store columns, listing columns null), then one row per listing (store columns null). */
export const MERGED_UNION = {
  name: 'floor_merged_union',
  text: `
    with vb as materialized (select a.currency_code, n.available from point_account a cross join lateral point_account_at(a.id, $1) n
                              where a.customer_id = $2::bigint),
         s as materialized (select ${STORE_COLS} from reward_store s where s.id = $4::bigint and (s.starts_at is null or s.starts_at <= $1) and (s.ends_at is null or s.ends_at > $1)
                  and ${QUALIFIES('$2::bigint', '$3', '$1')})
    (select s.*, ${LISTING_NULLS}, null::bigint as "viewerBalance" from s)
    union all
    (select ${STORE_NULLS}, l.*, vb.available from s ${LISTINGS_LATERAL('$2', '$1', '$5', '$6', '$7').replace('left join lateral', 'cross join lateral').replace(') l on true', ') l')}
      left join vb on vb.currency_code = s."currencyCode")`,
};
export const CUSTOMER_SLIM = { name: 'floor_customer_slim', text: 'select c.id, c.status, c.tier_id as "tierId", c.segments from customer c where c.external_id = $1' };

const renumber = (text: string, map: Record<number, number>) => text.replace(/\$(\d+)/g, (_, n: string) => `$${map[Number(n)]}`);
/** STORE with each argument sent once: $1 id, $2 now, $3 customer, $4 segments. */
export const STORE_ONCE = { name: 'floor_store_once', text: '' };
/** LISTINGS with each argument sent once: $1 now, $2 customer, $3 store, $4 afterId, $5 afterSort, $6 limit. */
export const LISTINGS_ONCE = { name: 'floor_listings_once', text: '' };
export function once(store: string, listings: string): void {
  STORE_ONCE.text = renumber(store, { 1: 1, 2: 2, 3: 2, 4: 3, 5: 2, 6: 4, 7: 2, 8: 3, 9: 2, 10: 3 });
  LISTINGS_ONCE.text = renumber(listings, { 1: 1, 2: 2, 3: 2, 4: 3, 5: 4, 6: 5, 7: 4, 8: 1, 9: 1, 10: 1, 11: 6 });
}

const QUALIFIES_VB = (cust: string, segs: string, now: string) =>
  `(cardinality(s.eligible_tiers) = 0 or exists (select 1 from tier t where t.id = customer_tier_at(${cust}, ${now}) and t.code = any(s.eligible_tiers)))
    and (cardinality(s.eligible_segments) = 0 or s.eligible_segments && ${segs}::text[])
    and (s.min_balance is null or coalesce((select vb.available from vb where vb.currency_code = s.currency_code), 0) >= s.min_balance)
    and (s.min_lifetime_points is null or coalesce((select vb.lifetime_earned from vb where vb.currency_code = s.currency_code), 0) >= s.min_lifetime_points)`;
/** MERGED, the eligibility's balance and lifetime points read from the viewer's balances computed once (vb). */
export const MERGED_VB = {
  name: 'floor_merged_vb',
  text: MERGED.text
    .replace('select a.currency_code, n.available from', 'select a.currency_code, n.available, n.lifetime_earned from')
    .replace(QUALIFIES('$2::bigint', '$3', '$1'), QUALIFIES_VB('$2::bigint', '$3', '$1')),
};
/** STORE alone, its eligibility subqueries gone (a bound: what they cost to set up when a store has no such rule). */
export const STORE_BARE = {
  name: 'floor_store_bare',
  text: 'select s.id, s.code, s.name, s.currency_code as "currencyCode", s.starts_at as "startsAt", s.ends_at as "endsAt", s.eligible_tiers as "eligibleTiers", s.eligible_segments as "eligibleSegments", s.min_balance as "minBalance", s.min_lifetime_points as "minLifetimePoints" from reward_store s where s.id = any(array[$1::bigint]) and (s.starts_at is null or s.starts_at <= $2) and (s.ends_at is null or s.ends_at > $3) and (cardinality(s.eligible_segments) = 0 or s.eligible_segments && $4::text[])',
};
