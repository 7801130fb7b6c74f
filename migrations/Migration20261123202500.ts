import { Migration } from '@mikro-orm/migrations';

/**
 * Announces each committed outbox event on a PostgreSQL channel, for the gateways' event relays.
 * NOTIFY inside a transaction is delivered on commit, so rolled-back changes are never announced.
 * An event too large for a notification is announced by id only and read from the outbox.
 */
export class Migration20261123202500 extends Migration {
  override name = 'Migration20261123202500';

  override up(): void | Promise<void> {
    this.addSql(`create function outbox_event_notify() returns trigger language plpgsql as $$
declare
  message text := json_build_object('id', new.id, 'topic', new.topic, 'customerId', new.customer_id, 'payload', new.payload)::text;
begin
  if octet_length(message) > 7000 then
    message := json_build_object('id', new.id, 'topic', new.topic, 'customerId', new.customer_id)::text;
  end if;
  perform pg_notify('reward_gateway_events', message);
  return null;
end
$$;`);
    this.addSql(`create trigger outbox_event_notify after insert on outbox_event for each row execute function outbox_event_notify();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists outbox_event_notify on outbox_event;`);
    this.addSql(`drop function if exists outbox_event_notify();`);
  }
}
