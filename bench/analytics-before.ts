import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { queryOne, sql } from '../src/db/sql.js';
import { minorDigits } from '../src/domain/currency.js';
import { roundedTo } from '../src/domain/decimal.js';
import { CustomerStatus } from '../src/customers/customer.entity.js';
import { customerQualifies, storeOpen, type StoreRules } from '../src/stores/store.service.js';

/**
 * The analytics and tier statements as they were before placement-50 rewrote them for programs of
 * hundreds of thousands of members, kept verbatim: bench/analytics-scale.ts times the new ones
 * against them in the same run, and the tests hold the new ones to their answers on random
 * programs (test/tiers/placement-50, test/analytics/program-stats-50). Each runs on `em`'s
 * transaction when it has one.
 */

/** tierMix as it was before placement-50: `customer_tier_at` once per customer not closed (rows by rank: tier id, members). */
export async function tierMixBefore(em: SqlEntityManager, currency: string, now: Date): Promise<{ tierId: number; members: number }[]> {
  const rows = await em.getConnection().execute<{ tierId: string; members: number }[]>(
    `select t.id as "tierId", count(c.id)::int as members
       from tier t left join (select id, customer_tier_at(id, ?) as tier_id from customer where status <> 'CLOSED') c on c.tier_id = t.id
      where t.currency_code = ? group by t.id, t.rank order by t.rank`,
    [now, currency],
    'all',
    em.getTransactionContext(),
  );
  return rows.map((r) => ({ tierId: Number(r.tierId), members: r.members }));
}

/** The first step of recomputeAllTiers before placement-50, for every customer: how many would move (`customer_tier_at` for each at its placement instant). */
export async function moversBefore(em: SqlEntityManager, now: Date): Promise<number> {
  const [row] = await em
    .getConnection()
    .execute<{ n: number }[]>(
      `select count(*)::int as n from customer c where c.tier_id is distinct from customer_tier_at(c.id, greatest(?::timestamptz, c.tier_placed_at))`,
      [now],
      'all',
      em.getTransactionContext(),
    );
  return row.n;
}

/**
 * programStats as it was before placement-50 (the `due` accounts as a filter on the
 * currency's accounts; each waiting account's debt from `point_account_at`), verbatim; answers
 * the statement's row as well as the figures.
 */
export async function programStatsBefore(em: SqlEntityManager, currency: string, from: Date, to: Date, now: Date) {
  type Row = {
    pointsIssued: number;
    pointsSpent: number;
    pointsExpired: number;
    outstandingPoints: number;
    outstandingLiability: string;
    pendingPoints: number;
    closedPoints: number;
    pendingLiability: string;
    moneyCurrency: string;
    activeMembers: number;
  };
  const row = await queryOne<Row>(
    em,
    sql`with c as (select code, point_value, money_currency from point_currency where code = ${currency}),
      -- What fell due by now but no job has written down yet counts where it fell due (ledger_due).
      due as (
        select a.id as account_id, a.customer_id, d.kind, d.amount, d.at
          from point_account a cross join lateral ledger_due(a.id, ${now}) d
         where a.currency_code = ${currency}
           and a.id in (select account_id from ledger_entry where remaining > 0 and expires_at <= ${now}
                        union select account_id from pending_credit where released_at is null and cancelled_at is null and available_at <= ${now})
      ),
      moves as (
        select e.kind, e.amount, e.customer_id from ledger_entry e join point_account a on a.id = e.account_id
         where a.currency_code = ${currency} and e.created_at >= ${from} and e.created_at < ${to}
        union all
        select due.kind, due.amount, due.customer_id from due where due.at >= ${from} and due.at < ${to}
      ),
      -- Earned, waiting for its release day, not cancelled: not yet spendable, but owed unless returned.
      -- Per account net of the debt it has as of now: a release repays debt first (ledger_due's
      -- REVERSAL), so that part never becomes outstanding and is owed to no one.
      -- CLOSED customers' accounts apart (break36, analytics): they cannot spend, so they are no
      -- liability now, but they hold their points should the customer be reopened (closedPoints).
      pending_by_account as (
        select p.closed, greatest(p.points - n.debt, 0) as points
          from (select p.account_id, bool_or(cu.status = 'CLOSED') as closed, sum(p.amount) as points
                  from pending_credit p join point_account a on a.id = p.account_id join customer cu on cu.id = a.customer_id
                 where a.currency_code = ${currency} and p.released_at is null and p.cancelled_at is null and p.available_at > ${now}
                 group by p.account_id) p
          cross join lateral point_account_at(p.account_id, ${now}) n
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
      select coalesce((select sum(amount) from moves where amount > 0 and kind in ('EARN', 'ADJUST')), 0)::bigint as "pointsIssued",
             coalesce((select -sum(amount) from moves where kind = 'SPEND'), 0)::bigint as "pointsSpent",
             coalesce((select -sum(amount) from moves where kind = 'EXPIRE'), 0)::bigint as "pointsExpired",
             (select points from outstanding)::bigint as "outstandingPoints",
             ((select points from outstanding) * c.point_value)::text as "outstandingLiability",
             (select points from pending)::bigint as "pendingPoints",
             ((select closed_points from outstanding) + (select closed_points from pending))::bigint as "closedPoints",
             ((select points from pending) * c.point_value)::text as "pendingLiability",
             c.money_currency as "moneyCurrency",
             (select count(*) from active)::int as "activeMembers"
        from c`,
  );
  if (!row) return { row, figures: undefined };
  const digits = minorDigits(row.moneyCurrency);
  const { moneyCurrency: _money, ...figures } = row;
  return {
    row,
    figures: {
      ...figures,
      outstandingLiability: roundedTo(row.outstandingLiability, digits),
      pendingLiability: roundedTo(row.pendingLiability, digits),
      currency,
      from,
      to,
      redemptionRate: row.pointsIssued > 0 ? Math.round((row.pointsSpent / row.pointsIssued) * 10_000) / 10_000 : 0,
    },
  };
}

/**
 * storeAccessChange as it was before placement-50: every ACTIVE customer judged by customerQualifies
 * with its defaults, `customer_tier_at` and `customer_balance_at` once per customer and rule.
 */
export async function storeAccessChangeBefore(em: SqlEntityManager, currency: string, before: StoreRules, after: StoreRules, now: Date): Promise<{ lost: number; gained: number }> {
  const rules = (r: StoreRules) =>
    sql`(select ${r.startsAt}::timestamptz as starts_at, ${r.endsAt}::timestamptz as ends_at, ${r.tiers}::text[] as eligible_tiers, ${r.segments}::text[] as eligible_segments,
                ${r.minBalance}::bigint as min_balance, ${r.minLifetimePoints}::bigint as min_lifetime_points, ${currency}::text as currency_code) s`;
  const opens = (r: StoreRules) => sql`coalesce((select ${storeOpen(now)} and ${customerQualifies({ customerId: sql`c.id` }, now, undefined, sql`c.segments`)} from ${rules(r)}), false)`;
  const row = await queryOne<{ lost: string; gained: string }>(
    em,
    sql`select count(*) filter (where b and not a) as lost, count(*) filter (where a and not b) as gained
          from (select ${opens(before)} as b, ${opens(after)} as a from customer c where c.status = ${CustomerStatus.ACTIVE}) x`,
  );
  return { lost: Number(row?.lost ?? 0), gained: Number(row?.gained ?? 0) };
}
