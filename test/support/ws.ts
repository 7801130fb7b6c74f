import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export type WsResult<T = Record<string, unknown>> = { data?: T | null; errors?: readonly { message: string; extensions?: Record<string, unknown> }[] };

/** A graphql-ws client as an app would make one, that never retries, and the close it ended with. */
export interface TestSocket {
  client: Client;
  /** Resolves with the close code and reason once the socket closes. */
  closed: Promise<{ code: number; reason: string }>;
  /**
   * Resolves once the gateway has acknowledged the connection (graphql-ws `connection_ack`), so a
   * subscription sent on it is on an open socket; rejects if the socket closes first. A test that
   * slept "long enough" for that instead raced a loaded machine (flakes-24).
   */
  connected: Promise<void>;
  dispose(): Promise<void>;
}

/** Connects to a gateway's /graphql over WebSocket with `params` as connectionParams (a token: `authorization: Bearer …`). */
export function openSocket(url: string, params: Record<string, unknown> | string | undefined): TestSocket {
  let onClosed!: (c: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (onClosed = resolve));
  let onConnected!: () => void;
  const connected = new Promise<void>((resolve, reject) => {
    onConnected = resolve;
    void closed.then((c) => reject(new Error(`the socket closed (${c.code} ${c.reason}) before it was acknowledged`)));
  });
  connected.catch(() => undefined); // a test that does not wait for it is not failed by it
  const client = createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: typeof params === 'string' ? { authorization: `Bearer ${params}` } : (params ?? {}),
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => undefined,
    on: { connected: () => onConnected(), closed: (event) => onClosed({ code: (event as CloseEvent).code, reason: String((event as CloseEvent).reason) }) },
  });
  client.on('error', () => undefined);
  return { client, closed, connected, dispose: async () => client.dispose() };
}

/** Every result a subscription sends, collected; `until(n)` waits for the n-th. */
export interface Collected<T> {
  results: WsResult<T>[];
  /** Set when the subscription ended with an error (or the socket closed). */
  failure?: unknown;
  done: boolean;
  until(count: number, timeoutMs?: number): Promise<WsResult<T>[]>;
  stop(): void;
}

/** Subscribes with `query` and collects what comes back. */
export function collect<T = Record<string, unknown>>(client: Client, query: string, variables: Record<string, unknown> = {}, extensions?: Record<string, unknown>): Collected<T> {
  const waiting: (() => void)[] = [];
  const wake = () => waiting.splice(0).forEach((w) => w());
  const out: Collected<T> = {
    results: [],
    done: false,
    stop: () => undefined,
    async until(count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (out.results.length < count) {
        if (out.done) throw new Error(`the subscription ended after ${out.results.length} of ${count} results: ${JSON.stringify(out.failure ?? out.results.at(-1))}`);
        if (Date.now() > deadline) throw new Error(`only ${out.results.length} of ${count} results after ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          setTimeout(resolve, 100).unref();
        });
      }
      return out.results.slice(0, count);
    },
  };
  out.stop = client.subscribe<T>(
    { query, variables, ...(extensions ? { extensions } : {}) },
    {
      next: (result) => {
        out.results.push(result as WsResult<T>);
        wake();
      },
      error: (error) => {
        out.failure = error;
        out.done = true;
        wake();
      },
      complete: () => {
        out.done = true;
        wake();
      },
    },
  );
  return out;
}

/** The first result (or the error list) of a one-off operation over a socket. */
export async function firstResult(client: Client, query: string, variables: Record<string, unknown> = {}, extensions?: Record<string, unknown>): Promise<WsResult> {
  const c = collect(client, query, variables, extensions);
  const deadline = Date.now() + 15_000;
  while (!c.results.length && !c.done && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  c.stop();
  if (c.results.length) return c.results[0];
  if (Array.isArray(c.failure)) return { errors: c.failure };
  throw new Error(`no result: ${String(c.failure)}`);
}

/** Polls `check` until it is true (or fails after `timeoutMs`). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'the condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A WebSocket connection attempt on a gateway's /graphql with `headers` and no credentials: how the
 * gateway ended it. An attempt let through is closed 4401 (credentials required) once its
 * connection_init comes; one past RATE_LIMIT_WS_CONNECT is closed 1013 "… try again in N s" at once;
 * an upgrade refused outright is its HTTP status.
 */
export function connectAttempt(url: string, headers: Record<string, string> = {}): Promise<{ code: number; reason: string } | { status: number }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws', { headers });
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    socket.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      res.resume();
    });
    socket.on('error', reject);
  });
}

/**
 * Opens a socket with `token` on `url`, subscribes with `query` and waits until the gateway's hub
 * (`on`) counts the subscription as started: an event committed from then on reaches it.
 */
export async function subscribed<T>(url: string, on: { listenerCount(): number }, token: string, query: string, variables: Record<string, unknown> = {}) {
  const before = on.listenerCount();
  const socket = openSocket(url, token);
  const sub = collect<T>(socket.client, query, variables);
  await waitFor(() => on.listenerCount() > before, 10_000, 'the subscription');
  return { socket, sub };
}

/** One message the gateway sent on a raw graphql-ws socket. */
export type RawMessage = { type: string; id?: string; payload?: unknown };

/**
 * A graphql-transport-ws socket driven by hand, for messages a graphql-ws client cannot write (a
 * number `JSON.stringify` would print otherwise, a binary frame): `send` takes the frame's text or
 * bytes as they go on the wire; `answer(id)` waits for the `next` or `error` of that operation.
 */
export interface RawSocket {
  socket: WebSocket;
  messages: RawMessage[];
  /** Resolves with the close code and reason once the socket closes. */
  closed: Promise<{ code: number; reason: string }>;
  send(frame: string | Buffer, binary?: boolean): void;
  answer(id: string, timeoutMs?: number): Promise<RawMessage>;
}

/**
 * Opens a raw graphql-ws socket on `url` with `params` as connection_init payload (or, given bytes,
 * that whole frame as written) and waits for the ack or the socket's close.
 */
export async function rawSocket(url: string, params: Record<string, unknown> | Buffer): Promise<RawSocket> {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const messages: RawMessage[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  socket.on('message', (data) => messages.push(JSON.parse(String(data)) as RawMessage));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(Buffer.isBuffer(params) ? params : JSON.stringify({ type: 'connection_init', payload: params }));
  await waitFor(() => messages.some((m) => m.type === 'connection_ack') || socket.readyState !== WebSocket.OPEN, 10_000, 'connection_ack');
  return {
    socket,
    messages,
    closed,
    send: (frame, binary = false) => socket.send(frame, { binary }),
    async answer(id, timeoutMs = 10_000) {
      let found: RawMessage | undefined;
      await waitFor(() => (found = messages.find((m) => m.id === id && (m.type === 'next' || m.type === 'error'))) !== undefined || socket.readyState === WebSocket.CLOSED, timeoutMs, `an answer to ${id}`);
      if (!found) throw new Error(`the socket closed before ${id} was answered: ${JSON.stringify(await closed)}`);
      return found;
    },
  };
}
