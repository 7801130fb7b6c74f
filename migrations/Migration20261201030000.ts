import { Migration } from '@mikro-orm/migrations';

/**
 * `customer_status_locked(customer)`: takes the customer's status lock shared (the transaction-level
 * advisory lock on `customer-status:<id>` that a status change takes exclusive, see
 * src/customers/status-lock.ts) and then reads the customer's status (null: no such customer).
 * VOLATILE, so in READ COMMITTED its read takes a snapshot of its own after the lock: a status
 * change committed while the calling statement waited is seen, and none can commit until the
 * caller's transaction ends. A spend (purchase, gift claim, a till's lock or redemption) calls it
 * before acting on the status; a one-statement purchase could not otherwise read the status after
 * a lock (hostile pass 10).
 */
export class Migration20261201030000 extends Migration {
  override name = 'Migration20261201030000';

  override up(): void | Promise<void> {
    this.addSql(`create function customer_status_locked(p_customer bigint) returns text language plpgsql volatile as $$
begin
  perform pg_advisory_xact_lock_shared(hashtextextended('customer-status:' || p_customer, 0));
  return (select c.status::text from customer c where c.id = p_customer);
end
$$;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop function if exists customer_status_locked(bigint);`);
  }
}
