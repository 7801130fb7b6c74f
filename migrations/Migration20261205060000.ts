import { Migration } from '@mikro-orm/migrations';

/**
 * break36 (authz): a partner's `balance.changed` bodies no longer carry the ledger entry's reason
 * (src/webhooks/webhook.events.ts, WebhookAudience). The bodies already stored for partners'
 * endpoints (deliveries still to be sent, and the log a partner reads with `webhookDeliveries`)
 * lose it too, so nothing queued before the upgrade sends a staff note or another partner's return
 * reason, and no retry or replay does. A body is re-serialised by jsonb (same content; spacing and
 * key order may differ); the signature is computed when it is sent. Bodies of the program's own
 * endpoints are kept whole. Not undone by `down`: the reasons are gone.
 */
export class Migration20261205060000 extends Migration {
  override name = 'Migration20261205060000';

  override up(): void | Promise<void> {
    this.addSql(`update "webhook_delivery" d set "body" = (d."body"::jsonb #- '{data,change,reason}')::text
      from "webhook_endpoint" e
      where e."id" = d."endpoint_id" and e."partner_id" is not null and d."event_type" = 'balance.changed'
        and (d."body"::jsonb #> '{data,change,reason}') is not null;`);
  }

  override down(): void | Promise<void> {}
}
