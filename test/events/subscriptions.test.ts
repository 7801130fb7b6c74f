import { createClient, type Client } from 'graphql-ws';
import pg from 'pg';
import pino from 'pino';
import WebSocket from 'ws';
import { startGateway, type Gateway } from '../../src/http/server.js';
import { BalanceChangedDocument, PurchaseOfferDocument, TierChangedDocument, WalletChangedDocument } from '../generated/graphql.js';
import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, adjust, createCustomer, createTier, eventually, simpleShop } from '../support/program.js';

/**
 * Subscriptions (SPEC §3): a customer's balance, wallet, tier and sale events, pushed over
 * graphql-ws once the change commits, from whichever gateway instance made it.
 */
describe('subscriptions', () => {
  let t: TestGateway;
  let other: Gateway;
  const clients: Client[] = [];

  beforeAll(async () => {
    t = await startTestGateway();
    // A second instance on the same database, with its own event relay: what a second pod is.
    other = await startGateway({ config: t.config, orm: t.orm, databaseUrl: t.databaseUrl, clock: t.clock, log: pino({ level: 'silent' }) }, 0, '127.0.0.1');
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await other.close();
    await t.close();
  });

  function connect(url: string, token?: string): Client {
    const client = createClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: token ? { authorization: `Bearer ${token}` } : {},
      retryAttempts: 0,
      lazy: true,
    });
    clients.push(client);
    return client;
  }

  /** Subscribes and returns a function that waits for the next event (or times out). */
  async function subscribe<T>(client: Client, query: { toString(): string }, variables: Record<string, unknown> = {}, on: Gateway = t.gateway) {
    const before = on.events.listenerCount();
    const iterator = client.iterate<T>({ query: query.toString(), variables });
    const received: Promise<IteratorResult<{ data?: T | null; errors?: readonly { message: string; extensions?: Record<string, unknown> }[] }>>[] = [];
    const next = (ms = 5_000) => {
      const pending = iterator.next();
      received.push(pending);
      // the timer is cleared once the event is in: a pending one kept the jest worker alive after the file
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no event')), ms)));
      return Promise.race([pending, timeout]).then((r) => r.value).finally(() => clearTimeout(timer));
    };
    // graphql-ws subscribes when iteration starts; wait until the server has registered the listener.
    const first = next(10_000);
    for (let waited = 0; on.events.listenerCount() <= before; waited += 10) {
      if (waited > 10_000) throw new Error('the subscription never reached the server');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return { first, next, stop: () => iterator.return?.() };
  }

  it('pushes balance changes with the ledger entry behind them', async () => {
    const shop = await simpleShop(t, { priceInPoints: 30 });
    const customer = await createCustomer(t, shop.currency);
    const sub = await subscribe(connect(t.url, customer.token), BalanceChangedDocument);
    await adjust(t, customer.externalId, shop.currency, 100);
    expect((await sub.first)?.data).toEqual({
      balanceChanged: { currency: { code: shop.currency }, available: 100, pending: 0, lifetimeEarned: 100, change: { amount: 100, kind: 'ADJUST', reason: 'test' } },
    });
    ok(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: 'sub-1' }, customer.token));
    expect((await sub.next())?.data?.balanceChanged).toMatchObject({ available: 70, change: { amount: -30, kind: 'SPEND' } });
    await sub.stop();
  });

  it('pushes wallet changes, and nothing for a purchase that was refused (rolled back)', async () => {
    const shop = await simpleShop(t, { priceInPoints: 40 });
    const customer = await createCustomer(t, shop.currency, 50);
    const sub = await subscribe(connect(t.url, customer.token), WalletChangedDocument);
    const bought = ok(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: 'w-1' }, customer.token)).purchaseOffer;
    const code = bought.purchase!.issuedOffer.code;
    expect((await sub.first)?.data).toEqual({ walletChanged: { change: 'ISSUED', issuedOffer: { id: bought.purchase!.issuedOffer.id, code, status: 'ISSUED' } } });
    // 10 points left: refused, rolled back, so no event; the next event is the one after it
    const refused = dataOf(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: 'w-2' }, customer.token)).purchaseOffer;
    expect(refused.userErrors[0].code).toBe('INSUFFICIENT_POINTS');
    await adjust(t, customer.externalId, shop.currency, 100);
    ok(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: 'w-3' }, customer.token));
    const next = (await sub.next())?.data?.walletChanged;
    expect(next?.change).toBe('ISSUED');
    expect(next?.issuedOffer?.code).not.toBe(code);
    await sub.stop();
  });

  it('announces nothing of a purchase refused after its debit (LIMIT_REACHED, OUT_OF_STOCK): its events roll back with it', async () => {
    const shop = await simpleShop(t, { priceInPoints: 10, perCustomerLimit: 1 });
    const lastOne = await addListing(t, shop.store.id, shop.offer.id, { priceInPoints: 10, stock: 1 });
    const customer = await createCustomer(t, shop.currency, 100);
    const outboxRows = async () =>
      Number((await t.sql<{ n: string }>(`select count(*) as n from outbox_event e join customer c on c.id = e.customer_id where c.external_id = $1`, [customer.externalId]))[0].n);
    const sub = await subscribe(connect(t.url, customer.token), BalanceChangedDocument);
    ok(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: 'after-debit-1' }, customer.token));
    expect((await sub.first)?.data?.balanceChanged).toMatchObject({ available: 90, change: { amount: -10, kind: 'SPEND' } });
    const before = await outboxRows();

    // The per-customer limit is counted after the points are debited (and BALANCE_CHANGED written).
    const limited = dataOf(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: 'after-debit-2' }, customer.token)).purchaseOffer;
    expect(limited.userErrors.map((e) => e.code)).toEqual(['LIMIT_REACHED']);
    expect(await outboxRows()).toBe(before);

    // The stock is taken last: while this purchase waits on the listing's row (points already
    // debited), another basket takes the last unit.
    const blocker = new pg.Client({ connectionString: t.databaseUrl });
    await blocker.connect();
    try {
      const listingId = Number(Buffer.from(lastOne.id, 'base64url').toString().split(':')[1]);
      const [{ pid }] = (await blocker.query<{ pid: number }>('select pg_backend_pid() as pid')).rows;
      await blocker.query('begin');
      await blocker.query('select 1 from listing where id = $1 for no key update', [listingId]); // not the purchase count's key-share check
      const buying = t.gql(PurchaseOfferDocument, { listingId: lastOne.id, idempotencyKey: 'after-debit-3' }, customer.token);
      await eventually(async () => {
        // (not through the blocker: inside its transaction pg_stat_activity is a snapshot)
        const [row] = await t.sql<{ n: string }>(
          `select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and $1 = any(pg_blocking_pids(pid))`,
          [pid],
        );
        return Number(row.n) === 1;
      });
      await blocker.query('update listing set stock_remaining = 0 where id = $1', [listingId]);
      await blocker.query('commit');
      const soldOut = dataOf(await buying).purchaseOffer;
      expect(soldOut.userErrors.map((e) => e.code)).toEqual(['OUT_OF_STOCK']);
    } finally {
      await blocker.end();
    }
    expect(await outboxRows()).toBe(before);

    // and nothing of either was pushed: the next event is the one after them
    await adjust(t, customer.externalId, shop.currency, 1);
    expect((await sub.next())?.data?.balanceChanged).toMatchObject({ available: 91, change: { amount: 1, kind: 'ADJUST' } });
    await sub.stop();
  });

  it('pushes tier changes', async () => {
    const shop = await simpleShop(t);
    await createTier(t, { currency: shop.currency, code: 'SUB_BASE', rank: 900, threshold: 0 });
    await createTier(t, { currency: shop.currency, code: 'SUB_TOP', rank: 901, threshold: 500 });
    const customer = await createCustomer(t, shop.currency);
    const sub = await subscribe(connect(t.url, customer.token), TierChangedDocument);
    await adjust(t, customer.externalId, shop.currency, 600);
    expect((await sub.first)?.data).toEqual({ tierChanged: { from: { code: 'SUB_BASE' }, to: { code: 'SUB_TOP' } } });
    await sub.stop();
  });

  it("delivers only the subscriber's own events, from any gateway instance", async () => {
    const shop = await simpleShop(t);
    const alice = await createCustomer(t, shop.currency);
    const bob = await createCustomer(t, shop.currency);
    // Bob listens on the other instance; the changes are made through the first one.
    const sub = await subscribe(connect(other.url, bob.token), BalanceChangedDocument, {}, other);
    await adjust(t, alice.externalId, shop.currency, 11);
    await adjust(t, bob.externalId, shop.currency, 22);
    expect((await sub.first)?.data?.balanceChanged).toMatchObject({ available: 22, change: { amount: 22 } });
    await sub.stop();
  });

  it('refuses connections without valid credentials (4401, with the reason), and subscriptions by anyone but a customer (FORBIDDEN)', async () => {
    for (const [token, reason] of [
      [undefined, /credentials required/],
      ['not-a-token', /Bearer <JWT>/],
    ] as const) {
      const iterator = connect(t.url, token).iterate({ query: BalanceChangedDocument.toString() });
      // 4401: graphql-ws clients do not retry it (they do retry 4403), so an app learns to sign in again
      await expect(iterator.next()).rejects.toMatchObject({ code: 4401, reason: expect.stringMatching(reason) });
    }
    const staff = await connect(t.url, t.operatorToken).iterate({ query: BalanceChangedDocument.toString() }).next().then(
      (r) => r.value,
      (errors: unknown) => ({ errors }),
    );
    expect(JSON.stringify(staff)).toContain('FORBIDDEN');
  });

  it('applies the query limits to subscriptions too', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    const aliases = Array.from({ length: 20 }, (_, i) => `a${i}: available`).join(' ');
    const iterator = connect(t.url, customer.token).iterate({ query: `subscription { balanceChanged { ${aliases} } }` });
    const result = await iterator.next().then(
      (r) => r.value,
      (errors: unknown) => ({ errors }),
    );
    expect(JSON.stringify(result)).toContain('QUERY_TOO_COMPLEX');
  });
});
