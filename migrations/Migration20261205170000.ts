import { Migration } from '@mikro-orm/migrations';

/**
 * store-edit-39: a reward store can be edited (updateRewardStore), so it carries a version for
 * optimistic concurrency (`version`, 1 when created, one more at each edit that changes something)
 * and the time of its last edit (`updated_at`, null until edited).
 */
export class Migration20261205170000 extends Migration {
  override name = 'Migration20261205170000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "reward_store" add column if not exists "version" int not null default 1, add column if not exists "updated_at" timestamptz null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "reward_store" drop column if exists "version", drop column if exists "updated_at";`);
  }
}
