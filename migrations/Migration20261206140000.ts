import { Migration } from '@mikro-orm/migrations';

/**
 * status-45, second version: `audit_entry_customer_status_idx` in place of Migration20261206130000's
 * `audit_entry_status_idx`. Staff's `Customer.statusChange` counts a customer's creation as the
 * write that set ACTIVE when it named no status (the first version left creations without a
 * status out, so a sync re-sending ACTIVE read as the change), and reads the latest entry of a
 * status and the first after an id, one index probe each, however many writes the customer has
 * had (a nightly sync writes one a night; the first version read them all). So the index holds
 * every `createCustomer` entry and the `updateCustomer` entries whose input named a status, by
 * target, the status sent (ACTIVE for a creation that named none) and id. `if not exists`, so an
 * operator may build it first with `create index concurrently` under this name and definition
 * (test/db/index-built-first.test.ts); the first version's index, which nothing reads now, goes.
 */
export class Migration20261206140000 extends Migration {
  override name = 'Migration20261206140000';

  override up(): void | Promise<void> {
    this.addSql(
      `create index if not exists "audit_entry_customer_status_idx" on "audit_entry" ("target", (coalesce(details->>'status', 'ACTIVE')), "id") where action = 'createCustomer' or (action = 'updateCustomer' and details->>'status' is not null);`,
    );
    this.addSql(`drop index if exists "audit_entry_status_idx";`);
  }

  override down(): void | Promise<void> {
    this.addSql(
      `create index if not exists "audit_entry_status_idx" on "audit_entry" ("target", "id") where details->>'status' is not null and action in ('createCustomer', 'updateCustomer');`,
    );
    this.addSql(`drop index if exists "audit_entry_customer_status_idx";`);
  }
}
