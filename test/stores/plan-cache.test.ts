import pg from 'pg';
import { CUSTOMER, STORE_PAGE } from '../../bench/floor-statements.js';
import { RewardStoreOffersDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, createCustomer, createOffer, simpleShop } from '../support/program.js';
import { recordStatements } from '../support/statements.js';

/**
 * Issue 12: the page's statements are planned once per connection, not on every request. The
 * gateway sends each parameterised statement as a named prepared statement (src/db/prepared.ts);
 * PostgreSQL then keeps a generic plan after five custom ones unless the generic plan's estimate
 * looks dearer. The store's eligibility statement used to look dearer (`= any($1::bigint[])`, an
 * array of unknown length), so every page paid ~1.8 ms of planning for it. This replays the texts
 * and parameters the gateway sent for a page on a connection of its own, as often as a pooled
 * connection would see them, and reads PostgreSQL's own count of custom plans.
 */
describe('plan cache of the page statements', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ EVENT_FANOUT: 'off' }, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  it('the caller and the store with its page of listings keep one generic plan after the first few requests', async () => {
    const shop = await simpleShop(t, { priceInPoints: 10, stock: 5 });
    for (let i = 0; i < 5; i++) await addListing(t, shop.store.id, (await createOffer(t)).id, { priceInPoints: 20 + i, sortOrder: i });
    const customer = await createCustomer(t, shop.currency, 100);
    const recorder = recordStatements();
    let page;
    try {
      page = ok(await t.gql(RewardStoreOffersDocument, { storeId: shop.store.id, first: 20 }, customer.token));
    } finally {
      recorder.stop();
    }
    // the parameterised statements, the rate limiter's own upsert aside
    const sent = new Map(recorder.take().flatMap((s) => (s.values?.length && !s.text.includes('rate_limit_bucket') ? [[s.text, s.values] as const] : [])));
    expect(page.node).toBeTruthy();
    expect([...sent.keys()].map((text) => text.trim().slice(0, 20))).toHaveLength(2);
    // The bench's floor sends these same texts, so its database cost is the gateway's.
    expect([...sent.keys()].sort()).toEqual([CUSTOMER.text, STORE_PAGE.text].sort());

    const client = new pg.Client({ connectionString: t.databaseUrl });
    await client.connect();
    try {
      let n = 0;
      for (const [text, values] of sent) await Promise.all(Array.from({ length: 12 }, () => client.query({ name: `page_${n}`, text, values }))).then(() => n++);
      const { rows } = await client.query<{ statement: string; generic: number; custom: number }>(
        `select left(statement, 40) as statement, generic_plans::int as generic, custom_plans::int as custom from pg_prepared_statements order by name`,
      );
      expect(rows).toHaveLength(2);
      for (const row of rows) expect({ statement: row.statement, custom: row.custom, generic: row.generic }).toEqual({ statement: row.statement, custom: 5, generic: 7 });
    } finally {
      await client.end();
    }
  });
});
