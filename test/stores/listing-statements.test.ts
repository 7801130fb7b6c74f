import pg from 'pg';
import { RewardStoreOffersDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, createCustomer, createOffer, simpleShop, storeOf } from '../support/program.js';

/**
 * No N+1: a page of listings with their offers costs the same number of SQL statements whatever
 * its size. Counts every statement the gateway sends to PostgreSQL (pg's Client.query), but the
 * rate limiter's.
 */
describe('SQL statements per page of listings', () => {
  let t: TestGateway;
  const original = pg.Client.prototype.query;
  let statements = 0;

  beforeAll(async () => {
    // no background job worker and no event relay: their polling would be counted too
    t = await startTestGateway({ EVENT_FANOUT: 'off' }, { jobs: 'manual' });
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      // the rate limiter's one upsert per request is not the page's (test/http/limits.test.ts)
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
      if (!text?.includes('rate_limit_bucket')) statements++;
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original;
  });
  afterAll(async () => {
    pg.Client.prototype.query = original;
    await t.close();
  });

  async function countFor(first: number, storeId: string, token: string) {
    statements = 0;
    const page = storeOf(ok(await t.gql(RewardStoreOffersDocument, { storeId, first }, token)).node);
    return { statements, listings: page.listings.edges.length };
  }

  it('is constant from 5 to 50 listings, each with a different offer', async () => {
    const shop = await simpleShop(t, { priceInPoints: 10 });
    for (let i = 0; i < 49; i++) {
      const offer = await createOffer(t);
      await addListing(t, shop.store.id, offer.id, { priceInPoints: 10 + i, sortOrder: i });
    }
    const customer = await createCustomer(t, shop.currency, 100);
    await countFor(1, shop.store.id, customer.token); // warm: first-request work is not per page

    const small = await countFor(5, shop.store.id, customer.token);
    const large = await countFor(50, shop.store.id, customer.token);
    expect(small.listings).toBe(5);
    expect(large.listings).toBe(50);
    expect(large.statements).toBe(small.statements);
    // the caller's row, then one statement for the store (node) and its page: the store's
    // eligibility, listings, offers, counts, balance (store-page.ts)
    expect(large.statements).toBe(2);
  });
});
