import { Migration } from '@mikro-orm/migrations';

/** Sales: transactions, their awards and applied offers; economy rules, campaigns; pending points; debt. */
export class Migration20261123193355 extends Migration {

  override name = 'Migration20261123193355';

  override up(): void | Promise<void> {
    this.addSql(`create table "economy_rule" ("id" bigserial primary key, "currency_code" text not null, "points_per_unit" numeric(12,4) not null, "category_multipliers" jsonb not null default '[]', "excluded_skus" text[] not null default '{}', "rounding" text not null default 'FLOOR', "pending_days" int not null default 0, "updated_at" timestamptz not null default now());`);
    this.addSql(`alter table "economy_rule" add constraint "economy_rule_currency_code_unique" unique ("currency_code");`);

    this.addSql(`create table "campaign" ("id" bigserial primary key, "name" text not null, "currency_code" text not null, "starts_at" timestamptz not null, "ends_at" timestamptz not null, "min_spend" numeric(14,2) null, "skus" text[] not null default '{}', "categories" text[] not null default '{}', "channels" text[] not null default '{}', "tiers" text[] not null default '{}', "segments" text[] not null default '{}', "first_purchase" boolean not null default false, "days_of_week" text[] not null default '{}', "bonus_points" int null, "multiplier" numeric(8,4) null, "offer_id" bigint null, "per_customer" int null, "budget_points" bigint null, "points_awarded" bigint not null default '0', "created_at" timestamptz not null default now());`);

    this.addSql(`create table "sales_transaction" ("id" bigserial primary key, "partner_id" bigint not null, "external_id" text not null, "customer_id" bigint not null, "channel" text null, "location_id" text null, "occurred_at" timestamptz not null, "money_currency" text not null, "lines" jsonb not null, "lock_id" text null, "status" text not null default 'RECEIVED', "failure_reason" text null, "total" numeric(14,2) not null, "discount" numeric(14,2) not null default 0, "points_awarded" bigint not null default '0', "received_at" timestamptz not null, "processed_at" timestamptz null, "reversed_at" timestamptz null, "reversal_reason" text null);`);
    this.addSql(`create index "sales_transaction_customer_idx" on "sales_transaction" ("customer_id", "id");`);
    this.addSql(`alter table "sales_transaction" add constraint "sales_transaction_partner_external_unique" unique ("partner_id", "external_id");`);

    this.addSql(`create table "pending_credit" ("id" bigserial primary key, "account_id" bigint not null, "customer_id" bigint not null, "amount" bigint not null, "kind" text not null, "source_type" text not null, "source_id" text null, "reason" text null, "qualifying" boolean not null default true, "available_at" timestamptz not null, "released_at" timestamptz null, "ledger_entry_id" bigint null, "cancelled_at" timestamptz null, "created_at" timestamptz not null);`);
    this.addSql(`create index pending_credit_due_idx on pending_credit (available_at, id) where released_at is null and cancelled_at is null;`);

    this.addSql(`create table "transaction_award" ("id" bigserial primary key, "transaction_id" bigint not null, "customer_id" bigint not null, "kind" text not null, "points" bigint not null default '0', "currency_code" text null, "ledger_entry_id" bigint null, "pending_credit_id" bigint null, "issued_offer_id" bigint null, "campaign_id" bigint null, "rule" text not null, "reversed_at" timestamptz null, "created_at" timestamptz not null);`);
    this.addSql(`create index "transaction_award_campaign_customer_idx" on "transaction_award" ("campaign_id", "customer_id");`);
    this.addSql(`create index "transaction_award_transaction_idx" on "transaction_award" ("transaction_id");`);

    this.addSql(`create table "transaction_offer" ("transaction_id" bigint not null, "issued_offer_id" bigint not null, "discount" numeric(14,2) not null default 0, primary key ("transaction_id", "issued_offer_id"));`);
    this.addSql(`alter table "transaction_offer" add constraint "transaction_offer_issued_offer_id_unique" unique ("issued_offer_id");`);

    this.addSql(`alter table "point_account" add "debt" bigint not null default '0';`);
    this.addSql(`alter table "point_account" add constraint "point_account_debt_non_negative" check (debt >= 0);`);

    this.addSql(`alter table "economy_rule" add constraint "economy_rule_currency_code_foreign" foreign key ("currency_code") references "point_currency" ("code");`);
    this.addSql(`alter table "economy_rule" add constraint "economy_rule_pending_days_range" check (pending_days >= 0 and pending_days <= 365);`);
    this.addSql(`alter table "economy_rule" add constraint "economy_rule_points_per_unit_non_negative" check (points_per_unit >= 0);`);
    this.addSql(`alter table "economy_rule" add constraint "economy_rule_rounding_check" check ("rounding" in ('FLOOR', 'ROUND', 'CEIL'));`);

    this.addSql(`alter table "campaign" add constraint "campaign_currency_code_foreign" foreign key ("currency_code") references "point_currency" ("code");`);
    this.addSql(`alter table "campaign" add constraint "campaign_offer_id_foreign" foreign key ("offer_id") references "offer" ("id") on delete restrict;`);
    this.addSql(`alter table "campaign" add constraint "campaign_points_awarded_non_negative" check (points_awarded >= 0);`);
    this.addSql(`alter table "campaign" add constraint "campaign_budget_respected" check (budget_points is null or points_awarded <= budget_points);`);
    this.addSql(`alter table "campaign" add constraint "campaign_limits_positive" check ((per_customer is null or per_customer > 0) and (budget_points is null or budget_points > 0));`);
    this.addSql(`alter table "campaign" add constraint "campaign_multiplier_positive" check (multiplier is null or multiplier > 0);`);
    this.addSql(`alter table "campaign" add constraint "campaign_bonus_positive" check (bonus_points is null or bonus_points > 0);`);
    this.addSql(`alter table "campaign" add constraint "campaign_has_outcome" check (bonus_points is not null or multiplier is not null or offer_id is not null);`);
    this.addSql(`alter table "campaign" add constraint "campaign_window" check (starts_at < ends_at);`);

    this.addSql(`alter table "sales_transaction" add constraint "sales_transaction_partner_id_foreign" foreign key ("partner_id") references "partner" ("id") on delete restrict;`);
    this.addSql(`alter table "sales_transaction" add constraint "sales_transaction_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete restrict;`);
    this.addSql(`alter table "sales_transaction" add constraint "sales_transaction_status_check" check ("status" in ('RECEIVED', 'PROCESSED', 'FAILED', 'REVERSED'));`);

    this.addSql(`alter table "pending_credit" add constraint "pending_credit_account_id_foreign" foreign key ("account_id") references "point_account" ("id") on delete restrict;`);
    this.addSql(`alter table "pending_credit" add constraint "pending_credit_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete restrict;`);
    this.addSql(`alter table "pending_credit" add constraint "pending_credit_ledger_entry_id_foreign" foreign key ("ledger_entry_id") references "ledger_entry" ("id") on delete restrict;`);
    this.addSql(`alter table "pending_credit" add constraint "pending_credit_one_end" check (released_at is null or cancelled_at is null);`);
    this.addSql(`alter table "pending_credit" add constraint "pending_credit_amount_positive" check (amount > 0);`);

    this.addSql(`alter table "transaction_award" add constraint "transaction_award_transaction_id_foreign" foreign key ("transaction_id") references "sales_transaction" ("id") on delete cascade;`);
    this.addSql(`alter table "transaction_award" add constraint "transaction_award_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete restrict;`);
    this.addSql(`alter table "transaction_award" add constraint "transaction_award_ledger_entry_id_foreign" foreign key ("ledger_entry_id") references "ledger_entry" ("id") on delete restrict;`);
    this.addSql(`alter table "transaction_award" add constraint "transaction_award_pending_credit_id_foreign" foreign key ("pending_credit_id") references "pending_credit" ("id") on delete restrict;`);
    this.addSql(`alter table "transaction_award" add constraint "transaction_award_issued_offer_id_foreign" foreign key ("issued_offer_id") references "issued_offer" ("id") on delete restrict;`);
    this.addSql(`alter table "transaction_award" add constraint "transaction_award_campaign_id_foreign" foreign key ("campaign_id") references "campaign" ("id") on delete restrict;`);
    this.addSql(`alter table "transaction_award" add constraint "transaction_award_shape" check ((kind = 'POINTS' and points > 0) or (kind = 'OFFER' and issued_offer_id is not null));`);
    this.addSql(`alter table "transaction_award" add constraint "transaction_award_kind_check" check ("kind" in ('POINTS', 'OFFER'));`);

    this.addSql(`alter table "transaction_offer" add constraint "transaction_offer_transaction_id_foreign" foreign key ("transaction_id") references "sales_transaction" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "transaction_offer" add constraint "transaction_offer_issued_offer_id_foreign" foreign key ("issued_offer_id") references "issued_offer" ("id") on update cascade on delete restrict;`);

  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "transaction_award" drop constraint "transaction_award_campaign_id_foreign";`);
    this.addSql(`alter table "transaction_award" drop constraint "transaction_award_transaction_id_foreign";`);
    this.addSql(`alter table "transaction_offer" drop constraint "transaction_offer_transaction_id_foreign";`);
    this.addSql(`alter table "transaction_award" drop constraint "transaction_award_pending_credit_id_foreign";`);

    this.addSql(`drop table if exists "economy_rule" cascade;`);
    this.addSql(`drop table if exists "campaign" cascade;`);
    this.addSql(`drop table if exists "sales_transaction" cascade;`);
    this.addSql(`drop table if exists "pending_credit" cascade;`);
    this.addSql(`drop table if exists "transaction_award" cascade;`);
    this.addSql(`drop table if exists "transaction_offer" cascade;`);

    this.addSql(`alter table "point_account" drop constraint "point_account_debt_non_negative";`);
    this.addSql(`alter table "point_account" drop column "debt";`);

  }

}
