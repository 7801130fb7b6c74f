import { GraphQLError, GraphQLScalarType, Kind, print, type ValueNode } from 'graphql';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { instantOf, MAX_OFFSET_MINUTES, OffsetInstant, writtenOffsetMinutes } from '../domain/instant.js';
import { cutForMessage, SHOWN_INPUT_CHARS } from '../domain/text.js';
import { unstorableText } from './validation.js';

function toDate(value: unknown): Date {
  // Timestamps arrive as Date objects or as PostgreSQL's text form ("2026-01-02 03:04:05.678+00"),
  // read by instantOf (not `new Date`, which takes the years 0–99 for 1900–2099: hostile39b).
  const date = value instanceof Date || typeof value === 'string' || typeof value === 'number' ? instantOf(value) : null;
  if (!date || Number.isNaN(date.getTime())) throw new TypeError('DateTime cannot represent this value');
  return date;
}

/**
 * Instants a client may send: years 0001 to 9999 in UTC, what ISO 8601 writes with four digits and
 * well inside what PostgreSQL's `timestamptz` stores (4713 BC to 294276 AD), so that adding the
 * longest validity or expiry to one still fits.
 */
const FIRST_INSTANT = new Date('0001-01-01T00:00:00.000Z').getTime();
const LAST_INSTANT = new Date('9999-12-31T23:59:59.999Z').getTime();

const OUT_OF_RANGE = 'DateTime must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z';

function inRange(date: Date): Date {
  const time = date.getTime();
  if (!(time >= FIRST_INSTANT && time <= LAST_INSTANT)) throw new TypeError(OUT_OF_RANGE);
  return date;
}

/**
 * A year written with a sign or more than four digits (`+010000-01-01T00:00:00.000Z`, what
 * JavaScript's toISOString writes past 9999 and before 0000; `10000-01-01T…`; `-0001-…`): RFC 3339
 * takes neither. One outside 0001–9999 is told the range rather than graphql-scalars' "invalid
 * date-time-string" (edges-21: the console's last day 9999-12-31 sent the next day so); one inside
 * it (`+002026-…`, `+009999-…`) is told to write four digits, not that it is out of a range it is
 * in (break2-21). Group 1: the year as written.
 */
const EXPANDED_YEAR = /^\s*([+-]?\d{5,}|[+-]\d{4})-/;
const FOUR_DIGITS = 'DateTime must write its year with four digits and no sign (RFC 3339), such as 2026-03-01T10:15:30Z';
/**
 * A second 60 (`23:59:60Z`, a leap second): RFC 3339's syntax takes it, but no instant here can hold
 * it (a JavaScript Date, PostgreSQL's timestamptz), and graphql-scalars called it an "invalid
 * date-time-string" (break2-21). The answer names what to send instead in the client's own words:
 * the same text at :59.999, or the next minute (break-22: it said "send 23:59:59.999" whatever the
 * time, so `10:00:60Z`, or the leap second as written in +05:30, `05:29:60+05:30`, were told to
 * send an instant hours away). Group 1: the text before the seconds; group 2: the offset.
 */
