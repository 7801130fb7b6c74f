import { Migration } from '@mikro-orm/migrations';

/**
 * audit-49: staff read the audit log of a time window (`auditLog(from:, to:)`, the console's
 * "From" and "To" days), newest first by the time of each change. A window's page reads this
 * index backwards from its end (or from the cursor's entry) and stops at a page, wherever the
 * window lies in the log; ordered by id instead, a window far back read every later entry first
 * (1.66 million of 2 million, 250 ms on PostgreSQL 15, for a page of March in a log that ran to
 * December). `if not exists`, so an operator may build it first with `create index concurrently`
 * under this name and definition (test/db/index-built-first.test.ts).
 */
export class Migration20261207010000 extends Migration {
  override name = 'Migration20261207010000';

  override up(): void | Promise<void> {
    this.addSql(`create index if not exists "audit_entry_at_idx" on "audit_entry" ("at", "id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "audit_entry_at_idx";`);
  }
}
