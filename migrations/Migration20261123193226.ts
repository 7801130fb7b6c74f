import { Migration } from '@mikro-orm/migrations';

/** Activity rules, recorded activities and the awards each rule made (the rows caps count). */
export class Migration20261123193226 extends Migration {
  override name = 'Migration20261123193226';

  override up(): void | Promise<void> {
    this.addSql(`create table "activity_rule" ("id" bigserial primary key, "currency_code" text not null, "kind" text not null, "points" bigint not null, "cap_per_period" int null, "period_days" int null, "active" boolean not null default true, "updated_by" text null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now());`);
    this.addSql(`create index "activity_rule_kind_idx" on "activity_rule" ("kind");`);
    this.addSql(`alter table "activity_rule" add constraint "activity_rule_currency_code_kind_unique" unique ("currency_code", "kind");`);

    this.addSql(`create table "activity" ("id" bigserial primary key, "customer_id" bigint not null, "kind" text not null, "reference" text not null, "points_awarded" bigint not null, "actor" text not null, "created_at" timestamptz not null default now());`);
    this.addSql(`alter table "activity" add constraint "activity_customer_id_kind_reference_unique" unique ("customer_id", "kind", "reference");`);

    this.addSql(`create table "activity_award" ("activity_id" bigint not null, "rule_id" bigint not null, "customer_id" bigint not null, "points" bigint not null, "ledger_entry_id" bigint not null, "created_at" timestamptz not null default now(), primary key ("activity_id", "rule_id"));`);
    this.addSql(`alter table "activity_award" add constraint "activity_award_ledger_entry_id_unique" unique ("ledger_entry_id");`);
    this.addSql(`create index "activity_award_cap_idx" on "activity_award" ("customer_id", "rule_id", "created_at");`);

    this.addSql(`alter table "activity_rule" add constraint "activity_rule_currency_code_foreign" foreign key ("currency_code") references "point_currency" ("code");`);
    this.addSql(`alter table "activity_rule" add constraint "activity_rule_period_needs_cap" check (period_days is null or cap_per_period is not null);`);
    this.addSql(`alter table "activity_rule" add constraint "activity_rule_period_positive" check (period_days is null or period_days > 0);`);
    this.addSql(`alter table "activity_rule" add constraint "activity_rule_cap_positive" check (cap_per_period is null or cap_per_period > 0);`);
    this.addSql(`alter table "activity_rule" add constraint "activity_rule_points_positive" check (points > 0);`);
    this.addSql(`alter table "activity_rule" add constraint "activity_rule_kind_check" check ("kind" in ('SIGN_UP', 'REFERRAL', 'REVIEW', 'SOCIAL_SHARE', 'EVENT_CHECK_IN', 'BIRTHDAY', 'SURVEY'));`);

    this.addSql(`alter table "activity" add constraint "activity_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete restrict;`);
    this.addSql(`alter table "activity" add constraint "activity_points_positive" check (points_awarded > 0);`);
    this.addSql(`alter table "activity" add constraint "activity_reference_not_blank" check (length(reference) > 0);`);
    this.addSql(`alter table "activity" add constraint "activity_kind_check" check ("kind" in ('SIGN_UP', 'REFERRAL', 'REVIEW', 'SOCIAL_SHARE', 'EVENT_CHECK_IN', 'BIRTHDAY', 'SURVEY'));`);

    this.addSql(`alter table "activity_award" add constraint "activity_award_activity_id_foreign" foreign key ("activity_id") references "activity" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "activity_award" add constraint "activity_award_rule_id_foreign" foreign key ("rule_id") references "activity_rule" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "activity_award" add constraint "activity_award_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete restrict;`);
    this.addSql(`alter table "activity_award" add constraint "activity_award_ledger_entry_id_foreign" foreign key ("ledger_entry_id") references "ledger_entry" ("id") on delete restrict;`);
    this.addSql(`alter table "activity_award" add constraint "activity_award_points_positive" check (points > 0);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "activity_award" drop constraint "activity_award_rule_id_foreign";`);
    this.addSql(`alter table "activity_award" drop constraint "activity_award_activity_id_foreign";`);

    this.addSql(`drop table if exists "activity_rule" cascade;`);
    this.addSql(`drop table if exists "activity" cascade;`);
    this.addSql(`drop table if exists "activity_award" cascade;`);
  }
}
