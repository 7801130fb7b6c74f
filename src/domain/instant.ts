/**
 * Instants as a client wrote them: the UTC offset of an ISO 8601 time (`2026-12-08T08:00:00+09:00`)
 * says which calendar day it was where it happened, which the instant alone does not (money-12).
 */

/** A Date that remembers the UTC offset, in minutes east of UTC, it was written with (`+09:00`: 540; `-12:00`: −720; `Z`: 0). */
export class OffsetInstant extends Date {
  constructor(
    time: number,
    readonly offsetMinutes: number,
  ) {
    super(time);
  }
}

/** The UTC offset `at` was written with (OffsetInstant), in minutes east of UTC; 0 for any other Date (read as UTC). */
export function offsetMinutesOf(at: Date): number {
  return at instanceof OffsetInstant ? at.offsetMinutes : 0;
}

/** The widest UTC offset taken, in minutes: ±18:00 (`sales_transaction_occurred_offset`; zones in use run from −12:00 to +14:00). */
export const MAX_OFFSET_MINUTES = 18 * 60;

const OFFSET = /(?:([+-])(\d{2}):?(\d{2})|[zZ])$/;

/** The UTC offset an ISO 8601 / RFC 3339 time ends with, in minutes east of UTC (`Z`, `+00:00`, `-00:00`: 0); null when it ends with none. */
export function writtenOffsetMinutes(text: string): number | null {
  const m = OFFSET.exec(text.trim());
  if (!m) return null;
  if (!m[1]) return 0;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -minutes : minutes;
}

const PG_TIMESTAMP = /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?|Z)?( BC)?$/;

/**
 * The instant of a timestamp as the database answers it: PostgreSQL's text form of a
 * `timestamptz` (`2026-01-02 03:04:05.678+00`, `0001-01-01 00:00:00+00`, `0044-03-15 12:00:00+00 BC`:
 * the driver keeps it as text, @mikro-orm/sql's createPostgreSqlTypeParsers), an ISO 8601 string,
 * a Date (answered as it is) or epoch milliseconds. Fractions finer than a millisecond are cut.
 *
 * Not `new Date(text)`: JavaScript reads PostgreSQL's form (a space, not `T`) by its legacy parser,
 * which takes the years 0–99 for 1900–2099 (`0001-01-01` became 2001-01-01, `0099` 1999) and some
 * of them for no date at all (`0030`): a store open since 0001-01-01, the DateTime scalar's first
 * instant, was answered, and rewritten by an edit, as open since 2001 (hostile39b). A text of
 * another form is read by `new Date` (invalid: an Invalid Date, as before).
 */
export function instantOf(value: Date | string | number): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value);
  const m = PG_TIMESTAMP.exec(value.trim());
  if (!m) return new Date(value);
  const [, year, month, day, hour, minute, second, fraction, sign, offsetHours, offsetMinutes, offsetSeconds, bc] = m;
  const at = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC also takes 0–99 for 1900–1999
  at.setUTCFullYear(bc ? 1 - Number(year) : Number(year), Number(month) - 1, Number(day));
  at.setUTCHours(Number(hour), Number(minute), Number(second), Number((fraction ?? '').slice(0, 3).padEnd(3, '0')));
  const offsetMs = sign ? (sign === '-' ? -1 : 1) * ((Number(offsetHours) * 60 + Number(offsetMinutes ?? 0)) * 60 + Number(offsetSeconds ?? 0)) * 1000 : 0;
  return new Date(at.getTime() - offsetMs);
}
