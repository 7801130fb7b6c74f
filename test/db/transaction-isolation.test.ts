import { PurchaseOfferDocument, SubmitTransactionDocument, TransactionStatusDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCustomer, createPartner, earningProgram, eventually, simpleShop, unique } from '../support/program.js';

/**
 * The gateway's SQL is written for READ COMMITTED: a conditional UPDATE that waited for a row lock
 * re-reads the row as committed and decides again, and a statement after a lock sees what the lock's
 * holder committed. Hostile pass 9: on a database whose default isolation is REPEATABLE READ or
 * SERIALIZABLE (a DBA's `alter database … set default_transaction_isolation`, a company-wide
 * policy), every request that met another on a row failed with a serialization error, answered
 * INTERNAL_SERVER_ERROR: parallel purchases, adjustments, a sale and a purchase of one customer.
 * The gateway now sets its own isolation on every connection.
 */
describe.each(['repeatable read', 'serializable'])('on a database whose default isolation is %s', (isolation) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { settings: { default_transaction_isolation: isolation } });
  });
  afterAll(async () => {
    expect(await ledgerViolations(t)).toEqual([]);
    await t.close();
  });

  it('the database says so (the control)', async () => {
    const [{ level }] = await t.sql<{ level: string }>(`select current_setting('default_transaction_isolation') as level`);
    expect(level).toBe(isolation);
  });

  it('40 parallel purchases and 10 credits of one customer who can afford 10 at first: every answer a purchase or INSUFFICIENT_POINTS, none an internal error', async () => {
    const shop = await simpleShop(t, { priceInPoints: 10 });
    const customer = await createCustomer(t, shop.currency, 100);
    const [purchases, credits] = await Promise.all([
      Promise.all(Array.from({ length: 40 }, () => t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: unique('buy') }, customer.token))),
      Promise.all(Array.from({ length: 10 }, () => adjust(t, customer.externalId, shop.currency, 10))),
    ]);
    expect(credits).toHaveLength(10);
    const payloads = purchases.map((r) => dataOf(r).purchaseOffer);
    const bought = payloads.filter((p) => p.purchase).length;
    expect(new Set(payloads.filter((p) => !p.purchase).map((p) => p.userErrors.map((e) => e.code).join()))).toEqual(bought === 40 ? new Set() : new Set(['INSUFFICIENT_POINTS']));
    expect(bought).toBeGreaterThanOrEqual(10);
    const [{ available }] = await t.sql<{ available: number }>(
      `select a.available from point_account a join customer c on c.id = a.customer_id where c.external_id = $1`,
      [customer.externalId],
    );
    expect(available).toBe(200 - 10 * bought);
  });

  it("a customer's sales processed while the customer buys: every sale PROCESSED at its first attempt, every purchase answered", async () => {
    const { money, currency } = await earningProgram(t, 'ISO');
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    const shop = await simpleShop(t, { priceInPoints: 10 });
    const customer = await createCustomer(t, currency, 0);
    await adjust(t, customer.externalId, shop.currency, 1000);
    const sales = Array.from({ length: 8 }, () => ({
      externalId: unique('sale'),
      customerExternalId: customer.externalId,
      occurredAt: t.clock.now().toISOString(),
      currency: money,
      lines: [{ sku: 'A', quantity: 1, unitPrice: '1.00' }],
    }));
    const [submitted, purchases] = await Promise.all([
      Promise.all(sales.map((input) => t.gql(SubmitTransactionDocument, { input }, till.credential))),
      Promise.all(Array.from({ length: 20 }, () => t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: unique('buy') }, customer.token))),
    ]);
    submitted.forEach((r) => ok(r));
    purchases.forEach((r) => ok(r));
    for (const { externalId } of sales) {
      await eventually(async () => ok(await t.gql(TransactionStatusDocument, { externalId }, till.credential)).transaction?.status === 'PROCESSED');
    }
    const [{ failed }] = await t.sql<{ failed: number }>(`select count(*)::int as failed from job where kind = 'transaction.process.minor-units' and attempts > 1`);
    expect(failed).toBe(0);
  });
});

describe('rate limits counted in PostgreSQL on a database whose default isolation is repeatable read', () => {
  const BUDGET = 5;
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ RATE_LIMIT_CUSTOMER: String(BUDGET), RATE_LIMIT_WINDOW_SECONDS: '300' }, { settings: { default_transaction_isolation: 'repeatable read' } });
  });
  afterAll(() => t.close());

  it('a customer sending four times the budget at once gets the budget answered and the rest 429: counts that meet are not let through as failures', async () => {
    const customer = await createCustomer(t, (await earningProgram(t, 'RL')).currency);
    const statuses = await Promise.all(
      Array.from({ length: 4 * BUDGET }, () =>
        t
          .fetch('/graphql', {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${customer.token}` },
            body: JSON.stringify({ query: '{ me { id } }' }),
          })
          .then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(BUDGET);
    expect(statuses.filter((s) => s === 429)).toHaveLength(3 * BUDGET);
  });
});
