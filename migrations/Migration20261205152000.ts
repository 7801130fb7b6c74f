import { Migration } from '@mikro-orm/migrations';

/**
 * break38c (live): an endpoint keeps every removal window (`removed_windows`, jsonb
 * `[{ from, to }]` of commit snapshots, the last ten), not only its last (`removed_from`,
 * `enabled_from` of Migration20261205150000): a second removal within the dispatcher's lag made the
 * first one's events owed again. The last window carries over, closed for an endpoint enabled since.
 */
export class Migration20261205152000 extends Migration {
  override name = 'Migration20261205152000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "webhook_endpoint" add column if not exists "removed_windows" jsonb not null default '[]';`);
    // An endpoint enabled again by a build before break38b (`disabled_at` cleared, `enabled_from`
    // left null, `receives_from` moved to its enable) has its window closed there, not left open:
    // an open window on an enabled endpoint took everything after it (break38d).
    this.addSql(`update "webhook_endpoint" set "removed_windows" = jsonb_build_array(jsonb_build_object('from', "removed_from",
        'to', case when "disabled_at" is null then coalesce("enabled_from", "receives_from", pg_current_snapshot()::text) else "enabled_from" end))
      where "removed_from" is not null;`);
    this.addSql(`alter table "webhook_endpoint" drop column if exists "removed_from", drop column if exists "enabled_from";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "webhook_endpoint" add column "removed_from" text null, add column "enabled_from" text null;`);
    this.addSql(`update "webhook_endpoint" set "removed_from" = "removed_windows"->-1->>'from', "enabled_from" = "removed_windows"->-1->>'to' where jsonb_array_length("removed_windows") > 0;`);
    this.addSql(`alter table "webhook_endpoint" drop column "removed_windows";`);
  }
}
