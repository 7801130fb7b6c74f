import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { plannedEachRun, query, queryOne, sql } from '../db/sql.js';
import { minorDigits } from '../domain/currency.js';
import { roundedTo } from '../domain/decimal.js';
import type { Offer } from '../offers/offer.entity.js';
import type { PointCurrency } from '../points/currency.entity.js';
import type { Tier } from '../tiers/tier.entity.js';
import { accountsDue } from '../points/due.js';
import { WHOLE_LADDER, tierPlacements } from '../tiers/placement.js';

/**
 * A currency's figures over [from, to): aggregates, not columns, so only `currency` (its code)
 * is typed from an entity. Points are whole points; `outstandingLiability` is a decimal string in
 * the currency's money currency, with its decimals (ISO 4217: "0.039" KWD, "12" JPY, "4.50" EUR); `redemptionRate` is spent ÷ issued, 4 decimals.
 */
export type ProgramStatsRow = {
  currency: PointCurrency['code'];
  from: Date;
  to: Date;
  pointsIssued: number;
  pointsSpent: number;
  pointsExpired: number;
  outstandingPoints: number;
  outstandingLiability: string;
  /** Points CLOSED customers hold now (spendable or pending): in neither outstandingPoints nor pendingPoints. */
  closedPoints: number;
  pendingPoints: number;
  pendingLiability: string;
  redemptionRate: number;
  activeMembers: number;
};

/**
 * A currency's figures over [from, to): points issued (credits: earned, granted by staff), spent
 * (offers and gifts), expired; what is outstanding now and its money value (the liability);
 * what is earned but still pending now (not yet released, not cancelled by a return, not yet due)
 * less, per account, the debt its release will repay first (`ledger_due`), and its money value:
 * the liability that becomes outstanding unless the sale is returned (a member's own balance shows
 * `pending` before that repayment);
 * spent ÷ issued; what CLOSED customers hold, which is in none of those (they cannot spend it; it
 * is theirs again if they are reopened; break36, analytics); and the members who did something of their own in the window in this currency
 * (earned from a sale or an activity, spent, returned a sale, a sale in its money currency, a
 * purchase from one of its stores, an offer of its money redeemed at the till), not counting what
 * the program did to their points (expiry, release, repayment, a birthday credit) or a staff
 * adjustment (docs/decisions.md, "Program statistics"). As of `now`: points that
 * expired or were released before any job wrote them down count at the moment they fell due. Straight aggregates over the
 * ledger, which is the truth; reversals count where they happened (a reversal is not "spent").
 */
