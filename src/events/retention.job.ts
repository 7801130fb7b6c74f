import { query, queryOne, sql } from '../db/sql.js';
import type { JobContext, JobHandler } from '../jobs/runner.js';
import { WEBHOOK_CURSOR } from '../webhooks/webhook.entity.js';
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
}

/**
 * Removes what is older than EVENT_RETENTION_HOURS and no longer needed:
 * - outbox events every reader that keeps a cursor has passed: those whose transaction is visible
 *   in the `from` snapshot of each one's `OutboxCursor`, so an event is never pruned before it is
 *   read, however long the reader was stopped, nor one of a transaction that was still running at
 *   that snapshot and committed since (it is read in a later window). The readers: the webhook
 *   dispatcher (`webhook_cursor`; with no cursor yet, nothing is pruned) and, when this deployment
 *   fans out through Redis (EVENT_FANOUT=redis), the relay's leader (`event_relay_cursor`; a
 *   stalled leader holds the prune back, as a stopped dispatcher does; the first leader saves its
 *   cursor as it starts, and before any leader started there is nothing to hold back). A relay
 *   cursor left by an earlier Redis deployment is ignored otherwise: it would stop the prune for
 *   good (docs/decisions.md, "Event retention");
 * - finished webhook deliveries (DELIVERED or FAILED) and their attempts, and any attempt older
 *   than the retention (a delivery retried for days keeps its recent attempts);
 * - finished jobs (DONE), so the queue's table stays the size of its work in hand. FAILED jobs stay
 *   for the record.
 * One batch of each per run; a full batch enqueues nothing but the next scheduled run takes more.
 */
export async function pruneEvents({ em, clock, config }: JobContext): Promise<PruneResult> {
  const cutoff = new Date(clock.now().getTime() - config.events.retentionHours * 3_600_000);
  const cursorOf = async (table: 'webhook_cursor' | 'event_relay_cursor', name: string) => {
    const saved = await queryOne<{ cursor: string }>(em, sql`select cursor from ${sql.table(table)} where name = ${name}`);
    return saved ? decodeCursor(saved.cursor).from : null;
  };
  const dispatched = await cursorOf('webhook_cursor', WEBHOOK_CURSOR);
  const relayed = config.events.fanout === 'redis' ? await cursorOf('event_relay_cursor', REDIS_RELAY_CURSOR) : null;
  const events = dispatched
    ? await query(
        em,
        sql`delete from outbox_event where id in (
              select id from outbox_event
               where created_at < ${cutoff}
                 and xid < least(pg_snapshot_xmax(${dispatched}::pg_snapshot), pg_snapshot_xmax(coalesce(${relayed}::pg_snapshot, ${dispatched}::pg_snapshot)))
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
  const deliveries = await query(
    em,
    sql`delete from webhook_delivery d where d.id in (
          select id from webhook_delivery where status <> 'PENDING' and finished_at < ${cutoff} limit ${PRUNE_BATCH})
          and not exists (select 1 from webhook_attempt a where a.delivery_id = d.id)
        returning id`,
  );
  const jobs = await query(
    em,
    sql`delete from job where id in (select id from job where status = 'DONE' and finished_at < ${cutoff} limit ${PRUNE_BATCH}) returning id`,
  );
  return { events: events.length, deliveries: deliveries.length, attempts: attempts.length, jobs: jobs.length };
}

export const pruneEventsJob: JobHandler = {
  run: async (jc) => {
    const pruned = await pruneEvents(jc);
    jc.log.info(pruned, 'pruned events past their retention');
  },
};
