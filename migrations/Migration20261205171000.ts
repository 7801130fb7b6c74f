import { Migration } from '@mikro-orm/migrations';

/**
 * listing-edit-39: a listing can be edited (updateListing: price, stock, per-customer limit,
 * visibility, order), so it carries a version for optimistic concurrency (`version`, 1 when
 * created, one more at each edit that changes something) and the time of its last edit
 * (`updated_at`, null until edited).
 */
export class Migration20261205171000 extends Migration {
  override name = 'Migration20261205171000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "listing" add column if not exists "version" int not null default 1, add column if not exists "updated_at" timestamptz null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "listing" drop column if exists "version", drop column if exists "updated_at";`);
  }
}
