/**
 * What a PostGraphile project would write by hand for the reward store screen, over the gateway's
 * tables: the signed-in customer, the listings on show to them, and their purchase count per
 * listing, as SQL functions PostGraphile exposes (`currentCustomer`, `RewardStore.listingsOnShow`,
 * `Listing.purchasedByMe`). Created in the benchmark's database only.
 */
/**
 * The same rules as the gateway's listingOnShow, storeOpen and customerQualifies, in plain SQL.
 * Both PostGraphile processes send it as they start, at once (bench/run.ts starts the servers
 * together): one simple query is one transaction, and its first statement's lock makes the second
 * wait for the first to commit; without it two `create or replace function` of a function not yet
 * there could both insert it, and one failed on pg_proc's unique index ("duplicate key value
 * violates unique constraint pg_proc_proname_args_nsp_index", seen by test/bench/answers.test.ts;
 * test/bench/postgraphile-functions.test.ts).
 */
export const POSTGRAPHILE_FUNCTIONS = `
select pg_advisory_xact_lock(hashtext('reward-gateway bench: PostGraphile functions'));

create or replace function current_customer() returns customer language sql stable as $$
  select c.* from customer c where c.external_id = nullif(current_setting('jwt.claims.sub', true), '')
$$;
comment on function current_customer() is 'The customer the JWT names.';

create or replace function reward_store_listings_on_show(s reward_store) returns setof listing language sql stable as $$
  select l.*
    from listing l
    join offer o on o.id = l.offer_id
    join offer_version ov on ov.id = o.current_version_id
    join customer me on me.external_id = nullif(current_setting('jwt.claims.sub', true), '')
   where l.store_id = s.id
     and l.removed_at is null
     and (l.visible_from is null or l.visible_from <= now()) and (l.visible_until is null or l.visible_until > now())
     and (ov.valid_until is null or ov.valid_until > now())
     and (s.starts_at is null or s.starts_at <= now()) and (s.ends_at is null or s.ends_at > now())
     and (cardinality(s.eligible_tiers) = 0 or exists (select 1 from tier t where t.id = me.tier_id and t.code = any(s.eligible_tiers)))
     and (cardinality(s.eligible_segments) = 0 or s.eligible_segments && me.segments)
     and (s.min_balance is null or coalesce((select a.available from point_account a
           where a.customer_id = me.id and a.currency_code = s.currency_code), 0) >= s.min_balance)
     and (s.min_lifetime_points is null or coalesce((select a.lifetime_earned from point_account a
           where a.customer_id = me.id and a.currency_code = s.currency_code), 0) >= s.min_lifetime_points)
   order by l.sort_order, l.id
$$;
comment on function reward_store_listings_on_show(reward_store) is 'The listings on show to the signed-in customer, in sort order.';

create or replace function listing_purchased_by_me(l listing) returns int language sql stable as $$
  select coalesce((select pc.purchased from listing_purchase_count pc join customer me on me.id = pc.customer_id
                    where pc.listing_id = l.id and me.external_id = nullif(current_setting('jwt.claims.sub', true), '')), 0)
$$;
comment on function listing_purchased_by_me(listing) is 'How many times the signed-in customer bought it.';
`;

