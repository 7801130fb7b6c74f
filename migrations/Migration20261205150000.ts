import { Migration } from '@mikro-orm/migrations';

/**
 * break38b (live): an endpoint removed and enabled again is owed what committed before its removal
 * and after the enable, not what committed between (`removed_from`: the snapshot of its last
 * removal; `enabled_from`: of the enable after it). Migration20261205141000's `receives_from` alone,
 * moved at the enable, dropped what had committed before the removal and was not dispatched yet.
 * Endpoints removed before keep the rule of their enable (null). An older build during a rolling
 * upgrade neither writes nor reads them.
 */
export class Migration20261205150000 extends Migration {
  override name = 'Migration20261205150000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "webhook_endpoint" add column if not exists "removed_from" text null;`);
    this.addSql(`alter table "webhook_endpoint" add column if not exists "enabled_from" text null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "webhook_endpoint" drop column "enabled_from";`);
    this.addSql(`alter table "webhook_endpoint" drop column "removed_from";`);
  }
}
