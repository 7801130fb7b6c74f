import { Migration } from '@mikro-orm/migrations';

/**
 * audit-49, second part: the audit log of a time window with a filter (an actor, an action, both,
 * an object, a customer's wallet offers) reads an index of that filter's value, then the time:
 * a page is read backwards from the window's end within the value's own entries. With
 * `audit_entry_at_idx` alone the planner read the window backwards and dropped every entry of
 * another value one by one: for a value whose entries all lie outside the window (a new hire's,
 * a new customer's) that was the whole window, for an empty page (a review on PostgreSQL 15, ~2
 * million entries: 954,005 entries dropped, 260 ms for an actor, 600 ms for a customer). The
 * filters' (value, id) indexes stay: the log without a window is in id order. `if not exists`,
 * so an operator may build them first with `create index concurrently` under these names and
 * definitions (test/db/index-built-first.test.ts).
 */
export class Migration20261207010100 extends Migration {
  override name = 'Migration20261207010100';

  override up(): void | Promise<void> {
    this.addSql(`create index if not exists "audit_entry_target_at_idx" on "audit_entry" ("target", "at", "id");`);
    this.addSql(`create index if not exists "audit_entry_customer_at_idx" on "audit_entry" ("customer_id", "at", "id") where customer_id is not null;`);
    this.addSql(`create index if not exists "audit_entry_actor_at_idx" on "audit_entry" ("actor", "at", "id");`);
    this.addSql(`create index if not exists "audit_entry_action_at_idx" on "audit_entry" ("action", "at", "id");`);
    this.addSql(`create index if not exists "audit_entry_actor_action_at_idx" on "audit_entry" ("actor", "action", "at", "id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "audit_entry_actor_action_at_idx";`);
    this.addSql(`drop index if exists "audit_entry_action_at_idx";`);
    this.addSql(`drop index if exists "audit_entry_actor_at_idx";`);
    this.addSql(`drop index if exists "audit_entry_customer_at_idx";`);
    this.addSql(`drop index if exists "audit_entry_target_at_idx";`);
  }
}
