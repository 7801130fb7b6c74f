import type pg from 'pg';
import type { PoolSockets } from './pool-sockets.js';

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
 * How long `poolClosedWithin` waits, after it destroyed the sockets of the connections a pool still
 * held, for the pool's close to report done (ms). A destroyed socket closes locally (no answer from
 * the server is awaited): a holder still running sees its statement fail and hands its connection
 * back within a few turns of the event loop. A connection still counted after this was lent to a
 * holder that will never hand it back (lifecycle-22: kysely's, when its connect completed after the
 * close began); its socket is already closed, so nothing of it is left on the server either.
 */
export const POOL_CLOSE_AFTER_CUT_MS = 1_000;

/**
 * Closes a pool within about `ms` + POOL_CLOSE_AFTER_CUT_MS, whether or not `closing` (the pool's
 * `end()`, or the ORM's close that ends it) ever settles. Waits at most `ms` for `closing`; past
 * that destroys the socket of every connection the pool still has (`sockets`: lent ones, idle ones,
 * and ones still connecting, made through pg's public `stream` option), which a frozen server never
 * lets end, and waits at most POOL_CLOSE_AFTER_CUT_MS more. pg-pool's `end()` waits for each of its
 * connections to be handed back and ended, so one lent to a holder that never hands it back kept it
 * pending for ever: the gateway's stop then waited on nothing, and the process ended with exit code
 * 0 and no "stopped" line (no timer or socket was left to keep it running), or at the stop's 15 s
 * limit with exit 1 (lifecycle-22). Answers whether `closing` completed; rejects with its
 * rejection. The timers here are not `unref`ed: the process keeps running until this settles.
 */
export async function poolClosedWithin(sockets: PoolSockets, closing: Promise<unknown>, ms: number): Promise<boolean> {
  if (await settlesWithin(closing, ms)) return closing.then(() => true);
  sockets.destroyAll();
  if (await settlesWithin(closing, POOL_CLOSE_AFTER_CUT_MS)) return closing.then(() => true);
  return false;
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
