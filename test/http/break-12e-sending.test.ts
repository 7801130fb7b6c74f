import { connect, type Socket } from 'node:net';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { holdLocks } from '../support/locks.js';
import { createCustomer, simpleShop } from '../support/program.js';

/**
 * Hostile pass 12e on HTTP_SEND_TIMEOUT_MS (docs/decisions.md, "Hostile pass 12e"): the bound on
 * an answer a client does not read must not reach a request the client is waiting on, nor keep a
 * connection from Node's own keep-alive handling.
 */

/**
 * A raw keep-alive connection that reads everything; `statuses()` are the HTTP status codes read so
 * far, and `answers(n, withinMs)` waits until `n` have been read, the connection closed, or
 * `withinMs` passed (default 10 s), whichever is first.
 */
async function reader(
  port: number,
): Promise<{ socket: Socket; text: () => string; statuses: () => number[]; closed: () => boolean; answers: (n: number, withinMs?: number) => Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  let closed = false;
  socket.on('data', (chunk) => (text += chunk.toString('latin1')));
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
  const statuses = () => [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
  return {
    socket,
    text: () => text,
    statuses,
    closed: () => closed,
    answers: async (n, withinMs = 10_000) => {
      const started = Date.now();
      while (statuses().length < n && !closed && Date.now() - started < withinMs) await new Promise((r) => setTimeout(r, 20));
    },
  };
}

const post = (body: string, token?: string) =>
  `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${token ? `Authorization: Bearer ${token}\r\n` : ''}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

describe('HTTP_SEND_TIMEOUT_MS on a keep-alive connection (hostile pass 12e)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ HTTP_SEND_TIMEOUT_MS: '400' });
  });
  afterAll(() => t.close());

  it('does not cut a pipelined request that runs longer than the bound while its client reads', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 3);
    const stall = await holdLocks(t, 'lock table customer in access exclusive mode', []);
    const c = await reader(t.gateway.port);
    try {
      // The first answer is sent at once; the second waits on the lock for three times the bound.
      c.socket.write(post(JSON.stringify({ query: '{ __typename }' })) + post(JSON.stringify({ query: '{ me { externalId } }' }), customer.token));
      await stall.waiters(1);
      await new Promise((r) => setTimeout(r, 1_200));
      await stall.end();
      const started = Date.now();
      while (c.statuses().length < 2 && !c.closed() && Date.now() - started < 5_000) await new Promise((r) => setTimeout(r, 20));
      expect({ statuses: c.statuses(), closed: c.closed() }).toEqual({ statuses: [200, 200], closed: false });
      expect(c.text()).toContain(customer.externalId);
    } finally {
      c.socket.destroy();
      await stall.end().catch(() => undefined);
    }
  });

  it('cuts a connection whose answers, queued behind a slow pipelined one, are then not read', async () => {
    // The first request waits on a lock; the answers after it are done while it waits (no socket
    // of their own yet), then sent once it is, to a client that reads nothing.
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 3);
    const stall = await holdLocks(t, 'lock table customer in access exclusive mode', []);
    const big = post(JSON.stringify({ query: '{ __schema { types { name description fields { name description args { name description } type { name kind ofType { name kind } } } } } }' }));
    // The gateway's side of this one connection (the client, paused, would see its end only by reading).
    const accepted = new Promise<Socket>((resolve) => t.gateway.server.once('connection', resolve));
    const socket = connect(t.gateway.port, '127.0.0.1');
    socket.on('error', () => undefined);
    try {
      await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
      const ours = await accepted;
      let closedAt = 0;
      ours.on('close', () => (closedAt = Date.now()));
      socket.pause();
      socket.write(post(JSON.stringify({ query: '{ me { externalId } }' }), customer.token) + big.repeat(150));
      await stall.waiters(1);
      await new Promise((r) => setTimeout(r, 1_000));
      const released = Date.now();
      await stall.end();
      // Computing 150 introspection answers (~14 MB: three times what the sending socket buffers
      // hold, 4 MB here) takes the gateway a few seconds of CPU, more on a loaded
      // machine (a CI run at load 9 took over 12 s); before the fix the connection stayed for good.
      while (!closedAt && Date.now() - released < 40_000) await new Promise((r) => setTimeout(r, 50));
      expect(closedAt).toBeGreaterThan(0);
    } finally {
      socket.destroy();
      await stall.end().catch(() => undefined);
    }
  }, 60_000);

  it('leaves an idle connection to keepAliveTimeout once its answers are sent', async () => {
    const keepAlive = t.gateway.server.keepAliveTimeout;
    t.gateway.server.keepAliveTimeout = 300;
    const c = await reader(t.gateway.port);
    try {
      c.socket.write(post(JSON.stringify({ query: '{ __typename }' })));
      const started = Date.now();
      // Long enough for a loaded machine (and for a gateway still computing the answers the test
      // before left).
      while (!c.closed() && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 20));
      expect({ statuses: c.statuses(), closed: c.closed() }).toEqual({ statuses: [200], closed: true });
    } finally {
      t.gateway.server.keepAliveTimeout = keepAlive;
      c.socket.destroy();
    }
  }, 40_000);
});

describe('the receiving bounds on a keep-alive connection (hostile pass 12e: these held)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ HTTP_HEADERS_TIMEOUT_MS: '400', HTTP_REQUEST_TIMEOUT_MS: '800', HTTP_SEND_TIMEOUT_MS: '400' });
  });
  afterAll(() => t.close());

  it('a connection idle longer than the headers bound between requests serves the next one, however long it then runs', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 3);
    const c = await reader(t.gateway.port);
    const answers = (n: number) => c.answers(n, 5_000);
    try {
      c.socket.write(post(JSON.stringify({ query: '{ __typename }' })));
      await answers(1);
      // Idle for three times the headers' bound and the send bound (keep-alive is 72 s by default).
      await new Promise((r) => setTimeout(r, 1_200));
      const stall = await holdLocks(t, 'lock table customer in access exclusive mode', []);
      c.socket.write(post(JSON.stringify({ query: '{ me { externalId } }' }), customer.token));
      await stall.waiters(1);
      // Longer than the whole request's bound, on the database.
      await new Promise((r) => setTimeout(r, 1_200));
      await stall.end();
      await answers(2);
      c.socket.write(post(JSON.stringify({ query: '{ __typename }' })));
      await answers(3);
      expect({ statuses: c.statuses(), closed: c.closed() }).toEqual({ statuses: [200, 200, 200], closed: false });
      expect(c.text()).toContain(customer.externalId);
    } finally {
      c.socket.destroy();
    }
  });
});

/**
 * HTTP_KEEP_ALIVE_TIMEOUT_MS (docs/decisions.md, "keep-alive"): Node's 5 s closed a till's pooled
 * connection as the till sent its next sale after a pause (`socket hang up`), and sat below a load
 * balancer's idle timeout. The default is 72 s, and what is set is what a client is told and what
 * the gateway does.
 */
describe('how long an idle keep-alive connection stays open', () => {
  it('is what HTTP_KEEP_ALIVE_TIMEOUT_MS sets: the connection serves a request after a pause shorter than it, and is closed after a longer one', async () => {
    const t = await startTestGateway({ HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000' });
    const c = await reader(t.gateway.port);
    try {
      c.socket.write(post(JSON.stringify({ query: '{ __typename }' })));
      await c.answers(1);
      expect(c.text()).toMatch(/\r\nKeep-Alive: timeout=1\r\n/i);
      await new Promise((r) => setTimeout(r, 600));
      c.socket.write(post(JSON.stringify({ query: '{ __typename }' })));
      await c.answers(2);
      const idleFrom = Date.now();
      while (!c.closed() && Date.now() - idleFrom < 20_000) await new Promise((r) => setTimeout(r, 20));
      // Node closes it one second past the bound (its keepAliveTimeoutBuffer).
      expect({ statuses: c.statuses(), closed: c.closed(), idleMsAtLeast: Date.now() - idleFrom >= 1_000 }).toEqual({ statuses: [200, 200], closed: true, idleMsAtLeast: true });
    } finally {
      c.socket.destroy();
      await t.close();
    }
  });
});
