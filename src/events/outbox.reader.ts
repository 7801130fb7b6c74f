import { sql, type RawBuilder } from 'kysely';
import type { DeliveredEvent } from './hub.js';
import { instantOf } from '../domain/instant.js';

/**
 * Reading the outbox by commit: the read API of the relay, the webhook dispatcher and any other
 * consumer (docs/architecture.md "Events").
 *
 * A transaction that writes events writes rows and nothing else: no NOTIFY, no lock beyond its
 * customers' `event_stream` rows. Readers find what committed by comparing two PostgreSQL
 * snapshots (the snapshot-horizon technique): the rows visible in snapshot `to` but not in
 * snapshot `from` are exactly those of the transactions that committed in between, whatever their
 * ids. A row with a lower id that commits late is not missed: its transaction was still running
 * at `from`, so it is read in the window in which it commits. Each row is read once per window
 * walk; a reader that persists its cursor after handling a page reads each row at least once
 * across crashes, and one that persists it in the transaction that records the page's effects
 * (the webhook dispatcher) exactly once.
 *
 * Order: windows follow commit order (everything in one window committed after everything in
 * the windows before it). Inside a window, rows come by customer, and a customer's rows by
 * `customer_seq`, which is that customer's commit order; events of no customer come last-by-id
 * under customer key -1 (first in the window).
 */

/** Where a reader is: after window `from`, walking window `from`→`to` past key `after`. */
export interface OutboxCursor {
  /** Snapshot (`pg_snapshot` text) whose visible rows were all read. */
  from: string;
  /** Snapshot the window being walked ends at; absent: the next read takes the current one. */
  to?: string;
  /** Key of the last row read in the window: [customer id or -1, customer_seq or id]. */
  after?: [number, number];
}

/** A cursor from which every row still in the outbox is read (no transaction is visible in it). */
export const OUTBOX_BEGINNING: OutboxCursor = { from: '1:1:' };

/** An outbox row as readers get it. */
export interface OutboxRow extends DeliveredEvent {
  /** The row's primary key (global, in insertion order, not commit order). */
  rowId: number;
  createdAt: Date;
}

/** An outbox row as `readCommittedEvents` reads it: with its transaction's id (`xid8` as text), to compare with a snapshot. */
export interface CommittedEvent extends OutboxRow {
  xid: string;
}

/** Something a kysely `sql` statement can run on: `em.getKysely()` (inside its transaction) or a `Kysely` of its own. */
export type SqlExecutor = Parameters<RawBuilder<unknown>['execute']>[0];

/** Text form of a cursor, for storing it (`event_relay_cursor.cursor`). */
export function encodeCursor(cursor: OutboxCursor): string {
  return JSON.stringify(cursor);
}

/** Inverse of `encodeCursor`; throws on text that is not one. */
export function decodeCursor(text: string): OutboxCursor {
  const c = JSON.parse(text) as OutboxCursor;
  if (typeof c?.from !== 'string') throw new Error('not an outbox cursor');
  return c;
}

/** The current snapshot as a cursor: a reader starting here reads what commits from now on. */
export async function cursorAtNow(db: SqlExecutor): Promise<OutboxCursor> {
  const { rows } = await sql<{ snap: string }>`select pg_current_snapshot()::text as snap`.execute(db);
  return { from: rows[0].snap };
}

type Row = { to: string; xid: string | null; id: string | null; topic: string; customer_id: string | null; customer_seq: string | null; payload: Record<string, unknown>; created_at: Date | string };

/**
 * Reads up to `limit` committed rows after `cursor`, in the order above, and the cursor to go on
 * from. An empty page means nothing more has committed yet (the returned cursor then starts at
 * the snapshot just taken). Runs one statement on `db`.
 */
