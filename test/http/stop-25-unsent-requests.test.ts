import net from 'node:net';
import { compiledGateway } from '../support/build.js';
import { within10s } from '../support/freeze.js';
import { createMigratedDatabase, TEST_JWT_SECRET } from '../support/gateway.js';
import { printed, spawnGateway, stopReport } from '../support/processes.js';
import { eventually } from '../support/program.js';
import { gatewayUrl } from '../support/signal-load.js';

/** A raw client connection (node:net), half-open allowed, so what the gateway sends and how it closes are both seen. */
interface RawClient {
  socket: net.Socket;
  /** Everything received so far, as latin1 text. */
  text(): string;
  /** The first error on the socket or a write (ECONNRESET, EPIPE: the gateway's reset), if any. */
  error(): string | undefined;
  /** The gateway's FIN (its side closed cleanly). */
  ended: Promise<void>;
  closed: Promise<void>;
  /** Writes `chunk`, resolving once it has left (an error is kept in `error()`, not thrown). */
  send(chunk: string | Buffer): Promise<void>;
}

async function rawClient(port: number, options: { endOnEnd: boolean } = { endOnEnd: true }): Promise<RawClient> {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  let text = '';
  let error: string | undefined;
  const keep = (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message);
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  socket.on('error', keep);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const ended = new Promise<void>((resolve) => {
    socket.once('end', () => resolve());
    void closed.then(() => resolve());
  });
  // a client that has nothing more to send closes its side when the gateway closes its own
  if (options.endOnEnd) void ended.then(() => socket.end());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return {
    socket,
    text: () => text,
    error: () => error,
    ended,
    closed,
    send: (chunk) => new Promise<void>((resolve) => socket.write(chunk, (e) => (e && keep(e), resolve()))),
  };
}

/** An answer's status, whether it said `Connection: close`, and its error code (extensions.code). */
function answerOf(text: string): { status: number; connectionClose: boolean; code: string | undefined } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
  const [head, body = ''] = text.split('\r\n\r\n');
  let code: string | undefined;
  try {
    code = (JSON.parse(body) as { errors?: { extensions?: { code?: string } }[] }).errors?.[0]?.extensions?.code;
  } catch {
    code = undefined;
  }
  return { status, connectionClose: /\r\nconnection: close\r\n/i.test(`${head}\r\n`), code };
}

