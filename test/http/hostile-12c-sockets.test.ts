import { createServer, connect, type Server, type Socket } from 'node:net';
import { ConfigError, loadConfig } from '../../src/config.js';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../support/gateway.js';
import { createCustomer, simpleShop } from '../support/program.js';
import { subscribed, waitFor } from '../support/ws.js';

/**
 * Hostile pass 12c on /graphql's WebSocket: peers that vanish without a FIN (docs/decisions.md,
 * "Hostile pass 12c").
 */

/**
 * A TCP proxy to `port` whose forwarding can be cut while both of its connections stay open: what
 * a client that lost its network (a phone in a tunnel, a NAT that dropped its mapping) looks like
 * from the gateway — no FIN, no RST, nothing more read.
 */
async function blackholeProxy(port: number): Promise<{ port: number; cut(): void; close(): Promise<void> }> {
  const pairs: [Socket, Socket][] = [];
  let cut = false;
  const server: Server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    pairs.push([client, upstream]);
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      from.on('data', (chunk) => {
        if (!cut) to.write(chunk);
      });
      from.on('error', () => undefined);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    cut: () => void (cut = true),
    close: async () => {
      for (const pair of pairs) for (const s of pair) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('a WebSocket peer that vanishes without closing (hostile pass 12c)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ WS_KEEPALIVE_MS: '300' });
  });
  afterAll(() => t.close());

  it('is pinged every WS_KEEPALIVE_MS and dropped, with its subscription, when a pong does not come in as long', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 10);
    const proxy = await blackholeProxy(t.gateway.port);
    try {
      const viaProxy = t.url.replace(`:${t.gateway.port}/`, `:${proxy.port}/`);
      const { socket } = await subscribed(viaProxy, t.gateway.events, customer.token, `subscription { balanceChanged(currency: "${shop.currency}") { available } }`);
      // Alive while it answers pings: several intervals pass and the session stays.
      await new Promise((r) => setTimeout(r, 1_000));
      expect(t.gateway.sockets.sessionCount()).toBe(1);
      const listening = t.gateway.events.listenerCount();
      proxy.cut();
      const cutAt = Date.now();
      await waitFor(() => t.gateway.sockets.sessionCount() === 0, 5_000, 'the dead peer to be dropped');
      // A ping, then as long for its pong: under two intervals and a margin for the timers.
      expect(Date.now() - cutAt).toBeLessThan(1_500);
      await waitFor(() => t.gateway.events.listenerCount() === listening - 1, 2_000, 'its subscription to end');
      void socket.dispose();
    } finally {
      await proxy.close();
    }
  });

  it('takes 0 for no heartbeat and refuses a setting below 100 ms at start-up', () => {
    const env = (value: string) => ({ NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, DATABASE_URL: 'postgres://localhost/x', WS_KEEPALIVE_MS: value });
    expect(loadConfig(env('0')).ws.keepAliveMs).toBe(0);
    expect(loadConfig(env('')).ws.keepAliveMs).toBe(12_000);
    expect(() => loadConfig(env('50'))).toThrow(ConfigError);
    expect(() => loadConfig(env('50'))).toThrow(/WS_KEEPALIVE_MS/);
  });
});
