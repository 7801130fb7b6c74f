import { Migration } from '@mikro-orm/migrations';

/**
 * webhooks-25: `webhook_endpoint.generation`, how many times the endpoint was enabled again after a
 * removal. A delivery reads it before its POST; the receiver's 410 Gone removes the endpoint only
 * if it is unchanged when the answer commits, so a 410 answered to a request sent before an
 * `enableWebhookEndpoint` no longer removes the endpoint that enable turned on. 0 for every
 * existing endpoint.
 */
export class Migration20261203150000 extends Migration {
  override name = 'Migration20261203150000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "webhook_endpoint" add "generation" int not null default 0;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "webhook_endpoint" drop column if exists "generation";`);
  }
}
