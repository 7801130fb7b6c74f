import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * pino's error serializer without the objects some libraries hang on their errors: `pg-pool`
 * attaches the whole `pg.Client` to an idle connection's error (`err.client`: its connection
 * parameters, socket, parser, cached statements; ~4 kB per log line, seen on every shutdown
 * by Ctrl-C, where the embedded PostgreSQL in the same process group stops first), and the
 * arguments of a Redis command (`err.command.args`: a password, client addresses). Every other
 * field pino's `stdSerializers.err` keeps (type, message, stack, and a database error's code,
 * severity, routine…) stays.
 */
export function serializeError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
  if (!serialized || typeof serialized !== 'object') return serialized;
  return withheld(serialized, 0);
}

/** The fields errors nest others in: an AggregateError's (as pino serializes it), ioredis' retries', a cause. */
const NESTED_ERRORS = ['aggregateErrors', 'previousErrors', 'errors', 'cause'] as const;

/**
 * `serialized` (an error as pino serializes it) without what serializeError keeps out of the log,
 * and the same for the errors it nests (NESTED_ERRORS), down to 5 levels: a nested error kept its
 * `client`, its `detail`'s row values and its command's arguments (break37d).
 */
function withheld(serialized: Record<string, unknown>, depth: number): Record<string, unknown> {
  const { client: _client, ...rest } = serialized;
  if (typeof rest.detail === 'string') rest.detail = withheldDetail(rest.detail);
  // ioredis' errors carry the command that failed with its arguments: HELLO's AUTH password (a
  // refused or rotated REDIS_URL password, logged on every reconnect) and the rate-limit keys (client
  // IP addresses). The command's name is kept, its arguments never (break37, ops).
  if (rest.command && typeof rest.command === 'object') rest.command = { name: (rest.command as { name?: unknown }).name, args: '(withheld from the log)' };
  if (depth >= 5) return rest;
  const inner = (value: unknown) => (value && typeof value === 'object' && !Array.isArray(value) ? withheld(value as Record<string, unknown>, depth + 1) : value);
  for (const field of NESTED_ERRORS) {
    const value = rest[field];
    if (Array.isArray(value)) rest[field] = value.map(inner);
    else if (value && typeof value === 'object') rest[field] = inner(value);
  }
  return rest;
}

/**
 * A PostgreSQL error's DETAIL without the row values it quotes: a check or not-null violation says
 * "Failing row contains (…)" with the whole row (a customer's e-mail, name, birth date), and a
 * unique or foreign-key violation "Key (column)=(value) …". Such an error reaching the log (an
 * internal error's `err`) put those values into a production log (operator-17); the constraint,
 * table, column and code that name the fault are kept, and so is the rest of the detail.
 */
export function withheldDetail(detail: string): string {
  if (detail.startsWith('Failing row contains')) return 'Failing row contains (values withheld from the log)';
  return detail.replace(/^(Key \([^)]*\))=\((.*)\)( .*)?$/s, '$1=(withheld)$3');
}

/**
 * The gateway's logger: JSON lines at `level` (LOG_LEVEL) to stdout, or to `destination` (tests),
 * with `err` serialized by `serializeError`.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, serializers: { err: serializeError } }, destination);
}
