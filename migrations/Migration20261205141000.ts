import { Migration } from '@mikro-orm/migrations';

/**
 * break38 (live): an endpoint is sent the events that committed after it was registered or last
 * enabled, judged by commit (`webhook_endpoint.receives_from`, the snapshot taken then), not by the
 * writer's start time. Endpoints registered before keep the rule by time (null). An older build
 * during a rolling upgrade neither writes nor reads the column: its registrations and enables
 * leave it as it was, and its dispatcher compares times as before.
 */
export class Migration20261205141000 extends Migration {
  override name = 'Migration20261205141000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "webhook_endpoint" add column if not exists "receives_from" text null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "webhook_endpoint" drop column "receives_from";`);
  }
}
