import { once } from 'node:events';
import { gzipSync } from 'node:zlib';
import net from 'node:net';
import pg from 'pg';
import { ProfileDocument, PurchaseOfferDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, eventually, simpleShop } from '../support/program.js';

/** The HTTP surface around /graphql: GraphQL over HTTP GET and POST, health, readiness, metrics, shutdown. */
describe('HTTP', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  it('/healthz and /readyz answer when the process is up and the database migrated', async () => {
    const health = await t.fetch('/healthz');
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    const ready = await t.fetch('/readyz');
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready' }]);
  });

  it('/metrics exposes Prometheus metrics including GraphQL request durations', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 10);
    ok(await t.gql(ProfileDocument, {}, customer.token));
    const res = await t.fetch('/metrics');
    const text = await res.text();
    expect(res.status).toBe(200);
    // an operation not registered for a client is counted under "other": clients choose operation names
    expect(text).toMatch(/graphql_request_duration_seconds_count\{client="other",operation="other",type="query"\} \d+/);
    expect(text).not.toContain('"Profile"');
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('serves queries by GET as GraphQL over HTTP says, and refuses mutations by GET', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 25);
    const query = encodeURIComponent('{ me { externalId balances { available } } }');
    const res = await t.fetch(`/graphql?query=${query}`, { headers: { authorization: `Bearer ${customer.token}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { me: { externalId: customer.externalId, balances: [{ available: 25 }] } } });

    const mutation = encodeURIComponent('mutation { removeListing(input: { listingId: "x" }) { userErrors { code } } }');
    const refused = await t.fetch(`/graphql?query=${mutation}`, { headers: { authorization: `Bearer ${t.operatorToken}` } });
    expect(refused.status).toBe(405);
  });

  it('refuses a plain cross-site GET with no credentials header (CSRF prevention)', async () => {
    const res = await t.fetch(`/graphql?query=${encodeURIComponent('{ __typename }')}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/CSRF|preflight/i);
  });

  it('a body that is not UTF-8 is refused, not read with U+FFFD in place of its bytes: two keys differing only there are two keys (hostile pass 11)', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 1000);
    const post = (body: Buffer, headers: Record<string, string> = {}) =>
      t.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${customer.token}`, ...headers }, body });
    const purchase = (keyBytes: Buffer) =>
      Buffer.concat([
        Buffer.from(JSON.stringify({ query: PurchaseOfferDocument.toString(), variables: { listingId: shop.listing.id, idempotencyKey: 'KEY' } }).replace('"KEY"', '"key-')),
        keyBytes,
        Buffer.from('"}}'),
      ]);
    // Before: both were key "key-\uFFFD", and the second purchase answered the first one's id.
    for (const bytes of [Buffer.from([0xff]), Buffer.from([0xfe]), Buffer.from([0xc3])]) {
      const res = await post(purchase(bytes));
      expect([res.status, await res.json()]).toEqual([400, { errors: [{ message: 'The request body is not valid UTF-8 text.', extensions: { code: 'BAD_REQUEST' } }] }]);
    }
    expect(await t.sql(`select 1 from offer_purchase where customer_id = (select id from customer where external_id = $1)`, [customer.externalId])).toEqual([]);
    // A compressed body is refused as such, not as "not valid JSON"; the same JSON sent plain is taken.
    const plain = Buffer.from(JSON.stringify({ query: '{ me { externalId } }' }));
    const gzipped = await post(gzipSync(plain), { 'content-encoding': 'gzip' });
    expect([gzipped.status, await gzipped.json()]).toEqual([
      415,
      { errors: [{ message: 'Content-Encoding gzip is not supported: send the body uncompressed.', extensions: { code: 'UNSUPPORTED_MEDIA_TYPE' } }] },
    ]);
    expect(await (await post(plain, { 'content-encoding': 'identity' })).json()).toEqual({ data: { me: { externalId: customer.externalId } } });
    // GET: a percent-encoded byte that is not UTF-8 is refused the same way.
    const get = await t.fetch(`/graphql?query=${encodeURIComponent('query($id: String!) { customer(externalId: $id) { id } }')}&variables=%7B%22id%22%3A%22%FF%22%7D`, {
      headers: { authorization: `Bearer ${t.operatorToken}` },
    });
    expect([get.status, await get.json()]).toEqual([400, { errors: [{ message: 'The query string is not valid UTF-8 text.', extensions: { code: 'BAD_REQUEST' } }] }]);
  });

  it('keeps an idle keep-alive connection 72 s by default, and its answers say so (HTTP_KEEP_ALIVE_TIMEOUT_MS: test/http/break-12e-sending.test.ts)', async () => {
    const res = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect({ status: res.status, keepAlive: res.headers.get('keep-alive') }).toEqual({ status: 200, keepAlive: 'timeout=72' });
    expect(t.gateway.server.keepAliveTimeout).toBe(72_000);
  });

  it('answers unknown paths with 404', async () => {
    expect((await t.fetch('/nope')).status).toBe(404);
  });
});

describe('graceful shutdown', () => {
  it('finishes requests in flight, refuses new ones, then stops', async () => {
    const t = await startTestGateway();
    const shop = await simpleShop(t, { priceInPoints: 10 });
    const customer = await createCustomer(t, shop.currency, 100);
    // Hold the customer's account row so the purchases below are provably inside the gateway,
    // waiting on the database, when shutdown begins.
    const blocker = new pg.Client({ connectionString: t.databaseUrl });
    await blocker.connect();
    await blocker.query('begin');
    await blocker.query(
      'select 1 from point_account a join customer c on c.id = a.customer_id where c.external_id = $1 for update',
      [customer.externalId],
    );
    const inFlight = Array.from({ length: 5 }, (_, i) =>
      t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: `drain-${i}` }, customer.token),
    );
    for (let waiting = 0; waiting < 5; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const [row] = await t.sql<{ n: string }>(
        "select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
      );
      waiting = Number(row.n);
    }
    const closing = t.close();
    // shutdown has stopped the listener (not a guess at how long that takes)
    await eventually(async () => !t.gateway.server.listening);
    await expect(fetch(t.url, { method: 'POST' })).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
    await blocker.query('commit');
    await blocker.end();
    const results = await Promise.all(inFlight);
    expect(results.map((r) => r.status)).toEqual(Array(5).fill(200));
    expect(results.map((r) => r.data?.purchaseOffer.purchase?.pointsPaid)).toEqual(Array(5).fill(10));
    await closing;
  });

  // A request already sent, but read only once shutdown had begun (a kept-alive connection's next
  // request; one whose headers were still arriving), once reached Apollo after the drain had closed
  // its socket and stopped Apollo: no answer, and "Cannot execute GraphQL operations after the
  // server has stopped" logged as a 500 (test/http/process.test.ts under load).
  it('refuses requests read after shutdown began with 503 and Connection: close, while finishing the one in flight', async () => {
    const t = await startTestGateway();
    const shop = await simpleShop(t, { priceInPoints: 10 });
    const customer = await createCustomer(t, shop.currency, 100);
    /** A raw HTTP/1.1 connection: everything it received, and whether the gateway has closed it. */
    const connect = async () => {
      const socket = net.connect({ host: '127.0.0.1', port: t.gateway.port, allowHalfOpen: true });
      await once(socket, 'connect');
      const conn = { socket, received: '', ended: false };
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (conn.received += chunk));
      socket.on('end', () => (conn.ended = true));
      socket.on('error', () => undefined);
      return conn;
    };
    const body = JSON.stringify({ query: '{ __typename }' });
    const post = `POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nAuthorization: Bearer ${t.operatorToken}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const [first, second] = post.split('Authorization');
    // kept alive: one request answered, the connection left open for the next
    const keptAlive = await connect();
    keptAlive.socket.write('GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n');
    // half a request: sent with the first, so read when the first is answered
    const halfSent = await connect();
    halfSent.socket.write(`GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n${first}`);
    await eventually(async () => keptAlive.received.includes('{"status":"ok"}') && halfSent.received.includes('{"status":"ok"}'));

    // a purchase provably inside the gateway, waiting on the database, when shutdown begins
    const blocker = new pg.Client({ connectionString: t.databaseUrl });
    await blocker.connect();
    await blocker.query('begin');
    await blocker.query('select 1 from point_account a join customer c on c.id = a.customer_id where c.external_id = $1 for update', [customer.externalId]);
    const inFlight = t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: 'drain-late' }, customer.token);
    await eventually(async () => {
      const [row] = await t.sql<{ n: string }>("select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'");
      return Number(row.n) === 1;
    });
    const closing = t.close();
    await eventually(async () => !t.gateway.server.listening);

    keptAlive.socket.write(post);
    halfSent.socket.write(`Authorization${second}`);
    await eventually(async () => keptAlive.ended && halfSent.ended);
    await blocker.query('commit');
    await blocker.end();
    const purchase = await inFlight;
    keptAlive.socket.destroy();
    halfSent.socket.destroy();
    await closing;

    for (const { received } of [keptAlive, halfSent]) {
      const answers = received.split(/(?=HTTP\/1\.1 \d{3} )/);
      expect(answers).toHaveLength(2);
      expect(answers[1]).toMatch(/^HTTP\/1\.1 503 /);
      expect(answers[1]).toMatch(/\r\nconnection: close\r\n/i);
      expect(JSON.parse(answers[1].slice(answers[1].indexOf('\r\n\r\n') + 4))).toMatchObject({ errors: [{ extensions: { code: 'SHUTTING_DOWN' } }] });
    }
    expect([purchase.status, purchase.data?.purchaseOffer.purchase?.pointsPaid]).toEqual([200, 10]);
  });
});