const LEAP_SECOND = /^\s*(\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}):60(?:\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const noLeapSecond = (before: string, after: string) =>
  `DateTime cannot hold a second 60 (a leap second); send ${before}:59.999${after} or the next minute at :00`;

/**
 * The written forms graphql-scalars calls "invalid date-time-string" that a client most often sends
 * (break-22), each told what it lacks: a local time without its UTC offset (`2026-06-01T10:00:00`,
 * what an app's date formatter writes by default), a day alone, a time without seconds, and a day
 * or time of day that does not exist (`2026-02-30`, `24:00`). Anything else keeps graphql-scalars'
 * words. Each is refused there as well; this only says why.
 */
const NO_OFFSET = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;
/**
 * An offset written without its colon (`+0100`, `-0500`: ISO 8601's basic form, what strftime's
 * `%z`, Java's `Z` and many loggers write) or without its minutes (`+05`). RFC 3339 takes only
 * `±hh:mm`, and ISO 8601 keeps the basic offset for the basic form of the whole text
 * (`20261203T100000+0100`), so it is refused, told the one change (lifecycle-23). Group 1: the
 * sign; 2: the hours; 3: the minutes, if written.
 */
const OFFSET_WITHOUT_COLON = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?([+-])(\d{2})(\d{2})?$/;
const DAY_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const NO_SECONDS = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(?:[Zz]|[+-]\d{2}:\d{2})$/;
const RFC_3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;
const EXAMPLE = 'such as 2026-03-01T10:15:30Z';

/**
 * Why `written` (a DateTime's text) is no RFC 3339 instant, for the forms above and an offset whose
 * hours or minutes do not exist (`+05:60`, `+24:00`); null otherwise. A second 60 passes here (the
 * leap second's own answer follows), so that a text wrong besides is told that first (break2-22).
 */
function writtenFormProblem(written: string): string | null {
  if (/^\s|\s$/.test(written)) return `DateTime must not begin or end with white space (spaces, tabs, line breaks): remove it (${EXAMPLE})`;
  const colonless = OFFSET_WITHOUT_COLON.exec(written);
  if (colonless) {
    const [, sign, hours, minutes] = colonless;
    return `DateTime's UTC offset must be written ±hh:mm, with a colon (RFC 3339): send ${sign}${hours}:${minutes ?? '00'} for ${sign}${hours}${minutes ?? ''}`;
  }
  if (NO_OFFSET.test(written)) return `DateTime must end with its UTC offset, Z or ±hh:mm (${EXAMPLE}): without one it names no instant`;
  if (DAY_ONLY.test(written)) return `DateTime must have a time of day and a UTC offset, ${EXAMPLE} (a day alone is the Date type's)`;
  if (NO_SECONDS.test(written)) return `DateTime must give its seconds, hh:mm:ss (${EXAMPLE})`;
  const parts = RFC_3339.exec(written);
  if (!parts) return null;
  const [year, month, day, hour, minute, second] = parts.slice(1, 7).map(Number);
  if (hour > 23 || minute > 59 || second > 60) return `DateTime's time of day ${parts[4]}:${parts[5]}:${parts[6]} does not exist (hours 00 to 23, minutes and seconds 00 to 59)`;
  const lastDay = month >= 1 && month <= 12 ? new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !leapYear(year) ? 1 : 0) : 0;
  if (day < 1 || day > lastDay) return `DateTime's day ${parts[1]}-${parts[2]}-${parts[3]} does not exist`;
  if (parts[7] && (Number(parts[8]) > 23 || Number(parts[9]) > 59)) return `DateTime's UTC offset ${parts[7]}${parts[8]}:${parts[9]} does not exist (hours 00 to 23, minutes 00 to 59)`;
  return null;
}

/** Whether `year` of the proleptic Gregorian calendar has 29 February. */
const leapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/**
 * `written` (a DateTime input's text) refused as OUT_OF_RANGE or FOUR_DIGITS when its year is
 * expanded (EXPANDED_YEAR), with what its form lacks (writtenFormProblem), or as a leap second
 * (LEAP_SECOND); anything else passes as it is. The leap second's advice (the same text at
 * :59.999) is given only when that text is taken: else what refuses it is said (a year or an offset
 * out of range), since a day, a time of day or an offset that does not exist was said before
 * (break2-22: `24:59:60`, `2026-02-30T23:59:60`, `0000-…`, `+19:00` were told to send themselves
 * at :59.999, which is refused in its turn).
 */
function refusingMiswritten<T>(written: T): T {
  if (typeof written !== 'string') return written;
  const year = EXPANDED_YEAR.exec(written)?.[1];
  if (year !== undefined) {
    const value = Number(year);
    throw new TypeError(value >= 1 && value <= 9999 ? FOUR_DIGITS : OUT_OF_RANGE);
  }
  const problem = writtenFormProblem(written);
  if (problem) throw new TypeError(problem);
  const leap = LEAP_SECOND.exec(written);
  if (leap) {
    parseWritten(`${leap[1]}:59.999${leap[2]}`);
    throw new TypeError(noLeapSecond(leap[1], leap[2]));
  }
  return written;
}

