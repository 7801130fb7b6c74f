import { Migration } from '@mikro-orm/migrations';

/**
 * break36 (authz): a job's tenant (`job.tenant_key`), the owner of several job groups, bounded as
 * a group is (RunnerOptions.tenantConcurrency): a partner's webhook deliveries, to every endpoint it
 * registered, are sent at most WEBHOOK_PARTNER_CONCURRENCY at once, so one partner whose endpoints
 * hang no longer holds every delivery loop. Counted from the RUNNING rows (the index, as
 * `job_group_running_idx`). Deliveries already queued get their endpoint's partner here. During a
 * rolling upgrade an older build writes no tenant and its claims do not read it: its deliveries are
 * bounded per endpoint only, as before.
 */
export class Migration20261205061000 extends Migration {
  override name = 'Migration20261205061000';

  override up(): void | Promise<void> {
    // `if not exists`: test/webhooks/dispatch-cursor.test.ts adds the column to an older schema
    // for this build's dispatcher before migrating on (as Migration20261202020000's group_key).
    this.addSql(`alter table "job" add column if not exists "tenant_key" text null;`);
    this.addSql(`create index if not exists "job_tenant_running_idx" on "job" ("tenant_key") where status = 'RUNNING';`);
    // Deliveries queued before the upgrade take their endpoint's partner as this build's enqueue
    // does (`endpointTenant`): an installation upgrading because a partner's hanging endpoints
    // hold the loops has that partner's backlog queued already (break36b).
    this.addSql(`update "job" j set "tenant_key" = 'webhook-partner:' || e."partner_id"
      from "webhook_delivery" d join "webhook_endpoint" e on e."id" = d."endpoint_id"
      where j."kind" = 'webhooks.deliver' and j."status" in ('PENDING', 'RUNNING') and j."tenant_key" is null
        and e."partner_id" is not null and d."id"::text = j."payload"->>'deliveryId';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "job_tenant_running_idx";`);
    this.addSql(`alter table "job" drop column "tenant_key";`);
  }
}
