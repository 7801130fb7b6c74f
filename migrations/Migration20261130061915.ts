import { Migration } from '@mikro-orm/migrations';

/**
 * Partner webhooks (endpoints, deliveries, attempts, the dispatcher's cursor) and the outbox's
 * writing-transaction id, which lets the dispatcher read committed events without missing one that
 * commits late with a lower id (issue 10).
 */
export class Migration20261130061915 extends Migration {

  override name = 'Migration20261130061915';

  override up(): void | Promise<void> {
    this.addSql(`create table "webhook_attempt" ("id" bigserial primary key, "delivery_id" bigint not null, "attempted_at" timestamptz not null, "status_code" int null, "error" text null, "duration_ms" int not null);`);
    this.addSql(`create index "webhook_attempt_at_idx" on "webhook_attempt" ("attempted_at");`);
    this.addSql(`create index "webhook_attempt_delivery_idx" on "webhook_attempt" ("delivery_id", "id");`);

    this.addSql(`create table "webhook_cursor" ("name" text not null, "horizon" xid8 not null, "last_event_id" bigint not null default '0', "updated_at" timestamptz not null default now(), primary key ("name"));`);

    this.addSql(`create table "webhook_delivery" ("id" bigserial primary key, "endpoint_id" bigint not null, "event_id" bigint not null, "event_type" text not null, "body" text not null, "status" text not null default 'PENDING', "attempts" int not null default 0, "next_attempt_at" timestamptz null, "last_error" text null, "created_at" timestamptz not null default now(), "finished_at" timestamptz null);`);
    this.addSql(`create index "webhook_delivery_endpoint_idx" on "webhook_delivery" ("endpoint_id", "id");`);
    this.addSql(`create index "webhook_delivery_finished_idx" on "webhook_delivery" ("finished_at");`);
    this.addSql(`alter table "webhook_delivery" add constraint "webhook_delivery_endpoint_event_key" unique ("endpoint_id", "event_id");`);
    this.addSql(`alter table "webhook_delivery" add constraint "webhook_delivery_status_check" check ("status" in ('PENDING', 'DELIVERED', 'FAILED'));`);

    this.addSql(`create table "webhook_endpoint" ("id" bigserial primary key, "partner_id" bigint null, "url" text not null, "event_types" text[] not null, "secret" text not null, "description" text null, "created_by" text not null, "created_at" timestamptz not null default now(), "disabled_at" timestamptz null);`);
    this.addSql(`create index "webhook_endpoint_partner_idx" on "webhook_endpoint" ("partner_id", "id");`);
    this.addSql(`alter table "webhook_endpoint" add constraint "webhook_endpoint_event_types_present" check (cardinality(event_types) >= 1);`);

    // `if not exists`: the subscription relay (issue 10's other half) may add the same column.
    this.addSql(`alter table "outbox_event" add column if not exists "xid" xid8 not null default pg_current_xact_id();`);
    this.addSql(`create index if not exists "outbox_event_xid_idx" on "outbox_event" ("xid", "id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "webhook_attempt" cascade;`);
    this.addSql(`drop table if exists "webhook_cursor" cascade;`);
    this.addSql(`drop table if exists "webhook_delivery" cascade;`);
    this.addSql(`drop table if exists "webhook_endpoint" cascade;`);
    this.addSql(`drop index if exists "outbox_event_xid_idx";`);
    this.addSql(`alter table "outbox_event" drop column if exists "xid";`);
  }

}
