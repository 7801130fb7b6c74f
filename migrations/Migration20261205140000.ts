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
    // A campaign ended before its start has no window the old rule allows: it gets 1 ms in year 1,
    // where no sale falls (1 ms after its planned start would catch a till's sale stamped at it,
    // campaigns starting at 00:00 and tills stamping whole seconds: break38b campaigns). Its planned
    // start stays in its audit entries.
    this.addSql(`update "campaign" set starts_at = '0001-01-01T00:00:00Z', ends_at = '0001-01-01T00:00:00.001Z' where ends_at = starts_at;`);
    this.addSql(`alter table "campaign" drop constraint "campaign_window";`);
    this.addSql(`alter table "campaign" add constraint "campaign_window" check (starts_at < ends_at);`);
  }
}
