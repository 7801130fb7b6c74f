import { query, queryOne, sql } from '../db/sql.js';
import type { JobContext, JobHandler } from '../jobs/runner.js';

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
 * - outbox events the webhook dispatcher has passed (below its cursor), so an event is never
 *   pruned before it is dispatched, however long the dispatcher was stopped;
 * - finished webhook deliveries (DELIVERED or FAILED) and their attempts, and any attempt older
 *   than the retention (a delivery retried for days keeps its recent attempts);
 * - finished jobs (DONE), so the queue's table stays the size of its work in hand. FAILED jobs stay
 *   for the record.
 * One batch of each per run; a full batch enqueues nothing but the next scheduled run takes more.
 */
export async function pruneEvents({ em, clock, config }: JobContext): Promise<PruneResult> {
  const cutoff = new Date(clock.now().getTime() - config.events.retentionHours * 3_600_000);
  const cursor = await queryOne<{ horizon: string; last_event_id: number }>(em, sql`select horizon::text, last_event_id from webhook_cursor where name = 'webhooks'`);
  const events = cursor
    ? await query(
        em,
        sql`delete from outbox_event where id in (
              select id from outbox_event
               where created_at < ${cutoff} and (xid, id) <= (${cursor.horizon}::xid8, ${cursor.last_event_id}::bigint)
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
