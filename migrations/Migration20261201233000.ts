import { Migration } from '@mikro-orm/migrations';

/**
 * Idempotency records expire (retain-13): the purge job (src/idempotency/retention.job.ts) removes
 * records older than IDEMPOTENCY_RETENTION_HOURS, except the scopes whose key is their row's
 * (`KEPT_SCOPES`: sales, and currencies, tiers and stores by code). This partial index on the date
 * holds only the records that can expire, so each batch reads the oldest of them alone, not every
 * kept sale record first; its predicate is `KEPT_SCOPES` negated, word for word, so the planner
 * proves it applies. Built in the migration's transaction: it holds writes to idempotency_record
 * (every keyed mutation) while it builds, about a second per million records; upgrade in a quiet hour.
 */
export class Migration20261201233000 extends Migration {
  override name = 'Migration20261201233000';

  override up(): void | Promise<void> {
    this.addSql(`create index if not exists "idempotency_record_expiry_index" on "idempotency_record" ("created_at") where not (scope like 'sale:%' or scope like 'create:%');`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "idempotency_record_expiry_index";`);
  }
}
