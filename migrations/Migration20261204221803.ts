import { Migration } from '@mikro-orm/migrations';

/**
 * break33 (rules): each economy rule and activity rule has a `version`, 1 when first set and one
 * more at each set, which a staff form names as the rule it was filled from (`expectedVersion`).
 * An economy rule already set starts at the number of times it was set (its `economy_rule_version`
 * rows: every set since econ-17 wrote one, and the migration that added them one for the rule it
 * found); an activity rule at the number of its sets the audit log holds (at least 1), so a form
 * read before a down and an up of this migration still meets a conflict. Only the version's
 * increase at each set matters.
 */
export class Migration20261204221803 extends Migration {
  override name = 'Migration20261204221803';

  override up(): void | Promise<void> {
    this.addSql(`alter table "economy_rule" add "version" int not null default 1;`);
    this.addSql(`alter table "economy_rule" add constraint "economy_rule_version_positive" check (version >= 1);`);
    this.addSql(`update economy_rule r set version = greatest(1, (select count(*) from economy_rule_version v where v.currency_code = r.currency_code));`);

    this.addSql(`alter table "activity_rule" add "version" int not null default 1;`);
    this.addSql(`alter table "activity_rule" add constraint "activity_rule_version_positive" check (version >= 1);`);
    // the sets the audit log holds (never purged): after a down and an up, a form read before them still conflicts (break33's second hostile pass)
    this.addSql(`update activity_rule r set version = greatest(1, (select count(*) from audit_entry a where a.action = 'setActivityRule' and a.target = 'ActivityRule:' || r.id));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "activity_rule" drop constraint "activity_rule_version_positive";`);
    this.addSql(`alter table "activity_rule" drop column "version";`);

    this.addSql(`alter table "economy_rule" drop constraint "economy_rule_version_positive";`);
    this.addSql(`alter table "economy_rule" drop column "version";`);
  }
}
