import net from 'node:net';
import type pg from 'pg';

/**
 * Cuts a pool's connects still under way when `signal` aborts (a stop signal during start-up,
 * lifecycle-21). The request pool's first connect comes after the migration session's, inside the
 * migration step (MikroORM connects on its first statement); on a server that accepted the TCP
 * connection and never answered (frozen, or a proxy whose backend is gone) it waited out
 * DB_ACQUIRE_TIMEOUT_MS, past the stop's 15 s limit: exit 1, "shutdown took too long" (break2-19
 * left it). `pg`'s own end of a connect under way sends a Terminate and waits for a close that such a
 * server never sends; its socket destroyed, the connect rejects at once.
 *
 * Only connects under way are cut: a connection that is ready (the pool's 'connect', told by
 * `ready`) keeps going, so a migration or the demo seed that has its connection is finished, as
 * early-19 decided. Told of each socket the pool makes (`connecting`, from `PoolSockets`, pg's
 * `stream` option).
 */
export class ConnectCut {
  readonly #connecting = new Set<net.Socket>();
  #cut = false;

  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', () => this.#connecting.forEach((socket) => this.#destroy(socket)), { once: true });
  }

  /** True once the abort has destroyed a connect under way: what failed then failed by the signal. */
  get cut(): boolean {
    return this.#cut;
  }

  /** A socket the pool has just made (`PoolSockets`' `made`), which pg connects in this same turn: cut by the abort until `ready`. */
  readonly connecting = (socket: net.Socket): void => {
    this.#connecting.add(socket);
    socket.once('close', () => this.#connecting.delete(socket));
    // made after the abort: pg connects it in this same turn, and a socket destroyed before its connect() is made live again by it
    if (this.signal.aborted) process.nextTick(() => this.#destroy(socket));
  };

  /** The pool's 'connect' for `client`: its connection is ready, and no abort cuts it from now on. */
  ready(client: pg.ClientBase): void {
    const stream = (client as pg.ClientBase & { connection: { stream: net.Socket & { _parent?: net.Socket } } }).connection.stream;
    // with TLS, pg's stream is the TLS socket node made over ours (`_parent`)
    this.#connecting.delete(stream._parent ?? stream);
  }

  #destroy(socket: net.Socket): void {
    if (!this.#connecting.delete(socket)) return;
    this.#cut = true;
    socket.destroy();
  }
}
