import { Migration } from '@mikro-orm/migrations';

/**
 * break38b (campaigns): `campaign.ended_at`, when an operator ended it early (endCampaign). An ended
 * campaign is never ended again: a resend from a clock behind, or a second operator's end a moment
 * later, moved its end earlier and logged a second end; a cancelled campaign (its end at its start,
 * still ahead) was "ended" at every resend. Campaigns ended before this migration (this session's
 * only) are recognised by an `endCampaign` audit entry.
 */
export class Migration20261205151000 extends Migration {
  override name = 'Migration20261205151000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "campaign" add column if not exists "ended_at" timestamptz null;`);
    this.addSql(`update "campaign" c set "ended_at" = a."at" from (
        select distinct on (target) target, "at" from "audit_entry" where action = 'endCampaign' order by target, id) a
      where a.target = 'Campaign:' || c.id and c."ended_at" is null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "campaign" drop column "ended_at";`);
  }
}
