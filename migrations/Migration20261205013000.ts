import { Migration } from '@mikro-orm/migrations';

/**
 * break34 (customers): each customer has a `version`, 1 when created and one more at each
 * `upsertCustomer` that updates it, which a writer names as the customer it read
 * (`UpsertCustomerInput.expectedVersion`), so a write made from a stale read (a CRM sync sending
 * back `segments` it read before another writer changed them) is refused. A customer already
 * stored starts at 1 plus its updates the audit log holds (every upsert of an existing customer
 * recorded one `updateCustomer`, and the log is never purged), so after a down and an up a number
 * read before them is not handed out again. One grouped pass over the audit log, not one count a
 * customer.
 */
export class Migration20261205013000 extends Migration {
  override name = 'Migration20261205013000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "customer" add "version" int not null default 1;`);
    this.addSql(`alter table "customer" add constraint "customer_version_positive" check (version >= 1);`);
    this.addSql(
      `update customer c set version = 1 + a.updates
         from (select target, count(*) as updates from audit_entry where action = 'updateCustomer' group by target) a
        where a.target = 'Customer:' || c.id;`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "customer" drop constraint "customer_version_positive";`);
    this.addSql(`alter table "customer" drop column "version";`);
  }
}
