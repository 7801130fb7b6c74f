import { Migration } from '@mikro-orm/migrations';

/**
 * break35 (instances): `qualifying_adjustment.recorded_at` defaults to the writing transaction's
 * time (`now()`), so a build from before Migration20261205030000 still running during a rolling
 * upgrade (README, "Running several instances"; d4ae9bd, or 5c0e8e7^), whose return inserts a tier
 * correction without the column, writes one dated at its return, as this build does, instead of
 * failing the return on the NOT NULL column (INTERNAL_SERVER_ERROR on every return of a sale that
 * earned qualifying points, on every old instance, until the last was replaced). This build names
 * the column in its only insert (`reverseCredits`, the return's clock) and never reads the default.
 */
export class Migration20261205050000 extends Migration {
  override name = 'Migration20261205050000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "qualifying_adjustment" alter column "recorded_at" set default now();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "qualifying_adjustment" alter column "recorded_at" drop default;`);
  }
}
