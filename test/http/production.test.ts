import { Writable } from 'node:stream';
import fc from 'fast-check';
import pino from 'pino';
import { openOrm } from '../../src/db/orm.js';
import { startGateway } from '../../src/http/server.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, simpleShop } from '../support/program.js';
import { firstResult, openSocket } from '../support/ws.js';

/**
 * NODE_ENV=production (issue 8): no introspection, no field suggestions, masked internal errors
 * that carry a request id the log line carries too, security headers; and a fuzzed stream of
 * malformed requests, each answered 4xx with nothing of the server's insides, the gateway serving on.
 */

/** What a response must never carry: stack frames, SQL, the database's name for itself. */
const LEAK = /stack|\bat .+\.(js|ts):\d+|select |insert |update |delete from|postgres|syntax error at or near|relation "/i;

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body?: { data?: unknown; errors?: { message: string; extensions?: { code?: string; requestId?: string } }[] };
}

async function send(url: string, init: RequestInit): Promise<Answer> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: Answer['body'];
  try {
    body = JSON.parse(text) as Answer['body'];
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, text, body };
}

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

const ENUM_LITERAL = '{ me { wallet(first: 1, status: [ISSUE]) { edges { cursor } } } }';
const ENUM_VARIABLE = 'query($s: [IssuedOfferStatus!]) { me { wallet(first: 1, status: $s) { edges { cursor } } } }';

