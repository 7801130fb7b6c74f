import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';

/** What the HTTP server's 'upgrade' event carries: the request, its connection, and the bytes read past its headers. */
export type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * The one owner of an HTTP server's 'upgrade' listener (lifecycle-21). Node hands a request with
 * `Upgrade` to the 'upgrade' listeners whenever there is any, and reads it as an ordinary request
 * (which the drain refuses 503 SHUTTING_DOWN during shutdown) only when there is none; so whether a
 * listener is there decides who must answer. The gateway's parts plug in here instead of adding
 * their own:
 * - watchers (`watch`): see each upgrade before it is answered, answer none (the drain's mark of
 *   upgraded connections, the metrics' count of each upgrade's answer);
 * - one handler (`handle`): answers it (the WebSocket server).
 * The dispatcher is on the server only while a handler is plugged in. Before break-19's mend of it,
 * the watchers stayed after the WebSocket server stopped and an upgrade during the drain was
 * answered by nobody; that mend had ws.ts remove every 'upgrade' listener of the server, others'
 * included. Now the WebSocket side's unplugging removes the dispatcher alone, and a listener that is
 * not the gateway's stays.
 */
export class UpgradeDispatch {
  readonly #watchers: UpgradeListener[] = [];
  #handler: UpgradeListener | undefined;
  readonly #dispatch: UpgradeListener = (req, socket, head) => {
    for (const watcher of this.#watchers) watcher(req, socket, head);
    this.#handler?.(req, socket, head);
  };

  constructor(private readonly server: Server) {}

  /** Calls `watcher` with each upgrade request the handler is given, before the handler (in the order watchers were added). */
  watch(watcher: UpgradeListener): void {
    this.#watchers.push(watcher);
  }

  /**
   * Makes `handler` the one that answers upgrade requests, and puts the dispatcher on the server.
   * Returns the unplugging: the dispatcher leaves the server (node then reads upgrade requests as
   * ordinary ones); calling it again does nothing. Throws when a handler is already plugged in.
   */
  handle(handler: UpgradeListener): () => void {
    if (this.#handler) throw new Error('UpgradeDispatch: an upgrade handler is already plugged in');
    this.#handler = handler;
    this.server.on('upgrade', this.#dispatch);
    return () => {
      if (this.#handler !== handler) return;
      this.#handler = undefined;
      this.server.off('upgrade', this.#dispatch);
    };
  }
}
