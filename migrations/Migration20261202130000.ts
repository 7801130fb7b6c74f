import { Migration } from '@mikro-orm/migrations';

/**
 * econ-17: `economy_rule_version`, each economy rule as it was set and since when, so that a sale
 * earns by the rule in force when it happened (a sale processed after the rule changed, or sent
 * late by a till that was offline, earned by the new rule). Each currency's current rule is copied
 * in as its first version, from its `updated_at`; a sale before a currency's first version earns by
 * that version (docs/decisions.md, econ-17).
 */
export class Migration20261202130000 extends Migration {

  override name = 'Migration20261202130000';

  override up(): void | Promise<void> {
    this.addSql(`create table "economy_rule_version" ("id" bigserial primary key, "currency_code" text not null, "points_per_unit" numeric not null, "category_multipliers" jsonb not null default '[]', "excluded_skus" text[] not null default '{}', "rounding" text not null default 'FLOOR', "pending_days" int not null default 0, "valid_from" timestamptz not null);`);
    this.addSql(`create index "economy_rule_version_currency_idx" on "economy_rule_version" ("currency_code", "valid_from");`);

    this.addSql(`alter table "economy_rule_version" add constraint "economy_rule_version_currency_code_foreign" foreign key ("currency_code") references "point_currency" ("code");`);
    this.addSql(`alter table "economy_rule_version" add constraint "economy_rule_version_pending_days_range" check (pending_days >= 0 and pending_days <= 365);`);
    this.addSql(`alter table "economy_rule_version" add constraint "economy_rule_version_points_per_unit_range" check (points_per_unit >= 0 and points_per_unit < 100000000 and scale(points_per_unit) <= 6);`);
    this.addSql(`alter table "economy_rule_version" add constraint "economy_rule_version_rounding_check" check ("rounding" in ('FLOOR', 'ROUND', 'CEIL'));`);

    this.addSql(`insert into "economy_rule_version" ("currency_code", "points_per_unit", "category_multipliers", "excluded_skus", "rounding", "pending_days", "valid_from")
      select "currency_code", "points_per_unit", "category_multipliers", "excluded_skus", "rounding", "pending_days", "updated_at" from "economy_rule" order by "id";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "economy_rule_version" cascade;`);
  }
}
