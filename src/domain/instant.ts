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
