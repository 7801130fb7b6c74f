import { createServer, connect, type Server, type Socket } from 'node:net';
import { ConfigError, loadConfig } from '../../src/config.js';
import { AdjustPointsDocument } from '../generated/graphql.js';
import { startTestGateway, TEST_JWT_SECRET, TEST_SQL_APPLICATION, type TestGateway } from '../support/gateway.js';
import { holdLocks } from '../support/locks.js';
import { adjust, createCustomer, eventually, simpleShop, unique } from '../support/program.js';
import { firstResult, openSocket, subscribed, waitFor, type TestSocket } from '../support/ws.js';

/**
 * Hostile pass 12c on /graphql's WebSocket: peers that vanish without a FIN (docs/decisions.md,
 * "Hostile pass 12c").
 */

/**
 * A TCP proxy to `port` whose forwarding can be cut while both of its connections stay open: what
 * a client that lost its network (a phone in a tunnel, a NAT that dropped its mapping) looks like
 * from the gateway — no FIN, no RST, nothing more read.
 */
async function blackholeProxy(port: number): Promise<{ port: number; cut(): void; pingsSinceCut(): number; close(): Promise<void> }> {
  const pairs: [Socket, Socket][] = [];
  let cut = false;
  /** What the gateway sent after the cut, which nobody read. */
  const dropped: Buffer[] = [];
  const server: Server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    pairs.push([client, upstream]);
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      from.on('data', (chunk: Buffer) => {
        if (!cut) to.write(chunk);
        else if (from === upstream) dropped.push(chunk);
      });
      from.on('error', () => undefined);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    cut: () => void (cut = true),
    /** The WebSocket pings (opcode 0x9, RFC 6455 §5.5.2) among the frames the gateway sent after the cut (unmasked, short). */
    pingsSinceCut: () => {
      const bytes = Buffer.concat(dropped);
      let pings = 0;
      for (let at = 0; at + 1 < bytes.length; at += 2 + (bytes[at + 1] & 0x7f)) if ((bytes[at] & 0x0f) === 0x9) pings++;
      return pings;
    },
    close: async () => {
      for (const pair of pairs) for (const s of pair) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A customer with 10 points of a new shop's currency, subscribed to their balance over a socket to
 * `url` (the gateway's own unless given); `closedWith()` is the socket's close once it came.
 */
async function balanceSubscriber(t: TestGateway, url = t.url) {
  const shop = await simpleShop(t);
  const customer = await createCustomer(t, shop.currency, 10);
  const { socket, sub } = await subscribed<{ balanceChanged: { available: number } }>(
    url,
    t.gateway.events,
    customer.token,
    `subscription { balanceChanged(currency: "${shop.currency}") { available } }`,
  );
  let closedWith: { code: number; reason: string } | undefined;
  void socket.closed.then((c) => (closedWith = c));
  return { shop, customer, socket, sub, closedWith: () => closedWith };
}

describe('a WebSocket peer that vanishes without closing (hostile pass 12c)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    // Short HTTP bounds too: they are the upgrade request's, not the socket's once it is open.
    // The shortest heartbeat WS_KEEPALIVE_MS takes (parity-12: 1 s).
    t = await startTestGateway({ WS_KEEPALIVE_MS: '1000', HTTP_HEADERS_TIMEOUT_MS: '200', HTTP_REQUEST_TIMEOUT_MS: '300' });
  });
  afterAll(() => t.close());

  it('is pinged every WS_KEEPALIVE_MS and dropped, with its subscription, when a pong does not come in as long', async () => {
    const proxy = await blackholeProxy(t.gateway.port);
    try {
      const { socket } = await balanceSubscriber(t, t.url.replace(`:${t.gateway.port}/`, `:${proxy.port}/`));
      // Alive while it answers pings: several intervals pass and the session stays.
      await new Promise((r) => setTimeout(r, 2_500));
      expect(t.gateway.sockets.sessionCount()).toBe(1);
      const listening = t.gateway.events.listenerCount();
      proxy.cut();
      await waitFor(() => t.gateway.sockets.sessionCount() === 0, 8_000, 'the dead peer to be dropped');
      // A ping, then as long for its pong: dropped at the first ping left unanswered (the one in
      // flight at the cut, or the next), so within two intervals. Counted in pings sent to the dead
      // peer, not in wall-clock time, which a loaded machine stretches (it was "under 2.5 s"): a
      // peer kept several intervals is sent more.
      expect(proxy.pingsSinceCut()).toBeLessThanOrEqual(2);
      await waitFor(() => t.gateway.events.listenerCount() === listening - 1, 2_000, 'its subscription to end');
      void socket.dispose();
    } finally {
      await proxy.close();
    }
  });

  it('takes 0 for no heartbeat and refuses a setting below 1000 ms at start-up', () => {
    const env = (value: string) => ({ NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, DATABASE_URL: 'postgres://localhost/x', WS_KEEPALIVE_MS: value });
    expect(loadConfig(env('0')).ws.keepAliveMs).toBe(0);
    expect(loadConfig(env('')).ws.keepAliveMs).toBe(12_000);
    expect(() => loadConfig(env('50'))).toThrow(ConfigError);
    expect(() => loadConfig(env('50'))).toThrow(/WS_KEEPALIVE_MS/);
  });
});