/**
 * `date` as an OffsetInstant carrying the UTC offset `written` (the client's text) ends with, so a
 * service can tell the calendar day where it happened (a sale's weekday at its till); `date` itself
 * when the text names none.
 */
function withOffset(date: Date, written: unknown): Date {
  const offset = typeof written === 'string' ? writtenOffsetMinutes(written) : null;
  if (offset === null) return date;
  // RFC 3339's syntax takes +23:59; no time zone is past ±18:00 (today's run from −12:00 to +14:00)
  if (Math.abs(offset) > MAX_OFFSET_MINUTES) throw new TypeError('DateTime must have a UTC offset between -18:00 and +18:00');
  return new OffsetInstant(date.getTime(), offset);
}

/**
 * RFC 3339's space in place of the `T` (its section 5.6 NOTE: "applications … may choose … a
 * full-date and full-time separated by (say) a space character"), which PostgreSQL's own text form,
 * Python's `str(datetime)` and SQL clients write (`2026-12-03 10:00:00Z`): taken as the `T`
 * (lifecycle-23; graphql-scalars refused it as an "invalid date-time-string"). One space exactly,
 * between a full date and an hh:mm.
 */
const SPACE_FOR_T = /^(\d{4}-\d{2}-\d{2}) (?=\d{2}:\d{2})/;
const spaceAsT = <T>(written: T): T => (typeof written === 'string' ? (written.replace(SPACE_FOR_T, '$1T') as T) : written);

/**
 * graphql-scalars' parse of a DateTime (`parse`), its refusal rethrown as a TypeError whose echo of
 * the value (`echoed`: the text, or the JSON, it quotes) is cut (`cutForMessage`): it quoted the
 * whole value, up to MAX_TEXT_LENGTH characters or the request's size (lifecycle-23).
 */
function scalarsParse(parse: () => unknown, echoed: string | undefined): Date {
  try {
    return parse() as Date;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new TypeError(echoed && echoed.length > SHOWN_INPUT_CHARS ? message.replace(echoed, () => cutForMessage(echoed)) : message);
  }
}

/** A DateTime variable's value as the instant it names, with the offset it was written with; TypeError (BAD_USER_INPUT) when refused. */
function parseWritten(value: unknown): Date {
  const written = spaceAsT(value);
  refusingMiswritten(written);
  const echoed = typeof written === 'string' ? written : JSON.stringify(written);
  return withOffset(inRange(scalarsParse(() => DateTimeResolver.parseValue(written), echoed)), written);
}

/**
 * An instant, ISO 8601 / RFC 3339 with a time zone, always answered in UTC. As input, the Date
 * remembers the offset it was written with (`OffsetInstant`); the instant is the same either way.
 */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description:
    'An instant in ISO 8601 / RFC 3339 form with a time zone, such as 2026-03-01T10:15:30Z or 2026-03-01T11:15:30+01:00 (a space may stand for the T, as RFC 3339 allows; the offset is ±hh:mm, with its colon), from year 0001 to 9999; answered in UTC.',
  serialize: (value) => toDate(value).toISOString(),
  parseValue: (value) => parseWritten(value),
  parseLiteral: (ast, variables) => {
    const written = ast.kind === Kind.STRING ? spaceAsT(ast.value) : null;
    try {
      refusingMiswritten(written);
      const parsed = scalarsParse(() => (written === null ? DateTimeResolver.parseLiteral(ast, variables) : DateTimeResolver.parseValue(written)), written ?? ('value' in ast ? String(ast.value) : undefined));
      return withOffset(inRange(parsed), written);
    } catch (error) {
      // graphql-js reports a literal's TypeError as `Expected value of type "DateTime", found <the
      // literal, whole>; <message>`: the same words, the literal cut (lifecycle-23)
      if (error instanceof GraphQLError) throw error;
      throw new GraphQLError(`Expected value of type "DateTime", found ${cutForMessage(print(ast))}; ${(error as Error).message}`, { nodes: ast });
    }
  },
});

