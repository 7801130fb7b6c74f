import { Migration } from '@mikro-orm/migrations';

/**
 * customer-search-40: staff find a customer by the start of their externalId or email, or of a
 * word of their name (`customers(search:)`, src/customers/customer-search.ts). Two btree indexes
 * of the lowercased NFC externalId and email in byte order (`collate "C"`: the rows that start
 * with a text are one range of it, in any database locale) and a trigram index (pg_trgm, a trusted
 * extension since PostgreSQL 13: the database's owner may create it) of the lowercased NFC name,
 * which serves the search's regular expression. Without them a search read every customer.
 */
export class Migration20261205180000 extends Migration {
  override name = 'Migration20261205180000';

  override up(): void | Promise<void> {
    this.addSql(`create extension if not exists pg_trgm;`);
    this.addSql(`create index if not exists "customer_external_id_search_idx" on "customer" ((lower(normalize(external_id, NFC)) collate "C"));`);
    this.addSql(`create index if not exists "customer_email_search_idx" on "customer" ((lower(normalize(email, NFC)) collate "C"));`);
    this.addSql(`create index if not exists "customer_name_search_idx" on "customer" using gin (lower(normalize(name, NFC)) gin_trgm_ops);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "customer_name_search_idx";`);
    this.addSql(`drop index if exists "customer_email_search_idx";`);
    this.addSql(`drop index if exists "customer_external_id_search_idx";`);
  }
}
