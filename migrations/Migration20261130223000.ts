import { Migration } from '@mikro-orm/migrations';

/** `ledger_due` as Migration20261130034209 wrote it: the body `down` restores. */
const LEDGER_DUE_BEFORE = `create or replace function ledger_due(p_account_id bigint, p_at timestamptz)
returns table (kind text, amount bigint, at timestamptz, qualifying boolean, from_pending bigint)
language sql stable as $$
  with a as (select id, debt, currency_code from point_account where id = p_account_id),
  due as (
    select p.id, p.amount, p.qualifying, p.available_at,
           p.available_at + make_interval(days => c.expiry_days) as expires_at,
           sum(p.amount) over (order by p.available_at, p.id) as running
      from pending_credit p join a on a.id = p.account_id join point_currency c on c.code = a.currency_code
     where p.account_id = p_account_id and p.released_at is null and p.cancelled_at is null and p.available_at <= p_at
  ),
  released as (
    select due.*, least(due.amount, greatest(a.debt - (due.running - due.amount), 0)) as repaid from due, a
  )
  select 'EXPIRE', -e.remaining, e.expires_at, false, 0::bigint
    from ledger_entry e where e.account_id = p_account_id and e.remaining > 0 and e.expires_at <= p_at
  union all
  select 'EARN', r.amount, r.available_at, r.qualifying, r.amount from released r
  union all
  select 'REVERSAL', -r.repaid, r.available_at, false, 0 from released r where r.repaid > 0
  union all
  select 'EXPIRE', -(r.amount - r.repaid), r.expires_at, false, 0 from released r where r.expires_at <= p_at and r.amount > r.repaid
$$;`;

/** `qualifying_points_at` as Migration20261130120000 wrote it: the body `down` restores. */
const QUALIFYING_POINTS_BEFORE = `create or replace function qualifying_points_at(p_customer_id bigint, p_currency text, p_window_days int, p_at timestamptz)
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
$$;`;

/** `body` with each `make_interval(days => x)` read as x days of 24 hours (`interval '24 hours' * x`). */
function inTwentyFourHourDays(body: string): string {
  const changed = body.replace(/make_interval\(days => ([a-z_.]+)\)/g, "interval '24 hours' * $1");
  if (changed === body || changed.includes('days =>')) throw new Error('Migration20261130223000: a body changed shape');
  return changed;
}

/**
 * Hostile pass 9: a day is 24 hours in the database too. `ledger_due` (a pending credit's expiry
 * once released) and `qualifying_points_at` (a tier's rolling window) added `make_interval(days =>
 * n)`, which counts calendar days of the session's TimeZone: on a database set to Europe/Berlin a
 * day across a daylight-saving change was 23 or 25 hours, so points expired an hour early and a
 * rolling window held points an hour too long, while the gateway's JS (pending days, offers'
 * validity) counted 24. Same functions, same signatures and results on a database in UTC; each
 * day is now `interval '24 hours'` (what `daysOf` in src/db/sql.ts writes for the gateway's own
 * statements).
 */
export class Migration20261130223000 extends Migration {
  override name = 'Migration20261130223000';

  override up(): void | Promise<void> {
    this.addSql(inTwentyFourHourDays(LEDGER_DUE_BEFORE));
    this.addSql(inTwentyFourHourDays(QUALIFYING_POINTS_BEFORE));
  }

  override down(): void | Promise<void> {
    this.addSql(LEDGER_DUE_BEFORE);
    this.addSql(QUALIFYING_POINTS_BEFORE);
  }
}