export async function programStats(em: SqlEntityManager, currency: string, from: Date, to: Date, now: Date): Promise<ProgramStatsRow | undefined> {
  const row = await queryOne<Omit<ProgramStatsRow, 'redemptionRate' | 'currency' | 'from' | 'to'> & { moneyCurrency: string }>(
    em,
    plannedEachRun(sql`with c as (select code, point_value, money_currency from point_currency where code = ${currency}),
        -- What fell due by now but no job has written down yet counts where it fell due (ledger_due).
        -- The accounts with something due (accountsDue), found first and kept (materialized):
        -- \`ledger_due\` then runs for those alone. Written as a filter on the accounts, the planner
        -- could not tell how few they are (unreleased credits are almost all not yet due) and ran it
        -- for every account of the currency first: 1.1 s at 200,000 members for 22 due (placement-50).
        due_accounts as materialized (${accountsDue(now)}),
        due as (
          select a.id as account_id, a.customer_id, d.kind, d.amount, d.at
            from due_accounts x join point_account a on a.id = x.account_id
            cross join lateral ledger_due(x.account_id, ${now}) d
           where a.currency_code = ${currency}
        ),
        -- Summed in one pass as the rows are read, not kept and read three times: a year's window
        -- holds millions of entries (placement-50).
        moves as (
          select coalesce(sum(m.amount) filter (where m.amount > 0 and m.kind in ('EARN', 'ADJUST')), 0) as issued,
                 coalesce(-sum(m.amount) filter (where m.kind = 'SPEND'), 0) as spent,
                 coalesce(-sum(m.amount) filter (where m.kind = 'EXPIRE'), 0) as expired
            from (select e.kind, e.amount from ledger_entry e join point_account a on a.id = e.account_id
                   where a.currency_code = ${currency} and e.created_at >= ${from} and e.created_at < ${to}
                  union all
                  select due.kind, due.amount from due where due.at >= ${from} and due.at < ${to}) m
        ),
        -- Earned, waiting for its release day, not cancelled: not yet spendable, but owed unless returned.
        -- Per account net of the debt it has as of now: a release repays debt first (ledger_due's
        -- REVERSAL), so that part never becomes outstanding and is owed to no one.
        -- CLOSED customers' accounts apart (break36, analytics): they cannot spend, so they are no
        -- liability now, but they hold their points should the customer be reopened (closedPoints).
        -- The debt as of now is the stored debt less what the releases now due repay (\`due\`'s
        -- REVERSAL rows, negative): point_account_at's debt, without running it for every account
        -- that waits for a credit (62,650 at 200,000 members).
        pending_by_account as (
          select p.closed, greatest(p.points - (p.debt + coalesce(r.repaid, 0)), 0) as points
            from (select p.account_id, a.debt, bool_or(cu.status = 'CLOSED') as closed, sum(p.amount) as points
                    from pending_credit p join point_account a on a.id = p.account_id join customer cu on cu.id = a.customer_id
                   where a.currency_code = ${currency} and p.released_at is null and p.cancelled_at is null and p.available_at > ${now}
                   group by p.account_id, a.debt) p
            left join (select account_id, sum(amount) as repaid from due where kind = 'REVERSAL' group by account_id) r on r.account_id = p.account_id
        ),
        pending as (
          select coalesce(sum(points) filter (where not closed), 0) as points, coalesce(sum(points) filter (where closed), 0) as closed_points from pending_by_account
        ),
        held as (
          select cu.status = 'CLOSED' as closed, a.available as points
            from point_account a join customer cu on cu.id = a.customer_id where a.currency_code = ${currency}
          union all
          select cu.status = 'CLOSED', due.amount from due join customer cu on cu.id = due.customer_id
        ),
        outstanding as (
          select coalesce(sum(points) filter (where not closed), 0) as points, coalesce(sum(points) filter (where closed), 0) as closed_points from held
        ),
        -- Members who did something of their own (edges-12b): not what the program did to their
        -- points (expiry, a pending release, a debt repaid from a credit: actor 'system'; a birthday
        -- credit, the job's), nor a staff adjustment (ADJUST, the operator's doing).
        active as (
          select e.customer_id from ledger_entry e join point_account a on a.id = e.account_id
           where a.currency_code = ${currency} and e.created_at >= ${from} and e.created_at < ${to}
             and e.kind in ('EARN', 'SPEND', 'REVERSAL') and e.actor is distinct from 'system'
          union select p.customer_id from pending_credit p join point_account a on a.id = p.account_id
                 where a.currency_code = ${currency} and p.created_at >= ${from} and p.created_at < ${to}
          union select t.customer_id from sales_transaction t, c
                 where t.money_currency = c.money_currency
                   and ((t.received_at >= ${from} and t.received_at < ${to}) or (t.reversed_at >= ${from} and t.reversed_at < ${to}))
          union select p.customer_id from offer_purchase p join listing l on l.id = p.listing_id join reward_store s on s.id = l.store_id
                 where s.currency_code = ${currency} and p.created_at >= ${from} and p.created_at < ${to}
          union select io.customer_id from issued_offer io, c
                 where io.money_currency = c.money_currency and io.redeemed_at >= ${from} and io.redeemed_at < ${to}
        )
        select (select issued from moves)::bigint as "pointsIssued",
               (select spent from moves)::bigint as "pointsSpent",
               (select expired from moves)::bigint as "pointsExpired",
               (select points from outstanding)::bigint as "outstandingPoints",
               ((select points from outstanding) * c.point_value)::text as "outstandingLiability",
               (select points from pending)::bigint as "pendingPoints",
               ((select closed_points from outstanding) + (select closed_points from pending))::bigint as "closedPoints",
               ((select points from pending) * c.point_value)::text as "pendingLiability",
               c.money_currency as "moneyCurrency",
               (select count(*) from active)::int as "activeMembers"
          from c`),
  );
  if (!row) return undefined;
  // In the money's own decimals (fils of KWD, whole yen), not in cents: 39 points at 0.001 KWD are 0.039 KWD.
  const digits = minorDigits(row.moneyCurrency);
  const { moneyCurrency: _money, ...figures } = row;
  return {
    ...figures,
    outstandingLiability: roundedTo(row.outstandingLiability, digits),
    pendingLiability: roundedTo(row.pendingLiability, digits),
    currency,
    from,
    to,
    redemptionRate: row.pointsIssued > 0 ? Math.round((row.pointsSpent / row.pointsIssued) * 10_000) / 10_000 : 0,
  };
}

