import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { query, queryOne, sql } from '../db/sql.js';
import { UserErrorException } from '../domain/refusals.js';
import { CustomerStatus } from '../customers/customer.entity.js';
import { enqueueJob } from '../jobs/queue.js';
import type { JobHandler } from '../jobs/runner.js';
import type { Schedule } from '../jobs/scheduler.js';
import { ActivityKind } from './activity.entity.js';
import { awardActivity } from './activity.service.js';
import { birthdayReference, isLeapYear } from './activity-limits.js';

export const BIRTHDAY_JOB = 'activities.birthday';
const DAY_MS = 86_400_000;

/**
 * Once a day (a UTC day is the schedule's slot), on the shared queue: each day runs once across
 * instances. A day on which no instance ticked (all down from before its midnight to after the
 * next) is run late, by the next tick, up to a week back (the job table keeps a week of done jobs:
 * EVENT_RETENTION_HOURS, 168 by default), so its birthdays are not lost (money-12).
 */
export const BIRTHDAY_SCHEDULE: Schedule = { kind: BIRTHDAY_JOB, everyMs: DAY_MS, catchUpSlots: 7 };

/** `MM-DD` of the birthdays celebrated on `day` (UTC): Feb 29 birthdays fall on Feb 28 outside leap years. */
export function birthdaysOn(day: Date): string[] {
  const month = day.getUTCMonth() + 1;
  const date = day.getUTCDate();
  const mmdd = `${String(month).padStart(2, '0')}-${String(date).padStart(2, '0')}`;
  return month === 2 && date === 28 && !isLeapYear(day.getUTCFullYear()) ? [mmdd, '02-29'] : [mmdd];
}

/**
 * The ACTIVE customers whose birthday is `day`, who were members by the end of that UTC day, and
 * who have not had that year's birthday points (from the job or a partner), in id order: with
 * `range`, at most `batch` of them after `afterId`. None when no BIRTHDAY rule is active. A day
 * run late (catch-up) awards whom the day itself would have: someone who joined after it, born on
 * it, was no member on their birthday (break-12f: they earned it only when the gateway had been down).
 */
async function birthdaysDue(em: SqlEntityManager, day: Date, range: { afterId: number; batch: number } | null): Promise<{ id: number }[]> {
  const rule = await queryOne(em, sql`select 1 from activity_rule where kind = ${ActivityKind.BIRTHDAY} and active limit 1`);
  if (!rule) return [];
  return query<{ id: number }>(
    em,
    sql`select c.id from customer c
         where c.status = ${CustomerStatus.ACTIVE} and to_char(c.birth_date, 'MM-DD') = any(${birthdaysOn(day)}::text[])
           and c.created_at < ${new Date((Math.floor(day.getTime() / DAY_MS) + 1) * DAY_MS)}
           and c.id > ${range?.afterId ?? 0}
           and not exists (select 1 from activity a where a.customer_id = c.id and a.kind = ${ActivityKind.BIRTHDAY} and a.occurrence = ${String(day.getUTCFullYear())})
         order by c.id limit ${range?.batch ?? null}`,
  );
}

/**
 * Awards the BIRTHDAY rule to ACTIVE customers whose birthday is `day`, once per year: the same
 * limit as a partner's report (`awardActivity`; the occurrence is the year), so a second run that
 * year, or a partner that already reported it with any reference, awards nothing. Records reference
 * `birthday-<year>`. With `range`, takes at most `batch` of those customers after `afterId`, in id
 * order (a customer refused, e.g. a full account, is passed over, not taken again); without, all
 * of them. Answers how many earned points, how many were taken, and the last id taken (null: none).
 * All in `em`'s transaction, so the birthday job runs one batch per transaction (birthdayPointsJob).
 */
