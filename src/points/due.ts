import type { RawBuilder } from 'kysely';
import { sql } from '../db/sql.js';

/**
 * The accounts `ledger_due(account, now)` has rows for: an open credit whose expiry has come
 * (`remaining > 0`, `expires_at <= now`), or a pending credit whose day has come and that is
 * neither released nor cancelled, which no job has written down yet. A relation of `account_id`
 * (bigint), each once. Few on a running program (what the jobs have not reached since their last
 * run), and the planner cannot tell: a read of what is due for a whole program finds these first
 * and runs `ledger_due` for them alone (placement-50: it ran for all 200,000 accounts of a program
 * for 22 due).
 */
export function accountsDue(now: Date): RawBuilder<{ account_id: number }> {
  return sql`select account_id from ledger_entry where remaining > 0 and expires_at <= ${now}
          union select account_id from pending_credit where released_at is null and cancelled_at is null and available_at <= ${now}`;
}

/**
 * `point_account_at`'s available and lifetime earned points as of `now` (what `customer_balance_at`
 * answers for one customer) for every account in `currency` at once: the stored figures plus what
 * `ledger_due` has for the accounts with something due (`accountsDue`), lifetime points less the
 * shortfall a qualifying drop took past 0 and never below 0 (break-13). A relation of
 * (`customer_id` bigint, `currency_code` text, `available` and `lifetime_earned` in points).
 */
export function balancesAt(currency: string, now: Date): RawBuilder<{ customer_id: number; currency_code: string; available: number; lifetime_earned: number }> {
  return sql`select a.customer_id, a.currency_code, a.available + coalesce(d.available, 0) as available, greatest(a.lifetime_earned - a.lifetime_shortfall + coalesce(d.lifetime, 0), 0) as lifetime_earned
          from point_account a
          left join (select x.account_id, sum(d.amount) as available, sum(d.amount) filter (where d.qualifying) as lifetime
                       from (${accountsDue(now)}) x cross join lateral ledger_due(x.account_id, ${now}) d
                      group by x.account_id) d on d.account_id = a.id
         where a.currency_code = ${currency}`;
}