/** How many customers hold one tier: a count, keyed by the tier's id. */
export type TierMixRow = { tierId: Tier['id'] | null; members: number };

/**
 * How many customers sit on each tier of the currency's ladder as of `now` (`customer_tier_at`'s
 * rule, read for all of them at once: `tierPlacements`),
 * every tier of the ladder by rank (0 when empty). Every customer but CLOSED ones (a closed account
 * is no longer a member: it cannot earn, spend or sign in; edges-12), whatever they did in any
 * window: this is the membership now, not the active members of a window.
 */
export async function tierMix(em: SqlEntityManager, currency: string, now: Date): Promise<TierMixRow[]> {
  const placed = tierPlacements(
    sql`select id, ${now}::timestamptz as at from customer where status <> 'CLOSED'`,
    WHOLE_LADDER,
  );
  return query(
    em,
    plannedEachRun(sql<TierMixRow>`select t.id as "tierId", count(p.customer_id)::int as members
          from tier t left join ${placed} p on p.rank = t.rank
         where t.currency_code = ${currency}
         group by t.id, t.rank order by t.rank`),
  );
}

/** An offer's purchases and redemptions in a window: counts, keyed by the offer's id. */
export type OfferStatsRow = { offerId: Offer['id']; purchases: number; redemptions: number };

/**
 * The offers bought most in the window from stores of the currency (`first` of them), with how many
 * of the wallet items bought from the currency's stores (whenever bought) were redeemed in the
 * window: an item a staff replacement stands in for counts by its replacement (`replaces`, up the
 * chain to the purchase). Items of the same offer bought in another currency's stores, awarded by
 * a campaign or claimed from a gift list are not this currency's purchases and not counted
 * (hostile-17: they were, so a program's console showed 1 purchase and 3 redemptions made with
 * another program's points).
 */
export async function topOffers(em: SqlEntityManager, currency: string, from: Date, to: Date, first: number): Promise<OfferStatsRow[]> {
  return query(
    em,
    sql<OfferStatsRow>`with recursive bought as (
          select l.offer_id, count(*)::int as purchases
            from offer_purchase p join listing l on l.id = p.listing_id join reward_store s on s.id = l.store_id
           where s.currency_code = ${currency} and p.created_at >= ${from} and p.created_at < ${to}
           group by l.offer_id
        ), used(id, root) as (
          -- redeemed in the window, of an offer bought in it; walked up to the item first issued
          select io.id, io.id
            from issued_offer io join offer_version ov on ov.id = io.offer_version_id
           where io.redeemed_at >= ${from} and io.redeemed_at < ${to} and ov.offer_id in (select offer_id from bought)
          union all
          select u.id, r.replaces_id from used u join issued_offer r on r.id = u.root where r.replaces_id is not null
        ), redeemed as (
          select l.offer_id, count(distinct u.id)::int as redemptions
            from used u join offer_purchase p on p.issued_offer_id = u.root
            join listing l on l.id = p.listing_id join reward_store s on s.id = l.store_id
           where s.currency_code = ${currency}
           group by l.offer_id
        )
        select b.offer_id as "offerId", b.purchases, coalesce(r.redemptions, 0) as redemptions
          from bought b left join redeemed r on r.offer_id = b.offer_id
         order by b.purchases desc, redemptions desc, b.offer_id limit ${first}`,
  );
}
