import { createHash } from 'node:crypto';
import { startTestGateway, ledgerViolations, type TestGateway } from '../support/gateway.js';
import { holdLocks } from '../support/locks.js';
import { createCustomer, createPartner, earningProgram, simpleShop, unique } from '../support/program.js';

/**
 * Hostile pass 12c at the HTTP edge: what one request may make the gateway do, measured against
 * the budgets a caller has (docs/decisions.md, "Hostile pass 12c").
 */

interface Answer {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

async function post(url: string, body: unknown, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

describe('one request is one write: aliased mutation fields do not multiply a budget (hostile pass 12c)', () => {
  let t: TestGateway;
  const BUDGET = 3;

  beforeAll(async () => {
    t = await startTestGateway({ RATE_LIMIT_CUSTOMER: String(BUDGET), RATE_LIMIT_PARTNER: String(BUDGET) });
  });
  afterAll(() => t.close());

  it('a customer cannot buy more often in a window than their budget of requests, whatever the aliases', async () => {
    const shop = await simpleShop(t, { priceInPoints: 1 });
    const customer = await createCustomer(t, shop.currency, 1_000);
    const aliased = (n: number) =>
      `mutation Many { ${Array.from({ length: n }, (_, i) => `b${i}: purchaseOffer(input: { listingId: "${shop.listing.id}", idempotencyKey: "${unique('k')}" }) { purchase { pointsPaid } userErrors { code } }`).join(' ')} }`;
    const answers: Answer[] = [];
    for (let i = 0; i < BUDGET + 1; i++) answers.push(await post(t.url, { query: aliased(10) }, { authorization: `Bearer ${customer.token}` }));
    const [{ n }] = await t.sql<{ n: number }>(
      `select count(*)::int as n from offer_purchase p join customer c on c.id = p.customer_id where c.external_id = $1`,
      [customer.externalId],
    );
    // At most one purchase per request the budget allows.
    expect(n).toBeLessThanOrEqual(BUDGET);
    // The refusal says why, with a stable code, before anything runs.
    expect(answers.slice(0, BUDGET).map((a) => [a.status, a.body.errors?.map((e) => e.extensions?.code), a.body.data ?? null])).toEqual(
      Array.from({ length: BUDGET }, () => [400, ['QUERY_TOO_COMPLEX'], null]),
    );
    expect(answers[0].body.errors![0].message).toMatch(/one root field/);
    expect(answers[BUDGET].status).toBe(429);
    expect(await ledgerViolations(t)).toEqual([]);
  });

  it('a partner cannot either: such a document is not registered, and one registered before is refused when sent', async () => {
    const { money, currency } = await earningProgram(t, 'ALIAS');
    const customer = await createCustomer(t, currency, 0);
    const till = await createPartner(t, ['transactions:write']);
    const sale = (alias: string) =>
      `${alias}: submitTransaction(input: { externalId: "${unique('sale')}", customerExternalId: "${customer.externalId}", occurredAt: "${t.clock.now().toISOString()}", currency: "${money}", lines: [{ sku: "BEANS", category: "COFFEE", quantity: 1, unitPrice: "1.00" }] }) { transaction { id } userErrors { code } }`;
    const document = `mutation TwoSales { ${sale('a')} ${sale('b')} ${sale('c')} }`;
    await expect(t.register(till.credential, document)).rejects.toThrow(/one root field per request/);

    // Registered by an older gateway (as the operators' mutation wrote it), then sent by its hash.
    const hash = createHash('sha256').update(document).digest('hex');
    await t.sql(`insert into persisted_document (hash, body, created_at) values ($1, $2, now())`, [hash, document]);
    await t.sql(`insert into persisted_operation (client, hash, name, type, field_types, created_by, created_at) values ($1, $2, 'TwoSales', 'mutation', '{}', 'test', now())`, [
      `partner:${(await t.sql<{ id: string }>(`select id::text from partner order by id desc limit 1`))[0].id}`,
      hash,
    ]);
    const answer = await post(t.url, { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }, { 'x-api-key': till.apiKey });
    const [{ n }] = await t.sql<{ n: number }>(
      `select count(*)::int as n from sales_transaction s join customer c on c.id = s.customer_id where c.external_id = $1`,
      [customer.externalId],
    );
    expect({ status: answer.status, codes: answer.body.errors?.map((e) => e.extensions?.code), sales: n }).toEqual({ status: 400, codes: ['QUERY_TOO_COMPLEX'], sales: 0 });
  });

  it('still runs one mutation field with __typename beside it, and many root fields of a query', async () => {
    const shop = await simpleShop(t, { priceInPoints: 1 });
    const customer = await createCustomer(t, shop.currency, 10);
    const bought = await post(
      t.url,
      { query: `mutation { __typename purchaseOffer(input: { listingId: "${shop.listing.id}", idempotencyKey: "${unique('k')}" }) { purchase { pointsPaid } userErrors { code } } }` },
      { authorization: `Bearer ${customer.token}` },
    );
    expect(bought).toEqual({ status: 200, body: { data: { __typename: 'Mutation', purchaseOffer: { purchase: { pointsPaid: 1 }, userErrors: [] } } } });
    const read = await post(t.url, { query: '{ a: me { externalId } b: me { externalId } }' }, { authorization: `Bearer ${customer.token}` });
    expect(read.body).toEqual({ data: { a: { externalId: customer.externalId }, b: { externalId: customer.externalId } } });
  });
});

describe('a query of several root fields when the database cuts one (hostile pass 12c)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ DB_STATEMENT_TIMEOUT_MS: '300' });
  });
  afterAll(() => t.close());

  it('answers 503 with Retry-After, the fields that were read, and the cut one null with SERVICE_UNAVAILABLE at its path', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 0);
    const stall = await holdLocks(t, 'lock table customer in access exclusive mode', []);
    let res: Response;
    try {
      res = await fetch(t.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${t.operatorToken}` },
        body: JSON.stringify({ query: `{ currencies { code } who: customer(externalId: "${customer.externalId}") { externalId } }` }),
      });
    } finally {
      await stall.end();
    }
    const body = (await res.json()) as Answer['body'];
    expect({ status: res.status, retryAfter: res.headers.get('retry-after') }).toEqual({ status: 503, retryAfter: '2' });
    expect((body.data?.currencies as { code: string }[]).map((c) => c.code)).toContain(shop.currency);
    expect(body.data?.who).toBeNull();
    expect(body.errors).toEqual([{ message: expect.any(String), path: ['who'], extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE' }) }]);
  });
});
