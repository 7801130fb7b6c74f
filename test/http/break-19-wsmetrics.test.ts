import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { startTestGateway } from '../support/gateway.js';
import { holdLocks } from '../support/locks.js';
import { seriesCount } from '../support/metrics.js';
import { createCustomer, eventually, simpleShop } from '../support/program.js';
import { rawSocket, subscribed, waitFor } from '../support/ws.js';

/**
 * break-19: wsmetrics-19 counts each WebSocket upgrade's answer by an `upgrade` listener of its own
 * on the HTTP server. Once the WebSocket server stopped (shutdown), that listener was the only one
 * left: node then hands an upgrade request to it instead of treating it as an ordinary request
 * (which the shutdown answers 503 SHUTTING_DOWN), and nothing answered it at all. A real gateway,
 * a raw kept-alive connection.
 */
describe('an upgrade request while the instance shuts down (break-19)', () => {
  it('is answered 503 SHUTTING_DOWN and counted once, not left hanging', async () => {
    const t = await startTestGateway({ DB_STATEMENT_TIMEOUT_MS: '20000' });
    let closing: Promise<void> | undefined;
    let stall: Awaited<ReturnType<typeof holdLocks>> | undefined;
    try {
      // A request still running when the shutdown begins (its document's lookup waits for a lock) keeps the instance draining.
      stall = await holdLocks(t, 'lock table persisted_document in access exclusive mode', []);
      const hash = createHash('sha256').update('{ __typename }').digest('hex');
      const running = fetch(t.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }),
      }).then((res) => res.status, (error: unknown) => String(error));
      // A connection opened before the shutdown (a load balancer's kept-alive one), idle.
      const socket = connect(t.gateway.port, '127.0.0.1');
      socket.on('error', () => undefined);
      await new Promise((resolve) => socket.once('connect', resolve));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString('latin1')));
      const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      await eventually(async () => {
        const [{ n }] = await t.sql<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
        return n > 0;
      });
      closing = t.gateway.close();
      // The WebSocket server stops at once (no socket is open); the HTTP request still runs.
      socket.write(
        'GET /graphql HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n',
      );
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([ended, new Promise((resolve) => (timer = setTimeout(resolve, 5_000)))]).finally(() => clearTimeout(timer));
      socket.destroy();
      expect({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), shuttingDown: text.includes('SHUTTING_DOWN') }).toEqual({ status: 503, shuttingDown: true });
      await stall.end();
      stall = undefined;
      expect(await running).toBe(200);
      await closing;
      const metrics = await t.gateway.metrics.render();
      expect({
        refused: seriesCount(metrics, 'http_responses_total{route="unrouted",code="503"}') + seriesCount(metrics, 'http_responses_total{route="/graphql",code="503"}'),
        unanswered: metrics.split('\n').filter((l) => l.startsWith('http_responses_total') && l.includes('code="other"')).length,
      }).toEqual({ refused: 1, unanswered: 0 });
    } finally {
      await stall?.end();
      await closing;
      await t.close();
    }
  });
});

/**
 * break-19 (held): the gauges go back to 0 and each end is counted once under its code, whatever
 * ended the socket: a client cut without a close frame (1006), staff closing the account (4403), a
 * client that opened several subscriptions, then the shutdown (1001).
 */
describe('WebSocket gauges after every kind of end (break-19)', () => {
  it('return to 0 after a cut client, a closed account and the shutdown, each end counted once', async () => {
    const t = await startTestGateway({}, { jobs: 'manual' });
    let closed = false;
    try {
      const shop = await simpleShop(t);
      const cut = await createCustomer(t, shop.currency, 1);
      const closing = await createCustomer(t, shop.currency, 1);
      const staying = await createCustomer(t, shop.currency, 1);
      const scrape = async () => (await t.fetch('/metrics')).text();
      const gauges = async () => {
        const text = await scrape();
        return { sockets: seriesCount(text, 'gateway_websocket_connections'), subscriptions: seriesCount(text, 'gateway_subscriptions') };
      };

      // A client with three subscriptions whose connection is cut (no close frame): 1006.
      const raw = await rawSocket(t.url, { authorization: `Bearer ${cut.token}` });
      for (const id of ['a', 'b', 'c']) raw.send(JSON.stringify({ id, type: 'subscribe', payload: { query: 'subscription { balanceChanged { available } }' } }));
      await waitFor(() => t.gateway.events.listenerCount() === 3, 10_000, 'three subscriptions');
      expect(await gauges()).toEqual({ sockets: 1, subscriptions: 3 });
      raw.socket.terminate();
      await waitFor(async () => seriesCount(await scrape(), 'websocket_closes_total{code="1006"}') === 1, 10_000, 'the cut counted');
      expect(await gauges()).toEqual({ sockets: 0, subscriptions: 0 });

      // Staff close an account while its member's app listens: 4403.
      const { socket } = await subscribed(t.url, t.gateway.events, closing.token, 'subscription { walletChanged { change } }');
      await t.sql(`update customer set status = 'CLOSED' where external_id = $1`, [closing.externalId]);
      await t.gateway.sockets.recheck();
      expect((await socket.closed).code).toBe(4403);
      await waitFor(async () => seriesCount(await scrape(), 'websocket_closes_total{code="4403"}') === 1, 10_000, 'the 4403 counted');
      expect(await gauges()).toEqual({ sockets: 0, subscriptions: 0 });

      // The shutdown: 1001.
      const last = await subscribed(t.url, t.gateway.events, staying.token, 'subscription { balanceChanged { available } }');
      await t.gateway.close();
      closed = true;
      expect((await last.socket.closed).code).toBe(1001);
      const text = await t.gateway.metrics.render();
      expect({
        sockets: seriesCount(text, 'gateway_websocket_connections'),
        subscriptions: seriesCount(text, 'gateway_subscriptions'),
        shutdown: seriesCount(text, 'websocket_closes_total{code="1001"}'),
        upgrades: seriesCount(text, 'http_responses_total{route="/graphql",code="101"}'),
      }).toEqual({ sockets: 0, subscriptions: 0, shutdown: 1, upgrades: 3 });
    } finally {
      if (!closed) await t.gateway.close();
      await t.close();
    }
  });
});

