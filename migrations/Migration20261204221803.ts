import { Migration } from '@mikro-orm/migrations';

/**
 * break33 (rules): each economy rule and activity rule has a `version`, 1 when first set and one
 * more at each set, which a staff form names as the rule it was filled from (`expectedVersion`).
 * An economy rule already set starts at the number of times it was set (its `economy_rule_version`
 * rows: every set since econ-17 wrote one, and the migration that added them one for the rule it
 * found); an activity rule, whose sets left no count, at 1. Any number serves a form read after
 * this; only its increase at each set matters.
 */
export class Migration20261204221803 extends Migration {
  override name = 'Migration20261204221803';

  override up(): void | Promise<void> {
    this.addSql(`alter table "economy_rule" add "version" int not null default 1;`);
    this.addSql(`alter table "economy_rule" add constraint "economy_rule_version_positive" check (version >= 1);`);
    this.addSql(`update economy_rule r set version = greatest(1, (select count(*) from economy_rule_version v where v.currency_code = r.currency_code));`);

    this.addSql(`alter table "activity_rule" add "version" int not null default 1;`);
    this.addSql(`alter table "activity_rule" add constraint "activity_rule_version_positive" check (version >= 1);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "activity_rule" drop constraint "activity_rule_version_positive";`);
    this.addSql(`alter table "activity_rule" drop column "version";`);

    this.addSql(`alter table "economy_rule" drop constraint "economy_rule_version_positive";`);
    this.addSql(`alter table "economy_rule" drop column "version";`);
  }
}
