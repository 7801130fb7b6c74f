import net from 'node:net';

/**
 * The sockets a pg pool's connections run on, every one from the moment it is made until it closes:
 * connecting, idle, or lent. Made through pg's public `stream` option (`ClientConfig.stream`: a
 * function called as each client is made, which pg then connects, and on which it starts TLS), as
 * pg itself makes them (a plain TCP socket), so that a close can cut them without pg-pool's private
 * `_clients` list (lifecycle-23: lifecycle-22's `poolClosedWithin` read it, and a pg-pool that
 * renamed it would have left the gateway's stop waiting for a connection nobody hands back).
 * test/db/lifecycle-22-pool-close-bound.test.ts and test/db/lifecycle-23-pool-sockets.test.ts fail
 * (a close still pending after 20 s) if pg stops making its sockets through `stream`.
 */
export class PoolSockets {
  readonly #open = new Set<net.Socket>();

  /**
   * @param made Told of each socket as it is made (`ConnectCut` tracks the connects under way).
   */
  constructor(private readonly made?: (socket: net.Socket) => void) {}

  /** pg's `stream` option: a new socket, followed until it closes. */
  readonly stream = (): net.Socket => {
    const socket = new net.Socket();
    this.#open.add(socket);
    socket.once('close', () => this.#open.delete(socket));
    this.made?.(socket);
    return socket;
  };

  /** How many sockets are open (made and not yet closed). */
  get size(): number {
    return this.#open.size;
  }

  /**
   * Destroys every open socket without a goodbye: a statement in flight fails ("Connection
   * terminated"), a connect under way rejects, and each client ends and leaves its pool, which a
   * frozen server (no answer to pg's Terminate) or a holder that never hands its connection back
   * would otherwise keep from closing.
   */
  destroyAll(): void {
    for (const socket of this.#open) socket.destroy();
  }
}
