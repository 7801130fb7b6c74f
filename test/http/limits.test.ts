import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import pino from 'pino';
import { ConfigError, loadConfig } from '../../src/config.js';
import { openOrm } from '../../src/db/orm.js';
import { signToken } from '../../src/http/auth.js';
import { startGateway } from '../../src/http/server.js';
import { PurchaseOfferDocument } from '../generated/graphql.js';
import { startTestGateway, writeCounts, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, simpleShop, unique } from '../support/program.js';
import { connectAttempt } from '../support/ws.js';

/**
 * Issue 8's limits, each exceeded once: the refusal's HTTP status and `extensions.code`, and
 * nothing run (a mutation over a limit writes nothing). Then per-caller rate limits that two
 * gateway instances on one database (or one Redis) enforce together.
 */

const LEAK = /stack|select |insert |update |postgres/i;

interface Answer {
  status: number;
  headers: Headers;
  body: { data?: unknown; errors?: { message: string; extensions?: { code?: string; [k: string]: unknown } }[] };
  text: string;
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text) as Answer['body'], text };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const codesOf = (a: Answer) => [...new Set(a.body.errors?.map((e) => e.extensions?.code))];

describe('limits on what one request may ask', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway();
    const shop = await simpleShop(t, { priceInPoints: 10 });
    await createCustomer(t, shop.currency, 100);
  });
  afterAll(() => t.close());

  /** `upsertCustomer` creating `externalId`, answering with `selection`: a write that must not happen. */
  const upsert = (selection: string, prefix = '') =>
    `${prefix}mutation Upsert($input: UpsertCustomerInput!${selection.includes('$stores') ? ', $stores: Int, $listings: Int' : ''}) { upsertCustomer(input: $input) { customer { ${selection} } userErrors { code } } }`;

  const storesAndListings = (stores: string, listings: string) =>
    `id eligibleRewardStores(first: ${stores}) { edges { node { listings(first: ${listings}) { edges { node { id priceInPoints offer { name } } } } } } }`;

  const cases: [string, () => { body: unknown }, number, string][] = [
    ['more tokens than MAX_QUERY_TOKENS', () => ({ body: { query: upsert(`id ${'externalId '.repeat(t.config.limits.maxTokens)}`) } }), 400, 'QUERY_TOO_COMPLEX'],
    ['deeper than MAX_QUERY_DEPTH', () => {
      let inner = 'id';
      for (let i = 0; i < 4; i++) inner = `store { listings { edges { node { ${inner} } } } }`;
      return { body: { query: upsert(`eligibleRewardStores { edges { node { listings { edges { node { ${inner} } } } } } }`) } };
    }, 400, 'QUERY_TOO_COMPLEX'],
    ['more aliases than MAX_QUERY_ALIASES', () => ({
      body: { query: upsert(Array.from({ length: t.config.limits.maxAliases + 1 }, (_, i) => `a${i}: id`).join(' ')) },
    }), 400, 'QUERY_TOO_COMPLEX'],
    ['more directives than MAX_QUERY_DIRECTIVES', () => ({
      body: { query: upsert(Array.from({ length: t.config.limits.maxDirectives + 1 }, () => 'id @include(if: true)').join(' ')) },
    }), 400, 'QUERY_TOO_COMPLEX'],
    ['a cost over MAX_QUERY_COST, list sizes written in the document', () => ({ body: { query: upsert(storesAndListings('100', '100')) } }), 400, 'QUERY_TOO_COMPLEX'],
    ['a cost over MAX_QUERY_COST, list sizes passed as variables', () => ({
      body: { query: upsert(storesAndListings('$stores', '$listings')), variables: { stores: 100, listings: 100 } },
    }), 400, 'QUERY_TOO_COMPLEX'],
    ['a document longer than MAX_DOCUMENT_BYTES (a comment: no tokens)', () => ({
      body: { query: upsert('id', `# ${'x'.repeat(t.config.limits.maxDocumentBytes)}\n`) },
    }), 400, 'QUERY_TOO_COMPLEX'],
    ['a body over BODY_LIMIT_BYTES', () => ({
      body: { query: upsert('id'), variables: { padding: 'x'.repeat(t.config.bodyLimitBytes) } },
    }), 413, 'PAYLOAD_TOO_LARGE'],
    ['a batch (batching is off)', () => ({ body: [{ query: upsert('id') }, { query: upsert('id') }] }), 400, 'BAD_REQUEST'],
    // Hostile pass 11: the parser's recursion ran out of stack before the token limit counted this
    // far, and the answer was GRAPHQL_PARSE_FAILED "Maximum call stack size exceeded".
    ['a list literal nested deeper than the parser follows (4 kB)', () => ({ body: { query: upsert(`id @include(if: ${'['.repeat(1990)}${']'.repeat(1990)})`) } }), 400, 'QUERY_TOO_COMPLEX'],
  ];

  it.each(cases)('%s is refused with its code and runs nothing', async (_name, make, status, code) => {
    const externalId = unique('limited');
    const { body } = make();
    const withInput = Array.isArray(body)
      ? body.map((b: object) => ({ ...b, variables: { input: { externalId } } }))
      : { ...(body as object), variables: { ...(body as { variables?: object }).variables, input: { externalId } } };
    const before = await writeCounts(t);
    const res = await post(t.url, withInput, bearer(t.operatorToken));
    expect({ status: res.status, codes: codesOf(res) }).toEqual({ status, codes: [code] });
    expect(res.body.data).toBeUndefined();
    expect(res.text).not.toMatch(LEAK);
    expect(await t.sql(`select 1 from customer where external_id = $1`, [externalId])).toEqual([]);
    expect(await writeCounts(t)).toEqual(before);
  });

  /**
   * linger-27 (CI on 051a3f1: break-25-stop's 413 not read within 10 s at load): after a 413 the
   * connection is closed in stages, reading and dropping what the client still sends; the bound
   * was 1 s in all, so a client busy sending that read nothing for over a second (a loaded host,
   * a slow loop) was reset with its answer unread, and a reset can erase it from the client's
   * buffers. Here the client sends on without reading for 2 s, then reads.
   */
  it('an upload past BODY_LIMIT_BYTES whose client sends on and reads nothing for 2 s: its 413 is still read, not reset', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: Number(new URL(t.url).port), allowHalfOpen: true });
    await once(socket, 'connect');
    let error: string | undefined;
    socket.on('error', (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message));
    // a client with nothing more to send closes its side when the gateway closes its own
    socket.once('end', () => socket.end());
    socket.pause();
    socket.write('POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = `400\r\n${'a'.repeat(0x400)}\r\n`.repeat(16);
    const sending = setInterval(() => !socket.destroyed && socket.write(chunk), 10);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    clearInterval(sending);
    let text = '';
    socket.on('data', (bytes: Buffer) => (text += bytes.toString('latin1')));
    socket.resume();
    await Promise.race([once(socket, 'close'), new Promise((resolve) => setTimeout(resolve, 5_000))]);
    socket.destroy();
    expect({ status: /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1], code: /"code":"([A-Z_]+)"/.exec(text)?.[1], error }).toEqual({ status: '413', code: 'PAYLOAD_TOO_LARGE', error: undefined });
  });

  it('a page size passes the cost limit alone and multiplies it nested (the controls)', async () => {
    const externalId = unique('within');
    const res = await post(t.url, { query: upsert(storesAndListings('$stores', '$listings')), variables: { input: { externalId }, stores: 1, listings: 100 } }, bearer(t.operatorToken));
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(await t.sql(`select 1 from customer where external_id = $1`, [externalId])).toHaveLength(1);
  });
});

