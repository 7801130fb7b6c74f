import { ClaimGiftDocument, CreateGiftListDocument, PurchaseOfferDocument, RemoveListingDocument, UpsertCustomerDocument, SetEconomyRuleDocument, SubmitTransactionDocument, TransactionStatusDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, adjust, createCustomer, createOffer, createPartner, createStore, earningProgram, eventually, nextMoneyCurrency, processedSale, unique } from '../support/program.js';
import { holdLocks } from '../support/locks.js';

const DAY = 86_400_000;
/** Locks the account(s) of the customer with external id $1, as a sale or a staff adjustment holding them would. */
const ACCOUNT_LOCK = 'select 1 from point_account a join customer c on c.id = a.customer_id where c.external_id = $1 for update of a';

const REVERSE = `mutation($externalId: String!) {
  reverseTransaction(input: { externalId: $externalId }) { transaction { status } pointsReversed pointsOwed userErrors { code } }
}`;
type Reversed = { reverseTransaction: { transaction: { status: string } | null; pointsReversed: number; pointsOwed: number; userErrors: { code: string }[] } };

/** Purchases against everything else that writes the same customer's points at the same time. */
describe('purchases racing other writers of the same customer', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;
  beforeAll(async () => {
    t = await startTestGateway();
    till = await createPartner(t, ['transactions:write', 'transactions:read']);
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  /** Two point currencies (codes in that order) both earning 10 per unit of one money currency. */
  async function twoCurrencyProgram() {
    const money = nextMoneyCurrency();
    const codes = [`${money}_A`, `${money}_B`];
    for (const code of codes) {
      ok(
        await t.gql(
          `mutation($input: CreateCurrencyInput!) { createCurrency(input: $input) { currency { code } userErrors { code } } }`,
          { input: { code, name: code, expiryDays: 365, pointValue: '0.01', moneyCurrency: money } },
          t.operatorToken,
        ),
      );
      ok(await t.gql(SetEconomyRuleDocument, { input: { currency: code, pointsPerUnit: '10', rounding: 'FLOOR' } as never }, t.operatorToken));
    }
    return { money, codes };
  }

  async function sale(money: string, customerExternalId: string, amount: number) {
    return processedSale(t, till, customerExternalId, money, amount);
  }

  /** A currency-B listing, and a purchase of it by `token` that has locked its account and waits on the listing's row, which another basket holds. */
  async function purchaseHeldAtTheListing(currency: string, token: string) {
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 30, stock: 10 });
    const listingId = Number(Buffer.from(listing.id, 'base64url').toString().split(':')[1]);
    const basket = await holdLocks(t, 'select 1 from listing where id = $1 for no key update', [listingId]);
    const buying = t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, token);
    await basket.blocking(1);
    return {
      buying,
      /** Once `waiters` sessions wait on a lock, lets the purchase go on. */
      async release(waiters: number) {
        await basket.waiters(waiters);
        await basket.commit();
        await basket.end();
      },
    };
  }

  // The purchase holds the second currency's account and records its events last; a writer that
  // took the first currency's account and recorded its event (the customer's event stream) then
  // wanted the second account: a deadlock, one of the two failing (PostgreSQL 40P01).
  it('a return taking back points in two currencies and a purchase in the second both go through', async () => {
    const { money, codes } = await twoCurrencyProgram();
    const customer = await createCustomer(t, codes[1]);
    await sale(money, customer.externalId, 10); // 100 of each currency
    const returned = await sale(money, customer.externalId, 5); // 50 of each, returned below
    const held = await purchaseHeldAtTheListing(codes[1], customer.token);
    const returning = t.gql<Reversed, { externalId: string }>(REVERSE, { externalId: returned }, till.credential);
    await held.release(2);
    const [bought, reversed] = await Promise.all([held.buying, returning]);
    expect(dataOf(bought).purchaseOffer).toMatchObject({ userErrors: [], balance: { available: 120 } });
    expect(ok(reversed).reverseTransaction).toMatchObject({ transaction: { status: 'REVERSED' }, pointsReversed: 100 });
  });

  it('a sale earning in two currencies is processed at its first attempt while a purchase in the second goes through', async () => {
    const { money, codes } = await twoCurrencyProgram();
    const customer = await createCustomer(t, codes[1]);
    await sale(money, customer.externalId, 10);
    const held = await purchaseHeldAtTheListing(codes[1], customer.token);
    const externalId = unique('sale');
    const input = {
      externalId,
      customerExternalId: customer.externalId,
      occurredAt: t.clock.now().toISOString(),
      currency: money,
      lines: [{ sku: 'BEANS', category: 'RETAIL', quantity: 1, unitPrice: '5.00' }],
    };
    ok(await t.gql(SubmitTransactionDocument, { input }, till.credential));
    await held.release(2);
    expect(dataOf(await held.buying).purchaseOffer).toMatchObject({ userErrors: [], balance: { available: 70 } });
    await eventually(async () => (await t.gql(TransactionStatusDocument, { externalId }, till.credential)).data?.transaction?.status === 'PROCESSED');
    const jobs = await t.sql(`select attempts, last_error from job where kind = 'transaction.process.minor-units' and payload->>'transactionId' = (
        select id::text from sales_transaction where external_id = $1)`, [externalId]);
    expect(jobs).toEqual([{ attempts: 1, last_error: null }]);
    const profile = await t.sql<{ currency_code: string; available: number }>(
      `select a.currency_code, a.available from point_account a join customer c on c.id = a.customer_id where c.external_id = $1 order by 1`,
      [customer.externalId],
    );
    expect(profile).toEqual([
      { currency_code: codes[0], available: 150 },
      { currency_code: codes[1], available: 120 },
    ]);
  });

  /** A store in `currency` with one offer listed once per entry of `specs` (the listings in that order). */
  async function listingsOf(currency: string, specs: Parameters<typeof addListing>[3][]) {
    const store = await createStore(t, currency);
    const offer = await createOffer(t);
    return { offer, listings: await Promise.all(specs.map((spec) => addListing(t, store.id, offer.id, spec))) };
  }

  /** Per purchase of the customer: its SPEND entries, issued offers and events, as the ledger and the outbox hold them. */
  /** The customer's available points (their one account). */
  async function availableOf(externalId: string) {
    const [account] = await t.sql<{ available: string }>(`select a.available from point_account a join customer c on c.id = a.customer_id where c.external_id = $1`, [externalId]);
    return Number(account.available);
  }

  async function purchaseTrail(externalId: string) {
    return t.sql<{ id: number; points_paid: number; spends: number[]; issued: number; events: string[] }>(
      `select p.id, p.points_paid,
              (select array_agg(e.amount::int order by e.id) from ledger_entry e where e.id = p.ledger_entry_id and e.kind = 'SPEND') as spends,
              (select count(*)::int from issued_offer io where io.id = p.issued_offer_id) as issued,
              (select array_agg(o.topic || ':' || o.customer_seq order by o.customer_seq) from outbox_event o
                where o.customer_id = p.customer_id
                  and ((o.topic = 'BALANCE_CHANGED' and (o.payload->'change'->>'entryId')::bigint = p.ledger_entry_id)
                    or (o.topic = 'WALLET_CHANGED' and (o.payload->>'issuedOfferId')::bigint = p.issued_offer_id))) as events
         from offer_purchase p join customer c on c.id = p.customer_id where c.external_id = $1 order by p.id`,
      [externalId],
    );
  }

  it('purchases, gift claims, adjustments, a sale and the write-down jobs on one account at once: every point accounted for', async () => {
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'M', { expiryDays: 365, pendingDays: 1 });
    const customer = await createCustomer(t, currency, 200); // expires day 365
    t.clock.advance(300 * DAY);
    await adjust(t, customer.externalId, currency, 400); // expires day 665
    await sale(money, customer.externalId, 10).catch(() => undefined); // 100 pending, released day 301
    t.clock.advance(100 * DAY); // the 200 expired, the 100 are due for release: nothing written down yet
    const { offer, listings } = await listingsOf(currency, [{ priceInPoints: 20, stock: 1 }, { priceInPoints: 15, perCustomerLimit: 2 }, { priceInPoints: 25 }]);
    const list = ok(await t.gql(CreateGiftListDocument, { input: { currency, name: unique('list'), threshold: 30, offerIds: [offer.id] } }, t.operatorToken)).createGiftList
      .giftList!;

    const work: Promise<{ errors?: unknown[] } | void>[] = [];
    for (let i = 0; i < 12; i++) work.push(t.gql(PurchaseOfferDocument, { listingId: listings[i % 3].id, idempotencyKey: unique('buy') }, customer.token));
    for (let i = 0; i < 4; i++) work.push(t.gql(ClaimGiftDocument, { giftListId: list.id, optionId: offer.id, idempotencyKey: unique('gift') }, customer.token));
    for (const amount of [-10, 5, -40, 7]) {
      work.push(
        t.gql(
          `mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { entry { id } userErrors { code } } }`,
          { input: { customerExternalId: customer.externalId, currency, amount, reason: 'race', idempotencyKey: unique('adj') } },
          t.operatorToken,
        ),
      );
    }
    work.push(t.runScheduled());
    const results = await Promise.all(work);
    for (const r of results) expect(r && 'errors' in r ? r.errors : undefined).toBeUndefined();

    // (200 + 400 + 100 − 200 expired) = 500 before any of the writes above
    const trail = await purchaseTrail(customer.externalId);
    expect(trail.length).toBeGreaterThan(0);
    for (const p of trail) {
      expect(p.spends).toEqual([-p.points_paid]);
      expect(p.issued).toBe(1);
      const [balance, wallet] = p.events;
      expect([balance.split(':')[0], wallet.split(':')[0], Number(wallet.split(':')[1]) - Number(balance.split(':')[1])]).toEqual(['BALANCE_CHANGED', 'WALLET_CHANGED', 1]);
    }
    const [{ expired, available, spent, adjusted }] = await t.sql<{ expired: number; available: number; spent: number; adjusted: number }>(
      `select (select coalesce(-sum(amount), 0)::int from ledger_entry where account_id = a.id and kind = 'EXPIRE') as expired, a.available,
              (select coalesce(-sum(amount), 0)::int from ledger_entry where account_id = a.id and kind = 'SPEND') as spent,
              (select coalesce(sum(amount), 0)::int from ledger_entry where account_id = a.id and kind = 'ADJUST') as adjusted
         from point_account a join customer c on c.id = a.customer_id where c.external_id = $1`,
      [customer.externalId],
    );
    expect(expired).toBe(200);
    expect(available).toBe(700 - expired - spent + (adjusted - 600));
    // every debit is covered by allocations of exactly its amount, taken from credits of the account
    expect(
      await t.sql(
        `select e.id from ledger_entry e join customer c on c.id = e.customer_id
          where c.external_id = $1 and e.amount < 0
            and -e.amount <> (select coalesce(sum(al.amount), 0) from ledger_allocation al join ledger_entry cr on cr.id = al.credit_id
                               where al.debit_id = e.id and cr.account_id = e.account_id and cr.amount > 0)`,
        [customer.externalId],
      ),
    ).toEqual([]);
  });

  it('a repeat answers field for field what the first purchase answered, when that purchase first released pending points due this second', async () => {
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'M', { expiryDays: 365, pendingDays: 2 });
    const customer = await createCustomer(t, currency, 40);
    t.clock.advance(DAY);
    await sale(money, customer.externalId, 10); // 100 pending, released exactly 2 days later
    t.clock.advance(2 * DAY);
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 120 });
    const BUY = `mutation($listingId: ID!, $idempotencyKey: String!) {
      purchaseOffer(input: { listingId: $listingId, idempotencyKey: $idempotencyKey }) {
        purchase { id pointsPaid issuedOffer { id code status expiresAt offer { id name version } } listing { id priceInPoints } }
        balance { currency { code } available pending lifetimeEarned expiringSoon { amount expiresAt } }
        userErrors { code field message }
      }
    }`;
    const key = unique('buy');
    const first = ok(await t.gql(BUY, { listingId: listing.id, idempotencyKey: key }, customer.token)) as { purchaseOffer: { balance: unknown } };
    expect(first.purchaseOffer.balance).toMatchObject({ available: 20, pending: 0, lifetimeEarned: 140 });
    const again = ok(await t.gql(BUY, { listingId: listing.id, idempotencyKey: key }, customer.token));
    expect(again).toEqual(first);
    const [stored] = await t.sql<{ result: unknown }>(`select result from idempotency_record where key = $1`, [key]);
    expect(stored.result).toEqual({
      purchaseId: expect.any(Number),
      balance: { accountId: expect.any(Number), customerId: expect.any(Number), currencyCode: currency, available: 20, pending: 0, lifetimeEarned: 140 },
    });
  });

  it('one key sent for two listings at once, then replayed after the listing is gone and the customer suspended: one purchase, one answer', async () => {
    const { currency } = await earningProgram(t, 'M');
    const customer = await createCustomer(t, currency, 100);
    const store = await createStore(t, currency);
    const offer = await createOffer(t);
    const [cheap, dear] = await Promise.all([addListing(t, store.id, offer.id, { priceInPoints: 10 }), addListing(t, store.id, offer.id, { priceInPoints: 20 })]);
    const key = unique('buy');
    const answers = (await Promise.all(Array.from({ length: 10 }, (_, i) => t.gql(PurchaseOfferDocument, { listingId: (i % 2 ? cheap : dear).id, idempotencyKey: key }, customer.token)))).map(
      (r) => dataOf(r).purchaseOffer,
    );
    const bought = answers.filter((a) => a.purchase);
    expect(new Set(bought.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(bought).toHaveLength(5);
    expect(answers.filter((a) => !a.purchase).map((a) => a.userErrors.map((e) => e.code).join())).toEqual(Array(5).fill('IDEMPOTENCY_KEY_REUSED'));
    const winner = bought[0].purchase!.pointsPaid === 10 ? cheap : dear;

    ok(await t.gql(RemoveListingDocument, { listingId: winner.id }, t.operatorToken));
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId: customer.externalId, status: 'SUSPENDED' } }, t.operatorToken));
    const replay = dataOf(await t.gql(PurchaseOfferDocument, { listingId: winner.id, idempotencyKey: key }, customer.token)).purchaseOffer;
    expect(replay).toEqual(bought[0]);
    const fresh = dataOf(await t.gql(PurchaseOfferDocument, { listingId: winner.id, idempotencyKey: unique('buy') }, customer.token)).purchaseOffer;
    expect(fresh.userErrors.map((e) => e.code)).toEqual(['NOT_ELIGIBLE']);
    expect((await purchaseTrail(customer.externalId)).length).toBe(1);
  });

  // Statement 1 reads the listing, then waits for the account; a removal committed during that
  // wait used to go unseen and the removed listing was sold.
  it.each([
    ['with stock', 5],
    ['without stock', undefined],
  ])('a listing removed while its purchase waits for the account lock is not sold (%s)', async (_, stock) => {
    const { currency } = await earningProgram(t, 'M');
    const customer = await createCustomer(t, currency, 100);
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 10, ...(stock === undefined ? {} : { stock }) });
    const account = await holdLocks(t, ACCOUNT_LOCK, [customer.externalId]);
    try {
      const buying = t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token);
      await account.blocking(1);
      ok(await t.gql(RemoveListingDocument, { listingId: listing.id }, t.operatorToken));
      await account.commit();
      const answer = dataOf(await buying).purchaseOffer;
      expect({ purchase: answer.purchase, codes: answer.userErrors.map((e) => e.code) }).toEqual({ purchase: null, codes: ['OFFER_UNAVAILABLE'] });
    } finally {
      await account.end();
    }
    expect(await purchaseTrail(customer.externalId)).toEqual([]);
    expect(await availableOf(customer.externalId)).toBe(100);
  });

  const REMOVE_WITH_STOCK = `mutation($listingId: ID!) { removeListing(input: { listingId: $listingId }) { listing { id stockRemaining } userErrors { code } } }`;
  type RemovedWithStock = { removeListing: { listing: { id: string; stockRemaining: number | null } | null; userErrors: { code: string }[] } };

  // The debit statement's precondition read the listing on the statement's snapshot, then the
  // stock update waited for the listing's row lock, held by a removal that had not committed yet;
  // once the removal committed, the update went on from the removed row: sold after the removal
  // answered (its stockRemaining then wrong), with no serial order of the two.
  it('a removal that holds the listing while the debit statement runs is not followed by a sale', async () => {
    const { currency } = await earningProgram(t, 'M');
    const customer = await createCustomer(t, currency, 100);
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 10, stock: 5 });
    const listingId = Number(Buffer.from(listing.id, 'base64url').toString().split(':')[1]);
    const basket = await holdLocks(t, 'select 1 from listing where id = $1 for no key update', [listingId]);
    try {
      // The removal has the listing's row next; the purchase's debit statement queues behind it.
      const removing = t.gql<RemovedWithStock, { listingId: string }>(REMOVE_WITH_STOCK, { listingId: listing.id }, t.operatorToken);
      await basket.blocking(1);
      const buying = t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token);
      await basket.waiters(2);
      await basket.commit();
      const removed = ok(await removing).removeListing;
      expect(removed).toMatchObject({ listing: { stockRemaining: 5 }, userErrors: [] });
      const answer = dataOf(await buying).purchaseOffer;
      expect({ purchase: answer.purchase, codes: answer.userErrors.map((e) => e.code) }).toEqual({ purchase: null, codes: ['OFFER_UNAVAILABLE'] });
    } finally {
      await basket.end();
    }
    expect(await purchaseTrail(customer.externalId)).toEqual([]);
    const [after] = await t.sql<{ stock_remaining: number; available: number }>(
      `select l.stock_remaining, (select a.available from point_account a join customer c on c.id = a.customer_id where c.external_id = $2)::int as available
         from listing l where l.id = $1`,
      [listingId, customer.externalId],
    );
    expect(after).toEqual({ stock_remaining: 5, available: 100 });
  });

  it('many customers buying a stocked listing while it is removed: nothing is sold after the removal answered, every sale whole', async () => {
    const { currency } = await earningProgram(t, 'M');
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 10, stock: 40 });
    const listingId = Number(Buffer.from(listing.id, 'base64url').toString().split(':')[1]);
    const buyers = await Promise.all(Array.from({ length: 16 }, () => createCustomer(t, currency, 100)));
    // A basket holds the listing's row so that the requests below queue on it in the order sent:
    // 8 purchases, the removal, 8 purchases more (within the pool of 20); then all go at once.
    const basket = await holdLocks(t, 'select 1 from listing where id = $1 for no key update', [listingId]);
    let answers: { purchase: unknown; userErrors: { code: string }[] }[] = [];
    let removed: { stockRemaining: number | null } = { stockRemaining: null };
    try {
      const purchases = buyers.slice(0, 8).map((b) => t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, b.token));
      await basket.waiters(8);
      const removing = t.gql<RemovedWithStock, { listingId: string }>(REMOVE_WITH_STOCK, { listingId: listing.id }, t.operatorToken);
      await basket.waiters(9);
      const more = buyers.slice(8).map((b) => t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, b.token));
      await basket.waiters(17);
      await basket.commit();
      answers = (await Promise.all([...purchases, ...more])).map((r) => dataOf(r).purchaseOffer);
      removed = ok(await removing).removeListing.listing!;
    } finally {
      await basket.end();
    }
    const sold = answers.filter((a) => a.purchase).length;
    for (const a of answers.filter((a) => !a.purchase)) expect(a.userErrors.map((e) => e.code)).toEqual(['OFFER_UNAVAILABLE']);
    const [state] = await t.sql<{ stock_remaining: number; purchases: number; issued: number; spends: number }>(
      `select l.stock_remaining,
              (select count(*)::int from offer_purchase p where p.listing_id = l.id) as purchases,
              (select count(*)::int from offer_purchase p join issued_offer io on io.id = p.issued_offer_id where p.listing_id = l.id) as issued,
              (select count(*)::int from offer_purchase p join ledger_entry e on e.id = p.ledger_entry_id and e.kind = 'SPEND' and e.amount = -10 where p.listing_id = l.id) as spends
         from listing l where l.id = $1`,
      [listingId],
    );
    expect(state).toEqual({ stock_remaining: 40 - sold, purchases: sold, issued: sold, spends: sold });
    // What the removal answered is the stock left for good: no sale after it.
    expect(removed.stockRemaining).toBe(state.stock_remaining);
  });

  // Statement 1 decided eligibility (here the store's minimum balance) on its snapshot, before the
  // wait for the account lock; the writer holding the lock is exactly what changes the balance,
  // lifetime points and tier eligibility depends on. A purchase queued behind a debit that took
  // the customer below the store's minimum went through.
  it('a customer who stops qualifying for the store while the purchase waits for the account is refused NOT_ELIGIBLE', async () => {
    const { currency } = await earningProgram(t, 'M');
    const customer = await createCustomer(t, currency, 600);
    const store = await createStore(t, currency, { eligibility: { minBalance: 500 } });
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 50 });
    const account = await holdLocks(t, ACCOUNT_LOCK, [customer.externalId]);
    try {
      // A staff debit of 200 has the account next; the purchase (which reads 600 ≥ 500) queues behind it.
      const debiting = t.gql(
        `mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { entry { balanceAfter } userErrors { code } } }`,
        { input: { customerExternalId: customer.externalId, currency, amount: -200, reason: 'race', idempotencyKey: unique('adj') } },
        t.operatorToken,
      );
      await account.blocking(1);
      const buying = t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token);
      await account.waiters(2);
      await account.commit();
      expect(ok(await debiting)).toEqual({ adjustPoints: { entry: { balanceAfter: 400 }, userErrors: [] } });
      const answer = dataOf(await buying).purchaseOffer;
      expect({ purchase: answer.purchase, codes: answer.userErrors.map((e) => e.code) }).toEqual({ purchase: null, codes: ['NOT_ELIGIBLE'] });
    } finally {
      await account.end();
    }
    expect(await purchaseTrail(customer.externalId)).toEqual([]);
    expect(await availableOf(customer.externalId)).toBe(400);
  });

  // The one-statement purchase reads the account and its open credits on its snapshot, then takes
  // the account's lock. A credit committed in between (here while it waited) must not be missed:
  // the balance would cover the price and the open credits it read would not (consumed < price).
  it('a credit committed while the one-statement purchase waits for the account is spent by it, whole', async () => {
    const { currency } = await earningProgram(t, 'M');
    const customer = await createCustomer(t, currency, 100);
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 120 });
    const account = await holdLocks(t, ACCOUNT_LOCK, [customer.externalId]);
    try {
      // A staff credit of 50 has the account next; the purchase (which reads 100 < 120 of open credits) queues behind it.
      const crediting = adjust(t, customer.externalId, currency, 50);
      await account.blocking(1);
      const buying = t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token);
      await account.waiters(2);
      await account.commit();
      expect(await crediting).toMatchObject({ balanceAfter: 150 });
      const answer = dataOf(await buying).purchaseOffer;
      expect({ paid: answer.purchase?.pointsPaid, balance: answer.balance?.available, codes: answer.userErrors.map((e) => e.code) }).toEqual({ paid: 120, balance: 30, codes: [] });
    } finally {
      await account.end();
    }
    expect(await purchaseTrail(customer.externalId)).toHaveLength(1);
    expect(await availableOf(customer.externalId)).toBe(30);
  });

  // Many purchases of three customers, with repeated keys (one sent for two listings), against
  // adjustments, sales, their returns, a listing's removal and the write-down jobs, with points
  // expired and pending points due (nothing written down yet): every answer a purchase gives is
  // the ledger's, one purchase per key, stock and per-customer limits hold, nothing half-written.
  it('a mixed load of purchases and every other writer: answers match the ledger, keys, stock and limits hold', async () => {
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'M', { expiryDays: 30, pendingDays: 1 });
    const customers = await Promise.all(Array.from({ length: 3 }, () => createCustomer(t, currency, 200))); // expire day 30
    t.clock.advance(20 * DAY);
    const sales: string[] = [];
    for (const c of customers) {
      await adjust(t, c.externalId, currency, 300); // expire day 50
      sales.push(await sale(money, c.externalId, 20)); // 200 pending, due day 21
    }
    t.clock.advance(15 * DAY); // the 200 expired, the pending 200 due: nothing written down
    const { listings } = await listingsOf(currency, [
      { priceInPoints: 20, stock: 5 },
      { priceInPoints: 15, perCustomerLimit: 2 },
      { priceInPoints: 25 },
      { priceInPoints: 30, stock: 3, perCustomerLimit: 1 },
    ]);
    type Sent = { customer: number; listing: number; key: string };
    const sent: Sent[] = [];
    customers.forEach((_, c) => {
      for (let i = 0; i < 14; i++) sent.push({ customer: c, listing: i % listings.length, key: `k${c}-${i % 9}` });
      sent.push({ customer: c, listing: 1, key: `k${c}-shared` }, { customer: c, listing: 2, key: `k${c}-shared` });
    });
    const buying = sent.map((s) => t.gql(PurchaseOfferDocument, { listingId: listings[s.listing].id, idempotencyKey: s.key }, customers[s.customer].token));
    const work: Promise<unknown>[] = [...buying];
    for (const c of customers) {
      for (const amount of [-30, 40, -5]) {
        work.push(
          t.gql(
            `mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { entry { id } userErrors { code } } }`,
            { input: { customerExternalId: c.externalId, currency, amount, reason: 'race', idempotencyKey: unique('adj') } },
            t.operatorToken,
          ),
        );
      }
    }
    for (const externalId of sales) work.push(t.gql<Reversed, { externalId: string }>(REVERSE, { externalId }, till.credential));
    work.push(t.gql(RemoveListingDocument, { listingId: listings[2].id }, t.operatorToken));
    work.push(t.runScheduled());
    const results = (await Promise.all(work)) as ({ errors?: unknown[]; data?: unknown } | undefined)[];
    for (const r of results) expect(r && 'errors' in r ? r.errors : undefined).toBeUndefined();

    const answers = (await Promise.all(buying)).map((r, i) => ({ ...sent[i], payload: dataOf(r).purchaseOffer }));
    // one purchase per key, every success of a key the same answer
    const byKey = new Map<string, string[]>();
    for (const a of answers) if (a.payload.purchase) byKey.set(`${a.customer}:${a.key}`, [...(byKey.get(`${a.customer}:${a.key}`) ?? []), JSON.stringify(a.payload)]);
    for (const [key, bodies] of byKey) expect({ key, distinct: new Set(bodies).size }).toEqual({ key, distinct: 1 });
    const purchases = await t.sql<{ customer: string; key: string; id: string; listing_id: string; points_paid: number; balance_after: number; amount: number; issued: number }>(
      `select c.external_id as customer, p.idempotency_key as key, p.id, p.listing_id, p.points_paid, e.balance_after, e.amount::int,
              (select count(*)::int from issued_offer io where io.id = p.issued_offer_id) as issued
         from offer_purchase p join customer c on c.id = p.customer_id left join ledger_entry e on e.id = p.ledger_entry_id
        where c.external_id = any($1)`,
      [customers.map((c) => c.externalId)],
    );
    expect(purchases.length).toBe(byKey.size);
    for (const p of purchases) expect({ amount: p.amount, issued: p.issued }).toEqual({ amount: -p.points_paid, issued: 1 });
    // what each purchase answered is its own entry's balance
    for (const a of answers) {
      if (!a.payload.purchase) continue;
      const row = purchases.find((p) => p.customer === customers[a.customer].externalId && p.key === a.key)!;
      expect({ key: a.key, available: a.payload.balance!.available }).toEqual({ key: a.key, available: Number(row.balance_after) });
    }
    // stock and per-customer limits
    const listingRows = await t.sql<{ id: string; stock_total: number | null; stock_remaining: number | null; per_customer_limit: number | null; sold: number; most: number }>(
      `select l.id, l.stock_total, l.stock_remaining, l.per_customer_limit,
              (select count(*)::int from offer_purchase p where p.listing_id = l.id) as sold,
              (select coalesce(max(n), 0)::int from (select count(*) as n from offer_purchase p where p.listing_id = l.id group by p.customer_id) x) as most
         from listing l where l.id = any($1::bigint[])`,
      [purchases.map((p) => p.listing_id)],
    );
    for (const l of listingRows) {
      if (l.stock_total != null) expect({ id: l.id, sold: l.sold }).toEqual({ id: l.id, sold: l.stock_total - l.stock_remaining! });
      if (l.per_customer_limit != null) expect(l.most).toBeLessThanOrEqual(l.per_customer_limit);
    }
    expect(
      await t.sql(
        `select c.listing_id, c.customer_id from listing_purchase_count c
          where c.purchased <> (select count(*) from offer_purchase p where p.listing_id = c.listing_id and p.customer_id = c.customer_id)`,
      ),
    ).toEqual([]);
    expect(await t.sql(`select r.key from idempotency_record r where r.scope like 'purchase:%' and r.result is null`)).toEqual([]);
  });

  // The one-statement purchase takes its snapshot, then waits for its key (another request's, in
  // flight, that then rolls back): a credit committed during that wait is the account's newest.
  it('a purchase that waited for its key held by a request that rolled back spends a credit committed meanwhile', async () => {
    const { currency } = await earningProgram(t, 'M');
    const customer = await createCustomer(t, currency, 100);
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 120 });
    const key = unique('buy');
    const holder = await holdLocks(
      t,
      `insert into idempotency_record (scope, key, fingerprint, created_at) select 'purchase:' || id, $2, 'other', now() from customer where external_id = $1`,
      [customer.externalId, key],
    );
    try {
      const buying = t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: key }, customer.token);
      await holder.blocking(1);
      expect(await adjust(t, customer.externalId, currency, 50)).toMatchObject({ balanceAfter: 150 });
      await holder.end(); // rolls back: the key is free
      const answer = dataOf(await buying).purchaseOffer;
      expect({ paid: answer.purchase?.pointsPaid, balance: answer.balance?.available, codes: answer.userErrors.map((e) => e.code) }).toEqual({ paid: 120, balance: 30, codes: [] });
    } finally {
      await holder.end().catch(() => undefined);
    }
    expect(await purchaseTrail(customer.externalId)).toHaveLength(1);
    expect(await availableOf(customer.externalId)).toBe(30);
  });

  it('a customer with no account in the currency is refused for points and left without one', async () => {
    const { currency } = await earningProgram(t, 'M');
    const other = await earningProgram(t, 'M');
    const customer = await createCustomer(t, other.currency, 100);
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 10 });
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token)),
    );
    expect(answers.map((r) => dataOf(r).purchaseOffer.userErrors.map((e) => e.code).join())).toEqual(Array(4).fill('INSUFFICIENT_POINTS'));
    const accounts = await t.sql(`select a.currency_code from point_account a join customer c on c.id = a.customer_id where c.external_id = $1`, [customer.externalId]);
    expect(accounts).toEqual([{ currency_code: other.currency }]);
  });
});
