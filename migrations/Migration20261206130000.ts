import { Migration } from '@mikro-orm/migrations';

/**
 * status-45: `audit_entry_status_idx`, a customer's writes that sent a status (`createCustomer` and
 * `updateCustomer` entries whose input named one), by target and id, for staff's
 * `Customer.statusChange` (the console's customer page: who suspended or closed the customer,
 * when, and why). Without it the read scans the whole audit log, which grows without bound.
 * Partial: only those writes are in it. `if not exists`, so an operator may build it first with
 * `create index concurrently` under this name and definition (test/db/index-built-first.test.ts).
 */
export class Migration20261206130000 extends Migration {
  override name = 'Migration20261206130000';

  override up(): void | Promise<void> {
    this.addSql(
      `create index if not exists "audit_entry_status_idx" on "audit_entry" ("target", "id") where details->>'status' is not null and action in ('createCustomer', 'updateCustomer');`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "audit_entry_status_idx";`);
  }
}
