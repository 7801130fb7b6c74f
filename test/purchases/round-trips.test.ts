import { ProfileDocument, PurchaseOfferDocument, RemoveListingDocument, WalletDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, adjust, createCustomer, createStore, simpleShop, unique } from '../support/program.js';
import { headOf, recordStatements } from '../support/statements.js';

const DAY = 86_400_000;

/**
 * Issue 12: a purchase is one transaction of at most six round trips to PostgreSQL (BEGIN and
 * COMMIT included), whole or not at all; usually one statement that is its own transaction. Counts every statement the gateway's `pg` clients send
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

  /**
   * The statements of one purchase: `request` counts all of them, `purchase` those after the
   * caller's row is read (the authentication, when it reads it: `callerRead`), from the purchase's
   * first to its last.
   */
  async function purchaseCounting(listingId: string, token: string, idempotencyKey = unique('buy')) {
    recorder.take();
    const payload = dataOf(await t.gql(PurchaseOfferDocument, { listingId, idempotencyKey }, token)).purchaseOffer;
    // the rate limiter's own upsert aside
    const sent = recorder.take().filter((s) => !s.text.includes('rate_limit_bucket'));
    const callerRead = /from customer c where c\.external_id = \$1$/.test(sent[0]?.text.trim() ?? '');
    const heads = sent.map((s) => headOf(s.text, 3));
    return { payload, request: sent.length, callerRead, purchase: callerRead ? heads.slice(1) : heads };
  }

  /** Every one of the customer's rows a purchase may write, counted: a refused purchase changes none. */
  async function footprint(externalId: string) {
    const [row] = await t.sql<Record<string, number>>(
      `select (select count(*) from ledger_entry where customer_id = c.id)::int as entries, (select count(*) from offer_purchase where customer_id = c.id)::int as purchases,
              (select count(*) from issued_offer where customer_id = c.id)::int as issued, (select count(*) from outbox_event where customer_id = c.id)::int as events,
              (select count(*) from idempotency_record where scope = 'purchase:' || c.id)::int as keys,
              (select coalesce(sum(purchased), 0) from listing_purchase_count where customer_id = c.id)::int as counted,
              (select coalesce(sum(available), 0) from point_account where customer_id = c.id)::int as available,
              (select coalesce(sum(version), 0) from point_account where customer_id = c.id)::int as versions
         from customer c where c.external_id = $1`,
      [externalId],
    );
    return row;
  }

  it('a fresh purchase: one statement, its own transaction; the whole request two statements', async () => {
    const shop = await simpleShop(t, { priceInPoints: 30, stock: 10, perCustomerLimit: 3 });
    const customer = await createCustomer(t, shop.currency, 100);
    await purchaseCounting(shop.listing.id, customer.token); // warm: first-request work (prepared statements) is not per purchase

    const { payload, request, purchase } = await purchaseCounting(shop.listing.id, customer.token);
    expect(payload.userErrors).toEqual([]);
    expect(payload.balance).toMatchObject({ currency: { code: shop.currency }, available: 40 });
    expect(payload.purchase?.pointsPaid).toBe(30);
    expect(payload.purchase?.issuedOffer).toMatchObject({ status: 'ISSUED', offer: { id: shop.offer.id } });
    expect(purchase).toHaveLength(1);
    expect(purchase[0]).toMatch(/^with h as/);
    // the caller's row (authentication), then the purchase: nothing read back after it
    expect(request).toBe(2);

    const wallet = ok(await t.gql(WalletDocument, {}, customer.token)).me!.wallet.edges.map((e) => e.node.code);
    expect(wallet).toContain(payload.purchase!.issuedOffer.code);
    const [{ stock }] = await t.sql<{ stock: number }>(`select stock_remaining as stock from listing where store_id = (select id from reward_store where currency_code = $1)`, [
      shop.currency,
    ]);
    expect(stock).toBe(8);
  });

  it('a compiled purchase by a customer the gateway knows is the one statement for the whole request, which also checks the customer', async () => {
    const shop = await simpleShop(t, { priceInPoints: 10, stock: 10 });
    const customer = await createCustomer(t, shop.currency, 100);
    // The document is compiled once it has been sent a few times; the customer's id is known after their first request.
    for (let i = 0; i < 3; i++) expect((await purchaseCounting(shop.listing.id, customer.token)).payload.userErrors).toEqual([]);

    const { payload, request, callerRead, purchase } = await purchaseCounting(shop.listing.id, customer.token);
    expect(payload.userErrors).toEqual([]);
    expect(payload.balance).toMatchObject({ currency: { code: shop.currency }, available: 60 });
    expect(payload.purchase?.issuedOffer).toMatchObject({ status: 'ISSUED', offer: { id: shop.offer.id } });
    expect(callerRead).toBe(false);
    expect(purchase).toEqual(['with h as']);
    expect(request).toBe(1);

    // A repeat reads the stored answer, as ever, and still reads no caller's row first.
    const key = unique('buy');
    const first = await purchaseCounting(shop.listing.id, customer.token, key);
    const again = await purchaseCounting(shop.listing.id, customer.token, key);
    expect(again.payload).toEqual(first.payload);
    expect(again.callerRead).toBe(false);
    expect(again.purchase.slice(0, 2)).toEqual(['with h as', 'select fingerprint, result']);
  });

  it('a repeat answers the first purchase without writing, and a refusal after the debit leaves nothing', async () => {
    const shop = await simpleShop(t, { priceInPoints: 30, perCustomerLimit: 1 });
    const customer = await createCustomer(t, shop.currency, 100);
    const key = unique('buy');
    const first = await purchaseCounting(shop.listing.id, customer.token, key);
    const before = await footprint(customer.externalId);
    const again = await purchaseCounting(shop.listing.id, customer.token, key);
    expect(again.payload).toEqual(first.payload);
    // the statement (which claims nothing and writes nothing), the stored answer's read, then the answer's rows (loaders)
    expect(again.purchase.slice(0, 2)).toEqual(['with h as', 'select fingerprint, result']);
    expect(again.purchase.slice(1).filter((s) => !s.startsWith('select'))).toEqual([]);
    expect(await footprint(customer.externalId)).toEqual(before);

    const limited = await purchaseCounting(shop.listing.id, customer.token);
    expect(limited.payload.userErrors.map((e) => e.code)).toEqual(['LIMIT_REACHED']);
    expect(limited.payload.userErrors[0].message).toBe('You can buy this offer at most once.');
    expect(limited.purchase).toHaveLength(1);
    expect(await footprint(customer.externalId)).toEqual(before);
    const me = ok(await t.gql(ProfileDocument, {}, customer.token)).me!;
    expect(me.balances[0].available).toBe(70);
  });

  it('each refusal the one statement decides answers as the transaction does and changes nothing', async () => {
    const shop = await simpleShop(t, { priceInPoints: 30, stock: 1, perCustomerLimit: 2 });
    const pricey = await addListing(t, shop.store.id, shop.offer.id, { priceInPoints: 500 });
    const removed = await addListing(t, shop.store.id, shop.offer.id, { priceInPoints: 10 });
    ok(await t.gql(RemoveListingDocument, { listingId: removed.id }, t.operatorToken));
    const exclusive = await createStore(t, shop.currency, { eligibility: { minBalance: 500 } });
    const members = await addListing(t, exclusive.id, shop.offer.id, { priceInPoints: 10 });
    const buyer = await createCustomer(t, shop.currency, 100);
    const other = await createCustomer(t, shop.currency, 100);
    expect(dataOf(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: unique('buy') }, other.token)).purchaseOffer.userErrors).toEqual([]);
    await purchaseCounting(pricey.id, buyer.token); // warm
    const before = await footprint(buyer.externalId);

    const onListing = ['input', 'listingId'];
    const cases: [string, string, string, string[] | null][] = [
      [pricey.id, 'INSUFFICIENT_POINTS', `Not enough ${shop.currency} points for this: 400 more needed.`, onListing],
      [shop.listing.id, 'OUT_OF_STOCK', 'This offer is sold out.', onListing],
      [removed.id, 'OFFER_UNAVAILABLE', 'This offer is not on sale.', onListing],
      [members.id, 'NOT_ELIGIBLE', 'This store is not open to you.', onListing],
    ];
    for (const [listingId, code, message, field] of cases) {
      const refused = await purchaseCounting(listingId, buyer.token);
      expect(refused.payload.userErrors).toEqual([{ code, message, field }]);
      expect(refused.payload.purchase).toBeNull();
      expect(refused.purchase).toHaveLength(1);
      expect(await footprint(buyer.externalId)).toEqual(before);
    }

    // a key already used for another listing: the statement claims nothing, the stored answer's read refuses
    const key = unique('buy');
    await purchaseCounting(removed.id, buyer.token, key); // refused: the key stays free
    expect(await footprint(buyer.externalId)).toEqual(before);
    const cheap = await addListing(t, shop.store.id, shop.offer.id, { priceInPoints: 10 });
    const bought = await purchaseCounting(cheap.id, buyer.token, key);
    expect(bought.payload.userErrors).toEqual([]);
    const reused = await purchaseCounting(pricey.id, buyer.token, key);
    expect(reused.payload.userErrors.map((e) => e.code)).toEqual(['IDEMPOTENCY_KEY_REUSED']);
    expect(reused.purchase.slice(0, 2)).toEqual(['with h as', 'select fingerprint, result']);
  });

  // The balance rules are read by customer_balance_at (one plan node, run only for a store with such a
  // rule): the minimum balance compares what the customer holds, the minimum lifetime points what they
  // ever earned (here 300 against 600), each at its bound; no account in the currency counts as 0.
  it("a store's minimum balance and minimum lifetime points decide the purchase, in one statement", async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 600);
    await adjust(t, customer.externalId, shop.currency, -300); // a debit: the balance drops, lifetime points stay
    const stranger = await createCustomer(t, (await simpleShop(t)).currency, 100);
    const listingIn = async (eligibility: { minBalance?: number; minLifetimePoints?: number }) =>
      (await addListing(t, (await createStore(t, shop.currency, { eligibility })).id, shop.offer.id, { priceInPoints: 10 })).id;
    const cases: [string, { minBalance?: number; minLifetimePoints?: number }, string[]][] = [
      ['balance at the minimum', { minBalance: 300 }, []],
      ['balance below the minimum', { minBalance: 301 }, ['NOT_ELIGIBLE']],
      ['lifetime points at the minimum', { minLifetimePoints: 600 }, []],
      ['lifetime points below the minimum', { minLifetimePoints: 601 }, ['NOT_ELIGIBLE']],
      ['both met', { minBalance: 250, minLifetimePoints: 550 }, []],
    ];
    for (const [what, eligibility, codes] of cases) {
      const bought = await purchaseCounting(await listingIn(eligibility), customer.token);
      expect({ what, codes: bought.payload.userErrors.map((e) => e.code) }).toEqual({ what, codes });
      expect({ what, statements: bought.purchase.length }).toEqual({ what, statements: 1 });
    }
    const minimumOf1 = await listingIn({ minLifetimePoints: 1 });
    expect((await purchaseCounting(minimumOf1, stranger.token)).payload.userErrors.map((e) => e.code)).toEqual(['NOT_ELIGIBLE']);
    const me = ok(await t.gql(ProfileDocument, {}, customer.token)).me!;
    expect(me.balances.find((b) => b.currency.code === shop.currency)).toMatchObject({ available: 300 - 3 * 10, lifetimeEarned: 600 });
  });

  it('a customer without an account in the currency is refused through the transaction, which leaves nothing either', async () => {
    const shop = await simpleShop(t, { priceInPoints: 30 });
    const elsewhere = await simpleShop(t, { priceInPoints: 30 });
    const customer = await createCustomer(t, elsewhere.currency, 100);
    const before = await footprint(customer.externalId);
    const refused = await purchaseCounting(shop.listing.id, customer.token);
    expect(refused.payload.userErrors.map((e) => e.code)).toEqual(['INSUFFICIENT_POINTS']);
    // the statement (RETRY), then BEGIN, the claim with the account's lock, its creation and lock, the debit, ROLLBACK
    expect(refused.purchase[0]).toMatch(/^with h as/);
    expect(refused.purchase[1]).toMatch(/^begin/);
    expect(refused.purchase.at(-1)).toMatch(/^rollback/);
    expect(await footprint(customer.externalId)).toEqual(before);
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