/** How deep a JSON value may nest (objects and arrays); PostgreSQL's jsonb would take far more than any client needs. */
export const MAX_JSON_DEPTH = 16;

/** Throws when a JSON value nests past MAX_JSON_DEPTH or carries text (a value or a key) PostgreSQL cannot store. */
function storableJson(value: unknown): unknown {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [item, depth] = stack.pop()!;
    if (typeof item === 'string') {
      // Any length here: each string's bound, MAX_TEXT_LENGTH but where the argument's path allows
      // more (a manifest's document), is findUnstorableText's, which names the path; the request's
      // BODY_LIMIT_BYTES bounds the whole.
      const problem = unstorableText(item, Number.POSITIVE_INFINITY);
      if (problem) throw new TypeError(`JSON text ${problem}`);
    } else if (item !== null && typeof item === 'object') {
      if (depth >= MAX_JSON_DEPTH) throw new TypeError(`JSON must not nest deeper than ${MAX_JSON_DEPTH} levels`);
      for (const [key, child] of Object.entries(item)) {
        if (!Array.isArray(item)) {
          const problem = unstorableText(key, 1000);
          if (problem) throw new TypeError(`JSON key ${problem}`);
        }
        stack.push([child, depth + 1]);
      }
    }
  }
  return value;
}

/** Any JSON value; as input, at most MAX_JSON_DEPTH deep and with text PostgreSQL's jsonb can store. */
export const JSONScalar = new GraphQLScalarType({
  ...JSONResolver.toConfig(),
  parseValue: (value) => storableJson(JSONResolver.parseValue(value)),
  parseLiteral: (ast, variables) => storableJson(JSONResolver.parseLiteral(ast, variables)),
});

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function parseDate(value: unknown): string {
  if (typeof value !== 'string') throw new TypeError('Date must be a string YYYY-MM-DD');
  const m = DATE_RE.exec(value);
  if (!m) throw new TypeError(`Date must be YYYY-MM-DD, got "${value.slice(0, 40)}"`);
  // setUTCFullYear: Date.UTC would read years 0-99 as 1900-1999
  const d = new Date(0);
  d.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // year 0000 is no year of the calendar PostgreSQL's `date` uses (1 BC comes before 0001)
  if (Number(m[1]) < 1 || d.getUTCFullYear() !== Number(m[1]) || d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) {
    throw new TypeError(`Date "${value}" does not exist`);
  }
  return value;
}

/** A calendar date with no time zone, `YYYY-MM-DD`; kept as a string end to end. */
export const DateScalar = new GraphQLScalarType<string, string>({
  name: 'Date',
  description: 'A calendar date, YYYY-MM-DD (no time zone).',
  serialize: (value) => (value instanceof Date ? value.toISOString().slice(0, 10) : parseDate(value)),
  parseValue: parseDate,
  parseLiteral: (ast: ValueNode) => {
    if (ast.kind !== Kind.STRING) throw new TypeError('Date must be a string YYYY-MM-DD');
    return parseDate(ast.value);
  },
});

const DECIMAL_RE = /^-?\d{1,15}(\.\d{1,6})?$/;

/**
 * A Decimal input as the string it stands for. A string must match DECIMAL_RE. Deliberate leniency
 * for clients that send numbers (docs/decisions.md, "Decimal inputs may be JSON numbers"): a JSON
 * number in variables is read as its shortest form (`String(n)`: 3.8 is "3.8"), taken when that is
 * such a decimal and refused when it is not (0.1 + 0.2 is 0.30000000000000004, 1e21 is "1e+21"),
 * so no binary rounding is ever stored; a number literal in the document is read as written. A
 * number the request's JSON wrote with more precision than a double keeps (4.500000000000000001,
 * which arrives here as 4.5) never reaches this: the HTTP layer refuses the request
 * (`parseRequestJson`, src/http/request-json.ts).
 * Throws TypeError (BAD_USER_INPUT) otherwise.
 */
