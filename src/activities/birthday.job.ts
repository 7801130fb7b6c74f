import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { query, queryOne, sql } from '../db/sql.js';
import { UserErrorException } from '../domain/refusals.js';
import { CustomerStatus } from '../customers/customer.entity.js';
import type { JobHandler } from '../jobs/runner.js';
import type { Schedule } from '../jobs/scheduler.js';
import { ActivityKind } from './activity.entity.js';
import { awardActivity } from './activity.service.js';
import { birthdayReference, isLeapYear } from './activity-limits.js';

export const BIRTHDAY_JOB = 'activities.birthday';
const DAY_MS = 86_400_000;

/** Once a day (a UTC day is the schedule's slot), on the shared queue: each day runs once across instances. */
export const BIRTHDAY_SCHEDULE: Schedule = { kind: BIRTHDAY_JOB, everyMs: DAY_MS };

/** `MM-DD` of the birthdays celebrated on `day` (UTC): Feb 29 birthdays fall on Feb 28 outside leap years. */
export function birthdaysOn(day: Date): string[] {
  const month = day.getUTCMonth() + 1;
  const date = day.getUTCDate();
  const mmdd = `${String(month).padStart(2, '0')}-${String(date).padStart(2, '0')}`;
  return month === 2 && date === 28 && !isLeapYear(day.getUTCFullYear()) ? [mmdd, '02-29'] : [mmdd];
}

/**
 * Awards the BIRTHDAY rule to every ACTIVE customer whose birthday is `day`, once per year: the
 * same limit as a partner's report (`awardActivity`; the occurrence is the year), so a second run
 * that year, or a partner that already reported it with any reference, awards nothing. Records
 * reference `birthday-<year>`. Returns how many customers earned points.
 */
export async function awardBirthdays(em: SqlEntityManager, day: Date, now: Date): Promise<number> {
  const rule = await queryOne(em, sql`select 1 from activity_rule where kind = ${ActivityKind.BIRTHDAY} and active limit 1`);
  if (!rule) return 0;
  const year = day.getUTCFullYear();
  const reference = birthdayReference(year);
  const customers = await query<{ id: number }>(
    em,
    sql`select c.id from customer c
         where c.status = ${CustomerStatus.ACTIVE} and to_char(c.birth_date, 'MM-DD') = any(${birthdaysOn(day)}::text[])
           and not exists (select 1 from activity a where a.customer_id = c.id and a.kind = ${ActivityKind.BIRTHDAY} and a.occurrence = ${String(year)})
         order by c.id`,
  );
  let awarded = 0;
  for (const customer of customers) {
    try {
      await awardActivity(em, { customerId: customer.id, status: CustomerStatus.ACTIVE, kind: ActivityKind.BIRTHDAY, reference, actor: 'system', now, occurredAt: day });
      awarded++;
    } catch (error) {
      // A cap the operator set on birthday points (or a report that got in first): this customer gets none this time, the others still do.
      if (!(error instanceof UserErrorException)) throw error;
    }
  }
  return awarded;
}

/** The scheduled job: the day is its slot's (so a retry after midnight still serves the right day). */
export const birthdayPointsJob: JobHandler = {
  async run({ em, clock, log }, payload: { slot?: number }) {
    const now = clock.now();
    const day = typeof payload?.slot === 'number' ? new Date(payload.slot * DAY_MS) : now;
    const awarded = await awardBirthdays(em, day, now);
    log.info({ day: day.toISOString().slice(0, 10), awarded }, 'birthday points awarded');
  },
};
