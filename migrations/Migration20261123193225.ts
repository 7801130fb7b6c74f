import { Migration } from '@mikro-orm/migrations';

/** Threshold gift lists, their options, claims and per-customer claim counts. */
export class Migration20261123193225 extends Migration {
  override name = 'Migration20261123193225';

  override up(): void | Promise<void> {
    this.addSql(`create table "gift_list" ("id" bigserial primary key, "currency_code" text not null, "name" text not null, "threshold" bigint not null, "max_claims" int null, "created_by" text null, "created_at" timestamptz not null default now());`);
    this.addSql(`create index "gift_list_currency_idx" on "gift_list" ("currency_code", "threshold");`);

    this.addSql(`create table "gift_list_option" ("gift_list_id" bigint not null, "offer_id" bigint not null, "position" int not null, primary key ("gift_list_id", "offer_id"));`);
    this.addSql(`create index "gift_list_option_offer_idx" on "gift_list_option" ("offer_id");`);

    this.addSql(`create table "gift_claim_count" ("gift_list_id" bigint not null, "customer_id" bigint not null, "claimed" int not null default 0, primary key ("gift_list_id", "customer_id"));`);

    this.addSql(`create table "gift_claim" ("id" bigserial primary key, "customer_id" bigint not null, "gift_list_id" bigint not null, "offer_id" bigint not null, "points_paid" bigint not null, "ledger_entry_id" bigint not null, "issued_offer_id" bigint not null, "idempotency_key" text not null, "created_at" timestamptz not null default now());`);
    this.addSql(`alter table "gift_claim" add constraint "gift_claim_ledger_entry_id_unique" unique ("ledger_entry_id");`);
    this.addSql(`alter table "gift_claim" add constraint "gift_claim_issued_offer_id_unique" unique ("issued_offer_id");`);
    this.addSql(`create index "gift_claim_list_idx" on "gift_claim" ("gift_list_id");`);
    this.addSql(`create index "gift_claim_customer_idx" on "gift_claim" ("customer_id", "id");`);
    this.addSql(`alter table "gift_claim" add constraint "gift_claim_customer_id_idempotency_key_unique" unique ("customer_id", "idempotency_key");`);

    this.addSql(`alter table "gift_list" add constraint "gift_list_currency_code_foreign" foreign key ("currency_code") references "point_currency" ("code");`);
    this.addSql(`alter table "gift_list" add constraint "gift_list_name_not_blank" check (length(TRIM(BOTH FROM name)) > 0);`);
    this.addSql(`alter table "gift_list" add constraint "gift_list_max_claims_positive" check (max_claims is null or max_claims > 0);`);
    this.addSql(`alter table "gift_list" add constraint "gift_list_threshold_positive" check (threshold > 0);`);

    this.addSql(`alter table "gift_list_option" add constraint "gift_list_option_gift_list_id_foreign" foreign key ("gift_list_id") references "gift_list" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "gift_list_option" add constraint "gift_list_option_offer_id_foreign" foreign key ("offer_id") references "offer" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "gift_list_option" add constraint "gift_list_option_position_non_negative" check (position >= 0);`);

    this.addSql(`alter table "gift_claim_count" add constraint "gift_claim_count_gift_list_id_foreign" foreign key ("gift_list_id") references "gift_list" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "gift_claim_count" add constraint "gift_claim_count_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "gift_claim_count" add constraint "gift_claim_count_non_negative" check (claimed >= 0);`);

    this.addSql(`alter table "gift_claim" add constraint "gift_claim_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete restrict;`);
    this.addSql(`alter table "gift_claim" add constraint "gift_claim_gift_list_id_foreign" foreign key ("gift_list_id") references "gift_list" ("id") on delete restrict;`);
    this.addSql(`alter table "gift_claim" add constraint "gift_claim_offer_id_foreign" foreign key ("offer_id") references "offer" ("id") on delete restrict;`);
    this.addSql(`alter table "gift_claim" add constraint "gift_claim_ledger_entry_id_foreign" foreign key ("ledger_entry_id") references "ledger_entry" ("id") on delete restrict;`);
    this.addSql(`alter table "gift_claim" add constraint "gift_claim_issued_offer_id_foreign" foreign key ("issued_offer_id") references "issued_offer" ("id") on delete restrict;`);
    this.addSql(`alter table "gift_claim" add constraint "gift_claim_points_positive" check (points_paid > 0);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "gift_list_option" drop constraint "gift_list_option_gift_list_id_foreign";`);
    this.addSql(`alter table "gift_claim_count" drop constraint "gift_claim_count_gift_list_id_foreign";`);
    this.addSql(`alter table "gift_claim" drop constraint "gift_claim_gift_list_id_foreign";`);

    this.addSql(`drop table if exists "gift_list" cascade;`);
    this.addSql(`drop table if exists "gift_list_option" cascade;`);
    this.addSql(`drop table if exists "gift_claim_count" cascade;`);
    this.addSql(`drop table if exists "gift_claim" cascade;`);
  }
}
