import pino from 'pino';
import { pruneEvents } from '../../src/events/retention.job.js';
import type { TestGateway } from './gateway.js';

/**
 * Runs the hourly prune (`pruneEvents`) as of `now`, with the webhook dispatcher's cursor moved to
 * the present first (it has passed everything, so only the retention window and, with
 * EVENT_FANOUT=redis, the relay's saved cursor hold events back). Answers how many outbox events
 * it removed.
 */
export async function pruneAt(t: TestGateway, now: Date): Promise<number> {
  await t.sql(
    `insert into webhook_cursor (name, cursor) values ('webhooks', json_build_object('from', pg_current_snapshot()::text)::text)
     on conflict (name) do update set cursor = excluded.cursor`,
  );
  const pruned = await t.orm.em.fork().transactional((em) => pruneEvents({ em, clock: { now: () => now }, config: t.config, log: pino({ level: 'silent' }) }));
  return pruned.events;
}
