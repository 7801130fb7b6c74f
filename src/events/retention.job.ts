import { query, queryOne, sql } from '../db/sql.js';
import type { JobContext, JobHandler } from '../jobs/runner.js';
import { WEBHOOK_CURSOR } from '../webhooks/webhook.entity.js';
import { clearStaleFailingMarks } from '../webhooks/webhook.jobs.js';
import { REDIS_RELAY_CURSOR } from './outbox-event.entity.js';
import { decodeCursor } from './outbox.reader.js';

export const PRUNE_EVENTS = 'events.prune';

/** Rows one statement removes, so a large backlog is pruned in short transactions. */
const PRUNE_BATCH = 5_000;

export interface PruneResult {
  events: number;
  deliveries: number;
  attempts: number;
  jobs: number;
  /** Webhook endpoints whose `failing_since` was cleared, their last FAILED delivery pruned (`clearStaleFailingMarks`). */
  failingCleared: number;
}

/**
 * Removes what is older than EVENT_RETENTION_HOURS and no longer needed:
 * - outbox events that committed more than EVENT_RETENTION_HOURS ago (visible in a snapshot a
 *   prune took that long ago, `committedBefore`), not only dated so: a writer dates its event when
 *   it starts, and a transaction that commits long after (held open, or its clock read before its
 *   locks) wrote an event that was at once past the cutoff, and pruned as soon as the dispatcher
 *   passed it, before a PostgreSQL relay, whose cursor is in memory, had read it: its live
 *   subscribers never got it, without a word (dates-12c). So a relay has the retention to read an
 *   event after it commits, as a resuming subscriber has to replay it;
 * - of those, the outbox events every reader that keeps a cursor has passed: those whose transaction is visible
 *   in the `from` snapshot of each one's `OutboxCursor`, so an event is never pruned before it is
 *   read, however long the reader was stopped, nor one of a transaction that was still running at
 *   that snapshot and committed since (it is read in a later window). The readers: the webhook
 *   dispatcher (`webhook_cursor`; with no cursor yet, nothing is pruned) and, when this deployment
 *   fans out through Redis (EVENT_FANOUT=redis), the relay's leader (`event_relay_cursor`, this build's row; a
 *   stalled leader holds the prune back, as a stopped dispatcher does; the first leader saves its
 *   cursor as it starts, and before any leader started there is nothing to hold back). A relay
 *   cursor left by an earlier Redis deployment is ignored otherwise: it would stop the prune for
 *   good (docs/decisions.md, "Event retention");
 * - finished webhook deliveries (DELIVERED or FAILED) and their attempts, and any attempt older
 *   than the retention (a delivery retried for days keeps its recent attempts); an endpoint left
 *   with no FAILED delivery (and none failing now) is no longer marked failing
 *   (`clearStaleFailingMarks`, webhooks-23);
 * - finished jobs (DONE), so the queue's table stays the size of its work in hand. FAILED jobs stay
 *   for the record.
 * One batch of each per run; a full batch enqueues nothing but the next scheduled run takes more.
 */
export async function pruneEvents({ em, clock, config }: JobContext): Promise<PruneResult> {
  const now = clock.now();
  const cutoff = new Date(now.getTime() - config.events.retentionHours * 3_600_000);
  const horizon = await committedBefore(em, now, cutoff);
  const cursorOf = async (table: 'webhook_cursor' | 'event_relay_cursor', name: string) => {
    const saved = await queryOne<{ cursor: string }>(em, sql`select cursor from ${sql.table(table)} where name = ${name}`);
    return saved ? decodeCursor(saved.cursor).from : null;
  };
  const dispatched = await cursorOf('webhook_cursor', WEBHOOK_CURSOR);
  const relayed = config.events.fanout === 'redis' ? await cursorOf('event_relay_cursor', REDIS_RELAY_CURSOR) : null;
  const events = dispatched && horizon
    ? await query(
        em,
        sql`delete from outbox_event where id in (
              select id from outbox_event
               where created_at < ${cutoff}
                 and xid < least(pg_snapshot_xmax(${dispatched}::pg_snapshot), pg_snapshot_xmax(coalesce(${relayed}::pg_snapshot, ${dispatched}::pg_snapshot)),
                                 pg_snapshot_xmax(${horizon}::pg_snapshot))
                 and pg_visible_in_snapshot(xid, ${horizon}::pg_snapshot)
                 and pg_visible_in_snapshot(xid, ${dispatched}::pg_snapshot)
                 and (${relayed}::pg_snapshot is null or pg_visible_in_snapshot(xid, ${relayed}::pg_snapshot))
               limit ${PRUNE_BATCH})
            returning id`,
      )
    : [];
  const attempts = await query(
    em,
    sql`delete from webhook_attempt where id in (
          select a.id from webhook_attempt a join webhook_delivery d on d.id = a.delivery_id
           where a.attempted_at < ${cutoff} or (d.status <> 'PENDING' and d.finished_at < ${cutoff})
           limit ${PRUNE_BATCH})
        returning id`,
  );
  // The rows are locked by the statement that picks them, skipping those a replay holds (break-23).
  // Picked by a plain subquery, a row a replay (single or bulk) had set PENDING while this waited
  // for it was deleted anyway (the wait re-reads only the deleted row's own conditions, not the
  // subquery's), so a replay staff were told was PENDING was never sent; and waiting on rows a
  // bulk replay locks in its own order deadlocked with it. A row a replay holds is left for the
  // next run: PENDING by then when the replay commits.
  const deliveries = await query(
    em,
    sql`delete from webhook_delivery d where d.id in (
          select id from webhook_delivery where status <> 'PENDING' and finished_at < ${cutoff} limit ${PRUNE_BATCH} for update skip locked)
          and not exists (select 1 from webhook_attempt a where a.delivery_id = d.id)
        returning id`,
  );
  const failingCleared = await clearStaleFailingMarks(em);
  const jobs = await query(
    em,
    sql`delete from job where id in (select id from job where status = 'DONE' and finished_at < ${cutoff} limit ${PRUNE_BATCH}) returning id`,
  );
  return { events: events.length, deliveries: deliveries.length, attempts: attempts.length, jobs: jobs.length, failingCleared };
}

/**
 * What had committed by `cutoff`: the latest snapshot a prune took at or before it (`outbox_horizon`),
 * or null when none is that old (the first EVENT_RETENTION_HOURS of a database: nothing is known
 * to have committed that long ago, and no event is pruned). Records the present snapshot as taken
 * at `now` first, for the runs a retention later, and forgets those older than the one answered.
 */
async function committedBefore(em: JobContext['em'], now: Date, cutoff: Date): Promise<string | null> {
  await query(em, sql`insert into outbox_horizon (taken_at, snapshot) values (${now}, pg_current_snapshot()::text) on conflict (taken_at) do nothing`);
  const horizon = await queryOne<{ snapshot: string; takenAt: Date }>(
    em,
    sql`select snapshot, taken_at as "takenAt" from outbox_horizon where taken_at <= ${cutoff} order by taken_at desc limit 1`,
  );
  if (horizon) await query(em, sql`delete from outbox_horizon where taken_at < ${horizon.takenAt}`);
  return horizon?.snapshot ?? null;
}

export const pruneEventsJob: JobHandler = {
  run: async (jc) => {
    const pruned = await pruneEvents(jc);
    jc.purged?.('outbox_event', pruned.events);
    jc.purged?.('webhook_delivery', pruned.deliveries);
    jc.purged?.('webhook_attempt', pruned.attempts);
    jc.purged?.('job', pruned.jobs);
    jc.log.info(pruned, 'pruned events past their retention');
  },
};
