import { PurchaseOfferDocument, ProfileDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCustomer, simpleShop, unique } from '../support/program.js';

/** SPEC §5 invariants 1-3 under real parallel requests over HTTP. */
describe('purchases under concurrency', () => {
  let t: TestGateway;
  beforeAll(async () => {
    // 100 requests at once queue for 20 pooled connections: the pool's bound (DB_ACQUIRE_TIMEOUT_MS,
    // 5 s by default; test/db/timeouts) is not this file's subject, and a loaded machine could meet it (suite-31).
    t = await startTestGateway({ DB_ACQUIRE_TIMEOUT_MS: '60000' });
  });
  afterEach(async () => {
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  const buy = (token: string, listingId: string, idempotencyKey = unique('key')) =>
    t.gql(PurchaseOfferDocument, { listingId, idempotencyKey }, token);

  it('100 parallel purchases by a customer who can afford 10: exactly 10 succeed, balance 0', async () => {
    const shop = await simpleShop(t, { priceInPoints: 100 });
    const customer = await createCustomer(t, shop.currency, 1000);
    const results = await Promise.all(Array.from({ length: 100 }, () => buy(customer.token, shop.listing.id)));
    const payloads = results.map((r) => dataOf(r).purchaseOffer);
    expect(payloads.filter((p) => p.purchase).length).toBe(10);
    const refusals = payloads.filter((p) => !p.purchase).map((p) => p.userErrors.map((e) => e.code).join());
    expect(refusals).toEqual(Array(90).fill('INSUFFICIENT_POINTS'));
    const profile = ok(await t.gql(ProfileDocument, {}, customer.token)).me!;
    expect(profile.balances[0].available).toBe(0);
    const [{ count }] = await t.sql<{ count: string }>(`select count(*) from issued_offer io join customer c on c.id = io.customer_id where c.external_id = $1`, [customer.externalId]);
    expect(Number(count)).toBe(10);
  });

  it('40 purchases racing 10 credits: every answer is a purchase or INSUFFICIENT_POINTS, and the balance is what the ledger says', async () => {
    const shop = await simpleShop(t, { priceInPoints: 10 });
    const customer = await createCustomer(t, shop.currency, 100);
    const credits = Array.from({ length: 10 }, () => adjust(t, customer.externalId, shop.currency, 10));
    const results = await Promise.all(Array.from({ length: 40 }, () => buy(customer.token, shop.listing.id)));
    await Promise.all(credits);
    const payloads = results.map((r) => dataOf(r).purchaseOffer);
    const bought = payloads.filter((p) => p.purchase);
    expect(payloads.filter((p) => !p.purchase).map((p) => p.userErrors.map((e) => e.code).join())).toEqual(Array(40 - bought.length).fill('INSUFFICIENT_POINTS'));
    expect(bought.length).toBeGreaterThanOrEqual(10);
    expect(ok(await t.gql(ProfileDocument, {}, customer.token)).me!.balances[0].available).toBe(200 - 10 * bought.length);
    // the balances the purchases answered are those their entries left (credits in between may repeat one)
    const after = bought.map((p) => p.balance!.available).sort((a, b) => a - b);
    const entries = await t.sql<{ balance_after: number }>(
      `select e.balance_after::int from ledger_entry e join customer c on c.id = e.customer_id where c.external_id = $1 and e.kind = 'SPEND' order by 1`,
      [customer.externalId],
    );
    expect(entries.map((e) => e.balance_after)).toEqual(after);
  });

  it('a listing with stock 5 and 30 customers buying at once issues exactly 5', async () => {
    const shop = await simpleShop(t, { priceInPoints: 10, stock: 5 });
    const customers = await Promise.all(Array.from({ length: 30 }, () => createCustomer(t, shop.currency, 50)));
    const results = await Promise.all(customers.map((c) => buy(c.token, shop.listing.id)));
    const payloads = results.map((r) => dataOf(r).purchaseOffer);
    expect(payloads.filter((p) => p.purchase).length).toBe(5);
    expect(payloads.filter((p) => !p.purchase).every((p) => p.userErrors[0].code === 'OUT_OF_STOCK')).toBe(true);
    const [listing] = await t.sql<{ stock_remaining: number }>(`select stock_remaining from listing order by id desc limit 1`);
    expect(listing.stock_remaining).toBe(0);
    // the 25 who were refused kept every point
    const [{ untouched }] = await t.sql<{ untouched: string }>(
      `select count(*) as untouched from point_account where currency_code = $1 and available = 50`,
      [shop.currency],
    );
    expect(Number(untouched)).toBe(25);
  });

  it('20 parallel requests with the same idempotency key make one purchase and twenty identical answers', async () => {
    const shop = await simpleShop(t, { priceInPoints: 30 });
    const customer = await createCustomer(t, shop.currency, 300);
    const results = await Promise.all(Array.from({ length: 20 }, () => buy(customer.token, shop.listing.id, 'same-key')));
    const bodies = results.map((r) => JSON.stringify(ok(r).purchaseOffer));
    expect(new Set(bodies).size).toBe(1);
    expect(ok(results[0]).purchaseOffer.balance!.available).toBe(270);
    const [{ count }] = await t.sql<{ count: string }>(
      `select count(*) from offer_purchase p join customer c on c.id = p.customer_id where c.external_id = $1`,
      [customer.externalId],
    );
    expect(Number(count)).toBe(1);
    // and a later repeat still answers the same, without a second effect
    expect(JSON.stringify(ok(await buy(customer.token, shop.listing.id, 'same-key')).purchaseOffer)).toBe(bodies[0]);
    expect(ok(await t.gql(ProfileDocument, {}, customer.token)).me!.balances[0].available).toBe(270);
  });

  it('a per-customer limit of 2 holds under 20 parallel requests', async () => {
    const shop = await simpleShop(t, { priceInPoints: 1, perCustomerLimit: 2 });
    const customer = await createCustomer(t, shop.currency, 100);
    const results = await Promise.all(Array.from({ length: 20 }, () => buy(customer.token, shop.listing.id)));
    const payloads = results.map((r) => dataOf(r).purchaseOffer);
    expect(payloads.filter((p) => p.purchase).length).toBe(2);
    expect(payloads.filter((p) => !p.purchase).every((p) => p.userErrors[0].code === 'LIMIT_REACHED')).toBe(true);
    expect(ok(await t.gql(ProfileDocument, {}, customer.token)).me!.balances[0].available).toBe(98);
  });
});
