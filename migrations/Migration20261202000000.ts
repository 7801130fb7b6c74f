import { Migration } from '@mikro-orm/migrations';

/** `point_account_at` as Migration20261130034209 wrote it: the body `down` restores. */
const POINT_ACCOUNT_AT_BEFORE = `create or replace function point_account_at(p_account_id bigint, p_at timestamptz)
returns table (available bigint, pending bigint, lifetime_earned bigint, debt bigint)
language sql stable as $$
  select (a.available + coalesce(sum(d.amount), 0))::bigint,
         (a.pending - coalesce(sum(d.from_pending), 0))::bigint,
         (a.lifetime_earned + coalesce(sum(d.amount) filter (where d.qualifying), 0))::bigint,
         (a.debt + coalesce(sum(d.amount) filter (where d.kind = 'REVERSAL'), 0))::bigint
    from point_account a left join lateral ledger_due(a.id, p_at) d on true
   where a.id = p_account_id
   group by a.id
$$;`;

/**
 * break-13: lifetime points are max(0, the sum of qualifying movements) in any order.
 * `point_account.lifetime_shortfall` keeps what a qualifying drop took past a lifetime of 0 (a
 * −60 qualifying adjustment, then the return of a 50-point sale, on 100 lifetime points: 10), which
 * later qualifying credits make up first (src/points/ledger.service.ts, `lifetimeMoves`). Before,
 * the drop past 0 was forgotten, so the same movements in another order, or a rolling window
 * holding all of them, counted fewer points than the lifetime tier did. `point_account_at` counts
 * the qualifying releases due by `p_at` against the shortfall the same way. Accounts clamped before
 * this migration start with no shortfall (what was forgotten then is not in any column).
 */
export class Migration20261202000000 extends Migration {
  override name = 'Migration20261202000000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "point_account" add column "lifetime_shortfall" bigint not null default '0';`);
    this.addSql(
      `alter table "point_account" add constraint "point_account_lifetime_shortfall_non_negative" check (lifetime_shortfall >= 0 and (lifetime_shortfall = 0 or lifetime_earned = 0));`,
    );
    this.addSql(`create or replace function point_account_at(p_account_id bigint, p_at timestamptz)
returns table (available bigint, pending bigint, lifetime_earned bigint, debt bigint)
language sql stable as $$
  select (a.available + coalesce(sum(d.amount), 0))::bigint,
         (a.pending - coalesce(sum(d.from_pending), 0))::bigint,
         greatest(a.lifetime_earned - a.lifetime_shortfall + coalesce(sum(d.amount) filter (where d.qualifying), 0), 0)::bigint,
         (a.debt + coalesce(sum(d.amount) filter (where d.kind = 'REVERSAL'), 0))::bigint
    from point_account a left join lateral ledger_due(a.id, p_at) d on true
   where a.id = p_account_id
   group by a.id
$$;`);
  }

  override down(): void | Promise<void> {
    this.addSql(POINT_ACCOUNT_AT_BEFORE);
    this.addSql(`alter table "point_account" drop constraint "point_account_lifetime_shortfall_non_negative";`);
    this.addSql(`alter table "point_account" drop column "lifetime_shortfall";`);
  }
}
