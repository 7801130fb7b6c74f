import { Migration } from '@mikro-orm/migrations';

/**
 * endCampaign (conditions-38): a campaign ended before it started keeps an empty window, its end at
 * its start (`[startsAt, startsAt)` holds no instant, so it never runs; the campaigns a sale reads are
 * `starts_at <= at and ends_at > at`). createCampaign still refuses an empty window. An older build
 * during a rolling upgrade writes no such window and reads one as a campaign that never applies.
 */
export class Migration20261205140000 extends Migration {
  override name = 'Migration20261205140000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "campaign" drop constraint "campaign_window";`);
    this.addSql(`alter table "campaign" add constraint "campaign_window" check (starts_at <= ends_at);`);
  }

  override down(): void | Promise<void> {
    // A campaign ended before its start has no window the old rule allows: it ends 1 ms after it.
    this.addSql(`update "campaign" set ends_at = starts_at + interval '1 millisecond' where ends_at = starts_at;`);
    this.addSql(`alter table "campaign" drop constraint "campaign_window";`);
    this.addSql(`alter table "campaign" add constraint "campaign_window" check (starts_at < ends_at);`);
  }
}
