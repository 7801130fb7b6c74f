import { Migration } from '@mikro-orm/migrations';

/**
 * webhooks-23: `webhook_delivery_undelivered_idx`, the deliveries not DELIVERED (PENDING and FAILED)
 * by status and id, for staff's `webhookDeliveries(status: FAILED)` (the console's Webhooks page)
 * and `webhookDeliveries(status: PENDING)`. Before, a page read the primary key downwards and
 * filtered the status: FAILED deliveries older than a great many DELIVERED ones cost a scan of all
 * of those per page (break3-22 "Left"). Measured on 1 000 000 deliveries (1 000 FAILED among the
 * oldest, 2 000 PENDING, the rest DELIVERED), the page's statement as the gateway sends it: 997 060
 * rows removed by the filter, 24 886 buffers, 212 ms; with this index a backward range scan of
 * `status = 'FAILED'`, 31 rows, 5 buffers, 0.05 ms (docs/decisions.md, webhooks-23). Partial:
 * DELIVERED rows, nearly all of the table, are not in it and their pages are read by the primary key
 * as before; `status` changes only when a delivery finishes, which already updates an indexed column
 * (`finished_at`), so no update that was HOT loses it.
 */
export class Migration20261203090000 extends Migration {
  override name = 'Migration20261203090000';

  override up(): void | Promise<void> {
    this.addSql(`create index if not exists "webhook_delivery_undelivered_idx" on "webhook_delivery" ("status", "id") where status <> 'DELIVERED';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "webhook_delivery_undelivered_idx";`);
  }
}
