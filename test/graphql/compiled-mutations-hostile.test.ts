import pino from 'pino';
import { startGateway, type Gateway } from '../../src/http/server.js';
import { PurchaseOfferDocument } from '../generated/graphql.js';
import { ledgerViolations, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, simpleShop, unique } from '../support/program.js';

/**
 * Hostile pass on mutation documents run compiled (src/graphql/compiled.ts): a second gateway on
 * the same database with COMPILED_QUERIES off is the reference. Every mutation must run at most
 * once, and only when the interpreter would run it; every answer must be the interpreter's.
 */
describe('compiled mutation documents, attacked', () => {
  let t: TestGateway;
  let interpreted: Gateway;
  let shop: Awaited<ReturnType<typeof simpleShop>>;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    interpreted = await startGateway(
      { config: { ...t.config, compiledQueries: false }, orm: t.orm, databaseUrl: t.databaseUrl, clock: t.clock, log: pino({ level: 'silent' }) },
      0,
      '127.0.0.1',
    );
    shop = await simpleShop(t, { priceInPoints: 100 });
  });
  afterAll(async () => {
    await interpreted?.close();
    await t?.close();
  });

  async function post(url: string, body: unknown, token?: string, headers: Record<string, string> = {}) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    // Values that differ between any two answers are masked; how the body is framed is not.
    const kept = Object.fromEntries(
      [...res.headers].filter(([name]) => !['date', 'x-request-id', 'keep-alive', 'connection'].includes(name)).map(([name, value]) => [name, name === 'content-length' ? 'N' : value]),
    );
    return { status: res.status, headers: kept, text: await res.text() };
  }
  async function compiledRequests(): Promise<number> {
    const text = await (await t.fetch('/metrics')).text();
    return Number(/^graphql_requests_compiled_total (\d+)/m.exec(text)?.[1] ?? NaN);
  }
  const purchasesOf = async (externalId: string) =>
    (await t.sql<{ n: number }>(`select count(*)::int as n from offer_purchase p join customer c on c.id = p.customer_id where c.external_id = $1`, [externalId]))[0].n;
  const masked = (text: string) =>
    JSON.stringify(JSON.parse(text), (key, value) => (['requestId', 'id', 'code', 'expiresAt'].includes(key) && typeof value === 'string' ? 'X' : value));

  it('runs no root mutation field after one whose error nulled the whole answer, as the interpreter does not', async () => {
    // `bad` throws (an unknown listing: BAD_USER_INPUT) and its payload is non-null, so the answer's
    // data is null and graphql-js never starts `good`. Nothing may be bought behind that answer.
    const document = `mutation BadThenGood($bad: String!, $good: String!) {
      bad: purchaseOffer(input: { listingId: "not-a-listing", idempotencyKey: $bad }) { userErrors { code } }
      good: purchaseOffer(input: { listingId: "${shop.listing.id}", idempotencyKey: $good }) { purchase { pointsPaid } userErrors { code } }
    }`;
    const viaInterpreter = await createCustomer(t, shop.currency, 1_000);
    const viaCompiled = await createCustomer(t, shop.currency, 1_000);
    const expected = await post(interpreted.url, { query: document, variables: { bad: unique('k'), good: unique('k') } }, viaInterpreter.token);
    expect(JSON.parse(expected.text).data).toBeNull();
    expect(await purchasesOf(viaInterpreter.externalId)).toBe(0);
    // Sent often enough to be compiled (a third send of a text).
    for (let i = 0; i < 4; i++) {
      const got = await post(t.url, { query: document, variables: { bad: unique('k'), good: unique('k') } }, viaCompiled.token);
      expect(masked(got.text)).toBe(masked(expected.text));
      expect(got.status).toBe(expected.status);
    }
    expect(await purchasesOf(viaCompiled.externalId)).toBe(0);
    expect(await ledgerViolations(t)).toEqual([]);
  });
});
