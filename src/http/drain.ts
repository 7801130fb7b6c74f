import type { Server, ServerResponse } from 'node:http';
import net, { type Socket } from 'node:net';
import { ErrorCode } from '../graphql/errors.js';
import type { UpgradeDispatch } from './upgrades.js';

/**
 * The HTTP half of a graceful shutdown, owned by the gateway (not Apollo's drain plugin).
 *
 * Apollo's `ApolloServerPluginDrainHttpServer` counts requests from node's `request` event to the
 * response's `finish`, ends every socket with none counted when the drain starts, and lets Apollo
 * stop once the sockets are gone. A request already sent but not yet read then (a kept-alive
 * connection's next request, headers still arriving, bytes still in the kernel's buffer under
 * load) was read after its socket had been ended: the gateway's handler ran (credentials, the
 * persisted-document decision, both awaiting the database), its client hung up, Apollo stopped,
 * and the handler reached a stopped Apollo: no answer, and "Cannot execute GraphQL operations
 * after the server has stopped" logged as a 500.
 *
 * Here shutdown is one switch, `closing`, and the order is:
 * 1. stop accepting connections; connections already open stay open, so a request on one is read;
 * 2. every request read from then on is refused at once, 503 `SHUTTING_DOWN` with
 *    `Connection: close`, before any of the gateway's work (nothing of it ran: safe to send again);
 * 3. wait (at most `graceMs`) for the handlers that started before (their answers also carry
 *    `Connection: close`), then for every answer to be sent whole to its client (break2-18: a slow
 *    reader's was cut once its handler had ended it), and for whatever else the caller names
 *    (operations over WebSocket); a
 *    request whose body has not all come within `REQUEST_GRACE_MS` is refused like a new one (nothing
 *    of it ran), so a client that stopped sending does not hold the shutdown for its grace period;
 * 4. close the connections left idle, then wait (within the same deadline) for the others to
 *    finish; at the deadline, cut whatever is left. A kept-alive connection at rest is closed at
 *    once (RFC 9112 §9.6), once the bytes already in the kernel's buffers have been read (a request
 *    among them is a request, refused 503). A connection that has sent no byte yet (a load
 *    balancer's or a browser's pre-opened one, or one the kernel accepted just before the stop) has
 *    `REQUEST_GRACE_MS` from the stop's start to send its request, which is refused 503
 *    `SHUTTING_DOWN` like any other, and is then closed (stop-25: it was destroyed at once, and a
 *    request sent a moment later met a TCP reset instead of an answer). node's
 *    `closeIdleConnections` counts it as a request in progress (its headers' clock runs from the
 *    connect), so before break-14 it held every stop for the whole grace period (10 s).
 *    A connection whose request's headers started and stopped coming (node counts it as a request
 *    in progress too) is answered 503 `SHUTTING_DOWN` and closed once it has been so for
 *    `REQUEST_GRACE_MS`: nothing of that request ran (halfsent-17: it held every stop to the deadline).
 * Every connection the shutdown closes after an answer (`Connection: close`) is closed in stages
 * (`lingeringClose`): destroyed while the client still sends (the rest of an upload), a socket
 * answers with a reset, which can reach the client before, or instead of, the 503 (stop-25).
 * Only then may the caller stop what the handlers use (Apollo, the relay, rate limits).
 */
/**
 * What a request or a socket's operation read once shutdown has begun is answered (code
 * SHUTTING_DOWN): nothing of it ran, so it is safe to send again (to another instance).
 */
export const SHUTTING_DOWN_MESSAGE = 'The gateway is shutting down: send the request again.';

/**
 * How long shutdown lets a request still being received (its headers or its body) come in before
 * refusing it, lets a connection opened before the stop that has sent nothing yet send its request
 * (answered 503 SHUTTING_DOWN) before closing it, and lets a client read an answer on a connection
 * closed in stages (`lingeringClose`) before the socket is destroyed. Milliseconds; a constant, not
 * a setting: it only bounds how long a stop waits for a client already sending or about to.
 */
const REQUEST_GRACE_MS = 1_000;

/**
 * The longest a connection closed in stages (`lingeringClose`) is kept while its client goes on
 * sending (ms): each chunk gives the client REQUEST_GRACE_MS more to read its answer and stop, up to
 * this in all. nginx keeps 30 s (`lingering_time`) with 5 s between reads (`lingering_timeout`);
 * 3 s here, because a stop's lingering closes come after its requests' SHUTDOWN_GRACE_MS (10 s)
 * and must end within the stop's 15 s limit.
 */
const LINGER_MAX_MS = 3_000;

