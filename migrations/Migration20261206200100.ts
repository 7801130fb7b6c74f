import { Migration } from '@mikro-orm/migrations';

/**
 * search-48: the name's search index on `search_name` (Migration20261206200000: the key, and the key
 * with its apostrophes left out) in place of Migration20261206180100's on `search_key(name)`, which
 * nothing reads now. `if not exists`, so an operator may build it first with `create index
 * concurrently` under this name and definition (test/db/index-built-first.test.ts).
 */
export class Migration20261206200100 extends Migration {
  override name = 'Migration20261206200100';

  override up(): void | Promise<void> {
    this.addSql(`create index if not exists "customer_name_words_idx" on "customer" using gin (search_name(name) gin_trgm_ops);`);
    this.addSql(`drop index if exists "customer_name_key_idx";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`create index if not exists "customer_name_key_idx" on "customer" using gin (search_key(name) gin_trgm_ops);`);
    this.addSql(`drop index if exists "customer_name_words_idx";`);
  }
}
