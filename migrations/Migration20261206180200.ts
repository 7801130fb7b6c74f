import { Migration } from '@mikro-orm/migrations';

/**
 * audit-46, second version: the audit log narrowed to one actor and one action together (the
 * console's Who then Action) read one of Migration20261206170000's indexes and filtered the other
 * value out row by row: a review measured 20,000 entries read to answer none, on a log of 400,000.
 * `(actor, action, id)` answers both from one range, newest first. The planner takes it only when
 * it knows how actors and actions go together (a CRM sync's actor writes updateCustomer, an
 * operator createCustomer): without that it multiplied the two filters' shares and still chose
 * the one-column index, so the statistics of their common values (`mcv`) come with it, gathered
 * now by `analyze`. Measured on 400,000 entries: an operator's updateCustomer (none) 3 buffers,
 * a sync's createCustomer 34, against 386 and 387 before. `if not exists`, so an operator may
 * build the index first with `create index concurrently` (test/db/index-built-first.test.ts).
 */
export class Migration20261206180200 extends Migration {
  override name = 'Migration20261206180200';

  override up(): void | Promise<void> {
    this.addSql(`create index if not exists "audit_entry_actor_action_idx" on "audit_entry" ("actor", "action", "id");`);
    this.addSql(`create statistics if not exists "audit_entry_actor_action_stats" (mcv) on "actor", "action" from "audit_entry";`);
    this.addSql(`analyze "audit_entry";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop statistics if exists "audit_entry_actor_action_stats";`);
    this.addSql(`drop index if exists "audit_entry_actor_action_idx";`);
  }
}
