import { Migration } from '@mikro-orm/migrations';

export class Migration20261123190136 extends Migration {

  override name = 'Migration20261123190136';

  override up(): void | Promise<void> {
    this.addSql(`create table "audit_entry" ("id" bigserial primary key, "actor" text not null, "action" text not null, "target" text not null, "reason" text null, "details" jsonb null, "at" timestamptz not null default now());`);

    this.addSql(`create table "idempotency_record" ("scope" text not null, "key" text not null, "fingerprint" text not null, "result" jsonb null, "created_at" timestamptz not null default now(), primary key ("scope", "key"));`);

    this.addSql(`create table "offer" ("id" bigserial primary key, "current_version_id" bigint null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now());`);

    this.addSql(`create table "offer_version" ("id" bigserial primary key, "offer_id" bigint not null, "version" int not null, "name" text not null, "description" text null, "image_url" text null, "terms" text null, "benefit_kind" text not null, "percent_off" numeric(5,2) null, "amount_off" numeric(14,2) null, "free_sku" text null, "skus" text[] not null default '{}', "categories" text[] not null default '{}', "max_discount" numeric(14,2) null, "valid_days" int null, "valid_until" timestamptz null, "channels" text[] not null default '{}', "created_by" text null, "created_at" timestamptz not null default now());`);
    this.addSql(`alter table "offer_version" add constraint "offer_version_offer_id_version_unique" unique ("offer_id", "version");`);
    this.addSql(`alter table "offer_version" add constraint "offer_version_benefit_shape" check ((benefit_kind = 'PERCENT_OFF' and percent_off is not null) or (benefit_kind = 'AMOUNT_OFF' and amount_off is not null) or (benefit_kind = 'FREE_ITEM' and free_sku is not null));`);
    this.addSql(`alter table "offer_version" add constraint "offer_version_valid_days_positive" check (valid_days is null or valid_days > 0);`);
    this.addSql(`alter table "offer_version" add constraint "offer_version_max_discount_positive" check (max_discount is null or max_discount > 0);`);
    this.addSql(`alter table "offer_version" add constraint "offer_version_amount_positive" check (amount_off is null or amount_off > 0);`);
    this.addSql(`alter table "offer_version" add constraint "offer_version_percent_range" check (percent_off is null or (percent_off > 0 and percent_off <= 100));`);
    this.addSql(`alter table "offer_version" add constraint "offer_version_benefit_kind_check" check ("benefit_kind" in ('PERCENT_OFF', 'AMOUNT_OFF', 'FREE_ITEM'));`);

    this.addSql(`create table "outbox_event" ("id" bigserial primary key, "topic" text not null, "customer_id" bigint null, "payload" jsonb not null, "created_at" timestamptz not null default now());`);
    this.addSql(`create index "outbox_event_customer_idx" on "outbox_event" ("customer_id", "id");`);

    this.addSql(`create table "point_currency" ("code" text not null, "name" text not null, "expiry_days" int null, "point_value" numeric(14,6) not null, "money_currency" text not null, "created_at" timestamptz not null default now(), primary key ("code"));`);
    this.addSql(`alter table "point_currency" add constraint "point_currency_money_format" check (money_currency ~ '^[A-Z]{3}\$');`);
    this.addSql(`alter table "point_currency" add constraint "point_currency_value_non_negative" check (point_value >= 0);`);
    this.addSql(`alter table "point_currency" add constraint "point_currency_expiry_positive" check (expiry_days is null or expiry_days > 0);`);
    this.addSql(`alter table "point_currency" add constraint "point_currency_code_format" check (code ~ '^[A-Z][A-Z0-9_]{1,19}\$');`);

    this.addSql(`create table "reward_store" ("id" bigserial primary key, "code" text not null, "name" text not null, "currency_code" text not null, "starts_at" timestamptz null, "ends_at" timestamptz null, "eligible_tiers" text[] not null default '{}', "eligible_segments" text[] not null default '{}', "min_balance" bigint null, "min_lifetime_points" bigint null, "created_at" timestamptz not null default now());`);
    this.addSql(`alter table "reward_store" add constraint "reward_store_code_unique" unique ("code");`);
    this.addSql(`alter table "reward_store" add constraint "reward_store_min_lifetime_non_negative" check (min_lifetime_points is null or min_lifetime_points >= 0);`);
    this.addSql(`alter table "reward_store" add constraint "reward_store_min_balance_non_negative" check (min_balance is null or min_balance >= 0);`);
    this.addSql(`alter table "reward_store" add constraint "reward_store_window" check (starts_at is null or ends_at is null or starts_at < ends_at);`);

    this.addSql(`create table "listing" ("id" bigserial primary key, "store_id" bigint not null, "offer_id" bigint not null, "price_in_points" bigint not null, "stock_total" int null, "stock_remaining" int null, "per_customer_limit" int null, "visible_from" timestamptz null, "visible_until" timestamptz null, "sort_order" int not null default 0, "removed_at" timestamptz null, "created_at" timestamptz not null default now());`);
    this.addSql(`create index listing_store_order_idx on listing (store_id, sort_order, id) where removed_at is null;`);
    this.addSql(`alter table "listing" add constraint "listing_visible_window" check (visible_from is null or visible_until is null or visible_from < visible_until);`);
    this.addSql(`alter table "listing" add constraint "listing_limit_positive" check (per_customer_limit is null or per_customer_limit > 0);`);
    this.addSql(`alter table "listing" add constraint "listing_stock_within_total" check ((stock_total is null and stock_remaining is null) or (stock_remaining <= stock_total));`);
    this.addSql(`alter table "listing" add constraint "listing_stock_non_negative" check (stock_remaining is null or stock_remaining >= 0);`);
    this.addSql(`alter table "listing" add constraint "listing_price_positive" check (price_in_points > 0);`);

    this.addSql(`create table "tier" ("id" bigserial primary key, "currency_code" text not null, "code" text not null, "name" text not null, "rank" int not null, "threshold" bigint not null, "window_days" int null, "multiplier" numeric(8,4) not null default 1, "created_at" timestamptz not null default now());`);
    this.addSql(`alter table "tier" add constraint "tier_code_unique" unique ("code");`);
    this.addSql(`alter table "tier" add constraint "tier_rank_unique" unique ("rank");`);
    this.addSql(`alter table "tier" add constraint "tier_multiplier_positive" check (multiplier > 0);`);
    this.addSql(`alter table "tier" add constraint "tier_window_positive" check (window_days is null or window_days > 0);`);
    this.addSql(`alter table "tier" add constraint "tier_threshold_non_negative" check (threshold >= 0);`);

    this.addSql(`create table "customer" ("id" bigserial primary key, "external_id" text not null, "email" text null, "name" text null, "birth_date" date null, "status" text not null default 'ACTIVE', "tier_id" bigint null, "segments" text[] not null default '{}', "attributes" jsonb not null default '{}', "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now());`);
    this.addSql(`alter table "customer" add constraint "customer_external_id_unique" unique ("external_id");`);
    this.addSql(`create index "customer_updated_at_index" on "customer" ("updated_at");`);
    this.addSql(`alter table "customer" add constraint "customer_external_id_not_blank" check (length(trim(external_id)) > 0);`);
    this.addSql(`alter table "customer" add constraint "customer_status_check" check ("status" in ('ACTIVE', 'SUSPENDED', 'CLOSED'));`);

    this.addSql(`create table "point_account" ("id" bigserial primary key, "customer_id" bigint not null, "currency_code" text not null, "available" bigint not null default '0', "pending" bigint not null default '0', "lifetime_earned" bigint not null default '0', "version" int not null default 0, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now());`);
    this.addSql(`alter table "point_account" add constraint "point_account_customer_id_currency_code_unique" unique ("customer_id", "currency_code");`);
    this.addSql(`alter table "point_account" add constraint "point_account_lifetime_non_negative" check (lifetime_earned >= 0);`);
    this.addSql(`alter table "point_account" add constraint "point_account_pending_non_negative" check (pending >= 0);`);
    this.addSql(`alter table "point_account" add constraint "point_account_available_non_negative" check (available >= 0);`);

    this.addSql(`create table "listing_purchase_count" ("listing_id" bigint not null, "customer_id" bigint not null, "purchased" int not null default 0, primary key ("listing_id", "customer_id"));`);
    this.addSql(`alter table "listing_purchase_count" add constraint "listing_purchase_count_positive" check (purchased >= 0);`);

    this.addSql(`create table "ledger_entry" ("id" bigserial primary key, "account_id" bigint not null, "customer_id" bigint not null, "amount" bigint not null, "kind" text not null, "source_type" text not null, "source_id" text null, "reason" text null, "actor" text null, "balance_after" bigint not null, "expires_at" timestamptz null, "remaining" bigint not null default '0', "qualifying" boolean not null default false, "created_at" timestamptz not null default now());`);
    this.addSql(`create index ledger_entry_open_credits_idx on ledger_entry (account_id, expires_at, id) where remaining > 0;`);
    this.addSql(`create index "ledger_entry_account_history_idx" on "ledger_entry" ("account_id", "id");`);
    this.addSql(`alter table "ledger_entry" add constraint "ledger_entry_remaining_range" check (remaining >= 0 and remaining <= greatest(amount, 0));`);
    this.addSql(`alter table "ledger_entry" add constraint "ledger_entry_balance_after_non_negative" check (balance_after >= 0);`);
    this.addSql(`alter table "ledger_entry" add constraint "ledger_entry_amount_not_zero" check (amount <> 0);`);
    this.addSql(`alter table "ledger_entry" add constraint "ledger_entry_kind_check" check ("kind" in ('EARN', 'SPEND', 'EXPIRE', 'ADJUST', 'REVERSAL'));`);
    this.addSql(`alter table "ledger_entry" add constraint "ledger_entry_source_type_check" check ("source_type" in ('TRANSACTION', 'PURCHASE', 'CAMPAIGN', 'ACTIVITY', 'STAFF', 'GIFT', 'EXPIRY', 'SEED'));`);

    this.addSql(`create table "issued_offer" ("id" bigserial primary key, "code" text not null, "customer_id" bigint not null, "offer_version_id" bigint not null, "source" text not null, "source_id" text null, "status" text not null default 'ISSUED', "lock_id" text null, "lock_expires_at" timestamptz null, "expires_at" timestamptz null, "redeemed_at" timestamptz null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now());`);
    this.addSql(`alter table "issued_offer" add constraint "issued_offer_code_unique" unique ("code");`);
    this.addSql(`create index "issued_offer_wallet_idx" on "issued_offer" ("customer_id", "id");`);
    this.addSql(`alter table "issued_offer" add constraint "issued_offer_redeemed_shape" check ((status = 'REDEEMED') = (redeemed_at is not null));`);
    this.addSql(`alter table "issued_offer" add constraint "issued_offer_lock_shape" check ((status = 'LOCKED') = (lock_id is not null and lock_expires_at is not null));`);
    this.addSql(`alter table "issued_offer" add constraint "issued_offer_source_check" check ("source" in ('PURCHASE', 'CAMPAIGN', 'STAFF', 'GIFT'));`);
    this.addSql(`alter table "issued_offer" add constraint "issued_offer_status_check" check ("status" in ('ISSUED', 'LOCKED', 'REDEEMED', 'EXPIRED', 'VOIDED'));`);

    this.addSql(`create table "offer_purchase" ("id" bigserial primary key, "customer_id" bigint not null, "listing_id" bigint not null, "points_paid" bigint not null, "ledger_entry_id" bigint not null, "issued_offer_id" bigint not null, "idempotency_key" text not null, "status" text not null default 'COMPLETED', "created_at" timestamptz not null default now());`);
    this.addSql(`alter table "offer_purchase" add constraint "offer_purchase_ledger_entry_id_unique" unique ("ledger_entry_id");`);
    this.addSql(`alter table "offer_purchase" add constraint "offer_purchase_issued_offer_id_unique" unique ("issued_offer_id");`);
    this.addSql(`alter table "offer_purchase" add constraint "offer_purchase_customer_id_idempotency_key_unique" unique ("customer_id", "idempotency_key");`);
    this.addSql(`alter table "offer_purchase" add constraint "offer_purchase_points_positive" check (points_paid > 0);`);
    this.addSql(`alter table "offer_purchase" add constraint "offer_purchase_status_check" check ("status" in ('COMPLETED', 'REFUNDED'));`);

    this.addSql(`alter table "offer" add constraint "offer_current_version_id_foreign" foreign key ("current_version_id") references "offer_version" ("id") on delete set null deferrable initially deferred;`);

    this.addSql(`alter table "offer_version" add constraint "offer_version_offer_id_foreign" foreign key ("offer_id") references "offer" ("id") on delete restrict;`);

    this.addSql(`alter table "reward_store" add constraint "reward_store_currency_code_foreign" foreign key ("currency_code") references "point_currency" ("code");`);

    this.addSql(`alter table "listing" add constraint "listing_store_id_foreign" foreign key ("store_id") references "reward_store" ("id") on delete restrict;`);
    this.addSql(`alter table "listing" add constraint "listing_offer_id_foreign" foreign key ("offer_id") references "offer" ("id") on delete restrict;`);

    this.addSql(`alter table "tier" add constraint "tier_currency_code_foreign" foreign key ("currency_code") references "point_currency" ("code");`);

    this.addSql(`alter table "customer" add constraint "customer_tier_id_foreign" foreign key ("tier_id") references "tier" ("id") on delete set null;`);

    this.addSql(`alter table "point_account" add constraint "point_account_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete restrict;`);
    this.addSql(`alter table "point_account" add constraint "point_account_currency_code_foreign" foreign key ("currency_code") references "point_currency" ("code");`);

    this.addSql(`alter table "listing_purchase_count" add constraint "listing_purchase_count_listing_id_foreign" foreign key ("listing_id") references "listing" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "listing_purchase_count" add constraint "listing_purchase_count_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "ledger_entry" add constraint "ledger_entry_account_id_foreign" foreign key ("account_id") references "point_account" ("id") on delete restrict;`);
    this.addSql(`alter table "ledger_entry" add constraint "ledger_entry_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete restrict;`);

    this.addSql(`alter table "issued_offer" add constraint "issued_offer_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete restrict;`);
    this.addSql(`alter table "issued_offer" add constraint "issued_offer_offer_version_id_foreign" foreign key ("offer_version_id") references "offer_version" ("id") on delete restrict;`);

    this.addSql(`alter table "offer_purchase" add constraint "offer_purchase_customer_id_foreign" foreign key ("customer_id") references "customer" ("id") on delete restrict;`);
    this.addSql(`alter table "offer_purchase" add constraint "offer_purchase_listing_id_foreign" foreign key ("listing_id") references "listing" ("id") on delete restrict;`);
    this.addSql(`alter table "offer_purchase" add constraint "offer_purchase_ledger_entry_id_foreign" foreign key ("ledger_entry_id") references "ledger_entry" ("id") on delete restrict;`);
    this.addSql(`alter table "offer_purchase" add constraint "offer_purchase_issued_offer_id_foreign" foreign key ("issued_offer_id") references "issued_offer" ("id") on delete restrict;`);
    // Written by hand: what the entity metadata cannot express.
    this.addSql(`create index "offer_purchase_customer_idx" on "offer_purchase" ("customer_id", "id");`);
    this.addSql(`create index "offer_purchase_listing_idx" on "offer_purchase" ("listing_id");`);
    this.addSql(`create index "ledger_entry_customer_idx" on "ledger_entry" ("customer_id", "id");`);
    this.addSql(`create index "listing_offer_idx" on "listing" ("offer_id");`);
    this.addSql(`create index "tier_currency_idx" on "tier" ("currency_code", "rank");`);
    // The ledger is append-only: only the unconsumed remainder of a credit may change, and only down.
    this.addSql(`create function ledger_entry_guard() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    raise exception 'ledger entries cannot be deleted' using errcode = 'restrict_violation';
  end if;
  if (new.id, new.account_id, new.customer_id, new.amount, new.kind, new.source_type, new.source_id, new.reason,
      new.actor, new.balance_after, new.expires_at, new.qualifying, new.created_at)
     is distinct from
     (old.id, old.account_id, old.customer_id, old.amount, old.kind, old.source_type, old.source_id, old.reason,
      old.actor, old.balance_after, old.expires_at, old.qualifying, old.created_at)
     or new.remaining > old.remaining then
    raise exception 'ledger entries are immutable' using errcode = 'restrict_violation';
  end if;
  return new;
end
$$;`);
    this.addSql(`create trigger ledger_entry_guard before update or delete on ledger_entry for each row execute function ledger_entry_guard();`);
    // What a wallet item's status is at a moment: an expired lock gives the offer back at once, and
    // an offer past its expiry is EXPIRED, before any sweeper job has written it down.
    this.addSql(`create function issued_offer_status_at(status text, lock_expires_at timestamptz, expires_at timestamptz, at timestamptz)
returns text language sql immutable as $$
  select case
    when status in ('ISSUED', 'LOCKED') and expires_at is not null and expires_at <= at then 'EXPIRED'
    when status = 'LOCKED' and lock_expires_at <= at then 'ISSUED'
    else status
  end
$$;`);
  }

}
