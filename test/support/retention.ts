import pino from 'pino';
import { pruneEvents } from '../../src/events/retention.job.js';
import type { TestGateway } from './gateway.js';

/**
 * Runs the hourly prune (`pruneEvents`) as of `now`, with the webhook dispatcher's cursor moved to
 * the present first (it has passed everything) and what committed so far recorded as committed a
 * retention before `now` (`committedLongAgo`), so only the events' dates and, with
 * EVENT_FANOUT=redis, the relay's saved cursor hold events back. Answers how many outbox events
 * it removed.
 */
export async function pruneAt(t: TestGateway, now: Date): Promise<number> {
  await t.sql(
    `insert into webhook_cursor (name, cursor) values ('webhooks', json_build_object('from', pg_current_snapshot()::text)::text)
     on conflict (name) do update set cursor = excluded.cursor`,
  );
  await committedLongAgo(t.sql, t.config.events.retentionHours, now);
  const pruned = await t.orm.em.fork().transactional((em) => pruneEvents({ em, clock: { now: () => now }, config: t.config, log: pino({ level: 'silent' }) }));
  return pruned.events;
}

/**
 * Records every transaction committed so far as committed EVENT_RETENTION_HOURS before `now` (an
 * `outbox_horizon` row taken then), as a prune that ran a week ago would have: for tests that date
 * events in the past by hand (or move the clock) and expect the prune at `now` to take them.
 */
export async function committedLongAgo(run: (text: string, values: unknown[]) => Promise<unknown>, retentionHours: number, now: Date): Promise<void> {
  await run(
    `insert into outbox_horizon (taken_at, snapshot) values ($1, pg_current_snapshot()::text) on conflict (taken_at) do update set snapshot = excluded.snapshot`,
    [new Date(now.getTime() - retentionHours * 3_600_000)],
  );
}
