import { Migration } from '@mikro-orm/migrations';

/**
 * `campaign_count`: what each campaign without a budget has awarded, in rows by the customers'
 * shard (src/rules/rule.entity.ts `CampaignCount`), so sales of different customers do not all
 * queue on the campaign's one row (issue 12). What such campaigns counted on `campaign.points_awarded`
 * before stays there: their total is that plus their rows. A return of a sale counted there takes
 * its points off its shard's row, which may then be negative; the total stays exact.
 */
export class Migration20261201060000 extends Migration {
  override name = 'Migration20261201060000';

  override up(): void | Promise<void> {
    this.addSql(`create table "campaign_count" ("campaign_id" bigint not null, "shard" smallint not null, "points" bigint not null, primary key ("campaign_id", "shard"));`);
    this.addSql(`alter table "campaign_count" add constraint "campaign_count_campaign_id_foreign" foreign key ("campaign_id") references "campaign" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "campaign_count" cascade;`);
  }
}
