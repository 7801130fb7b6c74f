import { Migration } from '@mikro-orm/migrations';

/**
 * search-46, second version: the email's and the name's search indexes on `search_key`
 * (Migration20261206180000) in place of those on `search_fold` (Migration20261206160100). The old
 * function stays (nothing calls it), so this migration's down can build its indexes again. `if not
 * exists`, so an operator may build the new ones first with `create index concurrently` under
 * these names and definitions (test/db/index-built-first.test.ts).
 */
export class Migration20261206180100 extends Migration {
  override name = 'Migration20261206180100';

  override up(): void | Promise<void> {
    this.addSql(`create index if not exists "customer_email_key_idx" on "customer" ((search_key(email) collate "C"));`);
    this.addSql(`create index if not exists "customer_name_key_idx" on "customer" using gin (search_key(name) gin_trgm_ops);`);
    this.addSql(`drop index if exists "customer_email_fold_idx";`);
    this.addSql(`drop index if exists "customer_name_fold_idx";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`create index if not exists "customer_email_fold_idx" on "customer" ((search_fold(email) collate "C"));`);
    this.addSql(`create index if not exists "customer_name_fold_idx" on "customer" using gin (search_fold(name) gin_trgm_ops);`);
    this.addSql(`drop index if exists "customer_name_key_idx";`);
    this.addSql(`drop index if exists "customer_email_key_idx";`);
  }
}