describe('production mode', () => {
  let t: TestGateway;
  let customer: Awaited<ReturnType<typeof createCustomer>>;
  let auth: Record<string, string>;

  beforeAll(async () => {
    t = await startTestGateway({ NODE_ENV: 'production' });
    const shop = await simpleShop(t);
    customer = await createCustomer(t, shop.currency, 10);
    auth = { authorization: `Bearer ${customer.token}` };
  });
  afterAll(() => t.close());

  it('refuses introspection, also to a signed-in customer', async () => {
    for (const query of ['{ __schema { types { name } } }', '{ __type(name: "Customer") { fields { name } } }']) {
      const res = await send(t.url, json({ query }, auth));
      expect(res.status).toBe(400);
      expect(res.body?.data).toBeUndefined();
      expect(res.body?.errors?.map((e) => e.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(res.text).toMatch(/introspection/i);
    }
  });

  it('suggests no enum values either, in a literal or in a variable (hostile-5)', async () => {
    for (const body of [{ query: ENUM_LITERAL }, { query: ENUM_VARIABLE, variables: { s: ['ISSUE'] } }]) {
      const res = await send(t.url, json(body, auth));
      expect(res.status).toBe(400);
      expect(res.body?.errors?.length).toBeGreaterThan(0);
      expect(res.body!.errors!.map((e) => e.message).join('\n')).not.toMatch(/did you mean|\bISSUED\b/i);
    }
  });

  it('suggests no field, argument or type names', async () => {
    for (const query of ['{ me { externalI } }', '{ mee { id } }', '{ me { wallet(firs: 1) { edges { cursor } } } }', '{ me { ... on Custome { id } } }']) {
      const res = await send(t.url, json({ query }, auth));
      expect(res.status).toBe(400);
      expect(res.text).not.toMatch(/did you mean/i);
      expect(res.text).not.toMatch(/externalId|Customer"/);
    }
  });

  it('over WebSocket too: no introspection and no suggestions for a signed-in customer (hostile-5)', async () => {
    const socket = openSocket(t.url, customer.token);
    try {
      for (const query of ['{ __schema { types { name } } }', '{ __type(name: "Customer") { fields { name } } }']) {
        const res = await firstResult(socket.client, query);
        expect(res.data ?? undefined).toBeUndefined();
        expect(res.errors?.length).toBeGreaterThan(0);
        expect(new Set(res.errors!.map((e) => e.extensions?.code))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
        expect(JSON.stringify(res.errors)).toMatch(/introspection/i);
      }
      for (const query of ['{ me { externalI } }', '{ mee { id } }', '{ me { wallet(firs: 1) { edges { cursor } } } }', '{ me { ... on Custome { id } } }', 'subscription { balanceChange { available } }', ENUM_LITERAL]) {
        const res = await firstResult(socket.client, query);
        expect(res.errors?.length).toBeGreaterThan(0);
        const messages = res.errors!.map((e) => e.message).join('\n');
        expect(messages).not.toMatch(/did you mean/i);
        expect(messages).not.toMatch(/externalId|balanceChanged|ISSUED/);
      }
      const res = await firstResult(socket.client, ENUM_VARIABLE, { s: ['ISSUE'] });
      expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(res.errors!.map((e) => e.message).join('\n')).not.toMatch(/did you mean|\bISSUED\b/i);
    } finally {
      await socket.dispose();
    }
  });

  it('sets the security headers and a request id on every answer', async () => {
    const res = await send(t.url, json({ query: '{ me { externalId } }' }, auth));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    // the gateway speaks plain HTTP here and trusts no proxy: no HSTS
    expect(res.headers.get('strict-transport-security')).toBeNull();
    const other = await send(t.url, json({ query: '{ me { externalId } }' }, auth));
    expect(other.headers.get('x-request-id')).not.toBe(res.headers.get('x-request-id'));
    // a client's own x-request-id is never taken over
    const chosen = await send(t.url, json({ query: '{ me { externalId } }' }, { ...auth, 'x-request-id': 'client-chosen' }));
    expect(chosen.headers.get('x-request-id')).not.toBe('client-chosen');
    expect((await t.fetch('/healthz')).headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('refuses a simple cross-site GET (CSRF prevention)', async () => {
    const res = await t.fetch(`/graphql?query=${encodeURIComponent('{ me { id } }')}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/CSRF|preflight/i);
  });

  it('masks an internal error as INTERNAL_SERVER_ERROR with the request id the log line carries', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const orm = await openOrm({ url: t.databaseUrl, poolMax: 2 });
    const gateway = await startGateway({ config: t.config, orm, databaseUrl: t.databaseUrl, clock: t.clock, log: pino({ level: 'error' }, sink) }, 0, '127.0.0.1');
    // A fault the client cannot cause: the SQL function balances are read with has gone missing.
    await t.sql('alter function point_account_at(bigint, timestamptz) rename to point_account_at_gone');
    try {
      const res = await send(gateway.url, json({ query: '{ me { externalId balances { available } } }' }, auth));
      const requestId = res.headers.get('x-request-id');
      expect(res.body?.errors).toEqual([{ message: 'Internal server error', path: expect.any(Array), extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } }]);
      expect(res.text).not.toMatch(LEAK);
      expect(res.text).not.toMatch(/point_account_at/);
      const logged = lines.find((l) => l.msg === 'internal error');
      expect(logged).toMatchObject({ requestId, err: { message: expect.stringMatching(/point_account_at/) } });

      // over a socket alike: masked, and with an id the log line carries (hostile-5)
      const socket = openSocket(gateway.url, customer.token);
      try {
        const overSocket = await firstResult(socket.client, '{ me { externalId balances { available } } }');
        const socketId = overSocket.errors?.[0]?.extensions?.requestId;
        expect(overSocket.errors).toEqual([{ message: 'Internal server error', path: expect.any(Array), extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: expect.any(String) } }]);
        expect(socketId).not.toBe(requestId);
        expect(lines.filter((l) => l.msg === 'internal error').map((l) => l.requestId)).toContain(socketId);
      } finally {
        await socket.dispose();
      }
    } finally {
      await t.sql('alter function point_account_at_gone(bigint, timestamptz) rename to point_account_at');
      await gateway.close();
      await orm.close(true);
    }
  });

  describe('fuzzed malformed requests', () => {
    const deepJson = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
    const deepQuery = (depth: number) => '{ me '.repeat(depth) + '{ id }' + ' }'.repeat(depth);
    const deepObject = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

    /** A request that is wrong in one way: what it is, and how to send it. */
    const malformed: fc.Arbitrary<{ what: string; init: () => RequestInit; url?: string }> = fc.oneof(
      fc.string({ maxLength: 300 }).map((text) => ({ what: `random text body ${JSON.stringify(text.slice(0, 40))}`, init: () => ({ method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: text }) })),
      fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ what: 'random bytes body', init: () => ({ method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: Buffer.from(bytes) }) })),
      fc.jsonValue({ maxDepth: 4 }).map((value) => ({ what: `random JSON ${JSON.stringify(value)?.slice(0, 60)}`, init: () => json(value, auth) })),
      fc.record({ query: fc.oneof(fc.string({ maxLength: 100 }), fc.integer(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 })), variables: fc.jsonValue({ maxDepth: 2 }), operationName: fc.option(fc.string({ maxLength: 20 })) })
        .filter((b) => typeof b.query !== 'string' || !/^\s*\{?\s*(__typename)?\s*\}?\s*$/.test(b.query))
        .map((body) => ({ what: `random request ${JSON.stringify(body).slice(0, 80)}`, init: () => json(body, auth) })),
      fc
        .tuple(fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/graphql', 'text/html'), fc.boolean())
        .map(([type, signedIn]) => ({
          what: `content type ${type}${signedIn ? ' (signed in)' : ''}`,
          init: () => ({ method: 'POST', headers: { 'content-type': type, ...(signedIn ? auth : {}) }, body: JSON.stringify({ query: '{ me { id } }' }) }),
        })),
      fc.constantFrom('PUT', 'DELETE', 'PATCH').map((method) => ({ what: `method ${method}`, init: () => ({ method, headers: { 'content-type': 'application/json', ...auth }, body: '{"query":"{ me { id } }"}' }) })),
      fc.integer({ min: 50_000, max: 300_000 }).map((size) => ({
        what: `huge variables (${size} chars)`,
        init: () => json({ query: 'query Wallet($first: Int) { me { wallet(first: $first) { edges { cursor } } } }', variables: { first: 'x'.repeat(size) } }, auth),
      })),
      fc.integer({ min: 1_000, max: 40_000 }).map((n) => ({
        what: `huge list variable (${n} ids)`,
        init: () => json({ query: 'query Wallet($first: Int) { me { wallet(first: $first) { edges { cursor } } } }', variables: { first: Array.from({ length: n }, (_, i) => i) } }, auth),
      })),
      fc.integer({ min: 13, max: 20_000 }).map((depth) => ({ what: `query nested ${depth} deep`, init: () => json({ query: deepQuery(depth) }, auth) })),
      fc.integer({ min: 100, max: 49_000 }).map((depth) => ({ what: `JSON nested ${depth} deep`, init: () => ({ method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: `{"query":"{ me { id } }","variables":${deepJson(depth)}}` }) })),
      fc.integer({ min: 100, max: 9_000 }).map((depth) => ({
        what: `variables nested ${depth} deep into a JSON input (operator)`,
        init: () => ({
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${t.operatorToken}` },
          body: `{"query":"mutation U($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { id } } }","variables":{"input":{"externalId":"fuzz-deep","attributes":${deepObject(depth)}}}}`,
        }),
      })),
      fc.integer({ min: 0, max: 3 }).map((kind) => ({
        what: `GET with bad parameters #${kind}`,
        url: `${t.url}?${['query=%7B', 'variables=%7Bnope&query=%7B%20me%20%7B%20id%20%7D%20%7D', 'extensions=%5B&query=x', 'query=mutation%20%7B%20x%20%7D'][kind]}`,
        init: () => ({ method: 'GET', headers: auth }),
      })),
    );

    it('each is answered 4xx, never with a stack or SQL, and the gateway serves on', async () => {
      const seen: string[] = [];
      await fc.assert(
        fc.asyncProperty(malformed, async ({ what, init, url }) => {
          seen.push(what);
          const res = await send(url ?? t.url, init());
          if (res.status < 400 || res.status > 499 || LEAK.test(res.text)) {
            throw new Error(`${what}: ${res.status} ${res.text.slice(0, 300)}`);
          }
        }),
        { numRuns: 150, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) },
      );
      expect(new Set(seen.map((w) => w.split(' ')[0])).size).toBeGreaterThanOrEqual(6);
      const after = await send(t.url, json({ query: '{ me { externalId } }' }, auth));
      expect(after.body).toEqual({ data: { me: { externalId: customer.externalId } } });
      expect(await t.sql(`select 1 from customer where external_id = 'fuzz-deep'`)).toEqual([]);
    });
  });
});
