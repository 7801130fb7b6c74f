import { Migration } from '@mikro-orm/migrations';

/**
 * webhook-14: `job.group_key`, the key of jobs that may run only so many at once (a webhook
 * endpoint's deliveries, WEBHOOK_ENDPOINT_CONCURRENCY), and the index the claim counts a group's
 * running jobs by. Existing jobs have no group (a delivery queued before it is unbounded, once).
 */
export class Migration20261202020000 extends Migration {
  override name = 'Migration20261202020000';

  override up(): void | Promise<void> {
    // `if not exists`: test/webhooks/dispatch-cursor.test.ts adds the column to an older schema
    // for this build's dispatcher before migrating on.
    this.addSql(`alter table "job" add column if not exists "group_key" text null;`);
    this.addSql(`create index if not exists job_group_running_idx on job (group_key) where status = 'RUNNING';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "job_group_running_idx";`);
    this.addSql(`alter table "job" drop column "group_key";`);
  }
}
