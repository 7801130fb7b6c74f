import { Migration } from '@mikro-orm/migrations';

/**
 * metrics-18: `job_failed_idx`, the FAILED jobs by kind, so /metrics' `gateway_jobs_failed` is an
 * index-only count of the failed jobs however many finished (DONE) jobs the table keeps until the
 * job retention purges them, rather than a scan of the whole table at every scrape of every
 * instance. Partial: only FAILED rows are in it; `status` is already in `job_due_idx`'s predicate,
 * so no update that was HOT loses it (docs/decisions.md, metrics-18).
 */
export class Migration20261202150000 extends Migration {

  override name = 'Migration20261202150000';

  override up(): void | Promise<void> {
    this.addSql(`create index if not exists "job_failed_idx" on "job" ("kind") where status = 'FAILED';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "job_failed_idx";`);
  }
}
