import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { holdLocks } from '../support/locks.js';
import { createCustomer, simpleShop } from '../support/program.js';
import { firstResult, openSocket, rawSocket, waitFor, type RawSocket } from '../support/ws.js';

/**
 * What HTTP checks, the WebSocket checks the same way with the same code (docs/decisions.md, "ws-12").
 * Frames are written by hand: a graphql-ws client would print every number `JSON.stringify`'s way.
 */
describe('a JSON number that does not survive parsing, sent over a WebSocket (ws-12)', () => {
  let t: TestGateway;
  let raw: RawSocket;
  const AUDIT = 'query Audit($first: Int) { auditLog(first: $first) { edges { node { id } } } }';
  const subscribe = (id: string, payload: string) => raw.send(`{"id":"${id}","type":"subscribe","payload":${payload}}`);

  beforeAll(async () => {
    t = await startTestGateway();
    raw = await rawSocket(t.url, { authorization: `Bearer ${t.operatorToken}` });
  });
  afterAll(async () => {
    raw.socket.close();
    await t.close();
  });

  it('is refused BAD_USER_INPUT naming its path, as HTTP refuses it, and the socket stays open for the next operation', async () => {
    const variables = '{"first":5.0000000000000001}';
    const http = await t.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.operatorToken}` },
      body: `{"query":${JSON.stringify(AUDIT)},"variables":${variables}}`,
    });
    expect(http.status).toBe(400);
    const overHttp = ((await http.json()) as { errors: unknown[] }).errors;

    subscribe('inexact', `{"query":${JSON.stringify(AUDIT)},"variables":${variables}}`);
    const answer = await raw.answer('inexact');
    expect(answer).toEqual({ id: 'inexact', type: 'error', payload: overHttp });
    expect(answer.payload).toEqual([
      {
        message: 'variables.first is the number 5.0000000000000001, which would be read as 5 (JSON numbers are read as 64-bit doubles): send a Decimal as a string such as "4.50", and whole numbers up to 2^53 - 1.',
        extensions: { code: 'BAD_USER_INPUT', field: ['first'] },
      },
    ]);

    // the same socket runs the next operation, with a number that reads as written
    subscribe('exact', `{"query":${JSON.stringify(AUDIT)},"variables":{"first":5.0}}`);
    const next = await raw.answer('exact');
    expect(next.type).toBe('next');
    expect((next.payload as { errors?: unknown }).errors).toBeUndefined();
    expect(raw.socket.readyState).toBe(raw.socket.OPEN);
  });

  it("is refused in a subscribe message's extensions too, as in a POST body's", async () => {
    subscribe('ext', `{"query":"query { __typename }","extensions":{"persistedQuery":{"version":1.0000000000000001,"sha256Hash":"x"}}}`);
    const answer = await raw.answer('ext');
    expect(answer.type).toBe('error');
    expect(answer.payload).toEqual([
      { message: expect.stringMatching(/^extensions\.persistedQuery\.version is the number 1\.0000000000000001, which would be read as 1 /), extensions: { code: 'BAD_USER_INPUT' } },
    ]);
  });
});

describe('a message that is not UTF-8 text, sent as a binary frame (ws-12)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  it('closes the socket 1007 as a text frame with such bytes does, and does not run (HTTP refuses such a body 400)', async () => {
    const query = 'query Type($name: String!) { __type(name: $name) { name } }';
    const frame = (id: string, name: Buffer) =>
      Buffer.concat([Buffer.from(`{"id":"${id}","type":"subscribe","payload":{"query":${JSON.stringify(query)},"variables":{"name":"`), name, Buffer.from('"}}}')]);
    const bad = Buffer.from([0x51, 0xff, 0x75, 0x65, 0x72, 0x79]); // "Q\xFFuery": not UTF-8

    const http = await t.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.operatorToken}` },
      body: Buffer.concat([Buffer.from(`{"query":${JSON.stringify(query)},"variables":{"name":"`), bad, Buffer.from('"}}')]),
    });
    expect(http.status).toBe(400);
    expect(((await http.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('BAD_REQUEST');

    const raw = await rawSocket(t.url, { authorization: `Bearer ${t.operatorToken}` });
    // A well-formed binary frame runs as a text frame does.
    raw.send(frame('good', Buffer.from('Query')), true);
    expect((await raw.answer('good')).payload).toEqual({ data: { __type: { name: 'Query' } } });
    raw.send(frame('bad', bad), true);
    await waitFor(() => raw.socket.readyState === raw.socket.CLOSED || raw.messages.some((m) => m.id === 'bad'), 10_000, 'a close or an answer');
    expect(raw.messages.filter((m) => m.id === 'bad')).toEqual([]);
    expect(await raw.closed).toEqual({ code: 1007, reason: 'The message is not valid UTF-8 text.' });
  });
});