const post = (body: string) => `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const UPGRADE =
  'GET /graphql HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n';

/**
 * stop-25: connections opened before a SIGTERM that send (or go on sending) their request after it.
 * The gateway destroyed every connection that had sent nothing as soon as the stop began, so a
 * request sent a moment later (a POST, a WebSocket upgrade) met a TCP reset instead of an answer
 * (break3-23 saw it as `read ECONNRESET`); and a connection refused 503 while its client was still
 * uploading was destroyed as the 503 left, so the rest of the upload was answered with a reset too.
 * Now such a connection has a bounded grace to send its request, which is answered 503
 * SHUTTING_DOWN with `Connection: close`; a connection closed after an answer is closed in stages
 * (FIN, the rest read and dropped, then closed); one that never sends is closed once the grace is
 * over; a kept-alive one at rest is closed at once, cleanly. The compiled gateway as a process,
 * clients on raw sockets; every wait is on an event or a log line.
 */
/**
 * Spawns the compiled gateway on a fresh database, runs `before` (connections opened and requests
 * started before the stop), sends SIGTERM, runs `after` the moment the stop has begun, then waits
 * for every client connection to close and the gateway to exit; answers the exit as `stopReport`
 * reads it (code, "stopped", error lines).
 */
async function aroundStop<T>(
  build: string,
  before: (open: (options?: { endOnEnd: boolean }) => Promise<RawClient>, url: string) => Promise<T>,
  after: (opened: T) => Promise<void>,
): Promise<{ code: number | null; stopped: boolean; errors: string[] }> {
  const db = await createMigratedDatabase();
  const gateway = spawnGateway(build, { DATABASE_URL: db.url, SEED_DEMO: 'false', JWT_SECRET: TEST_JWT_SECRET, JOBS_ENABLED: 'false', SHUTDOWN_DRAIN_DELAY_MS: '0' });
  const clients: RawClient[] = [];
  try {
    await gateway.until(/"msg":"gateway ready"/, 120_000);
    const url = gatewayUrl(gateway);
    const port = Number(new URL(url).port);
    const opened = await before(async (options) => {
      const client = await rawClient(port, options);
      clients.push(client);
      return client;
    }, url);
    // A request on a connection opened after all of them is answered only once the gateway has
    // accepted them too (it accepts in the order they came).
    expect((await fetch(url.replace(/\/graphql$/, '/healthz'))).status).toBe(200);
    const stopping = printed(gateway, 'shutting down: finishing in-flight requests');
    process.kill(gateway.child.pid!, 'SIGTERM');
    await within10s(stopping, 'the stop begun');
    await after(opened);
    await within10s(Promise.all(clients.map((c) => c.closed)), 'every connection closed');
    const code = await within10s(gateway.exited, 'the gateway exited');
    const { stopped, errors } = stopReport(gateway, code);
    return { code, stopped, errors };
  } finally {
    for (const client of clients) client.socket.destroy();
    if (gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
    await db.drop();
  }
}

describe('requests sent on connections opened before the stop (stop-25)', () => {
  let build: string;
  beforeAll(async () => {
    build = await compiledGateway();
  }, 600_000);

  it('a POST and a WebSocket upgrade sent after SIGTERM are answered 503 SHUTTING_DOWN with Connection: close, not reset; a silent connection and an idle kept-alive one are closed cleanly; exit 0', async () => {
    const results: Record<string, unknown> = {};
    const exit = await aroundStop(
      build,
      async (open) => {
        // Connected before the stop, each sends after it: a POST, a WebSocket upgrade; one never sends.
        const late = await open();
        const upgrade = await open();
        const silent = await open();
        // A kept-alive connection answered once, at rest at the stop.
        const idle = await open();
        await idle.send('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
        await eventually(async () => idle.text().includes('"status":"ok"'));
        return { late, upgrade, silent, idle, idleBefore: idle.text() };
      },
      async ({ late, upgrade, silent, idle, idleBefore }) => {
        await Promise.all([late.send(post(JSON.stringify({ query: '{ __typename }' }))), upgrade.send(UPGRADE)]);
        await within10s(Promise.all([late.closed, upgrade.closed, silent.closed, idle.closed]), 'the connections closed');
        results.late = { ...answerOf(late.text()), error: late.error() };
        results.upgrade = { ...answerOf(upgrade.text()), error: upgrade.error() };
        results.silent = { received: silent.text(), error: silent.error() };
        results.idle = { receivedAfterItsAnswer: idle.text().slice(idleBefore.length), error: idle.error() };
      },
    );
    expect({ ...results, exit }).toEqual({
      late: { status: 503, connectionClose: true, code: 'SHUTTING_DOWN', error: undefined },
      upgrade: { status: 503, connectionClose: true, code: 'SHUTTING_DOWN', error: undefined },
      silent: { received: '', error: undefined },
      idle: { receivedAfterItsAnswer: '', error: undefined },
      exit: { code: 0, stopped: true, errors: [] },
    });
  }, 180_000);

  it('an upload under way at SIGTERM is answered 503 SHUTTING_DOWN and the rest it sends is read, not reset; exit 0', async () => {
    let upload: RawClient | undefined;
    const exit = await aroundStop(
      build,
      async (open) => {
        // Headers and the start of a 90 kB body (BODY_LIMIT_BYTES is 100 kB); the rest stops coming.
        upload = await open({ endOnEnd: false });
        await upload.send(`POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 90000\r\n\r\n{"query":"`);
      },
      async () => {
        // The client reads the 503 and the gateway's FIN, and goes on sending a little as a client
        // busy uploading does; the gateway reads and drops it, and closes once the client closes.
        await within10s(upload!.ended, 'the upload answered');
        for (let i = 0; i < 4; i++) await upload!.send(Buffer.alloc(16 * 1024, 'a'));
        upload!.socket.end();
      },
    );
    expect({ upload: { ...answerOf(upload!.text()), error: upload!.error() }, exit }).toEqual({
      upload: { status: 503, connectionClose: true, code: 'SHUTTING_DOWN', error: undefined },
      exit: { code: 0, stopped: true, errors: [] },
    });
  }, 180_000);
});