function parseDecimal(value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value)) {
    const spelt = String(value);
    if (DECIMAL_RE.test(spelt)) return spelt;
    throw new TypeError(`Decimal ${spelt} is a JSON number that is no exact decimal of at most 15 digits and 6 decimals: send it as a string such as "4.50"`);
  }
  if (typeof value !== 'string') throw new TypeError(`Decimal must be a string such as "4.50", not ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'an object' : `a ${typeof value}`}`);
  if (!DECIMAL_RE.test(value)) throw new TypeError(decimalProblem(value));
  return value;
}

/**
 * Why a string is no Decimal, in words a client can act on (newcomer-24: "3,20", "1e3" and a
 * 20-digit price were all told "Decimal must be a string such as "4.50"", though each was a string).
 * The value is quoted (40 characters at most). Pure; `value` fails DECIMAL_RE.
 */
function decimalProblem(value: string): string {
  const quoted = JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  const written = 'write digits, an optional leading "-" and "." as the decimal point, such as "4.50"';
  if (value.trim() === '') return `Decimal ${quoted} is empty: ${written}`;
  if (value.trim() !== value) return `Decimal ${quoted} has white space around it: ${written}`;
  if (value.includes(',')) return `Decimal ${quoted} has a ",": the decimal point is "." and there are no thousands separators, such as "1234.50"`;
  if (/^[-+]?\d*\.?\d*[eE]/.test(value)) return `Decimal ${quoted} has an exponent: write the digits out, such as "1000" for "1e3"`;
  const m = /^-?(\d*)(?:\.(\d*))?$/.exec(value);
  if (!m || (m[1] === '' && m[2] === undefined)) return `Decimal ${quoted} is not a number: ${written}`;
  const [, whole, fraction] = m;
  if (whole === '' || fraction === '') return `Decimal ${quoted} needs a digit on each side of its point, such as "0.50" or "4"`;
  if (whole.length > 15) return `Decimal ${quoted} has ${whole.length} digits before its point: at most 15`;
  return `Decimal ${quoted} has ${fraction!.length} decimals: at most 6`;
}

/** An exact decimal number carried as a string, e.g. `"4.50"`: money and point values. */
export const DecimalScalar = new GraphQLScalarType<string, string>({
  name: 'Decimal',
  description:
    'An exact decimal number, answered as a string such as "4.50"; send strings. A JSON number in variables (3.8) is also taken as the decimal its shortest form spells ("3.8"), and refused when that form is not one (0.30000000000000004, 1e+21) or is not what was written (4.500000000000000001 reads as 4.5: the request is refused).',
  serialize: (value) => {
    if (typeof value === 'number') return String(value);
    if (typeof value === 'string') return value;
    throw new TypeError('Decimal cannot represent this value');
  },
  parseValue: parseDecimal,
  parseLiteral: (ast: ValueNode) => {
    if (ast.kind !== Kind.STRING && ast.kind !== Kind.FLOAT && ast.kind !== Kind.INT) throw new TypeError('Decimal must be a string such as "4.50"');
    return parseDecimal(ast.value);
  },
});

function safeInteger(value: unknown): number {
  const n = typeof value === 'bigint' || (typeof value === 'string' && /^-?\d{1,16}$/.test(value)) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new TypeError('BigInt must be an integer between -(2^53 - 1) and 2^53 - 1');
  return n;
}

/**
 * A 64-bit integer for program-wide totals (points issued, outstanding, …), which pass 32-bit
 * `Int` long before they pass PostgreSQL's `bigint`. Answered as a JSON number, which every JSON
 * reader keeps exact up to 2^53 − 1 (the contract's bound); a total beyond that is an error rather
 * than a rounded number.
 */
export const BigIntScalar = new GraphQLScalarType<number, number>({
  name: 'BigInt',
  description: 'A 64-bit integer, as a JSON number (exact up to 2^53 - 1).',
  serialize: safeInteger,
  parseValue: safeInteger,
  parseLiteral: (ast: ValueNode) => {
    if (ast.kind !== Kind.INT && ast.kind !== Kind.STRING) throw new TypeError('BigInt must be an integer');
    return safeInteger(ast.kind === Kind.INT ? Number(ast.value) : ast.value);
  },
});