/** A second gateway instance on the same database and settings (or some changed), as a second replica would be. */
async function secondInstance(t: TestGateway, changes: Partial<TestGateway['config']> = {}, log: pino.Logger = pino({ level: 'silent' })) {
  const orm = await openOrm({ url: t.databaseUrl, poolMax: 5 });
  const gateway = await startGateway({ config: { ...t.config, ...changes }, orm, databaseUrl: t.databaseUrl, clock: t.clock, log }, 0, '127.0.0.1');
  return {
    url: gateway.url,
    close: async () => {
      await gateway.close();
      await orm.close(true);
    },
  };
}

function expectRateLimited(res: Answer, windowSeconds: number) {
  expect({ status: res.status, codes: codesOf(res) }).toEqual({ status: 429, codes: ['RATE_LIMITED'] });
  expect(res.body.data).toBeUndefined();
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= windowSeconds).toBe(true);
}

const ME = '{ me { externalId } }';

/**
 * A gateway's log at info, kept: `uncounted()` is how many requests its rate limits let through
 * uncounted in store outages that have ended, the sum of its "rate limit store answers again" lines
 * (`letThrough`; src/http/rate-limit.ts writes one when a count succeeds after failures).
 */
function keptLog() {
  const lines: { msg?: string; letThrough?: number }[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) });
  return { log, uncounted: () => lines.filter((l) => l.msg === 'rate limit store answers again').reduce((sum, l) => sum + (l.letThrough ?? 0), 0) };
}

