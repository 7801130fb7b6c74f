import { Migration } from '@mikro-orm/migrations';

/**
 * webhook-retry-40b: a webhook attempt made by "Retry now" (retryWebhookDeliveriesNow) is one
 * outside the back-off schedule: logged with the others, marked `manual`, and not counted in its
 * delivery's `attempts` (a round's WEBHOOK_MAX_ATTEMPTS are the schedule's). Every attempt logged
 * before was the schedule's (or one brought forward and counted as such): false.
 */
export class Migration20261205190000 extends Migration {
  override name = 'Migration20261205190000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "webhook_attempt" add column if not exists "manual" boolean not null default false;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "webhook_attempt" drop column if exists "manual";`);
  }
}
