/**
 * The natural limits of activities: what a reference means for each kind, and what may count once.
 * Pure functions; the service applies them under its locks (docs/decisions.md, "Activities").
 */
import { ActivityKind } from './activity.entity.js';

const DAY_MS = 86_400_000;

/**
 * A reference as it counts: Unicode NFC, case-folded (upper- then lower-cased, so `ß`/`SS` and
 * `ﬁ`/`FI` meet as full case folding would), trimmed. `" Review-1 "` and `"review-1"` are one
 * reference.
 */
export function normaliseReference(raw: string): string {
  return raw.normalize('NFC').toUpperCase().toLowerCase().normalize('NFC').trim();
}

/** An external id as a reference names it: NFC and trimmed; ids are compared exactly otherwise. */
export function normaliseExternalId(raw: string): string {
  return raw.normalize('NFC').trim();
}

export const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/** The UTC day (ms at 00:00 UTC) a birth date's birthday is celebrated in `year`: Feb 29 on Feb 28 outside leap years. */
export function birthdayIn(birthDate: { month: number; day: number }, year: number): number {
  const day = birthDate.month === 2 && birthDate.day === 29 && !isLeapYear(year) ? 28 : birthDate.day;
  return Date.UTC(year, birthDate.month - 1, day);
}

/** `YYYY-MM-DD` → month and day; null for anything else. */
export function parseBirthDate(value: string | null | undefined): { month: number; day: number } | null {
  const match = value ? /^\d{4}-(\d{2})-(\d{2})$/.exec(value) : null;
  return match ? { month: Number(match[1]), day: Number(match[2]) } : null;
}

/**
 * The year whose birthday `at` belongs to, or null when `at` is not near one. A birthday is the
 * customer's local day, which (time zones UTC−12 to UTC+14) lies within the UTC day of the birth
 * date and the UTC days either side: a report from any of those three days counts for that year.
 * The birthday job awards on the UTC day itself. Either way, once per year (the occurrence is the year).
 */
export function birthdayYearAt(birthDate: { month: number; day: number }, at: Date): number | null {
  const today = Math.floor(at.getTime() / DAY_MS) * DAY_MS;
  const year = at.getUTCFullYear();
  for (const candidate of [year - 1, year, year + 1]) {
    if (Math.abs(birthdayIn(birthDate, candidate) - today) <= DAY_MS) return candidate;
  }
  return null;
}

/** The reference the birthday job records for a year's birthday. */
export const birthdayReference = (year: number) => `birthday-${year}`;

/** What a sign-up's natural limit counts: once per customer, ever. */
export const SIGN_UP_OCCURRENCE = 'once';

/**
 * The occurrence a kind's natural limit counts, for the kinds where it is the reference itself:
 * a review once per reviewed item, an event check-in once per event, a social share once per
 * shared item, a survey once per survey. (BIRTHDAY, SIGN_UP and REFERRAL are resolved by the
 * service, which needs the customers' rows.)
 */
export function occurrenceOfReference(kind: ActivityKind, reference: string): string {
  if (kind === ActivityKind.SIGN_UP) return SIGN_UP_OCCURRENCE;
  return reference;
}