/**
 * break-19 (held): hostile upgrade requests on raw connections, each answered and counted exactly
 * once in `http_responses_total`, and no series made from what the client sent.
 */
describe('hostile upgrade requests on /metrics (break-19)', () => {
  it('counts each once, under series the server chose, whatever the path, method and headers', async () => {
    const t = await startTestGateway({});
    try {
      const total = (text: string) =>
        text
          .split('\n')
          .filter((l) => l.startsWith('http_responses_total{') && !l.includes('route="/metrics"'))
          .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
      const before = await (await t.fetch('/metrics')).text();
      const key = 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n';
      const upgrade = 'Connection: Upgrade\r\nUpgrade: websocket\r\n';
      const requests = [
        ...Array.from({ length: 20 }, (_, i) => `GET /path-${i}-${'x'.repeat(i)} HTTP/1.1\r\nHost: x\r\n${upgrade}${key}\r\n`),
        `POST /graphql HTTP/1.1\r\nHost: x\r\n${upgrade}${key}Content-Length: 5\r\n\r\nhello`,
        `PUT /graphql HTTP/1.1\r\nHost: x\r\n${upgrade}${key}\r\n`,
        `GET /graphql HTTP/1.1\r\nHost: x\r\n${upgrade}\r\n`,
        `GET /graphql HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nUpgrade: h2c\r\n${key}\r\n`,
        `GET /graphql HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n${key}\r\n`,
        `GET /graphql?x=1 HTTP/1.0\r\n${upgrade}${key}\r\n`,
        // Taken (101), with an HTTP request pipelined after it: read as a WebSocket frame, and the socket closed.
        `GET /graphql HTTP/1.1\r\nHost: x\r\n${upgrade}${key}Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n`,
        // Destroyed mid-handshake: half the headers, then gone.
        `GET /graphql HTTP/1.1\r\nHost: x\r\n${upgrade}`,
      ];
      const statuses = await Promise.all(
        requests.map(async (text, i) => {
          const socket = connect(t.gateway.port, '127.0.0.1');
          socket.on('error', () => undefined);
          await new Promise((resolve) => socket.once('connect', resolve));
          let got = '';
          socket.on('data', (chunk) => (got += chunk.toString('latin1')));
          const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
          socket.write(text);
          if (i === requests.length - 1) {
            socket.destroy();
            return 0;
          }
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, 3_000)))]).finally(() => clearTimeout(timer));
          socket.destroy();
          return Number(/^HTTP\/1\.\d (\d{3})/.exec(got)?.[1] ?? 0);
        }),
      );
      expect(statuses.slice(0, 20).every((s) => s === 400)).toBe(true);
      expect(statuses.slice(20)).toEqual([405, 405, 400, 400, 400, 101, 101, 0]);
      // Each answer once, under the route the server chose; the request cut mid-headers is node's
      // own 400 (written to a connection whose peer is gone), counted once as unrouted (break-18).
      const delta = (text: string) =>
        Object.fromEntries(
          text
            .split('\n')
            .filter((l) => l.startsWith('http_responses_total{') && !l.includes('route="/metrics"'))
            .map((l) => [l.slice('http_responses_total'.length, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1)) - seriesCount(before, l.slice(0, l.lastIndexOf(' ')))])
            .filter(([, n]) => n !== 0),
        );
      const expected = {
        '{route="not_found",code="400"}': 20,
        '{route="/graphql",code="405"}': 2,
        '{route="/graphql",code="400"}': 3,
        '{route="/graphql",code="101"}': 2,
        '{route="unrouted",code="400"}': 1,
      };
      await eventually(async () => total(await (await t.fetch('/metrics')).text()) - total(before) >= 28);
      expect(delta(await (await t.fetch('/metrics')).text())).toEqual(expected);
    } finally {
      await t.close();
    }
  });
});
