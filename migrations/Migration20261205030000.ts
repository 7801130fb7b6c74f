import { Migration } from '@mikro-orm/migrations';

/** `qualifying_points_until` as Migration20261202160000 wrote it: the body `down` restores. */
const QUALIFYING_POINTS_UNTIL_BEFORE = `create or replace function qualifying_points_until(p_customer_id bigint, p_currency text, p_window_days int, p_at timestamptz)
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
$$;`;

/**
 * break34 (time): a sale's tier at its own moment no longer sees returns made after that moment.
 *
 * A return's tier correction (`qualifying_adjustment`) is dated at the returned credit's moment
 * (`created_at`), so every window that counted the credit stops counting it. But
 * `qualifying_points_until` read it for any moment after the credit, also moments before the return
 * was made: a sale made while its customer was GOLD and processed after the return of the sale
 * that made them GOLD earned ×1, and the same sale processed a minute earlier ×2 (break34's hostile
 * pass; SPEC §4: jobs only write down what is already true). Now:
 * - `qualifying_adjustment.recorded_at` is when the correction was made (the return's moment);
 *   rows written before this migration take the moment of their credit's `ledger_reversal` (paired
 *   one to one among credits of equal account, moment and amount), or their `created_at` when none
 *   matches;
 * - `qualifying_points_until(…, p_at)` counts only corrections recorded by `p_at`;
 * - a lifetime tier at `p_at`, when a lifetime drop was recorded after `p_at` (a correction recorded
 *   later, or a qualifying debit made later), is max(0, the qualifying movements known at `p_at`):
 *   entries made by then, corrections recorded by then, releases due by then, as break-13 defined
 *   lifetime points. With no such drop it reads lifetime points as before (`qualifying_points_at`).
 * - `qualifying_drop_after(customer, currency, p_at)`: whether such a drop exists, which the sale's
 *   tier read (src/transactions/processor.ts, `saleTierSql`) asks before evaluating lifetime tiers
 *   at the sale's moment (without one, the tier now is at least as high).
 */
export class Migration20261205030000 extends Migration {
  override name = 'Migration20261205030000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "qualifying_adjustment" add "recorded_at" timestamptz null;`);
    // Corrections and reversals are paired one to one within each (account, created_at, amount):
    // the k-th correction written (by id) with the k-th reversal made (by its moment, then id), as
    // reverseCredits writes a credit's correction and its reversal in one transaction. Credits that
    // share the key (two equal releases at one due moment, two equal awards of one job) may be
    // returned at different moments: the first reversal's for all of them dated a later return
    // before the sales made between the two (break34-time2).
    this.addSql(
      `update qualifying_adjustment q set recorded_at = m.at
         from (select c.id, r.at
                 from (select id, account_id, created_at, amount,
                              row_number() over (partition by account_id, created_at, amount order by id) as n
                         from qualifying_adjustment) c
                 join (select e.account_id, e.created_at, -e.amount as amount, x.created_at as at,
                              row_number() over (partition by e.account_id, e.created_at, e.amount order by x.created_at, x.id) as n
                         from ledger_reversal x join ledger_entry e on e.id = x.credit_id
                        where e.qualifying) r
                   on r.account_id = c.account_id and r.created_at = c.created_at and r.amount = c.amount and r.n = c.n) m
        where m.id = q.id;`,
    );
    this.addSql(`update qualifying_adjustment set recorded_at = created_at where recorded_at is null;`);
    this.addSql(`alter table "qualifying_adjustment" alter column "recorded_at" set not null;`);
    this.addSql(`create or replace function qualifying_drop_after(p_customer_id bigint, p_currency text, p_at timestamptz)
returns boolean language sql stable as $$
  select exists (select 1 from qualifying_adjustment q join point_account a on a.id = q.account_id
                  where a.customer_id = p_customer_id and a.currency_code = p_currency and q.recorded_at > p_at)
      or exists (select 1 from ledger_entry e join point_account a on a.id = e.account_id
                  where a.customer_id = p_customer_id and a.currency_code = p_currency and e.qualifying
                    and e.created_at > p_at and e.amount < 0)
$$;`);
    // Two statements, not one with `p_window_days is null or …`: PL/pgSQL's generic plan for that
    // could not use the window's index range and read every entry of the account
    // (test/tiers/tier-window-cost.test.ts).
    this.addSql(`create or replace function qualifying_points_until(p_customer_id bigint, p_currency text, p_window_days int, p_at timestamptz)
returns bigint language plpgsql stable as $$
begin
  if p_window_days is null then
    if not qualifying_drop_after(p_customer_id, p_currency, p_at) then
      return qualifying_points_at(p_customer_id, p_currency, null, p_at);
    end if;
    return greatest(
      coalesce((select sum(e.amount) from ledger_entry e join point_account a on a.id = e.account_id
                 where a.customer_id = p_customer_id and a.currency_code = p_currency and e.qualifying and e.created_at <= p_at), 0)
    + coalesce((select sum(q.amount) from qualifying_adjustment q join point_account a on a.id = q.account_id
                 where a.customer_id = p_customer_id and a.currency_code = p_currency and q.recorded_at <= p_at and q.created_at <= p_at), 0)
    + coalesce((select sum(d.amount) from point_account a cross join lateral ledger_due(a.id, p_at) d
                 where a.customer_id = p_customer_id and a.currency_code = p_currency and d.qualifying), 0), 0)::bigint;
  end if;
  return greatest(
    coalesce((select sum(e.amount) from ledger_entry e join point_account a on a.id = e.account_id
               where a.customer_id = p_customer_id and a.currency_code = p_currency and e.qualifying
                 and e.created_at > p_at - interval '24 hours' * p_window_days and e.created_at <= p_at), 0)
  + coalesce((select sum(q.amount) from qualifying_adjustment q join point_account a on a.id = q.account_id
               where a.customer_id = p_customer_id and a.currency_code = p_currency and q.recorded_at <= p_at
                 and q.created_at > p_at - interval '24 hours' * p_window_days and q.created_at <= p_at), 0)
  + coalesce((select sum(d.amount) from point_account a cross join lateral ledger_due(a.id, p_at) d
               where a.customer_id = p_customer_id and a.currency_code = p_currency and d.qualifying
                 and d.at > p_at - interval '24 hours' * p_window_days), 0), 0)::bigint;
end
$$;`);
  }

  override down(): void | Promise<void> {
    this.addSql(QUALIFYING_POINTS_UNTIL_BEFORE);
    this.addSql(`drop function if exists qualifying_drop_after(bigint, text, timestamptz);`);
    this.addSql(`alter table "qualifying_adjustment" drop column "recorded_at";`);
  }
}
