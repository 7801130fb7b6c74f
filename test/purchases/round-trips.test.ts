import { ProfileDocument, PurchaseOfferDocument, WalletDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, adjust, createCustomer, simpleShop, unique } from '../support/program.js';
import { headOf, recordStatements } from '../support/statements.js';

const DAY = 86_400_000;

/**
 * Issue 12: a purchase is one transaction of at most six round trips to PostgreSQL (BEGIN and
 * COMMIT included), whole or not at all. Counts every statement the gateway's `pg` clients send
 * while one purchase runs (the rate limiter's own upsert aside), and checks what the customer
 * sees: the answer, the wallet, the balance and the ledger's invariants.
 */
describe('a purchase in round trips to PostgreSQL', () => {
  let t: TestGateway;
  let recorder: ReturnType<typeof recordStatements>;

  beforeAll(async () => {
    // no background job worker and no event relay: their polling would be counted too
    t = await startTestGateway({ EVENT_FANOUT: 'off' }, { jobs: 'manual' });
    recorder = recordStatements();
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(async () => {
    recorder.stop();
    await t.close();
  });

  /** The statements of one purchase's transaction, from its BEGIN to its COMMIT or ROLLBACK. */
  async function purchaseCounting(listingId: string, token: string, idempotencyKey = unique('buy')) {
    recorder.take();
    const payload = dataOf(await t.gql(PurchaseOfferDocument, { listingId, idempotencyKey }, token)).purchaseOffer;
    // the rate limiter's own upsert aside
    const sent = recorder.take().filter((s) => !s.text.includes('rate_limit_bucket')).map((s) => headOf(s.text, 3));
    const begin = sent.findIndex((s) => s.startsWith('begin'));
    const end = sent.findIndex((s) => s.startsWith('commit') || s.startsWith('rollback'));
    return { payload, request: sent.length, transaction: sent.slice(begin, end + 1) };
  }

  it('a fresh purchase: BEGIN, two statements, COMMIT; the whole request five statements', async () => {
    const shop = await simpleShop(t, { priceInPoints: 30, stock: 10, perCustomerLimit: 3 });
    const customer = await createCustomer(t, shop.currency, 100);
    await purchaseCounting(shop.listing.id, customer.token); // warm: first-request work (prepared statements) is not per purchase

    const { payload, request, transaction } = await purchaseCounting(shop.listing.id, customer.token);
    expect(payload.userErrors).toEqual([]);
    expect(payload.balance).toMatchObject({ currency: { code: shop.currency }, available: 40 });
    expect(payload.purchase?.pointsPaid).toBe(30);
    expect(payload.purchase?.issuedOffer).toMatchObject({ status: 'ISSUED', offer: { id: shop.offer.id } });
    expect(transaction).toHaveLength(4);
    expect(transaction.length).toBeLessThanOrEqual(6);
    // the caller's row (authentication), then the transaction: nothing read back after it
    expect(request).toBe(5);

    const wallet = ok(await t.gql(WalletDocument, {}, customer.token)).me!.wallet.edges.map((e) => e.node.code);
    expect(wallet).toContain(payload.purchase!.issuedOffer.code);
    const [{ stock }] = await t.sql<{ stock: number }>(`select stock_remaining as stock from listing where store_id = (select id from reward_store where currency_code = $1)`, [
      shop.currency,
    ]);
    expect(stock).toBe(8);
  });

  it('a repeat answers the first purchase without writing, and a refusal after the debit leaves nothing', async () => {
    const shop = await simpleShop(t, { priceInPoints: 30, perCustomerLimit: 1 });
    const customer = await createCustomer(t, shop.currency, 100);
    const key = unique('buy');
    const first = await purchaseCounting(shop.listing.id, customer.token, key);
    const again = await purchaseCounting(shop.listing.id, customer.token, key);
    expect(again.payload).toEqual(first.payload);
    expect(again.transaction.length).toBeLessThanOrEqual(6);

    const limited = await purchaseCounting(shop.listing.id, customer.token);
    expect(limited.payload.userErrors.map((e) => e.code)).toEqual(['LIMIT_REACHED']);
    expect(limited.transaction.at(-1)).toMatch(/^rollback/);
    const me = ok(await t.gql(ProfileDocument, {}, customer.token)).me!;
    expect(me.balances[0].available).toBe(70);
  });

  it('points that fell due since the last write-down are written down first, inside the same purchase', async () => {
    const shop = await simpleShop(t, { priceInPoints: 30 });
    const pricey = await addListing(t, shop.store.id, shop.offer.id, { priceInPoints: 60 });
    const customer = await createCustomer(t, shop.currency, 100); // expires after the currency's 365 days
    t.clock.advance(300 * DAY);
    await adjust(t, customer.externalId, shop.currency, 50);
    t.clock.advance(100 * DAY); // the 100 expired 35 days ago; nothing has written that down

    const short = await purchaseCounting(pricey.id, customer.token);
    expect(short.payload.userErrors.map((e) => e.code)).toEqual(['INSUFFICIENT_POINTS']);
    const bought = await purchaseCounting(shop.listing.id, customer.token);
    expect(bought.payload.userErrors).toEqual([]);
    expect(bought.payload.balance).toMatchObject({ available: 20 });
    const [{ kinds }] = await t.sql<{ kinds: string[] }>(
      `select array_agg(e.kind::text order by e.id) as kinds from ledger_entry e join customer c on c.id = e.customer_id where c.external_id = $1`,
      [customer.externalId],
    );
    expect(kinds).toEqual(['ADJUST', 'ADJUST', 'EXPIRE', 'SPEND']);
  });
});
