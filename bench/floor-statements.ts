/**
 * The floor's two statements (bench/floor-server.ts): the texts the gateway sends for the page of
 * a store's listings to a signed-in customer, as `customerByExternalId` and `storeWithListingsPage`
 * (the store, its eligibility for the viewer and the page of its listings in one statement,
 * issue 12 fifth session; with whether the viewer is still active, sixth session, so that a
 * customer whose id is known costs that one statement) compile them, captured from the gateway's
 * `pg` client. The floor sends
 * them as named prepared statements with the gateway's parameters, so its database cost is the
 * gateway's. test/stores/plan-cache.test.ts fails when the gateway's texts and these part: copy
 * the gateway's again.
 */
import { Kysely, PostgresDialect } from 'kysely';

/**
 * A Kysely that only compiles, for `purchaseAloneSql` (src/purchases/purchase.service.ts): the
 * purchase's statement is not copied here but built by the gateway's own code, which needs a
 * Kysely of the PostgreSQL dialect to compile its text. It has no pool: running a query through it
 * fails; the floor sends the text on its own `pg` connection.
 */
export function statementCompiler(): Kysely<unknown> {
  return new Kysely<unknown>({ dialect: new PostgresDialect({ pool: () => Promise.reject(new Error('This Kysely only compiles statements.')) }) });
}

export const CUSTOMER = {
  name: 'floor_customer',
  text:
    'select c.id, c.external_id as "externalId", c.email, c.name, c.birth_date::text as "birthDate",\n' +
    '  c.status, c.tier_id as "tierId", c.segments, c.attributes, c.created_at as "createdAt", c.updated_at as "updatedAt", c.version from customer c where c.external_id = $1',
};

export const STORE_PAGE = {
  name: 'floor_store_page',
  text:
    "\n" +
    "    with vc as materialized (select c.segments, c.external_id = $1 and c.status <> $2 as active\n" +
    "                               from customer c where c.id = $3::bigint),\n" +
    "         vb as materialized (select a.currency_code, n.available, n.lifetime_earned from point_account a cross join lateral point_account_at(a.id, $4) n\n" +
    "                              where a.customer_id = $5::bigint)\n" +
    "    select vc.active as \"viewerActive\", s.id as \"store.id\", s.code as \"store.code\", s.name as \"store.name\", s.currency_code as \"store.currencyCode\", s.starts_at as \"store.startsAt\", s.ends_at as \"store.endsAt\", s.eligible_tiers as \"store.eligibleTiers\", s.eligible_segments as \"store.eligibleSegments\", s.min_balance as \"store.minBalance\", s.min_lifetime_points as \"store.minLifetimePoints\", s.version as \"store.version\", s.updated_at as \"store.updatedAt\", l.*, vb.available as \"viewerBalance\"\n" +
    "      from vc\n" +
    "      left join reward_store s on vc.active and s.id = $6::bigint and (s.starts_at is null or s.starts_at <= $7) and (s.ends_at is null or s.ends_at > $8) and (cardinality(s.eligible_tiers) = 0 or exists (select 1 from tier t where t.id = customer_tier_at($9, $10) and t.code = any(s.eligible_tiers)))\n" +
    "    and (cardinality(s.eligible_segments) = 0 or s.eligible_segments && vc.segments)\n" +
    "    and (s.min_balance is null or coalesce((select b.available from vb b where b.currency_code = s.currency_code), 0) >= s.min_balance)\n" +
    "    and (s.min_lifetime_points is null or coalesce((select b.lifetime_earned from vb b where b.currency_code = s.currency_code), 0) >= s.min_lifetime_points)\n" +
    "      left join lateral (\n" +
    "        select l.id, l.store_id as \"storeId\", l.price_in_points as \"priceInPoints\", l.stock_total as \"stockTotal\", l.stock_remaining as \"stockRemaining\", l.per_customer_limit as \"perCustomerLimit\", l.visible_from as \"visibleFrom\", l.visible_until as \"visibleUntil\", l.sort_order as \"sortOrder\", l.removed_at as \"removedAt\", l.version, l.updated_at as \"updatedAt\", s.currency_code as \"currencyCode\",\n" +
    "               coalesce(pc.purchased, 0) as \"purchasedByViewer\",\n" +
    "               ov.id as \"offer.versionId\", ov.offer_id as \"offer.offerId\", ov.version as \"offer.version\", ov.name as \"offer.name\", ov.description as \"offer.description\", ov.image_url as \"offer.imageUrl\", ov.terms as \"offer.terms\", ov.benefit_kind as \"offer.benefitKind\", ov.percent_off::float8 as \"offer.percentOff\", ov.amount_off::text as \"offer.amountOff\", ov.free_sku as \"offer.freeSku\", ov.skus as \"offer.skus\", ov.categories as \"offer.categories\", ov.max_discount::text as \"offer.maxDiscount\", ov.valid_days as \"offer.validDays\", ov.valid_until as \"offer.validUntil\", ov.channels as \"offer.channels\"\n" +
    "          from listing l\n" +
    "          join offer o on o.id = l.offer_id\n" +
    "          join offer_version ov on ov.id = o.current_version_id\n" +
    "          left join listing_purchase_count pc on pc.listing_id = l.id and pc.customer_id = $11::bigint\n" +
    "         where l.store_id = s.id and ($12::bigint is null or (l.sort_order, l.id) > ($13::int, $14::bigint)) and l.removed_at is null and (l.visible_from is null or l.visible_from <= $15) and (l.visible_until is null or l.visible_until > $16)\n" +
    "    and (ov.valid_until is null or ov.valid_until > $17)\n" +
    "           and ov.money_digits_needed <= s.money_digits\n" +
    "         order by l.sort_order, l.id limit $18) l on true\n" +
    "      left join vb on vb.currency_code = s.currency_code\n" +
    "     order by l.\"sortOrder\", l.id",
};
