import { PurchaseOfferDocument } from '../generated/graphql.js';
import { ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { startGatewayProcess, type GatewayProcess } from '../support/processes.js';
import { postTo } from '../support/old-gateway.js';
import { adjust, createCustomer, createPartner, createTier, simpleShop, unique, uniqueCode } from '../support/program.js';
import { collect, openSocket, waitFor, type TestSocket } from '../support/ws.js';

const mode = process.env.BREAK35_FANOUT ?? 'postgres';
const prefix = `b35${process.pid}`;
const env: Record<string, string> = {
  EVENT_POLL_MS: '20',
  DB_ACQUIRE_TIMEOUT_MS: '60000',
  RATE_LIMIT_CUSTOMER: '40',
  ...(mode === 'redis' ? { REDIS_URL: 'redis://127.0.0.1:6379', EVENT_FANOUT: 'redis', RATE_LIMIT_KEY_PREFIX: prefix } : {}),
};

describe(`two instances on one database (${mode}) (break35-instances probe)`, () => {
  let t: TestGateway;
  let b: GatewayProcess;
  const sockets: TestSocket[] = [];
  beforeAll(async () => {
    t = await startTestGateway(env);
    b = await startGatewayProcess(t.databaseUrl, env);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await b?.terminate();
    await t?.close();
  });

  it('the same purchase key sent to both instances at once: one purchase, the same answer', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 5000);
    const keys = Array.from({ length: 12 }, () => unique('k'));
    const text = PurchaseOfferDocument.toString();
    const answers = await Promise.all(
      keys.flatMap((key) => [t.url, b.url].map((url) => postTo(url, { query: text, variables: { listingId: shop.listing.id, idempotencyKey: key } }, { authorization: `Bearer ${customer.token}` }))),
    );
    for (let i = 0; i < keys.length; i++) {
      const [x, y] = [answers[2 * i], answers[2 * i + 1]];
      expect(x.body.errors ?? []).toEqual([]);
      expect(y.body.data).toEqual(x.body.data);
    }
    const [{ n }] = await t.sql<{ n: number }>(`select count(*)::int as n from offer_purchase p join customer c on c.id = p.customer_id where c.external_id = $1`, [customer.externalId]);
    expect(n).toBe(keys.length);
    expect(await ledgerViolations(t)).toEqual([]);
  });

  it('a customer budget is shared by the two instances', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 0);
    const q = { query: '{ me { externalId } }' };
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => postTo(i % 2 ? b.url : t.url, q, { authorization: `Bearer ${customer.token}` })));
    const limited = answers.filter((a) => a.status === 429).length;
    expect(limited).toBeGreaterThanOrEqual(19);
    expect(limited).toBeLessThanOrEqual(21);
  });

  it('a subscriber on B hears wallet, balance and tier events caused on A once each, in order', async () => {
    const shop = await simpleShop(t);
    await createTier(t, { currency: shop.currency, code: uniqueCode('T'), rank: 1, threshold: 500 });
    const customer = await createCustomer(t, shop.currency, 0);
    const s = openSocket(b.url, customer.token);
    sockets.push(s);
    await s.connected;
    const wallet = collect<{ walletChanged: { eventId: string; change: string } }>(s.client, 'subscription { walletChanged { eventId change } }');
    const balance = collect<{ balanceChanged: { eventId: string; available: number } }>(s.client, `subscription { balanceChanged(currency: "${shop.currency}") { eventId available } }`);
    const tier = collect<{ tierChanged: { eventId: string } }>(s.client, 'subscription { tierChanged { eventId } }');
    await waitFor(async () => (await b.stats()).subscribers >= 3);
    for (let i = 0; i < 10; i++) await adjust(t, customer.externalId, shop.currency, 100);
    for (let i = 0; i < 3; i++) ok(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: unique('buy') }, customer.token));
    await balance.until(13, 20_000);
    await wallet.until(3, 20_000);
    await tier.until(1, 20_000);
    await new Promise((r) => setTimeout(r, 1000));
    const ids = [...balance.results, ...wallet.results, ...tier.results].map((r) => Number(Object.values(r.data!)[0].eventId));
    expect(new Set(ids).size).toBe(ids.length);
    expect(balance.results.map((r) => r.data!.balanceChanged.available)).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, ...(await purchasesLeft())]);
    expect(wallet.results).toHaveLength(3);
    expect(tier.results).toHaveLength(1);
    async function purchasesLeft() {
      const [{ price }] = await t.sql<{ price: number }>(`select price_in_points::int as price from listing order by id desc limit 1`).catch(() => [{ price: 0 }]);
      return [1000 - price, 1000 - 2 * price, 1000 - 3 * price];
    }
  });
  it('a customer closed on A: their socket on B closes and B refuses their next request at once', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 0);
    const s = openSocket(b.url, customer.token);
    sockets.push(s);
    await s.connected;
    const balance = collect(s.client, `subscription { balanceChanged(currency: "${shop.currency}") { eventId available } }`);
    await waitFor(async () => (await b.stats()).subscribers >= 1);
    // B knows the customer (its id cached by the authenticator)
    expect((await postTo(b.url, { query: '{ me { externalId } }' }, { authorization: `Bearer ${customer.token}` })).status).toBe(200);
    const started = Date.now();
    ok(await t.gql(`mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { userErrors { code } } }`, { input: { externalId: customer.externalId, status: 'CLOSED' } }, t.operatorToken));
    const next = await postTo(b.url, { query: '{ me { externalId } }' }, { authorization: `Bearer ${customer.token}` });
    expect(next.status).toBe(401);
    const closed = await s.closed;
    expect(closed.code).toBe(4403);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(balance.results).toHaveLength(0);
  });

  it('a partner revoked on A: B refuses its key at once', async () => {
    const partner = await createPartner(t, ['customers:read']);
    const q = { query: '{ __typename }' };
    expect((await postTo(b.url, q, { 'x-api-key': partner.apiKey })).status).not.toBe(401);
    ok(await t.gql(`mutation($input: RevokePartnerInput!) { revokePartner(input: $input) { userErrors { code } } }`, { input: { partnerId: partner.id } }, t.operatorToken));
    expect((await postTo(b.url, q, { 'x-api-key': partner.apiKey })).status).toBe(401);
  });
  it('a stream read on A and resumed on B after events it missed: no gap, no repeat', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 0);
    const q = `subscription($after: ID) { balanceChanged(after: $after, currency: "${shop.currency}") { eventId available } }`;
    const s1 = openSocket(t.url, customer.token);
    sockets.push(s1);
    await s1.connected;
    const first = collect<{ balanceChanged: { eventId: string; available: number } }>(s1.client, q);
    await waitFor(() => t.gateway.events.listenerCount() >= 1);
    for (let i = 0; i < 3; i++) await adjust(t, customer.externalId, shop.currency, 10);
    await first.until(3);
    await s1.dispose();
    const last = first.results[2].data!.balanceChanged.eventId;
    // missed while away, made on both instances
    await adjust(t, customer.externalId, shop.currency, 10);
    await postTo(b.url, { query: `mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { userErrors { code } } }`, variables: { input: { customerExternalId: customer.externalId, currency: shop.currency, amount: 10, reason: 'x', idempotencyKey: unique('adj') } } }, { authorization: `Bearer ${t.operatorToken}` });
    const s2 = openSocket(b.url, customer.token);
    sockets.push(s2);
    await s2.connected;
    const resumed = collect<{ balanceChanged: { eventId: string; available: number } }>(s2.client, q, { after: last });
    await resumed.until(2);
    await adjust(t, customer.externalId, shop.currency, 10);
    await resumed.until(3);
    await new Promise((r) => setTimeout(r, 500));
    expect(resumed.results.map((r) => r.data!.balanceChanged.available)).toEqual([40, 50, 60]);
  });
});
