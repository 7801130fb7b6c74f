import pino from 'pino';
import { ClockGuard, READING_MAX_AGE_MS } from '../../src/clock-guard.js';
import { startGateway, type Gateway } from '../../src/http/server.js';
import { PurchaseOfferDocument } from '../generated/graphql.js';
import { ledgerViolations, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, simpleShop, unique } from '../support/program.js';

const DAY = 24 * 3_600_000;

/**
 * An instance that runs no job loop (JOBS_ENABLED=false: a web-only instance) reads the database's
 * clock only for a mutation whose guard has no reading younger than READING_MAX_AGE_MS, and for
 * /readyz. A purchase sent after such a quiet spell is judged as any other: taken, by the compiled
 * path it is hot on, after one reading shared by the purchases that ask meanwhile; refused
 * (SERVICE_UNAVAILABLE, nothing bought) when that reading finds the host's clock stepped. The
 * readings age by a monotonic clock the test moves on (`aged`), not by waiting.
 */
describe('a web-only instance judges a purchase after a quiet spell by a fresh clock reading', () => {
  let t: TestGateway;
  let web: Gateway;
  let guard: ClockGuard;
  let aged = 0;
  let readings = 0;
  let shop: Awaited<ReturnType<typeof simpleShop>>;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    const log = pino({ level: 'silent' });
    guard = new ClockGuard(t.clock, t.config.clockSkewMaxMs, log, () => performance.now() + aged);
    const check = guard.check.bind(guard);
    guard.check = (db) => (readings++, check(db));
    web = await startGateway({ config: { ...t.config, jobsEnabled: false }, orm: t.orm, databaseUrl: t.databaseUrl, clock: t.clock, log, clockGuard: guard }, 0, '127.0.0.1');
    shop = await simpleShop(t, { priceInPoints: 100 });
  });
  afterAll(async () => {
    t.clock.reset();
    await web?.close();
    await t?.close();
  });

  const buy = async (token: string) => {
    const res = await fetch(web.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: String(PurchaseOfferDocument), variables: { listingId: shop.listing.id, idempotencyKey: unique('buy') } }),
    });
    const body = (await res.json()) as { data?: { purchaseOffer: { purchase: { pointsPaid: number } | null } } | null; errors?: { extensions: { code: string } }[] };
    return { status: res.status, pointsPaid: body.data?.purchaseOffer.purchase?.pointsPaid, codes: body.errors?.map((e) => e.extensions.code) };
  };
  const compiledAnswers = async () => Number(/^graphql_requests_compiled_total (\d+)/m.exec(await (await fetch(new URL('/metrics', web.url))).text())?.[1] ?? NaN);
  const purchasesOf = async (externalId: string) =>
    (await t.sql<{ n: number }>(`select count(*)::int as n from offer_purchase p join customer c on c.id = p.customer_id where c.external_id = $1`, [externalId]))[0].n;

  it('takes purchases sent after the last reading aged out, compiled, after one reading for all of them', async () => {
    const customer = await createCustomer(t, shop.currency, 1_000);
    // sent often enough to be compiled (hotAfter); the first takes the instance's first reading
    for (let i = 0; i < 4; i++) expect(await buy(customer.token)).toEqual({ status: 200, pointsPaid: 100, codes: undefined });
    const before = { compiled: await compiledAnswers(), readings, last: guard.last };
    expect(before.compiled).toBeGreaterThan(0);

    aged += READING_MAX_AGE_MS + 1_000;
    const answers = await Promise.all([0, 1, 2].map(() => buy(customer.token)));
    expect(answers).toEqual(Array(3).fill({ status: 200, pointsPaid: 100, codes: undefined }));
    expect((await compiledAnswers()) - before.compiled).toBe(3);
    expect(readings - before.readings).toBe(1);
    expect(guard.last).not.toBe(before.last);
    expect(await purchasesOf(customer.externalId)).toBe(7);
  });

  it('refuses a purchase sent after a quiet spell in which the host clock stepped: SERVICE_UNAVAILABLE, nothing bought or spent', async () => {
    const customer = await createCustomer(t, shop.currency, 1_000);
    for (let i = 0; i < 3; i++) await buy(customer.token);
    const readingsBefore = readings;
    aged += READING_MAX_AGE_MS + 1_000;
    t.clock.stepHost(8 * DAY);
    try {
      expect(await buy(customer.token)).toEqual({ status: 503, pointsPaid: undefined, codes: ['SERVICE_UNAVAILABLE'] });
      expect(readings - readingsBefore).toBe(1);
      expect(guard.last?.skewed).toBe(true);
    } finally {
      t.clock.reset();
    }
    expect(await purchasesOf(customer.externalId)).toBe(3);
    const balance = await t.sql<{ available: number }>(
      `select a.available from point_account a join customer c on c.id = a.customer_id where c.external_id = $1`,
      [customer.externalId],
    );
    expect(balance).toEqual([{ available: 700 }]);
    // the clock right again (a reading taken once this one ages out): taken
    aged += READING_MAX_AGE_MS + 1_000;
    expect(await buy(customer.token)).toEqual({ status: 200, pointsPaid: 100, codes: undefined });
    expect(await ledgerViolations(t)).toEqual([]);
  });
});
