import { ConfigError, loadConfig } from '../../src/config.js';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, simpleShop } from '../support/program.js';
import { connectAttempt, firstResult, openSocket, rawSocket, waitFor } from '../support/ws.js';

/**
 * The same input or credential answered alike by HTTP and by the WebSocket (docs/decisions.md,
 * "parity-12"): each describe holds one check to both transports of one real gateway.
 */

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

describe('a JSON text that starts with a UTF-8 byte order mark (parity-12)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  it('is read without it over HTTP and over a WebSocket, in connection_init and in subscribe (a socket was closed 4400)', async () => {
    const query = '{ __type(name: "Query") { name } }';
    const http = await t.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.operatorToken}` },
      body: Buffer.concat([BOM, Buffer.from(JSON.stringify({ query }))]),
    });
    expect(http.status).toBe(200);
    const overHttp = await http.json();
    expect(overHttp).toEqual({ data: { __type: { name: 'Query' } } });

    const raw = await rawSocket(t.url, Buffer.concat([BOM, Buffer.from(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${t.operatorToken}` } }))]));
    expect(raw.messages[0]).toEqual({ type: 'connection_ack' });
    raw.send(Buffer.concat([BOM, Buffer.from(JSON.stringify({ id: 'q', type: 'subscribe', payload: { query } }))]));
    expect(await raw.answer('q')).toEqual({ id: 'q', type: 'next', payload: overHttp });
    // One mark is dropped, as a UTF-8 decoder drops one: a second is text, not JSON, on both.
    const twice = await t.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.operatorToken}` },
      body: Buffer.concat([BOM, BOM, Buffer.from(JSON.stringify({ query }))]),
    });
    expect(twice.status).toBe(400);
    raw.send(Buffer.concat([BOM, BOM, Buffer.from(JSON.stringify({ id: 'q2', type: 'subscribe', payload: { query } }))]));
    expect((await raw.closed).code).toBe(4400);
  });
});

describe("a token's expiry (parity-12)", () => {
  let t: TestGateway;
  let customer: { externalId: string };
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    const shop = await simpleShop(t);
    customer = await createCustomer(t, shop.currency);
  });
  afterAll(() => t.close());

  const overHttp = async (token: string) => {
    const res = await t.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{"query":"{ me { externalId } }"}' });
    return { status: res.status, body: (await res.json()) as unknown };
  };

  it('a token 2 s past exp is taken at a socket connect as over HTTP (within the 5 s leeway; the socket closed 4401 "token expired")', async () => {
    const token = await t.customerToken(customer.externalId, -2);
    expect(await overHttp(token)).toEqual({ status: 200, body: { data: { me: { externalId: customer.externalId } } } });
    const socket = openSocket(t.url, token);
    let closed: { code: number; reason: string } | undefined;
    void socket.closed.then((c) => (closed = c));
    const answer = await firstResult(socket.client, '{ me { externalId } }').catch((error: unknown) => ({ failed: String(error), closed }));
    expect(answer).toEqual({ data: { me: { externalId: customer.externalId } } });
    await socket.dispose();
  });

  it('a token past the leeway is refused by both', async () => {
    const token = await t.customerToken(customer.externalId, -7);
    expect((await overHttp(token)).status).toBe(401);
    const socket = openSocket(t.url, token);
    expect(await socket.closed).toEqual({ code: 4401, reason: 'token expired' });
  });

  it('an open socket lives as long as HTTP still takes its token, and closes 4401 once HTTP refuses it (it closed at the bare exp)', async () => {
    const token = await t.customerToken(customer.externalId, 1);
    const exp = (Math.floor(Date.now() / 1000) + 1) * 1000;
    const socket = openSocket(t.url, token);
    let closed: { code: number; reason: string } | undefined;
    void socket.closed.then((c) => (closed = c));
    expect(await firstResult(socket.client, '{ me { externalId } }')).toEqual({ data: { me: { externalId: customer.externalId } } });
    // 2.5 s past exp: HTTP takes the token, and the socket is still open.
    await new Promise((r) => setTimeout(r, exp + 2_500 - Date.now()));
    expect((await overHttp(token)).status).toBe(200);
    expect(closed).toBeUndefined();
    // Past exp + 5 s, HTTP refuses it and the socket has closed.
    await waitFor(() => closed !== undefined, exp + 7_000 - Date.now(), 'the socket to close');
    expect(closed).toEqual({ code: 4401, reason: 'token expired' });
    expect(Date.now()).toBeGreaterThanOrEqual(exp + 5_000);
    expect((await overHttp(token)).status).toBe(401);
  }, 20_000);
});

describe('JWT_CLOCK_TOLERANCE_SECONDS: the leeway of a token\'s expiry, one setting for both transports (waits-26)', () => {
  it('is 5 s unless set (the gateway above), 0 to 300, and a bad value stops start-up naming it', () => {
    expect(loadConfig({}).jwtClockToleranceSeconds).toBe(5);
    expect(loadConfig({ JWT_CLOCK_TOLERANCE_SECONDS: '0' }).jwtClockToleranceSeconds).toBe(0);
    expect(loadConfig({ JWT_CLOCK_TOLERANCE_SECONDS: '300' }).jwtClockToleranceSeconds).toBe(300);
    for (const value of ['-1', '301', '1.5', '5s'])
      expect(() => loadConfig({ JWT_CLOCK_TOLERANCE_SECONDS: value })).toThrow(new ConfigError(`JWT_CLOCK_TOLERANCE_SECONDS must be a whole number from 0 to 300, got "${value}"`));
  });

  it('set to 1 s, a token 3 s past exp (taken under the default 5 s) is refused by HTTP and at a socket connect alike', async () => {
    const t = await startTestGateway({ JWT_CLOCK_TOLERANCE_SECONDS: '1' }, { jobs: 'manual' });
    try {
      const shop = await simpleShop(t);
      const customer = await createCustomer(t, shop.currency);
      const token = await t.customerToken(customer.externalId, -3);
      const res = await t.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{"query":"{ me { externalId } }"}' });
      expect(res.status).toBe(401);
      expect(await openSocket(t.url, token).closed).toEqual({ code: 4401, reason: 'token expired' });
      // a token 2 s from its exp is taken by both
      const live = await t.customerToken(customer.externalId, 2);
      const socket = openSocket(t.url, live);
      expect(await firstResult(socket.client, '{ me { externalId } }')).toEqual({ data: { me: { externalId: customer.externalId } } });
      await socket.dispose();
    } finally {
      await t.close();
    }
  });
});

describe('a WebSocket connect with no credentials at all (parity-12)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ RATE_LIMIT_ANONYMOUS: '2', RATE_LIMIT_WINDOW_SECONDS: '600' }, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  it("takes a point of the address's anonymous budget, as an anonymous HTTP request does, and past it is closed 4429 with when to try again", async () => {
    // An anonymous HTTP request (introspection, which development allows) takes the first point.
    const http = () => t.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
    expect((await http()).status).toBe(200);
    expect(await connectAttempt(t.url)).toEqual({ code: 4401, reason: 'credentials required: connectionParams.authorization "Bearer <JWT>" or x-api-key' });
    // The budget of 2 is spent: a third connect, and HTTP, are refused alike.
    expect(await connectAttempt(t.url)).toEqual({ code: 4429, reason: expect.stringMatching(/^rate limited: try again in \d+ s$/) });
    const refused = await http();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});

describe('a storm of connection attempts past RATE_LIMIT_WS_CONNECT (parity-12)', () => {
  let t: TestGateway;
  const WINDOW_S = 2;
  beforeAll(async () => {
    t = await startTestGateway({ RATE_LIMIT_WS_CONNECT: '2', RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_S) }, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  it('is refused 1013 only until the window the first attempt opened ends: the refused attempts do not extend it', async () => {
    const outcomes: { at: number; code: number; reason: string }[] = [];
    const start = Date.now();
    while (Date.now() - start < 2 * WINDOW_S * 1000 + 500) {
      const at = Date.now() - start;
      const closed = (await connectAttempt(t.url)) as { code: number; reason: string };
      outcomes.push({ at, ...closed });
      await new Promise((r) => setTimeout(r, 100));
    }
    const refused = outcomes.filter((o) => o.code === 1013);
    const letThrough = outcomes.filter((o) => o.code === 4401);
    expect(refused.length).toBeGreaterThan(5);
    // each refusal's hint points at most to the end of the window it is in
    for (const o of refused) {
      const hint = Number(/try again in (\d+) s$/.exec(o.reason)?.[1]);
      expect(hint).toBeGreaterThanOrEqual(1);
      expect(hint).toBeLessThanOrEqual(WINDOW_S);
    }
    // Let through again once the window ends: refused for at most one window after the refusals
    // began (plus the first attempt's time to reach the gateway), whatever the spacing of the
    // attempts. Had each refusal extended the window, the storm would never be let through. (It
    // asked for a let-through starting within 400 ms of the window's end, and a loaded machine,
    // the suite on DATABASE_URL beside other tests, spaced two attempts wider than that.)
    const firstRefusal = refused[0].at;
    const backIn = letThrough.find((o) => o.at > firstRefusal);
    expect(backIn).toBeDefined();
    const lastRefused = refused.filter((o) => o.at < backIn!.at).at(-1)!;
    expect(lastRefused.at - firstRefusal).toBeLessThanOrEqual(WINDOW_S * 1000 + 400);
  }, 20_000);
});

describe('WS_KEEPALIVE_MS (parity-12)', () => {
  const base = { NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, DATABASE_URL: 'postgres://localhost/x' };
  it.each(['100', '999'])('refuses %s ms, below a garbage collection pause, with the whole range in the message', (value) => {
    expect(() => loadConfig({ ...base, WS_KEEPALIVE_MS: value })).toThrow(
      new ConfigError(`WS_KEEPALIVE_MS must be 0 (no heartbeat) or between 1000 and 3600000 (milliseconds; shorter beats cut healthy sockets during a garbage collection pause), got "${value}"`),
    );
  });
  it('takes 1000', () => {
    expect(loadConfig({ ...base, WS_KEEPALIVE_MS: '1000' }).ws.keepAliveMs).toBe(1_000);
  });
});

describe('credentials and operations named as HTTP names them (parity-12)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  const post = async (headers: Record<string, string>, query: string) => {
    const res = await t.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
    return { status: res.status, errors: ((await res.json()) as { errors?: { message: string; extensions?: { code?: string } }[] }).errors };
  };

  it("a partner's key under connectionParams 'X-API-Key' is its key, as the header X-API-Key is over HTTP (the socket said credentials required)", async () => {
    const partner = await createPartner(t, ['customers:read']);
    const http = await post({ 'X-API-Key': partner.apiKey }, '{ __typename }');
    expect(http.status).toBe(400);
    expect(http.errors?.[0].extensions?.code).toBe('PERSISTED_QUERY_NOT_ALLOWED');
    const socket = openSocket(t.url, { 'X-API-Key': partner.apiKey });
    const answer = await firstResult(socket.client, '{ __typename }');
    expect(answer.errors).toEqual(http.errors);
    await socket.dispose();

    const unknown = await post({ 'X-Api-Key': 'rg_not-a-key' }, '{ __typename }');
    expect(unknown).toEqual({ status: 401, errors: [{ message: 'Unknown or revoked API key.', extensions: { code: 'UNAUTHENTICATED' } }] });
    expect(await openSocket(t.url, { 'X-Api-Key': 'rg_not-a-key' }).closed).toEqual({ code: 4401, reason: 'Unknown or revoked API key.' });
  });

  it('a subscription over HTTP is refused SUBSCRIPTION_OVER_HTTP (400) before it runs, as a mutation over the socket is refused MUTATION_OVER_WEBSOCKET (it answered 200 INTERNAL_SERVER_ERROR)', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    const subscription = `subscription { balanceChanged(currency: "${shop.currency}") { available } }`;
    const http = await post({ authorization: `Bearer ${customer.token}` }, subscription);
    expect(http).toEqual({
      status: 400,
      errors: [
        {
          message: 'Subscriptions are not taken over HTTP, which answers once: subscribe over WebSocket (graphql-ws, protocol graphql-transport-ws) on the same /graphql.',
          extensions: { code: 'SUBSCRIPTION_OVER_HTTP' },
        },
      ],
    });
    // and the mirror: the same customer's mutation over the socket
    const socket = openSocket(t.url, customer.token);
    const answer = await firstResult(socket.client, 'mutation { __typename }');
    expect(answer.errors?.map((e) => e.extensions?.code)).toEqual(['MUTATION_OVER_WEBSOCKET']);
    await socket.dispose();
  });
});

describe("an open socket's credentials that stop holding, past the address's anonymous budget (parity-12)", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ RATE_LIMIT_ANONYMOUS: '1', RATE_LIMIT_WINDOW_SECONDS: '600' }, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  it('close it 4429 with when to try again, as HTTP answers 429 (it closed 4401, as if the budget were not spent)', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    const socket = openSocket(t.url, customer.token);
    expect(await firstResult(socket.client, '{ me { externalId } }')).toEqual({ data: { me: { externalId: customer.externalId } } });
    // Closed by hand (no outbox event, so nothing closes the socket before its next operation), and
    // the address's one anonymous point spent.
    await t.sql(`update customer set status = 'CLOSED' where external_id = $1`, [customer.externalId]);
    const anonymous = await t.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
    expect(anonymous.status).toBe(200);
    const http = await t.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${customer.token}` }, body: '{"query":"{ me { externalId } }"}' });
    expect(http.status).toBe(429);
    const answer = await firstResult(socket.client, '{ me { externalId } }');
    expect(answer.errors?.map((e) => e.extensions)).toEqual([{ code: 'RATE_LIMITED', retryAfter: expect.any(Number) }]);
    expect(await socket.closed).toEqual({ code: 4429, reason: expect.stringMatching(/^rate limited: try again in \d+ s$/) });
  });
});
