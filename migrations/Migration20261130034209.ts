import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 7, the ledger: reversals by reference (`ledger_reversal`, and `ledger_allocation`: which
 * debit took what from which credit), per-customer amounts within GraphQL Int, and the functions
 * that read an account as of a moment, before any job has written down what fell due.
 */
export class Migration20261130034209 extends Migration {

  override name = 'Migration20261130034209';

  override up(): void | Promise<void> {
    this.addSql(`create table "ledger_reversal" ("id" bigserial primary key, "account_id" bigint not null, "customer_id" bigint not null, "credit_id" bigint not null, "reversal_entry_id" bigint null, "taken" bigint not null, "owed" bigint not null, "expired" bigint not null, "reason" text null, "created_at" timestamptz not null);`);
    this.addSql(`alter table "ledger_reversal" add constraint "ledger_reversal_credit_unique" unique ("credit_id");`);

    this.addSql(`create table "ledger_allocation" ("id" bigserial primary key, "account_id" bigint not null, "customer_id" bigint not null, "debit_id" bigint not null, "credit_id" bigint not null, "amount" bigint not null);`);
    this.addSql(`create index "ledger_allocation_debit_idx" on "ledger_allocation" ("debit_id");`);
    this.addSql(`create index "ledger_allocation_credit_idx" on "ledger_allocation" ("credit_id");`);

    this.addSql(`alter table "point_account" add constraint "point_account_amounts_fit_int" check (available + pending <= 2147483647 and lifetime_earned + pending <= 2147483647 and debt <= 2147483647);`);
    this.addSql(`create index pending_credit_account_due_idx on pending_credit (account_id, available_at, id) where released_at is null and cancelled_at is null;`);

    this.addSql(`alter table "ledger_reversal" add constraint "ledger_reversal_account_id_foreign" foreign key ("account_id") references "point_account" ("id") on delete restrict;`);
    this.addSql(`alter table "ledger_reversal" add constraint "ledger_reversal_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete restrict;`);
    this.addSql(`alter table "ledger_reversal" add constraint "ledger_reversal_credit_id_foreign" foreign key ("credit_id") references "ledger_entry" ("id") on delete restrict;`);
    this.addSql(`alter table "ledger_reversal" add constraint "ledger_reversal_reversal_entry_id_foreign" foreign key ("reversal_entry_id") references "ledger_entry" ("id") on delete restrict;`);

    this.addSql(`alter table "ledger_allocation" add constraint "ledger_allocation_account_id_foreign" foreign key ("account_id") references "point_account" ("id") on delete restrict;`);
    this.addSql(`alter table "ledger_allocation" add constraint "ledger_allocation_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete restrict;`);
    this.addSql(`alter table "ledger_allocation" add constraint "ledger_allocation_debit_id_foreign" foreign key ("debit_id") references "ledger_entry" ("id") on delete restrict;`);
    this.addSql(`alter table "ledger_allocation" add constraint "ledger_allocation_credit_id_foreign" foreign key ("credit_id") references "ledger_entry" ("id") on delete restrict;`);
    this.addSql(`alter table "ledger_allocation" add constraint "ledger_allocation_amount_positive" check (amount > 0);`);

    // The entries an account has due at a moment but not yet written (the lazy write-down in
    // src/points/ledger.service.ts writes exactly these, in time order): the unspent part of
    // credits past expiry (EXPIRE), pending credits past their day (EARN, with the expiry of that
    // day), the part of each that repays debt, oldest pending first (REVERSAL), and what of a
    // released credit has itself expired since (EXPIRE). \`from_pending\`: points that leave pending.
    this.addSql(`create function ledger_due(p_account_id bigint, p_at timestamptz)
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
$$;`);
    // An account as of a moment: the stored (written) state plus what is due and not yet written.
    this.addSql(`create function point_account_at(p_account_id bigint, p_at timestamptz)
returns table (available bigint, pending bigint, lifetime_earned bigint, debt bigint)
language sql stable as $$
  select (a.available + coalesce(sum(d.amount), 0))::bigint,
         (a.pending - coalesce(sum(d.from_pending), 0))::bigint,
         (a.lifetime_earned + coalesce(sum(d.amount) filter (where d.qualifying), 0))::bigint,
         (a.debt + coalesce(sum(d.amount) filter (where d.kind = 'REVERSAL'), 0))::bigint
    from point_account a left join lateral ledger_due(a.id, p_at) d on true
   where a.id = p_account_id
   group by a.id
$$;`);
    // A customer's qualifying points for a tier's currency and window (null: lifetime) as of a moment.
    this.addSql(`create function qualifying_points_at(p_customer_id bigint, p_currency text, p_window_days int, p_at timestamptz)
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
$$;`);
    // The tier a customer holds as of a moment: the highest-ranked one whose threshold they reach.
    this.addSql(`create function customer_tier_at(p_customer_id bigint, p_at timestamptz)
returns bigint language sql stable as $$
  select t.id from tier t
   where qualifying_points_at(p_customer_id, t.currency_code, t.window_days, p_at) >= t.threshold
   order by t.rank desc limit 1
$$;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop function if exists customer_tier_at(bigint, timestamptz);`);
    this.addSql(`drop function if exists qualifying_points_at(bigint, text, int, timestamptz);`);
    this.addSql(`drop function if exists point_account_at(bigint, timestamptz);`);
    this.addSql(`drop function if exists ledger_due(bigint, timestamptz);`);
    this.addSql(`drop index if exists pending_credit_account_due_idx;`);
    this.addSql(`drop table if exists "ledger_reversal" cascade;`);
    this.addSql(`drop table if exists "ledger_allocation" cascade;`);
    this.addSql(`alter table "point_account" drop constraint "point_account_amounts_fit_int";`);
  }

}
