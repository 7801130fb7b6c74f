import { Migration } from '@mikro-orm/migrations';

/** `qualifying_points_at` as Migration20261130034209 wrote it: the body `down` restores. */
const QUALIFYING_POINTS_SQL = `create or replace function qualifying_points_at(p_customer_id bigint, p_currency text, p_window_days int, p_at timestamptz)
returns bigint language sql stable as $$
  select case when p_window_days is null then
    coalesce((select n.lifetime_earned from point_account a cross join lateral point_account_at(a.id, p_at) n
               where a.customer_id = p_customer_id and a.currency_code = p_currency), 0)
  else greatest(
    coalesce((select sum(e.amount) from ledger_entry e join point_account a on a.id = e.account_id
               where a.customer_id = p_customer_id and a.currency_code = p_currency and e.qualifying
                 and e.created_at > p_at - make_interval(days => p_window_days)), 0)
  + coalesce((select sum(q.amount) from qualifying_adjustment q join point_account a on a.id = q.account_id
               where a.customer_id = p_customer_id and a.currency_code = p_currency
                 and q.created_at > p_at - make_interval(days => p_window_days)), 0)
  + coalesce((select sum(d.amount) from point_account a cross join lateral ledger_due(a.id, p_at) d
               where a.customer_id = p_customer_id and a.currency_code = p_currency and d.qualifying
                 and d.at > p_at - make_interval(days => p_window_days)), 0), 0)
  end::bigint
$$;`;

/** `customer_tier_at` as Migration20261130034209 wrote it. */
const CUSTOMER_TIER_SQL = `create or replace function customer_tier_at(p_customer_id bigint, p_at timestamptz)
returns bigint language sql stable as $$
  select t.id from tier t
   where qualifying_points_at(p_customer_id, t.currency_code, t.window_days, p_at) >= t.threshold
   order by t.rank desc limit 1
$$;`;

/**
 * Issue 12, sales at the till: the two tier functions keep their signatures, results and
 * snapshot (STABLE: they read as of the calling statement), but become PL/pgSQL so their plans
 * are kept.
 *
 * Why: a `language sql` function that cannot be inlined (these two: a scalar body with
 * sub-selects, and one with FROM) has its body planned again on every call, and this body is big
 * (`point_account_at` and `ledger_due` inlined into it twice). pg_stat_statements with
 * `track = all` on PostgreSQL 18: `qualifying_points_at`'s body was planned on every one of 1,200
 * calls, ~0.95 ms of planning against 0.04 ms of execution each; a sale called it three times (its
 * tier at the start, its tier after each of two credits), about 6.7 of the ~16 ms of PostgreSQL CPU
 * a sale cost under bench:till. PL/pgSQL prepares each statement of a function once per session
 * (a generic plan after five calls), so the same call costs ~0.07 ms. Same queries as before, so
 * the same answers; every reader of these functions (store eligibility, the tier loader, analytics)
 * gets the same.
 */
export class Migration20261130120000 extends Migration {
  override name = 'Migration20261130120000';

  override up(): void | Promise<void> {
    this.addSql(`create or replace function qualifying_points_at(p_customer_id bigint, p_currency text, p_window_days int, p_at timestamptz)
returns bigint language plpgsql stable as $$
begin
  if p_window_days is null then
    return coalesce((select n.lifetime_earned from point_account a cross join lateral point_account_at(a.id, p_at) n
                      where a.customer_id = p_customer_id and a.currency_code = p_currency), 0);
  end if;
  return greatest(
    coalesce((select sum(e.amount) from ledger_entry e join point_account a on a.id = e.account_id
               where a.customer_id = p_customer_id and a.currency_code = p_currency and e.qualifying
                 and e.created_at > p_at - make_interval(days => p_window_days)), 0)
  + coalesce((select sum(q.amount) from qualifying_adjustment q join point_account a on a.id = q.account_id
               where a.customer_id = p_customer_id and a.currency_code = p_currency
                 and q.created_at > p_at - make_interval(days => p_window_days)), 0)
  + coalesce((select sum(d.amount) from point_account a cross join lateral ledger_due(a.id, p_at) d
               where a.customer_id = p_customer_id and a.currency_code = p_currency and d.qualifying
                 and d.at > p_at - make_interval(days => p_window_days)), 0), 0)::bigint;
end
$$;`);
    this.addSql(`create or replace function customer_tier_at(p_customer_id bigint, p_at timestamptz)
returns bigint language plpgsql stable as $$
begin
  return (select t.id from tier t
           where qualifying_points_at(p_customer_id, t.currency_code, t.window_days, p_at) >= t.threshold
           order by t.rank desc limit 1);
end
$$;`);
  }

  override down(): void | Promise<void> {
    this.addSql(QUALIFYING_POINTS_SQL);
    this.addSql(CUSTOMER_TIER_SQL);
  }
}