const SHUTTING_DOWN_BODY = JSON.stringify({ errors: [{ message: SHUTTING_DOWN_MESSAGE, extensions: { code: ErrorCode.SHUTTING_DOWN } }] });
const SHUTTING_DOWN_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'private, no-store',
  connection: 'close',
  'content-length': Buffer.byteLength(SHUTTING_DOWN_BODY),
};
/** The same answer as `refuse`'s, as bytes for a connection node has no request (and no response) for. */
const SHUTTING_DOWN_RESPONSE =
  'HTTP/1.1 503 Service Unavailable\r\n' + Object.entries(SHUTTING_DOWN_HEADERS).map(([name, value]) => `${name}: ${value}\r\n`).join('') + '\r\n' + SHUTTING_DOWN_BODY;

/** Resolves after one turn of the event loop's poll phase: bytes and connections the kernel already holds have been read and accepted. */
async function afterPoll(): Promise<void> {
  // the second immediate runs only after the loop has polled again (the first may run in the same turn as the caller)
  for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Closes `socket` in stages, as RFC 9112 §9.6 has a server do: its FIN goes after what is queued
 * (the answer), whatever the client still sends is read and dropped until it closes its side (or
 * `boundMs` milliseconds pass with nothing from it, LINGER_MAX_MS at most in all), and only then
 * is the socket destroyed. A socket destroyed with
 * bytes unread, or one that bytes reach after it was destroyed, answers them with a TCP reset,
 * which a client reads as ECONNRESET or EPIPE, and which can erase the answer from its buffers
 * before it was read. The dropped bytes never reach node's HTTP parser (its `data` listener is
 * taken off; adding one makes node stop feeding the parser from the handle), so nothing is read as
 * a request on the half-closed connection.
 */
function lingeringClose(socket: Socket, boundMs: number): void {
  if (socket.destroyed) return;
  const until = performance.now() + LINGER_MAX_MS;
  let timer = setTimeout(() => socket.destroy(), boundMs);
  // Each chunk that still arrives shows a client busy sending, which may not have read its answer
  // yet: it is given `boundMs` again from then, up to LINGER_MAX_MS in all (nginx's
  // lingering_timeout within its lingering_time). One bound in all reset a client that read
  // nothing for `boundMs` while it sent (a loaded host), its 413 unread (linger-27).
  const drop = () => {
    clearTimeout(timer);
    timer = setTimeout(() => socket.destroy(), Math.max(0, Math.min(boundMs, until - performance.now())));
  };
  socket.on('data', drop);
  for (const listener of socket.listeners('data')) if (listener !== drop) socket.off('data', listener as (...args: unknown[]) => void);
  socket.once('close', () => clearTimeout(timer));
  // destroyed once the client has closed its side and the answer has all left for the kernel
  const destroyWhenSent = () => (socket.writableFinished ? socket.destroy() : socket.once('finish', () => socket.destroy()));
  if (socket.readableEnded) destroyWhenSent();
  else socket.once('end', destroyWhenSent);
  socket.resume();
  socket.end();
}

export class HttpDrain {
  #closing = false;
  /** Responses of handlers still running (each removed when its handler's promise settles). */
  readonly #running = new Set<ServerResponse>();
  #allSettled?: () => void;
  /** Every open connection (removed on close), to find those that never sent a byte. */
  readonly #sockets = new Set<Socket>();
  /**
   * Per connection, how many requests read have an answer not yet closed: more than one when a
   * client pipelines (node reads the next request while the first is answered). A count, not a
   * mark: the first answer's close cleared a mark while the second was still running, and the next
   * request's first bytes then made the connection look half-sent, so it was answered the raw 503
   * in the running request's place (break-17).
   */
  readonly #answering = new Map<Socket, number>();
  /** Connections handed to the WebSocket server (their shutdown is the subscriptions'). */
  readonly #upgraded = new WeakSet<Socket>();
  /** A connection's `bytesRead` when its last answer closed: more since is a next request's start. */
  readonly #readAtRest = new WeakMap<Socket, number>();
  /**
   * Set once `close` has had node close its idle connections (after the handlers settled): from
   * then on node's own idle list tells a connection at rest from one mid-request (`#halfSentHeaders`).
   */
  #idleClosed = false;
  /** Resolves `#answersSent`'s promise once no answer is open on any connection (`#answering` empty). */
  #allAnswersSent: (() => void) | undefined;

