import { Migration } from '@mikro-orm/migrations';

/**
 * The webhook dispatcher reads the outbox through its read API (`readCommittedEvents`), so its
 * cursor becomes an `OutboxCursor` (`webhook_cursor.cursor`, the text `encodeCursor` writes) in
 * place of the (`horizon`, `last_event_id`) position below the oldest running transaction.
 *
 * An installation mid-stream goes on from where it is. The old cursor says: every event of a
 * transaction below `horizon` was dispatched, and those of transaction `horizon` up to
 * `last_event_id` (that transaction had ended: the horizon only ever named ended ones). It becomes
 * `{ from: 'X:X:' }`, a snapshot in which exactly the transactions below X are visible:
 * - X = horizon + 1 when `last_event_id` covers every event of transaction `horizon` (the usual
 *   case, and always after a run that was not full): nothing is read again;
 * - X = horizon when a full batch stopped inside that transaction: its events up to
 *   `last_event_id` are read again, and get no second delivery because deliveries are unique per
 *   (endpoint, event) (`webhook_delivery_endpoint_event_key`; the dispatcher inserts with
 *   `on conflict do nothing` and enqueues sends only for rows it inserted).
 * Nothing is lost: every transaction not below X is read when it has committed.
 *
 * The first statement takes the table's exclusive lock, so a dispatcher of the previous version
 * still running finishes its move first and the conversion reads the cursor it left.
 */
export class Migration20261130130000 extends Migration {

  override name = 'Migration20261130130000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "webhook_cursor" add column "cursor" text null;`);
    this.addSql(`update "webhook_cursor" w set "cursor" = '{"from":"' || n.x || ':' || n.x || ':"}'
  from (select c.name,
               greatest(c.horizon::text::numeric
                          + case when c.last_event_id > 0
                                  and not exists (select 1 from "outbox_event" o where o.xid = c.horizon and o.id > c.last_event_id)
                                 then 1 else 0 end,
                        1) as x
          from "webhook_cursor" c) n
 where n.name = w.name;`);
    this.addSql(`alter table "webhook_cursor" alter column "cursor" set not null, drop column "horizon", drop column "last_event_id";`);
  }

  /** Back to the horizon form at the `from` snapshot's oldest running transaction: events visible in it past that are read again (and deduplicated by the same key), none is lost. */
  override down(): void | Promise<void> {
    this.addSql(`alter table "webhook_cursor" add column "horizon" xid8 null, add column "last_event_id" bigint not null default '0';`);
    this.addSql(`update "webhook_cursor" set "horizon" = pg_snapshot_xmin(("cursor"::json->>'from')::pg_snapshot);`);
    this.addSql(`alter table "webhook_cursor" alter column "horizon" set not null, drop column "cursor";`);
  }

}
