import { Migration } from '@mikro-orm/migrations';

/**
 * webhooks-22: an endpoint whose receiver keeps failing is marked (`failing_since`): set when one
 * of its deliveries runs out of attempts (FAILED by the receiver, not by the endpoint's removal),
 * cleared when one of its deliveries is DELIVERED. Staff and the partner read it as
 * `WebhookEndpoint.failingSince`; operators alert on `gateway_webhook_endpoints_failing`.
 */
export class Migration20261203070000 extends Migration {
  override name = 'Migration20261203070000';

  override up(): void | Promise<void> {
    this.addSql(`alter table webhook_endpoint add column failing_since timestamptz null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table webhook_endpoint drop column if exists failing_since;`);
  }
}
