import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { EventsPrunedError, type DeliveredEvent, type ReplaySource } from './hub.js';
import { readCustomerEvents, streamPosition } from './outbox.reader.js';

/**
 * An event id as the stream gives it out: a position's decimal text, up to 15 digits, without
 * leading zeros (`String(n)`), so `7` has one spelling and `007` is refused like any other text
 * that is no event id (edges-11). `0` (before the first event) is kept: resuming from it is
 * resuming from the start, which the retention check still bounds.
 */
const EVENT_ID = /^(?:0|[1-9]\d{0,14})$/;

/** Whether a subscription may resume after `eventId`, and from which position. */
export type ResumeCheck =
  /** `lastSeq`: the customer's last stream position, read with the check. */
  | { ok: true; after: number; lastSeq: number }
  /** `malformed`: not an id; `unknown`: later than anything in the customer's stream; `expired`: past the retention window. */
  | { ok: false; reason: 'malformed' | 'unknown' | 'expired' };

/**
 * Checks a resume point (`after: eventId`) of a customer's subscription: every event of theirs
 * after it must still be kept, and the first of them written no more than `retentionHours` before
 * `now` (the documented window; pruning may remove older ones at any time after). Nothing
 * missed (the id is their latest) always resumes.
 */
export async function checkResumePoint(em: SqlEntityManager, customerId: number, eventId: string, now: Date, retentionHours: number): Promise<ResumeCheck> {
  if (!EVENT_ID.test(eventId)) return { ok: false, reason: 'malformed' };
  const after = Number(eventId);
  const { lastSeq, nextWrittenAt } = await streamPosition(em.getKysely(), customerId, after);
  if (after > lastSeq) return { ok: false, reason: 'unknown' };
  if (after === lastSeq) return { ok: true, after, lastSeq };
  if (!nextWrittenAt || nextWrittenAt.getTime() < now.getTime() - retentionHours * 3_600_000) return { ok: false, reason: 'expired' };
  return { ok: true, after, lastSeq };
}

/**
 * Where resuming subscribers read what they missed: the outbox, through a fresh unit of work per
 * page. Rejects with `EventsPrunedError` when an event after `afterId` up to the page's end was
 * pruned (between the resume point's check and this read, or past the event the check read).
 */
export function outboxReplay(fork: () => SqlEntityManager): ReplaySource {
  return async (customerId, afterId, topic, limit): Promise<DeliveredEvent[]> => {
    const { events, whole } = await readCustomerEvents(fork().getKysely(), customerId, afterId, topic, limit);
    if (!whole) throw new EventsPrunedError(afterId);
    return events.map((e) => ({ id: e.id, topic: e.topic, customerId: e.customerId, payload: e.payload }));
  };
}

/**
 * The last position of a customer's event stream (0 before their first event): where a live
 * subscription starts, so an event committed before it is not delivered to it.
 */
export async function streamHead(em: SqlEntityManager, customerId: number): Promise<number> {
  return (await streamPosition(em.getKysely(), customerId, 0)).lastSeq;
}