export async function readCommittedEvents(db: SqlExecutor, cursor: OutboxCursor, limit = 500): Promise<{ events: CommittedEvent[]; cursor: OutboxCursor }> {
  const [afterCustomer, afterSeq] = cursor.after ?? [-2, 0];
  const { rows } = await sql<Row>`
    with w as (select ${cursor.from}::pg_snapshot as f, coalesce(${cursor.to ?? null}::pg_snapshot, pg_current_snapshot()) as t)
    select w.t::text as "to", e.xid::text as xid, e.id, e.topic, e.customer_id, e.customer_seq, e.payload, e.created_at
      from w left join lateral (
        select o.* from outbox_event o
         where o.xid >= pg_snapshot_xmin(w.f) and o.xid < pg_snapshot_xmax(w.t)
           and not pg_visible_in_snapshot(o.xid, w.f) and pg_visible_in_snapshot(o.xid, w.t)
           and (coalesce(o.customer_id, -1), coalesce(o.customer_seq, o.id)) > (${afterCustomer}::bigint, ${afterSeq}::bigint)
         order by coalesce(o.customer_id, -1), coalesce(o.customer_seq, o.id)
         limit ${limit}
      ) e on true`.execute(db);
  const to = rows[0].to;
  const events: CommittedEvent[] = rows
    .filter((r) => r.id !== null)
    .map((r) => ({
      rowId: Number(r.id),
      xid: r.xid!,
      id: r.customer_seq === null ? Number(r.id) : Number(r.customer_seq),
      topic: r.topic,
      customerId: r.customer_id === null ? null : Number(r.customer_id),
      payload: r.payload,
      createdAt: instantOf(r.created_at),
    }));
  if (events.length < limit) return { events, cursor: { from: to } };
  const last = events[events.length - 1];
  return { events, cursor: { from: cursor.from, to, after: [last.customerId ?? -1, last.customerId === null ? last.rowId : last.id] } };
}

/**
 * A customer's events after position `afterSeq` in their stream, optionally of one topic, in
 * stream order (what a resuming subscriber missed), at most `limit`; and whether every event of
 * theirs from `afterSeq + 1` up to the page's end is still kept (`whole`). The page's end is its
 * last row when the page is full, else the stream's last position: positions are dense (each is
 * taken under the customer's `event_stream` lock and committed with its row, a rollback takes its
 * number back), so a count short of the range means the prune removed some, whatever their topic
 * (the page and the count are one statement, one snapshot). Without it, an event pruned after the
 * resume point's check (`streamPosition`), or any past the first, was skipped without a word
 * (relay-12).
 */
export async function readCustomerEvents(
  db: SqlExecutor,
  customerId: number,
  afterSeq: number,
  topic: string | null,
  limit: number,
): Promise<{ events: OutboxRow[]; whole: boolean }> {
  const { rows } = await sql<Omit<Row, 'to'> & { missing: string }>`
    with page as (
      select id, topic, customer_id, customer_seq, payload, created_at from outbox_event
       where customer_id = ${customerId} and customer_seq > ${afterSeq} and (${topic}::text is null or topic = ${topic})
       order by customer_seq limit ${limit}
    ), upto as (
      select case when (select count(*) from page) = ${limit} then (select max(customer_seq) from page)
                  else greatest(${afterSeq}::bigint, (select last_seq from event_stream where customer_id = ${customerId})) end as seq
    )
    select upto.seq - ${afterSeq}::bigint
             - (select count(*) from outbox_event k where k.customer_id = ${customerId} and k.customer_seq > ${afterSeq} and k.customer_seq <= upto.seq) as missing,
           page.id, page.topic, page.customer_id, page.customer_seq, page.payload, page.created_at
      from upto left join page on true
     order by page.customer_seq`.execute(db);
  const events = rows
    .filter((r) => r.id !== null)
    .map((r) => ({ rowId: Number(r.id), id: Number(r.customer_seq), topic: r.topic, customerId: customerId, payload: r.payload, createdAt: instantOf(r.created_at) }));
  return { events, whole: Number(rows[0]?.missing ?? 0) === 0 };
}

/** Where a customer's stream stands: its last position, and when the event right after `afterSeq` was written (if still kept). */
export async function streamPosition(db: SqlExecutor, customerId: number, afterSeq: number): Promise<{ lastSeq: number; nextWrittenAt: Date | null }> {
  const { rows } = await sql<{ last_seq: string | null; next_at: Date | string | null }>`
    select (select last_seq from event_stream where customer_id = ${customerId}) as last_seq,
           (select created_at from outbox_event where customer_id = ${customerId} and customer_seq = ${afterSeq + 1}) as next_at`.execute(db);
    // (timestamps come back as text through some drivers' settings, as Date through others)
  const next = rows[0]?.next_at;
  return { lastSeq: Number(rows[0]?.last_seq ?? 0), nextWrittenAt: next === null || next === undefined ? null : instantOf(next) };
}