describe('failed credentials on a WebSocket connect (ws-12)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ RATE_LIMIT_ANONYMOUS: '2', RATE_LIMIT_WINDOW_SECONDS: '600' });
  });
  afterAll(() => t.close());

  it("count on the client IP's anonymous budget as over HTTP, and past it are refused RATE_LIMITED with when to try again", async () => {
    const bad = { authorization: 'Bearer a.b.c' };
    for (let i = 0; i < 2; i++) {
      const raw = await rawSocket(t.url, bad);
      expect(await raw.closed).toEqual({ code: 4401, reason: expect.any(String) });
    }
    const third = await rawSocket(t.url, bad);
    expect(await third.closed).toEqual({ code: 4429, reason: expect.stringMatching(/^rate limited: try again in \d+ s$/) });
    // HTTP sees the same budget spent
    const http = await t.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer a.b.c' }, body: '{"query":"{ __typename }"}' });
    expect(http.status).toBe(429);
    expect(http.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});

describe('a database that does not answer in time, seen over a WebSocket (ws-12)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ DB_STATEMENT_TIMEOUT_MS: '300' });
  });
  afterAll(() => t.close());

  it("tells a socket's client when to try again, as HTTP's Retry-After does: in the 1013 close's reason and in the operation's error", async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 10);
    const open = openSocket(t.url, customer.token);
    expect(await firstResult(open.client, '{ me { externalId } }')).toEqual({ data: { me: { externalId: customer.externalId } } });
    const stall = await holdLocks(t, 'lock table customer in access exclusive mode', []);
    try {
      const http = await t.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${customer.token}` }, body: '{"query":"{ me { externalId } }"}' });
      expect([http.status, http.headers.get('retry-after')]).toEqual([503, '2']);
      const overHttp = ((await http.json()) as { errors: { extensions: Record<string, unknown> }[] }).errors[0].extensions;
      expect(overHttp).toEqual({ code: 'SERVICE_UNAVAILABLE', retryAfter: 2 });

      const connecting = openSocket(t.url, customer.token);
      expect(await connecting.closed).toEqual({ code: 1013, reason: 'database unavailable: try again in 2 s' });
      await connecting.dispose();
      const answer = await firstResult(open.client, '{ me { externalId } }');
      expect(answer.errors?.map((e) => e.extensions)).toEqual([overHttp]);
    } finally {
      await stall.end();
      await open.dispose();
    }
  });
});

describe('connection attempts past RATE_LIMIT_WS_CONNECT (ws-12)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ RATE_LIMIT_WS_CONNECT: '1', RATE_LIMIT_WINDOW_SECONDS: '600' });
  });
  afterAll(() => t.close());

  it('are closed 1013 with when to try again, which a graphql-ws client with its default options retries (a refused upgrade made it give up)', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    const first = openSocket(t.url, customer.token);
    expect(await firstResult(first.client, '{ me { externalId } }')).toEqual({ data: { me: { externalId: customer.externalId } } });
    // The budget is spent: a phone behind the same address, with graphql-ws's defaults but a short wait.
    const closes: { code: number; reason: string }[] = [];
    let gaveUpWith: unknown;
    const client = createClient({
      url: t.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${customer.token}` },
      lazy: false,
      retryAttempts: 2,
      retryWait: () => new Promise((resolve) => setTimeout(resolve, 20)),
      onNonLazyError: (error) => (gaveUpWith = error),
      on: { closed: (event) => void closes.push({ code: (event as CloseEvent).code, reason: String((event as CloseEvent).reason) }) },
    });
    client.on('error', () => undefined);
    await waitFor(() => gaveUpWith !== undefined, 10_000, 'the client to give up');
    // Tried three times (the first attempt and both retries), each told when to come back.
    expect(closes).toEqual(Array(3).fill({ code: 1013, reason: expect.stringMatching(/^too many connection attempts from this address: try again in \d+ s$/) }));
    expect(gaveUpWith).toMatchObject({ code: 1013 });
    await client.dispose();
    await first.dispose();
  });
});
