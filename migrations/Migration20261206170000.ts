import { Migration } from '@mikro-orm/migrations';

/**
 * audit-46: staff read the audit log about one object (`auditLog(about:)`, the console's
 * "Changes to this customer"), by one actor or of one action, newest first. The table grows with
 * every staff change and every CRM sync's `upsertCustomer` (one entry a customer a night), so each
 * filter has an index of its value and the entry's id, which a page reads backwards from its
 * cursor; without them a filtered page read the log from its newest entry until it had found a
 * page, as many entries as the filter passes over. `if not exists`, so an operator may build them
 * first with `create index concurrently` under these names and definitions
 * (test/db/index-built-first.test.ts).
 */
export class Migration20261206170000 extends Migration {
  override name = 'Migration20261206170000';

  override up(): void | Promise<void> {
    this.addSql(`create index if not exists "audit_entry_target_idx" on "audit_entry" ("target", "id");`);
    this.addSql(`create index if not exists "audit_entry_actor_idx" on "audit_entry" ("actor", "id");`);
    this.addSql(`create index if not exists "audit_entry_action_idx" on "audit_entry" ("action", "id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "audit_entry_action_idx";`);
    this.addSql(`drop index if exists "audit_entry_actor_idx";`);
    this.addSql(`drop index if exists "audit_entry_target_idx";`);
  }
}