describe.each([
  ['PostgreSQL', {}],
  ['Redis', { REDIS_URL: 'redis://127.0.0.1:6379', RATE_LIMIT_KEY_PREFIX: `test-${randomBytes(6).toString('hex')}` }],
])('rate limits shared by two instances (%s)', (_store, storeEnv) => {
  const PER_CUSTOMER = 6;
  const PER_PARTNER = 4;
  const PER_STAFF = 40;
  const PER_IP = 3;
  let t: TestGateway;
  let b: Awaited<ReturnType<typeof secondInstance>>;
  let shop: Awaited<ReturnType<typeof simpleShop>>;
  const logA = keptLog();
  const logB = keptLog();

  beforeAll(async () => {
    t = await startTestGateway({
      ...storeEnv,
      RATE_LIMIT_CUSTOMER: String(PER_CUSTOMER),
      RATE_LIMIT_PARTNER: String(PER_PARTNER),
      // The setup below runs as staff-op; the staff test signs in as someone else.
      RATE_LIMIT_STAFF: String(PER_STAFF),
      RATE_LIMIT_ANONYMOUS: String(PER_IP),
      RATE_LIMIT_WS_CONNECT: '2',
      RATE_LIMIT_WINDOW_SECONDS: '300',
    }, { log: logA.log });
    b = await secondInstance(t, {}, logB.log);
    shop = await simpleShop(t, { priceInPoints: 10 });
  });
  afterAll(async () => {
    await b.close();
    await t.close();
  });

  it('a customer gets PER_CUSTOMER requests on either instance, then 429 on both, and the refused purchase buys nothing', async () => {
    const alice = await createCustomer(t, shop.currency, 100);
    const bob = await createCustomer(t, shop.currency, 100);
    const served = await Promise.all(Array.from({ length: PER_CUSTOMER }, (_, i) => post(i % 2 ? b.url : t.url, { query: ME }, bearer(alice.token))));
    expect(served.map((r) => r.status)).toEqual(Array(PER_CUSTOMER).fill(200));

    const before = await writeCounts(t);
    const purchase = { query: PurchaseOfferDocument.toString(), variables: { listingId: shop.listing.id, idempotencyKey: unique('rl') } };
    expectRateLimited(await post(t.url, purchase, bearer(alice.token)), 300);
    expectRateLimited(await post(b.url, purchase, bearer(alice.token)), 300);
    expect(await writeCounts(t)).toEqual(before);
    // a fresh token of the same customer is the same budget
    expectRateLimited(await post(b.url, { query: ME }, bearer(await t.customerToken(alice.externalId))), 300);

    // another customer has a budget of their own
    expect((await post(b.url, { query: ME }, bearer(bob.token))).status).toBe(200);
  });

  it('a partner (per API key) gets PER_PARTNER requests, then 429 on both instances', async () => {
    const partner = await createPartner(t, ['customers:read']);
    const other = await createPartner(t, ['customers:read']);
    const query = { query: '{ customer(externalId: "nobody") { id } }' };
    const served = await Promise.all(Array.from({ length: PER_PARTNER }, (_, i) => post(i % 2 ? b.url : t.url, query, { 'x-api-key': partner.apiKey })));
    // Whatever a partner may run (trusted documents decide that), none of these was rate limited.
    expect(served.map((r) => r.status)).not.toContain(429);
    expectRateLimited(await post(t.url, query, { 'x-api-key': partner.apiKey }), 300);
    expectRateLimited(await post(b.url, query, { 'x-api-key': partner.apiKey }), 300);
    expect((await post(t.url, query, { 'x-api-key': other.apiKey })).status).not.toBe(429);
  });

  it('a staff member gets PER_STAFF requests, then 429', async () => {
    const token = await signToken(t.config, { sub: unique('staff'), role: 'analyst' });
    const uncounted = () => logA.uncounted() + logB.uncounted();
    // read before the burst: an outage within it ends (and is logged) within it
    const before = uncounted();
    const served = await Promise.all(Array.from({ length: PER_STAFF }, (_, i) => post(i % 2 ? b.url : t.url, { query: '{ tiers { code } }' }, bearer(token))));
    expect(served.map((r) => r.status)).toEqual(Array(PER_STAFF).fill(200));
    // A count the store does not answer in time lets its request through uncounted, by design
    // (RateLimits): on a loaded machine one of the 40 parallel counts did (a new store connection
    // past DB_ACQUIRE_TIMEOUT_MS, waits-26), and the 41st request was served. Every request served
    // past the budget must be one the gateways' logs report let through uncounted, no more.
    let extra = 0;
    for (;;) {
      const res = await post(extra % 2 ? t.url : b.url, { query: '{ tiers { code } }' }, bearer(token));
      if (res.status !== 200) {
        expectRateLimited(res, 300);
        break;
      }
      extra++;
      if (extra > PER_STAFF) throw new Error(`${extra} requests served past the budget of ${PER_STAFF}`);
    }
    // the other instance too: its count answered, any outage of its own has ended and been logged
    expectRateLimited(await post(extra % 2 ? b.url : t.url, { query: '{ tiers { code } }' }, bearer(token)), 300);
    expect({ servedPastBudget: extra }).toEqual({ servedPastBudget: uncounted() - before });
  });

  it('callers without valid credentials share a budget per IP, then get 429 instead of 401', async () => {
    const anonymous = await Promise.all(Array.from({ length: PER_IP - 1 }, (_, i) => post(i % 2 ? b.url : t.url, { query: ME })));
    expect(anonymous.map((r) => r.status)).toEqual(Array(PER_IP - 1).fill(401));
    // a credential that does not verify counts against the IP too (guessing keys costs budget)
    expect((await post(t.url, { query: ME }, { 'x-api-key': 'guessed-key' })).status).toBe(401);
    expectRateLimited(await post(b.url, { query: ME }), 300);
    expectRateLimited(await post(t.url, { query: ME }, { 'x-api-key': 'another-guess' }), 300);
  });

  it('WebSocket connection attempts count per IP: over budget the socket is closed 1013 with when to try again (ws-12: a refused upgrade made graphql-ws clients stop retrying)', async () => {
    const attempt = (url: string) => connectAttempt(url);
    // Let through, then refused for sending no credentials: past this address's anonymous budget,
    // which the test above spent over HTTP (a connect without credentials takes a point of it, parity-12).
    expect(await attempt(t.url)).toEqual({ code: 4429, reason: expect.stringMatching(/^rate limited: try again in \d+ s$/) });
    expect(await attempt(b.url)).toEqual({ code: 4429, reason: expect.stringMatching(/^rate limited: try again in \d+ s$/) });
    const refused = await attempt(t.url);
    expect(refused).toEqual({ code: 1013, reason: expect.stringMatching(/^too many connection attempts from this address: try again in \d+ s$/) });
    expect(Number(/in (\d+) s/.exec((refused as { reason: string }).reason)![1])).toBeGreaterThanOrEqual(1);
    expect(await attempt(b.url)).toEqual({ code: 1013, reason: expect.stringMatching(/try again in/) });
  });
});

