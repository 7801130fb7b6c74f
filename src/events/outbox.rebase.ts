import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { StartupError } from '../db/embedded.js';
import { query, queryOne, sql } from '../db/sql.js';
import { WEBHOOK_CURSOR } from '../webhooks/webhook.entity.js';
import { decodeCursor, encodeCursor, OUTBOX_BEGINNING, type SqlExecutor } from './outbox.reader.js';

/**
 * The outbox's transaction numbers after a logical restore (docs/decisions.md "A logical restore
 * re-bases the outbox's transaction numbers").
 *
 * `outbox_event.xid` and the saved cursors (`webhook_cursor`, `event_relay_cursor`) are numbers of
 * the cluster that wrote them. A dump and restore (pg_dump/pg_restore, the way to another
 * PostgreSQL major version) copies them into a cluster that counts from its own, usually much
 * lower, position: readers then pass by what commits before the counter reaches the saved
 * cursor, and read old rows again as it passes their numbers (webhooks sent twice).
 */

/** The repair the gateway names when it refuses to start. */
export const OUTBOX_REBASE_COMMAND = 'npm run outbox -- rebase';

/** Something that holds a transaction number this cluster has not handed out yet. */
export interface OutboxClockFault {
  /** `webhook_cursor <name>`, `event_relay_cursor <name>` or `outbox_event`. */
  what: string;
  /** Its highest number (a cursor's snapshot xmax, the outbox's highest xid), decimal text. */
  xid: string;
}

/**
 * What is ahead of this cluster's present (`pg_current_snapshot()`'s xmax): a saved cursor whose
 * snapshot ends later (every snapshot this cluster took ends at or before the present's), or an
 * outbox row with a number at or past it (a committed row's xid is below it). Empty on a database
 * that was never dumped and restored. One statement (the outbox's highest xid by its index).
 */
export async function outboxClockFaults(db: SqlExecutor): Promise<{ present: string; faults: OutboxClockFault[] }> {
  const { rows } = await sql<{ present: string; what: string | null; xid: string | null }>`
    with p as (select pg_snapshot_xmax(pg_current_snapshot()) as xmax),
    ahead as (
      select 'webhook_cursor ' || name as what, pg_snapshot_xmax(coalesce(cursor::json->>'to', cursor::json->>'from')::pg_snapshot) as xid from webhook_cursor
      union all
      select 'event_relay_cursor ' || name, pg_snapshot_xmax(coalesce(cursor::json->>'to', cursor::json->>'from')::pg_snapshot) from event_relay_cursor
      union all
      select 'outbox_event', (select xid from outbox_event order by xid desc limit 1)
    )
    select p.xmax::text as present, a.what, a.xid::text as xid
      from p left join ahead a on a.xid is not null and (a.xid > p.xmax or (a.what = 'outbox_event' and a.xid >= p.xmax))`.execute(db);
  return {
    present: rows[0].present,
    faults: rows.filter((r) => r.what !== null).map((r) => ({ what: r.what!, xid: r.xid! })),
  };
}

/** One line for an operator: what is ahead, and the repair to run. */
export function outboxClockRefusal(present: string, faults: OutboxClockFault[]): string {
  const list = faults.map((f) => `${f.what} at ${f.xid}`).join(', ');
  return (
    `The outbox holds transaction numbers this database has not reached (${list}; it is at ${present}): it was restored from a dump of another cluster, ` +
    `and events would be skipped or webhooks sent twice. Stop every gateway on it, run \`${OUTBOX_REBASE_COMMAND}\` once, then start again.`
  );
}

/**
 * Start-up's check (src/main.ts, after migrations): throws a `StartupError` carrying
 * `outboxClockRefusal`'s line when `outboxClockFaults` finds anything ahead. The gateway refuses
 * rather than repairing on its own: the repair decides which restored events are still to be
 * sent, from the dispatcher's saved cursor, and must run once with no gateway writing or reading.
 */
export async function assertOutboxClock(db: SqlExecutor): Promise<void> {
  const { present, faults } = await outboxClockFaults(db);
  if (faults.length) throw new StartupError(outboxClockRefusal(present, faults));
}

/** The oldest number a cluster hands out (FirstNormalTransactionId): below every snapshot's xmin, so visible in all. */
const BEFORE_EVERYTHING = '3';

/**
 * Re-bases the outbox onto this cluster's numbering, in `em`'s transaction (which must be one),
 * holding exclusive locks on the outbox and both cursor tables (a gateway still writing events
 * waits):
 * - an event the webhook dispatcher had read by its saved cursor (visible in its `from`
 *   snapshot, or in the window it was walking up to its key) gets xid 3, visible to every
 *   snapshot: never read again, and pruned as read;
 * - an event it had not read (none, when it never ran) gets this transaction's xid, and its cursor
 *   becomes `t:t:`: each is dispatched once, after this commits;
 * - every Redis relay cursor becomes `t+1:t+1:`: subscribers resume by `eventId`, not by xid, so
 *   the relay reads only what commits from now on.
 * Returns how many events were kept as read and how many are left to dispatch. Idempotent in
 * outcome: run again, it finds everything read or left as it left it.
 */
export async function rebaseOutbox(em: SqlEntityManager): Promise<{ read: number; toDispatch: number; xid: string }> {
  await query(em, sql`lock table outbox_event, webhook_cursor, event_relay_cursor in exclusive mode`);
  const { xid } = (await queryOne<{ xid: string }>(em, sql`select pg_current_xact_id()::text as xid`))!;
  const saved = await queryOne<{ cursor: string }>(em, sql`select cursor from webhook_cursor where name = ${WEBHOOK_CURSOR}`);
  const cursor = saved ? decodeCursor(saved.cursor) : OUTBOX_BEGINNING;
  const [afterCustomer, afterSeq] = cursor.after ?? [-2, 0];
  const counts = await query<{ read: boolean; n: string }>(
    em,
    sql`with moved as (
          update outbox_event o set xid = case when
                 pg_visible_in_snapshot(o.xid, ${cursor.from}::pg_snapshot)
                 or (${cursor.to ?? null}::pg_snapshot is not null and pg_visible_in_snapshot(o.xid, ${cursor.to ?? null}::pg_snapshot)
                     and (coalesce(o.customer_id, -1), coalesce(o.customer_seq, o.id)) <= (${afterCustomer}::bigint, ${afterSeq}::bigint))
               then ${BEFORE_EVERYTHING}::xid8 else ${xid}::xid8 end
          returning o.xid)
        select xid = ${BEFORE_EVERYTHING}::xid8 as read, count(*)::text as n from moved group by 1`,
  );
  await query(
    em,
    sql`insert into webhook_cursor (name, cursor, updated_at) values (${WEBHOOK_CURSOR}, ${encodeCursor({ from: `${xid}:${xid}:` })}, now())
        on conflict (name) do update set cursor = excluded.cursor, updated_at = excluded.updated_at`,
  );
  const next = String(BigInt(xid) + 1n);
  await query(em, sql`update event_relay_cursor set cursor = ${encodeCursor({ from: `${next}:${next}:` })}, updated_at = now()`);
  const count = (read: boolean) => Number(counts.find((c) => c.read === read)?.n ?? 0);
  return { read: count(true), toDispatch: count(false), xid };
}
