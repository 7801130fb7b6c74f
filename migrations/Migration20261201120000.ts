import { Migration } from '@mikro-orm/migrations';

/**
 * dates-12c (docs/decisions.md, "Edges found after edges-12b: dates (dates-12c)"):
 * - `outbox_horizon` (src/events/outbox-event.entity.ts `OutboxHorizon`): the snapshots
 *   `events.prune` takes, so it removes an event only once it committed more than
 *   EVENT_RETENTION_HOURS ago;
 * - `event_stream.last_at`: the date of the customer's latest event; the numbering trigger dates
 *   each event no earlier than it (a writer reads its clock before its locks), so a customer's
 *   events' dates (the webhooks' `timestamp`) never go back in their stream's order.
 */
export class Migration20261201120000 extends Migration {
  override name = 'Migration20261201120000';

  override up(): void | Promise<void> {
    this.addSql(`create table "outbox_horizon" ("taken_at" timestamptz not null, "snapshot" text not null, primary key ("taken_at"));`);
    this.addSql(`alter table "event_stream" add column "last_at" timestamptz null;`);
    this.addSql(`create or replace function outbox_event_sequence() returns trigger language plpgsql as $$
begin
  if new.customer_id is not null then
    insert into event_stream as s (customer_id, last_seq, last_at) values (new.customer_id, 1, new.created_at)
      on conflict (customer_id) do update set last_seq = s.last_seq + 1, last_at = greatest(s.last_at, excluded.last_at)
      returning s.last_seq, s.last_at into new.customer_seq, new.created_at;
  end if;
  return new;
end
$$;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`create or replace function outbox_event_sequence() returns trigger language plpgsql as $$
begin
  if new.customer_id is not null then
    insert into event_stream as s (customer_id, last_seq) values (new.customer_id, 1)
      on conflict (customer_id) do update set last_seq = s.last_seq + 1
      returning s.last_seq into new.customer_seq;
  end if;
  return new;
end
$$;`);
    this.addSql(`alter table "event_stream" drop column "last_at";`);
    this.addSql(`drop table if exists "outbox_horizon";`);
  }
}
