import type { RawBuilder } from 'kysely';
import { daysOf, sql } from '../db/sql.js';

/** The program's whole ladder as `tierPlacements` reads it. */
export const WHOLE_LADDER: RawBuilder<unknown> = sql`select rank, currency_code, window_days, threshold from tier`;

/**
 * SQL `customer_tier_at`'s rule for many customers in one set-based read: for each row of `who`
 * (columns `id` bigint, a customer's id, and `at` timestamptz, the instant to place them at), the
 * rank of the highest-ranked rung of `ladder` (columns `rank` int, `currency_code` text,
 * `window_days` int or null for a lifetime tier, `threshold` bigint, in points) whose threshold
 * the customer's qualifying points as of `at` reach. A parenthesised subquery to alias in a FROM,
 * of rows `(customer_id, rank)`;
 * a customer who reaches no rung has no row (no tier). Ranks are unique across the program, so
 * callers join the ladder back by rank.
 *
 * The points are `qualifying_points_at`'s, read for all the customers at once instead of once per
 * customer and rung:
 *   - a lifetime rung (no window): `point_account_at`'s lifetime points of the account in the
 *     rung's currency: its `lifetime_earned`, less the `lifetime_shortfall` a qualifying drop took
 *     past 0 (break-13), plus its qualifying pending credits whose day has come by `at` and that no
 *     job has released yet (`ledger_due`'s EARN rows), never below 0; 0 without an account;
 *   - a rolling rung: the qualifying ledger entries and the qualifying adjustments made after
 *     `at` − `window_days` × 24 hours, plus those due pending credits whose day falls after it;
 *     never below 0.
 * Same answers as `customer_tier_at(id, at)` on the same snapshot (test/tiers/placement-50 holds
 * them to it on random programs). Why: the function runs PL/pgSQL `qualifying_points_at` for every
 * rung, three subqueries each, so a read over every member of a program (tierMix, a tier added, a
 * store edit's access counts) took 0.3–0.7 ms a customer: 60–180 s at 200,000 members on
 * PostgreSQL 15, past the 15 s statement timeout; this read takes 2–4 s there (bench/README.md,
 * "analytics-49", "placement-50"). Errors: none of its own; the statement's (a timeout). A single customer's placement on a
 * sale's path keeps the function, whose plans PL/pgSQL keeps per session.
 */
export function tierPlacements(who: RawBuilder<unknown>, ladder: RawBuilder<unknown>): RawBuilder<{ customer_id: number; rank: number }> {
  // a rung's window: its days of 24 hours, as every program day is (daysOf)
  const spanLength = daysOf(sql`span.window_days`);
  return sql`(with who as materialized (${who}),
        rung as materialized (${ladder}),
        -- the customers' accounts in the currencies of rungs that take points to reach (a threshold
        -- of 0 every customer reaches: their points are never below 0)
        acct as materialized (
          select w.id as customer_id, w.at, a.id as account_id, a.currency_code, a.lifetime_earned, a.lifetime_shortfall
            from who w join point_account a on a.customer_id = w.id
           where a.currency_code in (select currency_code from rung where threshold > 0)
        ),
        -- ledger_due's EARN rows: pending credits whose day came by \`at\`, not yet released by a job
        due as materialized (
          select acct.account_id, acct.at, acct.currency_code, p.amount, p.available_at
            from acct join pending_credit p on p.account_id = acct.account_id
           where p.released_at is null and p.cancelled_at is null and p.qualifying and p.available_at <= acct.at
        ),
        span as (select distinct currency_code, window_days from rung where window_days is not null and threshold > 0),
        due_in_window as (
          select due.account_id, span.window_days, sum(due.amount) as amount
            from due join span on span.currency_code = due.currency_code
           where due.available_at > due.at - ${spanLength}
           group by due.account_id, span.window_days
        ),
        points as (
          select acct.customer_id, acct.currency_code, null::int as window_days,
                 greatest(acct.lifetime_earned - acct.lifetime_shortfall + coalesce(d.amount, 0), 0) as points
            from acct left join (select account_id, sum(amount) as amount from due group by account_id) d on d.account_id = acct.account_id
           where acct.currency_code in (select currency_code from rung where window_days is null and threshold > 0)
          union all
          -- per account and window, a range of one index each (ledger_entry_qualifying_window_idx,
          -- qualifying_adjustment_account_idx): no sort or hash of every entry in the windows
          select acct.customer_id, acct.currency_code, span.window_days,
                 coalesce((select sum(e.amount) from ledger_entry e
                            where e.account_id = acct.account_id and e.qualifying and e.created_at > acct.at - ${spanLength}), 0)
               + coalesce((select sum(q.amount) from qualifying_adjustment q
                            where q.account_id = acct.account_id and q.created_at > acct.at - ${spanLength}), 0)
               + coalesce(dw.amount, 0)
            from acct join span on span.currency_code = acct.currency_code
            left join due_in_window dw on dw.account_id = acct.account_id and dw.window_days = span.window_days
        ),
        reached as (
          select p.customer_id, max(r.rank) as rank
            from points p join rung r on r.currency_code = p.currency_code and r.window_days is not distinct from p.window_days
           where r.threshold > 0 and p.points >= r.threshold
           group by p.customer_id
        )
        select w.id as customer_id, greatest(reached.rank, (select max(rank) from rung where threshold = 0)) as rank
          from who w left join reached on reached.customer_id = w.id
         where reached.rank is not null or exists (select 1 from rung where threshold = 0))`;
}
