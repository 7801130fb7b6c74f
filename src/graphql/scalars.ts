import { GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';

function toDate(value: unknown): Date {
  // Timestamps arrive as Date objects or as PostgreSQL's text form ("2026-01-02 03:04:05.678+00").
  const date = value instanceof Date ? value : typeof value === 'string' || typeof value === 'number' ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) throw new TypeError('DateTime cannot represent this value');
  return date;
}

/** An instant, ISO 8601 / RFC 3339 with a time zone, always answered in UTC. */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An instant in ISO 8601 / RFC 3339 form with a time zone, such as 2026-03-01T10:15:30Z; answered in UTC.',
  serialize: (value) => toDate(value).toISOString(),
  parseValue: (value) => DateTimeResolver.parseValue(value) as Date,
  parseLiteral: (ast, variables) => DateTimeResolver.parseLiteral(ast, variables) as Date,
});
/** How deep a JSON input may nest (objects and arrays): attributes and manifests need a few levels. */
export const MAX_JSON_DEPTH = 32;

/**
 * Refuses JSON nested deeper than MAX_JSON_DEPTH, walking it without recursion: a value nested
 * thousands deep (a 100 kB body allows 20,000 levels) overflowed the stack of whatever touched it
 * next (serialising it for PostgreSQL), an INTERNAL_SERVER_ERROR instead of bad input.
 */
function checkJsonDepth(value: unknown): void {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) throw new TypeError(`JSON values may nest at most ${MAX_JSON_DEPTH} levels deep`);
    for (const child of Array.isArray(item) ? item : Object.values(item)) stack.push([child, depth + 1]);
  }
}

/** Any JSON value (graphql-scalars' JSON), at most MAX_JSON_DEPTH levels deep. */
export const JSONScalar = new GraphQLScalarType({
  ...JSONResolver.toConfig(),
  parseValue: (value) => {
    checkJsonDepth(value);
    return JSONResolver.parseValue(value);
  },
  parseLiteral: (ast, variables) => {
    const value = JSONResolver.parseLiteral(ast, variables);
    checkJsonDepth(value);
    return value;
  },
});

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function parseDate(value: unknown): string {
  if (typeof value !== 'string') throw new TypeError('Date must be a string YYYY-MM-DD');
  const m = DATE_RE.exec(value);
  if (!m) throw new TypeError(`Date must be YYYY-MM-DD, got "${value.slice(0, 40)}"`);
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  if (d.getUTCFullYear() !== Number(m[1]) || d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) {
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

function parseDecimal(value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value)) value = String(value);
  if (typeof value !== 'string' || !DECIMAL_RE.test(value)) {
    throw new TypeError('Decimal must be a string such as "4.50" (at most 15 digits and 6 decimals)');
  }
  return value;
}

/** An exact decimal number carried as a string, e.g. `"4.50"`: money and point values. */
export const DecimalScalar = new GraphQLScalarType<string, string>({
  name: 'Decimal',
  description: 'An exact decimal number as a string, such as "4.50".',
  serialize: (value) => {
    if (typeof value === 'number') return String(value);
    if (typeof value === 'string') return value;
    throw new TypeError('Decimal cannot represent this value');
  },
  parseValue: parseDecimal,
  parseLiteral: (ast: ValueNode) => {
    if (ast.kind !== Kind.STRING && ast.kind !== Kind.FLOAT && ast.kind !== Kind.INT) throw new TypeError('Decimal must be a string');
    return parseDecimal(ast.value);
  },
});