describe('rate limits behind a proxy, and a failing store', () => {
  let t: TestGateway;
  let proxied: Awaited<ReturnType<typeof secondInstance>>;
  beforeAll(async () => {
    t = await startTestGateway({ RATE_LIMIT_ANONYMOUS: '2', RATE_LIMIT_CUSTOMER: '2', RATE_LIMIT_WINDOW_SECONDS: '300' });
    // as if behind one load balancer that appends the client's address to X-Forwarded-For
    proxied = await secondInstance(t, { trustProxyHops: 1 });
  });
  afterAll(async () => {
    await proxied.close();
    await t.close();
  });

  it('with TRUST_PROXY_HOPS=1 anonymous callers count per forwarded client IP, not per proxy', async () => {
    const from = (ip: string, spoofed = '') => post(proxied.url, { query: ME }, { 'x-forwarded-for': `${spoofed}${ip}` });
    expect((await from('203.0.113.1')).status).toBe(401);
    // what a client prepends itself is not believed: still 203.0.113.1's budget
    expect((await from('203.0.113.1', '198.51.100.9, ')).status).toBe(401);
    expectRateLimited(await from('203.0.113.1'), 300);
    expect((await from('203.0.113.2')).status).toBe(401);
    // HSTS only when the trusted proxy says the client came over HTTPS
    const https = await fetch(proxied.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' }, body: JSON.stringify({ query: ME }) });
    expect(https.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    const direct = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' }, body: JSON.stringify({ query: ME }) });
    expect(direct.headers.get('strict-transport-security')).toBeNull();
  });

  it('lets requests through when the counter store fails, rather than failing the API', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    await t.sql('alter table rate_limit_bucket rename to rate_limit_bucket_away');
    try {
      const answers = await Promise.all(Array.from({ length: 4 }, () => post(t.url, { query: ME }, bearer(customer.token))));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    } finally {
      await t.sql('alter table rate_limit_bucket_away rename to rate_limit_bucket');
    }
    await post(t.url, { query: ME }, bearer(customer.token));
    await post(t.url, { query: ME }, bearer(customer.token));
    expectRateLimited(await post(t.url, { query: ME }, bearer(customer.token)), 300);
  });
});

/**
 * TRUST_PROXY_ADDRESSES (edges-net): X-Forwarded-For is believed only as far as it was written by
 * listed proxies, walked from the right as Express's `trust proxy` does with addresses. The test
 * client's own address (127.0.0.1) plays the proxy, or a client that reached the gateway directly.
 */
describe('trusted proxies by address (TRUST_PROXY_ADDRESSES)', () => {
  let listed: TestGateway;
  let unlisted: TestGateway;
  beforeAll(async () => {
    const limits = { RATE_LIMIT_ANONYMOUS: '2', RATE_LIMIT_WS_CONNECT: '2', RATE_LIMIT_WINDOW_SECONDS: '300' };
    listed = await startTestGateway({ ...limits, TRUST_PROXY_ADDRESSES: '127.0.0.1, 10.0.0.0/8' });
    unlisted = await startTestGateway({ ...limits, TRUST_PROXY_ADDRESSES: '10.0.0.0/8, fd00::/8' });
  });
  afterAll(async () => {
    await listed.close();
    await unlisted.close();
  });
  const from = (t: TestGateway, forwardedFor: string, extra: Record<string, string> = {}) => post(t.url, { query: ME }, { 'x-forwarded-for': forwardedFor, ...extra });
  const upgrade = async (t: TestGateway, forwardedFor: string) => ((await connectAttempt(t.url, { 'x-forwarded-for': forwardedFor })) as { code: number }).code;

  it('behind a listed proxy, each client has its own budget: the first address from the right that is not a listed proxy', async () => {
    expect((await from(listed, '203.0.113.1')).status).toBe(401);
    // what a client prepends itself is not believed
    expect((await from(listed, 'forged, 198.51.100.9, 203.0.113.1')).status).toBe(401);
    expectRateLimited(await from(listed, '203.0.113.1'), 300);
    // another client behind the same proxy has a budget of its own
    expect((await from(listed, '203.0.113.2')).status).toBe(401);
    // two listed proxies in a row (the peer, then 10.1.2.3): the client is the one before them
    expect((await from(listed, '198.51.100.20, 10.1.2.3')).status).toBe(401);
    expect((await from(listed, '198.51.100.20')).status).toBe(401);
    expectRateLimited(await from(listed, '[2001:db8::1]:443, 198.51.100.20:5000, 10.9.9.9'), 300);
    // every hop listed: the leftmost address
    expect((await from(listed, '10.0.0.5, 10.0.0.6')).status).toBe(401);
    expect((await from(listed, '10.0.0.5')).status).toBe(401);
    expectRateLimited(await from(listed, '10.0.0.5'), 300);
    // WebSocket connection attempts count per forwarded client too
    expect([await upgrade(listed, '203.0.113.7'), await upgrade(listed, '203.0.113.7'), await upgrade(listed, '203.0.113.7'), await upgrade(listed, '203.0.113.8')]).toEqual([4401, 4401, 1013, 4401]);
    // HSTS when the listed proxy says the client came over HTTPS
    const https = await from(listed, '203.0.113.9', { 'x-forwarded-proto': 'https' });
    expect(https.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
  });

  it('a client that reaches the gateway without a listed proxy cannot name its budget key, nor claim HTTPS', async () => {
    expect((await from(unlisted, '198.51.100.1')).status).toBe(401);
    expect((await from(unlisted, '198.51.100.2, 10.0.0.1')).status).toBe(401);
    expectRateLimited(await from(unlisted, '198.51.100.3'), 300);
    // Two attempts let through (the peer's anonymous budget, spent above, refuses their lack of
    // credentials 4429: parity-12), the third over the peer's connect budget.
    expect([await upgrade(unlisted, '203.0.113.1'), await upgrade(unlisted, '203.0.113.2'), await upgrade(unlisted, '203.0.113.3')]).toEqual([4429, 4429, 1013]);
    const https = await from(unlisted, '198.51.100.4', { 'x-forwarded-proto': 'https' });
    expect(https.headers.get('strict-transport-security')).toBeNull();
  });

  it('is checked at start: addresses, CIDR ranges and Express\'s names; anything else, or hops as well, stops start-up with the variable named', () => {
    expect(loadConfig({ TRUST_PROXY_ADDRESSES: ' 10.0.0.1 , 192.168.0.0/16,2001:db8::/32, ::ffff:172.16.0.0/108, loopback' }).trustProxyAddresses).toEqual([
      '10.0.0.1/32',
      '192.168.0.0/16',
      '2001:db8::/32',
      '172.16.0.0/12',
      '127.0.0.0/8',
      '::1/128',
    ]);
    expect(loadConfig({}).trustProxyAddresses).toEqual([]);
    for (const bad of ['10.0.0.0/33', 'proxy.internal', '10.0.0', '10.0.0.1:80', '2001:db8::/129', '*', 'toString', 'fe80::1%eth0', '10.0.0.0/8/8']) {
      expect(() => loadConfig({ TRUST_PROXY_ADDRESSES: bad })).toThrow(new ConfigError(`TRUST_PROXY_ADDRESSES must list IP addresses or CIDR ranges (or loopback, linklocal, uniquelocal), comma-separated; got "${bad}"`));
    }
    expect(() => loadConfig({ TRUST_PROXY_ADDRESSES: '10.0.0.0/8', TRUST_PROXY_HOPS: '1' })).toThrow(
      new ConfigError('Set TRUST_PROXY_ADDRESSES or TRUST_PROXY_HOPS, not both: the addresses say which peers may add to X-Forwarded-For, the hop count trusts any.'),
    );
    // hop counts keep working as before
    expect(loadConfig({ TRUST_PROXY_HOPS: '2' }).trustProxyHops).toBe(2);
  });
});
