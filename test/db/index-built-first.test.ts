import { MIGRATIONS } from '../../migrations/index.js';
import { migrate, openOrm } from '../../src/db/orm.js';
import { createTestDatabase } from '../support/gateway.js';

/**
 * An index a later migration adds to a table that grows without bound may be built by hand first,
 * `create index concurrently` under the migration's own name and definition, so the upgrade does
 * not hold the table's writes while it builds (docs/decisions.md, retain-13 and break-18). The
 * migration then finds it and goes on; before, its plain `create index` failed on the name and the
 * gateway would not start.
 */
describe('an index built by hand before the upgrade', () => {
  it.each([
    ['Migration20261201233000', `create index concurrently "idempotency_record_expiry_index" on "idempotency_record" ("created_at") where not (scope like 'sale:%' or scope like 'create:%')`],
    ['Migration20261202150000', `create index concurrently "job_failed_idx" on "job" ("kind") where status = 'FAILED'`],
    ['Migration20261203090000', `create index concurrently "webhook_delivery_undelivered_idx" on "webhook_delivery" ("status", "id") where status <> 'DELIVERED'`],
    [
      'Migration20261206130000',
      `create index concurrently "audit_entry_status_idx" on "audit_entry" ("target", "id") where details->>'status' is not null and action in ('createCustomer', 'updateCustomer')`,
    ],
    [
      'Migration20261206140000',
      `create index concurrently "audit_entry_customer_status_idx" on "audit_entry" ("target", (coalesce(details->>'status', 'ACTIVE')), "id") where action = 'createCustomer' or (action = 'updateCustomer' and details->>'status' is not null)`,
    ],
    ['Migration20261206160100', `create index concurrently "customer_email_fold_idx" on "customer" ((search_fold(email) collate "C"))`],
    ['Migration20261206160100', `create index concurrently "customer_name_fold_idx" on "customer" using gin (search_fold(name) gin_trgm_ops)`],
    ['Migration20261206170000', `create index concurrently "audit_entry_target_idx" on "audit_entry" ("target", "id")`],
    ['Migration20261206170000', `create index concurrently "audit_entry_actor_idx" on "audit_entry" ("actor", "id")`],
    ['Migration20261206170000', `create index concurrently "audit_entry_action_idx" on "audit_entry" ("action", "id")`],
    ['Migration20261206180100', `create index concurrently "customer_email_key_idx" on "customer" ((search_key(email) collate "C"))`],
    ['Migration20261206180100', `create index concurrently "customer_name_key_idx" on "customer" using gin (search_key(name) gin_trgm_ops)`],
    ['Migration20261206180200', `create index concurrently "audit_entry_actor_action_idx" on "audit_entry" ("actor", "action", "id")`],
    [
      'Migration20261206190000',
      `alter table "audit_entry" add column "customer_id" bigint null; create index concurrently "audit_entry_customer_idx" on "audit_entry" ("customer_id", "id") where customer_id is not null`,
    ],
    ['Migration20261206200100', `create index concurrently "customer_name_words_idx" on "customer" using gin (search_name(name) gin_trgm_ops)`],
    ['Migration20261207010000', `create index concurrently "audit_entry_at_idx" on "audit_entry" ("at", "id")`],
    [
      'Migration20261207010100',
      `create index concurrently "audit_entry_target_at_idx" on "audit_entry" ("target", "at", "id"); create index concurrently "audit_entry_customer_at_idx" on "audit_entry" ("customer_id", "at", "id") where customer_id is not null; create index concurrently "audit_entry_actor_at_idx" on "audit_entry" ("actor", "at", "id"); create index concurrently "audit_entry_action_at_idx" on "audit_entry" ("action", "at", "id"); create index concurrently "audit_entry_actor_action_at_idx" on "audit_entry" ("actor", "action", "at", "id")`,
    ],
    ['Migration20261207010200', `create index concurrently "audit_entry_reason_key_idx" on "audit_entry" using gin (search_key(reason) gin_trgm_ops) where reason is not null`],
    [
      'Migration20261207010300',
      `create index concurrently "audit_entry_reasoned_idx" on "audit_entry" ("id") where reason is not null; create index concurrently "audit_entry_reasoned_at_idx" on "audit_entry" ("at", "id") where reason is not null`,
    ],
    [
      'Migration20261207020000',
      `create index concurrently "ledger_entry_created_brin" on "ledger_entry" using brin ("created_at"); create index concurrently "pending_credit_created_brin" on "pending_credit" using brin ("created_at"); create index concurrently "sales_transaction_received_brin" on "sales_transaction" using brin ("received_at"); create index concurrently "sales_transaction_reversed_idx" on "sales_transaction" ("reversed_at") where reversed_at is not null; create index concurrently "offer_purchase_created_brin" on "offer_purchase" using brin ("created_at"); create index concurrently "issued_offer_redeemed_idx" on "issued_offer" ("redeemed_at") where redeemed_at is not null`,
    ],
  ])('%s finds it and the upgrade completes', async (migration, byHand) => {
    const database = await createTestDatabase();
    const orm = await openOrm({ url: database.url, poolMax: 2 });
    try {
      const before = MIGRATIONS[MIGRATIONS.findIndex((m) => m.name === migration) - 1].name;
      await orm.migrator.up({ to: before });
      // one statement at a time: `create index concurrently` runs outside a transaction block
      for (const statement of byHand.split('; ')) await orm.em.getConnection().execute(statement);
      const applied = await migrate(orm);
      expect(applied[0]).toBe(migration);
      expect(await orm.migrator.getPending()).toEqual([]);
    } finally {
      await orm.close(true);
      await database.drop();
    }
  }, 60_000);
});
