import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * pino's error serializer without the objects some libraries hang on their errors: `pg-pool`
 * attaches the whole `pg.Client` to an idle connection's error (`err.client`: its connection
 * parameters, socket, parser, cached statements; ~4 kB per log line, seen on every shutdown
 * by Ctrl-C, where the embedded PostgreSQL in the same process group stops first). Every other
 * field pino's `stdSerializers.err` keeps (type, message, stack, and a database error's code,
 * severity, routine…) stays.
 */
export function serializeError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
  if (serialized && typeof serialized === 'object' && 'client' in serialized) {
    const { client: _client, ...rest } = serialized;
    return rest;
  }
  return serialized;
}

/**
 * The gateway's logger: JSON lines at `level` (LOG_LEVEL) to stdout, or to `destination` (tests),
 * with `err` serialized by `serializeError`.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, serializers: { err: serializeError } }, destination);
}
