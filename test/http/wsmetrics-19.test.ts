import { request } from 'node:http';
import WebSocket from 'ws';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, simpleShop } from '../support/program.js';
import { connectAttempt, openSocket, subscribed, waitFor } from '../support/ws.js';
import { seriesCount } from '../support/metrics.js';

/**
 * wsmetrics-19: /metrics showed nothing of the WebSocket side (metrics-18 left it): not how many
 * connections and subscriptions an instance holds, not why sockets ended (a wave of 4401 after a
 * key rotation, 4008 slow consumers, 1006 cuts by a load balancer), and no upgrade answer in
 * `http_responses_total`. Scraped over HTTP from a real gateway with real sockets.
 */

describe('WebSocket connections, subscriptions and closes on /metrics (wsmetrics-19)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  const scrape = async () => {
    const res = await t.fetch('/metrics');
    expect(res.status).toBe(200);
    return res.text();
  };
  /** Waits until `series` reads `value` on a scrape (the server sees a close a moment after the client). */
  const until = (series: string, value: number) =>
    waitFor(async () => seriesCount(await scrape(), series) === value, 10_000, `${series} = ${value}`);

  it('shows open connections and subscriptions, each upgrade answered 101, and why each socket ended', async () => {
    const shop = await simpleShop(t);
    const member = await createCustomer(t, shop.currency, 10);
    const before = await scrape();
    expect({ sockets: seriesCount(before, 'gateway_websocket_connections'), subscriptions: seriesCount(before, 'gateway_subscriptions') }).toEqual({ sockets: 0, subscriptions: 0 });
    const upgrades = seriesCount(before, 'http_responses_total{route="/graphql",code="101"}');

    const { socket } = await subscribed(t.url, t.gateway.events, member.token, 'subscription { balanceChanged { available } }');
    const open = await scrape();
    expect({
      sockets: seriesCount(open, 'gateway_websocket_connections'),
      subscriptions: seriesCount(open, 'gateway_subscriptions'),
      upgrades: seriesCount(open, 'http_responses_total{route="/graphql",code="101"}') - upgrades,
    }).toEqual({ sockets: 1, subscriptions: 1, upgrades: 1 });

    // A bad token: closed 4401 by the gateway.
    expect(await openSocket(t.url, 'not.a.token').closed).toEqual({ code: 4401, reason: expect.any(String) });
    await until('websocket_closes_total{code="4401"}', 1);
    // A peer closing with a code of its own making: counted, under "other", never as its own series.
    const odd = new WebSocket(t.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    await new Promise((resolve) => odd.once('open', resolve));
    odd.close(4321, 'mine');
    await until('websocket_closes_total{code="other"}', 1);
    // The member's app goes away: 1000, and nothing is left open.
    await socket.dispose();
    await until('websocket_closes_total{code="1000"}', 1);
    const after = await scrape();
    expect({
      sockets: seriesCount(after, 'gateway_websocket_connections'),
      subscriptions: seriesCount(after, 'gateway_subscriptions'),
      upgrades: seriesCount(after, 'http_responses_total{route="/graphql",code="101"}') - upgrades,
      peersOwnCode: after.includes('code="4321"'),
    }).toEqual({ sockets: 0, subscriptions: 0, upgrades: 3, peersOwnCode: false });
  });

  it('counts the upgrades ws refuses: another path (400, not_found) and bad upgrade headers on /graphql (400)', async () => {
    const before = await scrape();
    const offPath = seriesCount(before, 'http_responses_total{route="not_found",code="400"}');
    const badHeaders = seriesCount(before, 'http_responses_total{route="/graphql",code="400"}');

    expect(await connectAttempt(t.url.replace(/\/graphql$/, '/elsewhere'))).toEqual({ status: 400 });
    // An upgrade with a WebSocket version ws does not speak.
    const { port } = new URL(t.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port,
        path: '/graphql',
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '99' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('upgrade', () => reject(new Error('upgraded')));
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(400);
    await until('http_responses_total{route="not_found",code="400"}', offPath + 1);
    await until('http_responses_total{route="/graphql",code="400"}', badHeaders + 1);
  });
});
