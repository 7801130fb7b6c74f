import type pg from 'pg';

/**
 * How long a connection of the gateway's own (the job runner's LISTEN connection, the event relay's)
 * is given for its goodbye when it is closed (ms): a server that runs closes it at once; a frozen
 * one (its backend stopped, the host frozen, a flow a firewall dropped) never answers, and its
 * socket is then destroyed without one (leftovers-16, break-16).
 */
export const CONNECTION_END_MS = 1_000;

/**
 * Destroys `client`'s socket without a goodbye: a statement in flight on it fails ("Connection
 * terminated"), and the client ends. pg (8.23) has no public way to drop a connection whose server
 * is silent; its own `end()` does this for a connection with a statement in flight. An upgrade of
 * pg must keep `client.connection.stream` (test/jobs/frozen-probe.test.ts, test/jobs/break-16.test.ts).
 */
export function destroySocket(client: pg.ClientBase): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

/**
 * Ends `client` (a connection of its own, not pooled), waiting at most `ms` for the server to close
 * it; past that its socket is destroyed (`destroySocket`). pg's `end()` sends Terminate and waits for
 * the server to close the socket, which a stopped backend or a frozen host never does: the runner's
 * stop() and the event relay's (and so the gateway's shutdown) waited for as long as the freeze
 * lasted (leftovers-16; the relay's, break-16). Never rejects.
 */
export async function endWithin(client: pg.Client, ms: number = CONNECTION_END_MS): Promise<void> {
  const ended = client.end().catch(() => undefined);
  if (await settlesWithin(ended, ms)) return;
  // The 'close' this causes resolves `ended`.
  destroySocket(client);
  await ended;
}

/**
 * Waits at most `ms` for `closing` (`pool`'s `end()`, or the ORM's close that ends it); past that
 * destroys the socket of every connection pg-pool still holds (`destroySocket` on its internal
 * `_clients`: lent ones, and ones still connecting), which a frozen server never lets end, so that
 * `closing` settles. Answers `closing`, its rejection included. pg-pool's `end()` waits for each of
 * its connections to end (closeOrm for the request pool, QueueMetrics for the metrics connection).
 */
export async function poolClosedWithin<T>(pool: pg.Pool, closing: Promise<T>, ms: number): Promise<T> {
  if (!(await settlesWithin(closing, ms))) {
    for (const client of (pool as unknown as { _clients?: pg.Client[] })._clients ?? []) destroySocket(client);
  }
  return closing;
}

/** Whether `promise` settles (either way) within `ms`; it is not cancelled when it does not. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  try {
    return (await Promise.race([promise.then(() => 'settled', () => 'settled'), late])) !== 'late';
  } finally {
    clearTimeout(timer);
  }
}