describe('a WebSocket while the database does not answer in time (hostile pass 12c)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ DB_STATEMENT_TIMEOUT_MS: '300' });
  });
  afterAll(() => t.close());

  /** Holds every read of the customer table past the statement bound until `release`. */
  const customersStalled = () => holdLocks(t, 'lock table customer in access exclusive mode', []);

  it('a socket connecting meanwhile is closed 1013 "try again later", which graphql-ws clients retry, and leaves nothing behind', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 10);
    const stall = await customersStalled();
    let socket: TestSocket | undefined;
    try {
      socket = openSocket(t.url, customer.token);
      const closed = await socket.closed;
      expect(closed).toEqual({ code: 1013, reason: expect.stringMatching(/try again/i) });
    } finally {
      await stall.end();
      await socket?.dispose();
    }
    expect(t.gateway.sockets.sessionCount()).toBe(0);
    // Once the database answers, the same client connects.
    const again = openSocket(t.url, customer.token);
    expect(await firstResult(again.client, '{ me { externalId } }')).toEqual({ data: { me: { externalId: customer.externalId } } });
    await again.dispose();
  });

  it('an operation on an open socket meanwhile is answered SERVICE_UNAVAILABLE; the socket and its other subscriptions stay', async () => {
    const { shop, customer, socket, sub, closedWith } = await balanceSubscriber(t);
    const stall = await customersStalled();
    let answer;
    try {
      answer = await firstResult(socket.client, '{ me { externalId } }');
    } finally {
      await stall.end();
    }
    expect(answer).toEqual({ errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE' }) })] });
    expect(closedWith()).toBeUndefined();
    // The subscription opened before still hears the customer's next change.
    await adjust(t, customer.externalId, shop.currency, 5);
    expect((await sub.until(1))[0]).toEqual({ data: { balanceChanged: { available: 15 } } });
    await socket.dispose();
  });
});

describe('shutting down with a WebSocket peer that vanished (hostile pass 12c)', () => {
  it('does not wait for the vanished peer to answer its close', async () => {
    const t = await startTestGateway();
    const proxy = await blackholeProxy(t.gateway.port);
    try {
      const { socket } = await balanceSubscriber(t, t.url.replace(`:${t.gateway.port}/`, `:${proxy.port}/`));
      proxy.cut();
      const started = Date.now();
      await t.gateway.close();
      // Nothing is running: the close frame is sent and the socket let go, not waited on for the grace period.
      expect(Date.now() - started).toBeLessThan(3_000);
      void socket.dispose();
    } finally {
      await proxy.close();
      await t.close();
    }
  });
});

describe('a subscription when every database connection of the gateway is terminated (hostile pass 12c)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  it('keeps its socket and hears the next change once the gateway has connected again', async () => {
    const { shop, customer, socket, sub, closedWith } = await balanceSubscriber(t);
    const [{ n }] = await t.sql<{ n: number }>(
      `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and application_name <> $1`,
      [TEST_SQL_APPLICATION],
    );
    expect(n).toBeGreaterThan(0);
    const key = unique('k');
    // The first request after may meet a dead pooled connection (SERVICE_UNAVAILABLE at its BEGIN since begin-503; a read outside a transaction is sent again since pool-12); the change is made once.
    await eventually(async () => (await t.gql(AdjustPointsDocument, { input: { customerExternalId: customer.externalId, currency: shop.currency, amount: 5, reason: 'r', idempotencyKey: key } }, t.operatorToken)).data?.adjustPoints.entry);
    expect((await sub.until(1, 10_000))[0]).toEqual({ data: { balanceChanged: { available: 15 } } });
    expect(closedWith()).toBeUndefined();
    expect(t.gateway.sockets.sessionCount()).toBe(1);
    await socket.dispose();
  });
});
