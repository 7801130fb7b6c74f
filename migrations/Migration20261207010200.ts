import { Migration } from '@mikro-orm/migrations';

/**
 * audit-49b: staff find the changes whose reason holds some words (`auditLog(reason:)`, "stolen",
 * "goodwill"), case and accents aside: a trigram index of the reasons' search key (`search_key`,
 * Migration20261206180000, with pg_trgm as the customer search's), so a search reads the entries
 * whose reasons hold its trigrams, not every reason of the log. Partial: most entries (a CRM
 * sync's) have no reason. `if not exists`, so an operator may build it first with `create index
 * concurrently` under this name and definition (test/db/index-built-first.test.ts).
 */
export class Migration20261207010200 extends Migration {
  override name = 'Migration20261207010200';

  override up(): void | Promise<void> {
    this.addSql(`create index if not exists "audit_entry_reason_key_idx" on "audit_entry" using gin (search_key(reason) gin_trgm_ops) where reason is not null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "audit_entry_reason_key_idx";`);
  }
}
