import { Migration } from '@mikro-orm/migrations';

/**
 * Event delivery that does not serialise commits (issue 10, docs/decisions.md "Resumable
 * subscriptions and a polling relay"):
 * - the per-row NOTIFY trigger goes: a NOTIFY makes every committing transaction queue on one
 *   cluster-wide lock; relays now poll the outbox by snapshot instead;
 * - `xid`: the writing (top-level) transaction, so a relay can read what committed between two of
 *   its snapshots (`pg_visible_in_snapshot`), late committers with lower ids included;
 * - `customer_seq`: the event's position in its customer's stream (1, 2, 3 …), numbered from
 *   `event_stream` under that customer's row lock, so a customer's numbers follow commit order;
 *   existing events are numbered by id.
 */
export class Migration20261130070000 extends Migration {
  override name = 'Migration20261130070000';

  override up(): void | Promise<void> {
    this.addSql(`drop trigger if exists outbox_event_notify on outbox_event;`);
    this.addSql(`drop function if exists outbox_event_notify();`);

    this.addSql(`alter table "outbox_event" add column if not exists "xid" xid8 not null default pg_current_xact_id(), add column "customer_seq" bigint null;`);
    this.addSql(`update "outbox_event" e set customer_seq = n.seq from (select id, row_number() over (partition by customer_id order by id) as seq from outbox_event where customer_id is not null) n where n.id = e.id;`);
    this.addSql(`create unique index "outbox_event_customer_seq_idx" on "outbox_event" ("customer_id", "customer_seq");`);
    this.addSql(`create index if not exists "outbox_event_xid_idx" on "outbox_event" ("xid", "id");`);
    this.addSql(`create index "outbox_event_created_at_idx" on "outbox_event" ("created_at");`);

    this.addSql(`create table "event_stream" ("customer_id" bigint not null, "last_seq" bigint not null, primary key ("customer_id"));`);
    this.addSql(`insert into "event_stream" (customer_id, last_seq) select customer_id, max(customer_seq) from outbox_event where customer_id is not null group by customer_id;`);
    this.addSql(`create table "event_relay_cursor" ("name" text not null, "cursor" text not null, "updated_at" timestamptz not null default now(), primary key ("name"));`);

    this.addSql(`create function outbox_event_sequence() returns trigger language plpgsql as $$
begin
  if new.customer_id is not null then
    insert into event_stream as s (customer_id, last_seq) values (new.customer_id, 1)
      on conflict (customer_id) do update set last_seq = s.last_seq + 1
      returning s.last_seq into new.customer_seq;
  end if;
  return new;
end
$$;`);
    this.addSql(`create trigger outbox_event_sequence before insert on outbox_event for each row execute function outbox_event_sequence();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists outbox_event_sequence on outbox_event;`);
    this.addSql(`drop function if exists outbox_event_sequence();`);
    this.addSql(`drop table if exists "event_relay_cursor";`);
    this.addSql(`drop table if exists "event_stream";`);
    this.addSql(`drop index if exists "outbox_event_created_at_idx";`);
    this.addSql(`drop index if exists "outbox_event_xid_idx";`);
    this.addSql(`drop index if exists "outbox_event_customer_seq_idx";`);
    this.addSql(`alter table "outbox_event" drop column "customer_seq", drop column "xid";`);
  }
}
