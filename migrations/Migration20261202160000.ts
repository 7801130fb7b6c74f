import { Migration } from '@mikro-orm/migrations';

/**
 * hostile-18: the tier a sale earns at includes the one the customer held when the sale happened.
 * `qualifying_points_until` is `qualifying_points_at` that counts a rolling window's points up to
 * `p_at` and no later (the window `(p_at − N days, p_at]`): points earned after `p_at` are not in
 * the window that ended then. A lifetime tier reads lifetime points as `qualifying_points_at` does.
 * `customer_tier_until` is the highest-ranked tier those points reach. Processing reads the higher
 * of this at the sale's moment and `customer_tier_at` when it runs (src/transactions/processor.ts).
 */
export class Migration20261202160000 extends Migration {
  override name = 'Migration20261202160000';

  override up(): void | Promise<void> {
    this.addSql(`create or replace function qualifying_points_until(p_customer_id bigint, p_currency text, p_window_days int, p_at timestamptz)
returns bigint language plpgsql stable as $$
begin
  if p_window_days is null then
    return qualifying_points_at(p_customer_id, p_currency, null, p_at);
  end if;
  return greatest(
    coalesce((select sum(e.amount) from ledger_entry e join point_account a on a.id = e.account_id
               where a.customer_id = p_customer_id and a.currency_code = p_currency and e.qualifying
                 and e.created_at > p_at - interval '24 hours' * p_window_days and e.created_at <= p_at), 0)
  + coalesce((select sum(q.amount) from qualifying_adjustment q join point_account a on a.id = q.account_id
               where a.customer_id = p_customer_id and a.currency_code = p_currency
                 and q.created_at > p_at - interval '24 hours' * p_window_days and q.created_at <= p_at), 0)
  + coalesce((select sum(d.amount) from point_account a cross join lateral ledger_due(a.id, p_at) d
               where a.customer_id = p_customer_id and a.currency_code = p_currency and d.qualifying
                 and d.at > p_at - interval '24 hours' * p_window_days), 0), 0)::bigint;
end
$$;`);
    this.addSql(`create or replace function customer_tier_until(p_customer_id bigint, p_at timestamptz)
returns bigint language plpgsql stable as $$
begin
  return (select t.id from tier t
           where qualifying_points_until(p_customer_id, t.currency_code, t.window_days, p_at) >= t.threshold
           order by t.rank desc limit 1);
end
$$;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop function if exists customer_tier_until(bigint, timestamptz);`);
    this.addSql(`drop function if exists qualifying_points_until(bigint, text, int, timestamptz);`);
  }
}
