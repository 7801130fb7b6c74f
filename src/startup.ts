/**
 * Start-up preconditions `main.ts` checks before doing work, and how a failed start reads: one line
 * naming the cause and the remedy (docs/decisions.md, "Starting up").
 */
import { createServer } from 'node:net';
import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import { StartupError } from './db/embedded.js';

const errno = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code;

/**
 * A start-up's progress, as `main.ts` (src/run-gateway.ts) follows it and the steps it hands it
 * (`openDatabase`) report it. `enter(stage, fields)` makes `stage` the step under way (named by the
 * line a signal during start-up logs) and logs it at info, with `fields`; it throws `signal`'s
 * reason, doing neither, when a SIGTERM or SIGINT has stopped the start-up. `signal` is aborted by
 * that signal: a wait within a step that could last (initdb, the embedded server's start, another
 * gateway's migration lock) ends on it (early-19).
 */
export interface StartupProgress {
  signal: AbortSignal;
  enter(stage: string, fields?: Record<string, unknown>): void;
}

/**
 * Refuses to start when the gateway's HTTP port cannot be bound, before any database work.
 * Port 0 (any free port) always passes. Throws `StartupError`.
 */
export async function ensurePortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error) => reject(portFailure(error, host, port) ?? error));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}

function portFailure(error: unknown, host: string, port: number): StartupError | undefined {
  switch (errno(error)) {
    case 'EADDRINUSE':
      return new StartupError(`Port ${port} on ${host} is already in use (EADDRINUSE: another gateway or program listens there): stop it, or set PORT to a free port.`);
    case 'EACCES':
      return new StartupError(`Port ${port} on ${host} needs privileges this user does not have: set PORT to 1024 or above.`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new StartupError(`HOST ${host} is not an address of this machine: set HOST to one of its addresses, or 0.0.0.0 for all.`);
    default:
      return undefined;
  }
}

/**
 * Connects `redis` (made with `lazyConnect`) during start-up, or throws a `StartupError` naming
 * REDIS_URL's host and port (never its password), what the gateway needs it for (`use`), the cause
 * and the remedy. ioredis rejects a refused connect with "Connection is closed." alone (its cause
 * goes to the 'error' event), so a REDIS_URL nobody answered stopped the start with "Start-up
 * failed: Connection is closed.." (operator-17). The client is disconnected on failure (no
 * reconnecting in the background).
 *
 * `signal` (the start-up's abort: a stop signal before "gateway ready") cuts the connect: its
 * socket is destroyed and this rejects with the signal's reason. A Redis that accepted the TCP
 * connection and never answered held the stop until ioredis' connect timeout (10 s) and then failed
 * the start (lifecycle-21); `disconnect()` alone only half-closes a socket such a peer never closes.
 *
 * Once connected, REDIS_URL's database (its path), when not 0, is selected again, so a number the
 * server does not have is refused here ("ERR DB index is out of range"; ioredis went on in
 * database 0). Database 0 is never selected: the connection is on it already, and a user or proxy
 * that may not SELECT (an ACL's `-select`, twemproxy) was refused for nothing (break37d). With
 * `probeKey` (the rate limits, whose every count is a write; a key under the deployment's prefix,
 * which a prefix-scoped ACL allows: break37d), that key is set for a second: a read-only replica
 * (READONLY) answers the connect and PING, and every count then failed and let its request through,
 * so the deployment had no rate limits at all (break37, ops).
 */
export async function connectRedisAtStart(redis: Redis, url: string, use: string, signal?: AbortSignal, { probeKey }: { probeKey?: string } = {}): Promise<void> {
  let cause: Error | undefined;
  let connected = false;
  const onError = (error: Error) => (cause ??= error);
  redis.on('error', onError);
  const cut = () => {
    redis.disconnect();
    redis.stream?.destroy();
  };
  signal?.addEventListener('abort', cut, { once: true });
  try {
    signal?.throwIfAborted();
    await redis.connect();
    signal?.throwIfAborted();
    connected = true;
    const database = Number(new URL(url).pathname.replace(/^\//, '') || 0);
    if (database !== 0) await redis.select(database);
    if (probeKey) await redis.set(probeKey, '1', 'PX', 1_000);
    signal?.throwIfAborted();
  } catch (error) {
    redis.disconnect();
    if (signal?.aborted) throw signal.reason;
    let where = 'REDIS_URL';
    try {
      const parsed = new URL(url);
      where = `${parsed.hostname}:${parsed.port || 6379}`;
    } catch {
      // config.ts checked it parses
    }
    const reason = (connected ? (error as Error) : (cause ?? (error as Error))).message.replace(/\.$/, '');
    if (connected) {
      throw new StartupError(
        `Redis at ${where} refused the gateway (REDIS_URL, for ${use}: ${reason}): point REDIS_URL at a primary (not a read-only replica), with a database number the server has, or unset it to count rate limits and fan events out in PostgreSQL.`,
        { cause: error },
      );
    }
    throw new StartupError(
      `Cannot reach Redis at ${where} (REDIS_URL, for ${use}: ${reason}): start Redis there, fix REDIS_URL, or unset it to count rate limits and fan events out in PostgreSQL.`,
      { cause: error },
    );
  } finally {
    redis.off('error', onError);
    signal?.removeEventListener('abort', cut);
  }
}

/** Where DATABASE_URL points, without its password. */
function databaseTarget(url: string | undefined): string {
  try {
    const parsed = new URL(url ?? '');
    return `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
  } catch {
    return 'DATABASE_URL';
  }
}

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e && chain.length < 5; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

/** The one line a failed start prints: what went wrong and what to do about it. */
export function startupFailure(error: unknown, config: Config): string {
  const chain = causes(error);
  const startup = chain.find((e) => e instanceof StartupError);
  if (startup) return (startup as StartupError).message;
  const port = chain.map((e) => portFailure(e, config.host, config.port)).find(Boolean);
  if (port) return port.message;
  const code = chain.map((e) => (e as { code?: string }).code).find((c) => typeof c === 'string');
  const where = databaseTarget(config.databaseUrl);
  if (config.databaseUrl) {
    switch (code) {
      case 'ECONNREFUSED':
      case 'ETIMEDOUT':
      case 'EHOSTUNREACH':
        return `Cannot reach the database at ${where} (${code}): start PostgreSQL there, fix DATABASE_URL, or unset it to use the embedded database.`;
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return `The database host in DATABASE_URL (${where}) cannot be resolved: fix DATABASE_URL.`;
      case '28P01':
      case '28000':
        return `The database at ${where} refused the user or password in DATABASE_URL: fix DATABASE_URL's credentials.`;
      case '3D000':
        return `The database in DATABASE_URL (${where}) does not exist: create it (createdb), or fix DATABASE_URL.`;
      case '42501':
        return `The user in DATABASE_URL may not create the gateway's tables in ${where}: grant it CREATE on the database, or use its owner.`;
    }
  }
  // A server that takes the connection and never answers (another service on the port, a proxy
  // whose backend is gone, a frozen server) and a start-up statement cut by the request timeout
  // read "timeout expired" and "canceling statement due to statement timeout", naming nothing
  // (break37, ops): the database, the address and the setting that waited are named.
  const first = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0];
  const database = config.databaseUrl ? `the database at ${where} (DATABASE_URL)` : 'the embedded database';
  if (chain.some((e) => /^(timeout expired|Connection terminated due to connection timeout)/i.test(first(e)))) {
    return `${database[0].toUpperCase()}${database.slice(1)} did not answer within DB_ACQUIRE_TIMEOUT_MS (${config.dbTimeouts.acquireMs} ms): check that PostgreSQL is running and answering there (not another service on that port, nor a frozen server), or raise DB_ACQUIRE_TIMEOUT_MS.`;
  }
  if (code === '57014') {
    return `A start-up statement on ${database} was cancelled by a statement timeout (DB_STATEMENT_TIMEOUT_MS is ${config.dbTimeouts.statementMs} ms, in milliseconds; or the database's own statement_timeout): raise it.`;
  }
  // one full stop: "Connection is closed." read "Start-up failed: Connection is closed.."
  const message = (String((error as Error)?.message ?? error).split('\n')[0] || String(error)).replace(/\.$/, '');
  return `Start-up failed: ${message}. Nothing was left running; LOG_LEVEL=debug shows the details.`;
}