  /**
   * `server`: the HTTP server it drains. `refusedRaw`: told of each 503 it writes on a connection
   * node has no request for (half-sent headers), which no response's `close` counts (/metrics'
   * `http_responses_total`, break-18). `upgrades`: the server's upgrade dispatcher, whose upgrades
   * it marks (their connections are the WebSocket server's to end).
   */
  constructor(
    private readonly server: Server,
    upgrades: UpgradeDispatch,
    private readonly refusedRaw: (status: number) => void = () => undefined,
  ) {
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      if (this.#closing) this.#closeInStages(socket);
      socket.once('close', () => {
        this.#sockets.delete(socket);
        this.#answering.delete(socket);
        if (this.#answering.size === 0) this.#allAnswersSent?.();
      });
    });
    server.on('request', (req, res: ServerResponse) => {
      const socket = req.socket;
      this.#answering.set(socket, (this.#answering.get(socket) ?? 0) + 1);
      // An answer sent before its request's body has all come (413 past BODY_LIMIT_BYTES, 415, a
      // refusal before the body is read): its connection is closed in stages once the answer is out,
      // stop or no stop (break-25). Kept alive, node went on reading that body to drop it, or (the
      // body's reader destroyed by its limit) stopped reading the socket: an endless upload held the
      // connection until HTTP_REQUEST_TIMEOUT_MS, and a stop took it for half-sent headers and
      // wrote it a second answer, a raw 503 after its 413.
      res.once('prefinish', () => {
        if (!req.complete) this.#closeInStages(socket);
      });
      res.once('finish', () => {
        if (!req.complete) lingeringClose(socket, REQUEST_GRACE_MS);
      });
      res.once('close', () => {
        const left = (this.#answering.get(socket) ?? 1) - 1;
        if (left > 0) return void this.#answering.set(socket, left);
        this.#answering.delete(socket);
        this.#readAtRest.set(socket, socket.bytesRead);
        if (this.#answering.size === 0) this.#allAnswersSent?.();
      });
    });
    // Only marks the socket: the upgrade's handler (the WebSocket server) takes it.
    upgrades.watch((_req, socket) => this.#upgraded.add(socket as Socket));
  }

  /**
   * From now on node's own close of `socket` after an answer with `Connection: close`
   * (`destroySoon`, which destroys it once the answer is written) closes it in stages instead
   * (`lingeringClose`): the 503 SHUTTING_DOWN of a request whose body is still coming is read, not
   * lost to a reset.
   */
  #closeInStages(socket: Socket): void {
    socket.destroySoon = () => lingeringClose(socket, REQUEST_GRACE_MS);
  }

  /**
   * Closes (in stages) each connection that has sent nothing, once bytes already arrived have been
   * read: its `REQUEST_GRACE_MS` to send a request is over.
   */
  async #closeSilent(): Promise<void> {
    await afterPoll();
    for (const socket of this.#sockets) {
      if (socket.bytesRead === 0 && !this.#upgraded.has(socket) && !socket.writableEnded) lingeringClose(socket, REQUEST_GRACE_MS);
    }
  }

  /**
   * Connections that have sent part of a request's headers and nothing node could read as a
   * request yet: no answer in progress, not a WebSocket, and bytes since their last answer (or
   * since they connected). Once node has closed its idle connections (`#idleClosed`; each check
   * of `#refuseHalfSentHeaders` first has it close those idle since), any byte at all will do: a connection node keeps then,
   * with no answer in progress, is one whose parser holds the start of a request. That covers the
   * start of a pipelined request read before the previous answer closed, which the byte count
   * took for rest (stop-18: a client that stalled so before the stop held it to its deadline).
   */
  #halfSentHeaders(): Socket[] {
    return [...this.#sockets].filter(
      (socket) =>
        !this.#answering.has(socket) &&
        !this.#upgraded.has(socket) &&
        !socket.destroyed &&
        !socket.writableEnded &&
        socket.bytesRead > (this.#idleClosed ? 0 : (this.#readAtRest.get(socket) ?? 0)),
    );
  }

  /**
   * Every `REQUEST_GRACE_MS` until `stop` is called: each connection whose request's headers were
   * still unfinished at the last check as well is answered 503 `SHUTTING_DOWN` (written on the
   * socket: node has no request for it) and closed. A client's headers take a millisecond; one
   * that has sent half of them for a second has stopped, and nothing of its request ran.
   * @returns stops the checks
   */
  #refuseHalfSentHeaders(): () => void {
    let seen = new Set<Socket>();
    const timer = setInterval(() => {
      // connections idle since the last check are closed first: what is left is mid-request
      if (this.#idleClosed) this.server.closeIdleConnections();
      const now = this.#halfSentHeaders();
      for (const socket of now) {
        if (!seen.has(socket)) continue;
        socket.write(SHUTTING_DOWN_RESPONSE);
        lingeringClose(socket, REQUEST_GRACE_MS);
        this.refusedRaw(503);
      }
      seen = new Set(now.filter((socket) => !seen.has(socket)));
    }, REQUEST_GRACE_MS).unref();
    return () => clearInterval(timer);
  }

  /**
   * Resolves once every answer begun has been sent whole (each response's `close`, which node
   * emits once the last byte has left for the kernel, or the connection closed). node's idle list,
   * which `server.close()` and `closeIdleConnections` close, counts a connection whose handler has
   * ended its answer (`res.end`) while its bytes still wait on a slow reader: closed then, the
   * answer was cut short (break2-18: 3.9 MB of a 24 MB answer, the connection closed mid-body).
   */
  #answersSent(): Promise<void> {
    if (this.#answering.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => (this.#allAnswersSent = resolve));
  }

  /** True once `close` has begun: new requests are refused, not handled. */
  get closing(): boolean {
    return this.#closing;
  }

  /**
   * Runs `handle` for a request, or refuses it (see `refuse`) once shutdown has begun. `handle`
   * must settle only when the gateway is done with the request (it should not reject: a rejection
   * counts as done and is not reported).
   */
  run(res: ServerResponse, handle: () => Promise<unknown>): void {
    if (this.#closing) return HttpDrain.refuse(res);
    this.#running.add(res);
    const done = () => {
      this.#running.delete(res);
      if (this.#running.size === 0) this.#allSettled?.();
    };
    handle().then(done, done);
  }

  /**
   * Refuses (as a request read after the start of shutdown) each running request whose body is
   * still coming `REQUEST_GRACE_MS` after shutdown began, and ends its connection (in stages: the
   * answer's `Connection: close`); once that is closed, its handler's read of the body fails and it
   * settles (hostile pass 12c: a stalled upload held the shutdown for its whole grace period).
   * Destroyed as soon as the 503 was written, a connection whose upload was still coming answered
   * the rest with a reset, and the client saw ECONNRESET or EPIPE, not the 503 (stop-25).
   */
  async #refuseUnsentBodies(): Promise<void> {
    const receiving = [...this.#running].filter((res) => !res.req.complete);
    if (!receiving.length) return;
    await new Promise((resolve) => setTimeout(resolve, REQUEST_GRACE_MS).unref());
    for (const res of receiving) {
      if (res.req.complete || res.headersSent || res.writableEnded) continue;
      const socket = res.req.socket;
      HttpDrain.refuse(res);
      res.once('finish', () => (socket.destroyed ? res.req.destroy() : socket.once('close', () => res.req.destroy())));
    }
  }

  /** 503 `SHUTTING_DOWN` with `Connection: close` (node then closes the socket once it is sent). */
  static refuse(res: ServerResponse): void {
    res.writeHead(503, SHUTTING_DOWN_HEADERS);
    res.end(SHUTTING_DOWN_BODY);
  }

  /**
   * Shuts the HTTP server down as described on the class; resolves once every connection is
   * closed and no handler that started before is still running, or at `graceMs` (milliseconds)
   * after the start, whichever is first (a handler still running then is left to finish alone,
   * its connection cut). `alongside` is waited for with the handlers, under the same deadline.
   */
  async close(graceMs: number, alongside: Promise<unknown>[] = []): Promise<void> {
    if (this.#closing) throw new Error('HttpDrain.close called twice');
    this.#closing = true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    const closed = new Promise<void>((resolve) => this.server.once('close', () => resolve()));
    const stopRefusing = this.#refuseHalfSentHeaders();
    for (const socket of this.#sockets) this.#closeInStages(socket);
    // Connections that have sent nothing get REQUEST_GRACE_MS from now to send a request (refused
    // 503 like any other), then are closed: destroyed at once, as before stop-25, a request sent a
    // moment after the stop met a reset.
    const silentTimer = setTimeout(() => void this.#closeSilent(), REQUEST_GRACE_MS);
    try {
      // The connections the kernel has already accepted are taken first: closing the listening
      // socket resets those still in its queue, whose clients have connected (stop-25).
      await afterPoll();
      // net's close, not http's: http's also destroys connections that look idle at once, and one
      // may hold a request already sent (not yet read); it is read and refused cleanly instead.
      net.Server.prototype.close.call(this.server);
      for (const res of this.#running) if (!res.headersSent) res.setHeader('connection', 'close');
      void this.#refuseUnsentBodies();
      const settled = this.#running.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => (this.#allSettled = resolve));
      // Then every answer sent whole, within the same deadline: node would take one still waiting
      // on a slow reader for idle and cut it (`#answersSent`).
      await Promise.race([Promise.all([settled, ...alongside]).then(() => this.#answersSent()), deadline]);
      // Bytes already in the kernel's buffers are read first: a request among them makes its
      // connection busy, not idle (it is answered 503); then idle ones are closed (RFC 9112 §9.6:
      // nothing was under way on them). An answer still being sent (past the deadline) is cut with them.
      await afterPoll();
      this.server.close();
      this.#idleClosed = true;
      await Promise.race([closed, deadline]);
      this.server.closeAllConnections();
    } finally {
      clearTimeout(timer);
      clearTimeout(silentTimer);
      stopRefusing();
    }
  }
}
