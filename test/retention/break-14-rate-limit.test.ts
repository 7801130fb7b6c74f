import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, simpleShop, unique } from '../support/program.js';

const MINUTE = 60_000;

/**
 * break-14, a hostile pass over retain-14's rate-limit purge: the purge of ended windows running
 * while a caller's requests start its next window (real parallel requests) must neither lose a
 * count nor fail a request.
 */
describe('the rate-limit purge while a caller starts a new window (break-14)', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('counts every request of the new window, none refused, while the purge removes ended windows', async () => {
    const { currency } = await simpleShop(t);
    const customer = await createCustomer(t, currency);
    const post = () =>
      fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${customer.token}` }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect((await post()).status).toBe(200);
    const [{ id }] = await t.sql<{ id: string }>(`select id from customer where external_id = $1`, [customer.externalId]);
    const own = `${t.config.rateLimit.keyPrefix}:customer:${id}`;
    for (let round = 0; round < 3; round++) {
      // the caller's window has ended, with 3,000 other ended windows for the purge to work through
      await t.sql(`update rate_limit_bucket set expire = $2 where key = $1`, [own, Date.now() - 1]);
      await t.sql(`insert into rate_limit_bucket (key, points, expire) select $1 || ':' || i, 3, $2::bigint from generate_series(1, 3000) i`, [unique('rl'), Date.now() - 1_000]);
      t.clock.advance(5 * MINUTE);
      const [statuses] = await Promise.all([Promise.all(Array.from({ length: 30 }, async () => (await post()).status)), t.runScheduled()]);
      expect(statuses).toEqual(Array(30).fill(200));
      expect(await t.sql(`select points from rate_limit_bucket where key = $1`, [own])).toEqual([{ points: 30 }]);
    }
  });
});
