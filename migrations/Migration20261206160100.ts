import { Migration } from '@mikro-orm/migrations';

/**
 * search-46: staff's customer search compares emails and names by their search key
 * (`search_fold`, Migration20261206160000), so "jose" finds "José" and "émile" finds "Émile" on
 * any database locale. The btree of the key of the email in byte order (`collate "C"`: the rows
 * that start with a text are one range of it, in any locale) and the trigram index (pg_trgm) of
 * the key of the name, in place of Migration20261205180000's indexes of the lowercased NFC email
 * and name, which nothing reads now (the externalId's stays: ids are not folded). `if not
 * exists`, so an operator may build them first with `create index concurrently` under these names
 * and definitions (test/db/index-built-first.test.ts).
 */
export class Migration20261206160100 extends Migration {
  override name = 'Migration20261206160100';

  override up(): void | Promise<void> {
    this.addSql(`create index if not exists "customer_email_fold_idx" on "customer" ((search_fold(email) collate "C"));`);
    this.addSql(`create index if not exists "customer_name_fold_idx" on "customer" using gin (search_fold(name) gin_trgm_ops);`);
    this.addSql(`drop index if exists "customer_email_search_idx";`);
    this.addSql(`drop index if exists "customer_name_search_idx";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`create index if not exists "customer_email_search_idx" on "customer" ((lower(normalize(email, NFC)) collate "C"));`);
    this.addSql(`create index if not exists "customer_name_search_idx" on "customer" using gin (lower(normalize(name, NFC)) gin_trgm_ops);`);
    this.addSql(`drop index if exists "customer_name_fold_idx";`);
    this.addSql(`drop index if exists "customer_email_fold_idx";`);
  }
}
