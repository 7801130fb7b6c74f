import { Migration } from '@mikro-orm/migrations';

/**
 * webhook-health-39: `webhook_delivery_retrying_idx`, each endpoint's deliveries being retried
 * (PENDING after a failed attempt: `last_error` set, which the failed attempt writes and a replay
 * clears), for `WebhookEndpoint.retrying` (the console's Webhooks page: "Retrying — 12 deliveries,
 * failing since …"). Without it the read per endpoint was a range of `webhook_delivery_endpoint_idx`
 * over every delivery the endpoint was ever sent, nearly all DELIVERED, or of
 * `webhook_delivery_undelivered_idx` over every endpoint's PENDING ones. Partial on `last_error`, not
 * `attempts`: `attempts` changes on every attempt, and a column of an index's predicate that changes
 * makes the update non-HOT; `last_error` keeps its value across a receiver's repeated `HTTP 503`.
 */
export class Migration20261205160000 extends Migration {
  override name = 'Migration20261205160000';

  override up(): void | Promise<void> {
    this.addSql(`create index if not exists "webhook_delivery_retrying_idx" on "webhook_delivery" ("endpoint_id") where status = 'PENDING' and last_error is not null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "webhook_delivery_retrying_idx";`);
  }
}