export async function awardBirthdays(
  em: SqlEntityManager,
  day: Date,
  now: Date,
  range: { afterId: number; batch: number } | null = null,
): Promise<{ awarded: number; taken: number; lastId: number | null }> {
  const customers = await birthdaysDue(em, day, range);
  const reference = birthdayReference(day.getUTCFullYear());
  let awarded = 0;
  for (const customer of customers) {
    try {
      await awardActivity(em, { customerId: customer.id, kind: ActivityKind.BIRTHDAY, reference, actor: 'system', now, occurredAt: day });
      awarded++;
    } catch (error) {
      // A cap the operator set on birthday points (or a report that got in first): this customer gets none this time, the others still do.
      if (!(error instanceof UserErrorException)) throw error;
    }
  }
  return { awarded, taken: customers.length, lastId: customers.at(-1)?.id ?? null };
}

/**
 * A run of the birthday job. `slot`: the UTC day (days since the epoch; absent: today's).
 * `afterId`: the last customer id an earlier run of the day took. `singlyUntil`: after a batch
 * failed for good, its customers up to this id are taken one per run, so the one whose award
 * cannot be written is found and passed over alone.
 */
type BirthdayPayload = { slot?: number; afterId?: number; singlyUntil?: number };

/**
 * The scheduled job: the day is its slot's (so a retry after midnight still serves the right day).
 * One batch of `LEDGER_JOB_BATCH` customers per run, each run its own transaction at its own `now`,
 * the next batch enqueued at once while a batch came back full: a big program's birthdays are
 * awarded in short transactions (each holds its customers' account locks, which their purchases
 * wait for, only for its own batch), as the write-down and tier jobs do. A failed run retries its
 * batch only; what earlier runs awarded is committed and is not awarded again (the year's limit).
 * A batch that fails on its last attempt (onFailed) does not end the day: its customers are taken
 * again one per run (`singlyUntil`), and a single customer whose run fails for good is passed over
 * (logged as an error: their points are for an operator to grant), the day going on after them.
 * Before hostile pass 8 one such customer lost the birthday points of everyone after them that day.
 */
export const birthdayPointsJob: JobHandler = {
  async run({ em, clock, config, log }, payload: BirthdayPayload) {
    const now = clock.now();
    const day = dayOf(payload, now);
    const singlyUntil = payload?.singlyUntil;
    const batch = singlyUntil !== undefined ? 1 : config.ledgerJobBatch;
    const { awarded, taken, lastId } = await awardBirthdays(em, day, now, { afterId: payload?.afterId ?? 0, batch });
    log.info({ day: day.toISOString().slice(0, 10), awarded }, 'birthday points awarded');
    // A full batch may have more after it; a short one was the last.
    if (taken >= batch && lastId !== null) await continueDay(em, day, now, lastId, singlyUntil);
  },

  async onFailed({ em, clock, config, log }, payload: BirthdayPayload, reason: string) {
    const now = clock.now();
    const day = dayOf(payload, now);
    const afterId = payload?.afterId ?? 0;
    const singlyUntil = payload?.singlyUntil;
    const batch = singlyUntil !== undefined ? 1 : config.ledgerJobBatch;
    const failed = await birthdaysDue(em, day, { afterId, batch });
    if (failed.length === 0) return;
    if (batch > 1) {
      // Which of them fails is not known: take them again one by one.
      await continueDay(em, day, now, afterId, failed.at(-1)!.id);
      return;
    }
    log.error({ day: day.toISOString().slice(0, 10), customerId: failed[0].id, reason }, 'birthday points could not be awarded to this customer; passed over');
    await continueDay(em, day, now, failed[0].id, singlyUntil);
  },
};

/** The UTC day a run serves: its slot's, or `now`'s for a run without one. */
function dayOf(payload: BirthdayPayload, now: Date): Date {
  return typeof payload?.slot === 'number' ? new Date(payload.slot * DAY_MS) : now;
}

/** Enqueues the day's next run after customer `afterId` (one by one while below `singlyUntil`). */
async function continueDay(em: SqlEntityManager, day: Date, now: Date, afterId: number, singlyUntil: number | undefined): Promise<void> {
  const next: BirthdayPayload = { slot: Math.floor(day.getTime() / DAY_MS), afterId };
  if (singlyUntil !== undefined && afterId < singlyUntil) next.singlyUntil = singlyUntil;
  await enqueueJob(em, BIRTHDAY_JOB, next, { runAt: now, maxAttempts: 3 });
}
