import { Writable } from 'node:stream';
import pg from 'pg';
import { AdjustPointsDocument, ProfileDocument, PurchaseOfferDocument, SubmitTransactionDocument, TransactionStatusDocument } from '../generated/graphql.js';
import { loadConfig } from '../../src/config.js';
import { migrate, openOrm, REQUEST_POOL_APPLICATION } from '../../src/db/orm.js';
import { createLogger } from '../../src/logging.js';
import { PROCESS_TRANSACTION } from '../../src/transactions/transaction.service.js';
import { createTestDatabase, ledgerViolations, ok, startTestGateway, writeCounts, type GqlResult, type TestGateway } from '../support/gateway.js';
import { holdLocks, type HeldLocks } from '../support/locks.js';
import { createCustomer, createPartner, earningProgram, eventually, simpleShop, unique } from '../support/program.js';

/**
 * A database that stalls (a session holding row locks and doing nothing, a runaway statement, a
 * pool whose every connection is busy) costs the requests it holds a quick, clear answer, not a
 * wait without end: HTTP 503 SERVICE_UNAVAILABLE with Retry-After, nothing of the request done,
 * and the same request with the same idempotency key succeeds once the database answers
 * (docs/decisions.md, "A database that stalls"). Hostile pass: no bound at all, so a request behind
 * a lock held by a stuck session waited, and held its pooled connection, for ever; once the pool
 * was taken, so did every other request.
 */

/** The account row of a customer's balance in `currency` (its row lock is what money moves take). */
const accountOf = async (t: TestGateway, externalId: string, currency: string) =>
  (await t.sql<{ id: number }>(`select a.id from point_account a join customer c on c.id = a.customer_id where c.external_id = $1 and a.currency_code = $2`, [externalId, currency]))[0].id;

const holdAccount = (t: TestGateway, account: number) => holdLocks(t, 'select 1 from point_account where id = $1 for update', [account]);

/** What a user sees of an answer cut by a bound: status, Retry-After, and each error's code. */
const cut = (res: GqlResult<unknown>) => ({ status: res.status, retryAfter: res.headers.get('retry-after'), codes: res.errors?.map((e) => e.extensions?.code) });
const SERVICE_UNAVAILABLE = { status: 503, retryAfter: '2', codes: ['SERVICE_UNAVAILABLE'] };

describe('a statement that waits on a lock past DB_STATEMENT_TIMEOUT_MS', () => {
  let t: TestGateway;
  const held: HeldLocks[] = [];

  beforeAll(async () => {
    t = await startTestGateway({ DB_STATEMENT_TIMEOUT_MS: '1000' }, { jobs: 'manual' });
  });
  afterAll(async () => {
    for (const h of held) await h.end().catch(() => undefined);
    expect(await ledgerViolations(t)).toEqual([]);
    await t.close();
  });

  it('cuts a purchase: 503 SERVICE_UNAVAILABLE, nothing written; the same key then buys once', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 500);
    const lock = await holdAccount(t, await accountOf(t, customer.externalId, shop.currency));
    held.push(lock);
    const before = await writeCounts(t);
    const key = unique('buy');
    const buy = () => t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: key }, customer.token);

    expect(cut(await buy())).toEqual(SERVICE_UNAVAILABLE);
    expect(await writeCounts(t)).toEqual(before);

    await lock.commit();
    const first = ok(await buy()).purchaseOffer;
    expect(first.balance).toMatchObject({ available: 400 });
    expect(ok(await buy()).purchaseOffer.purchase!.id).toBe(first.purchase!.id);
    expect(await writeCounts(t)).toMatchObject({ purchases: before.purchases + 1, pointsAvailable: before.pointsAvailable - 100 });
    expect(ok(await t.gql(ProfileDocument, {}, customer.token)).me!.balances[0].available).toBe(400);
  });

  it('cuts an adjustment the same way; the same key then adjusts once', async () => {
    const { currency } = await earningProgram(t, 'TA');
    const customer = await createCustomer(t, currency, 10);
    const lock = await holdAccount(t, await accountOf(t, customer.externalId, currency));
    held.push(lock);
    const before = await writeCounts(t);
    const key = unique('adj');
    const adjust = () => t.gql(AdjustPointsDocument, { input: { customerExternalId: customer.externalId, currency, amount: 5, reason: 'goodwill', idempotencyKey: key } }, t.operatorToken);

    expect(cut(await adjust())).toEqual(SERVICE_UNAVAILABLE);
    expect(await writeCounts(t)).toEqual(before);

    await lock.commit();
    expect(ok(await adjust()).adjustPoints.entry).toMatchObject({ amount: 5, balanceAfter: 15 });
    expect(ok(await adjust()).adjustPoints.entry).toMatchObject({ amount: 5, balanceAfter: 15 });
    expect(ok(await t.gql(ProfileDocument, {}, customer.token)).me!.balances[0].available).toBe(15);
  });

  it("lets a request through when its rate limit count waits on a lock past the count's bound (the limiter's own pool)", async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 10);
    const lock = await holdLocks(t, 'lock table rate_limit_bucket in exclusive mode', []);
    held.push(lock);
    const res = await t.gql(ProfileDocument, {}, customer.token);
    expect([res.status, ok(res).me!.balances[0].available]).toEqual([200, 10]);
    await lock.commit();
  });

  it("does not cut a job: a sale's processing waits out the lock, however long, and commits on its first attempt", async () => {
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    const { money, currency } = await earningProgram(t, 'TJ');
    const customer = await createCustomer(t, currency, 10);
    const lock = await holdAccount(t, await accountOf(t, customer.externalId, currency));
    held.push(lock);
    const externalId = unique('sale');
    const input = { externalId, customerExternalId: customer.externalId, occurredAt: t.clock.now().toISOString(), currency: money, lines: [{ sku: 'A', quantity: 1, unitPrice: '1.00' }] };
    ok(await t.gql(SubmitTransactionDocument, { input }, till.credential));
    const running = t.jobs.runner.runOne();
    await lock.blocking(1);
    // well past the requests' bounds, PostgreSQL's and the gateway's own (+ DB_CLIENT_TIMEOUT_MARGIN_MS, hang-12c)
    await new Promise((resolve) => setTimeout(resolve, 2 * (t.config.dbTimeouts.statementMs + t.config.dbTimeouts.clientMarginMs)));
    await lock.commit();
    await running;
    expect(ok(await t.gql(TransactionStatusDocument, { externalId }, till.credential)).transaction).toMatchObject({ status: 'PROCESSED', pointsAwarded: 10 });
    expect(await t.sql(`select attempts, last_error from job where kind = $1`, [PROCESS_TRANSACTION])).toEqual([{ attempts: 1, last_error: null }]);
  });
});

describe('a pool whose every connection is busy', () => {
  const POOL = 2;
  let t: TestGateway;
  let lock: HeldLocks | undefined;
  const warnings: { msg: string; reason?: string }[] = [];

  beforeAll(async () => {
    const log = createLogger('warn', new Writable({ write: (chunk, _encoding, done) => (warnings.push(JSON.parse(String(chunk))), done()) }));
    t = await startTestGateway({ DB_POOL_MAX: String(POOL), DB_ACQUIRE_TIMEOUT_MS: '500', DB_STATEMENT_TIMEOUT_MS: '120000' }, { jobs: 'manual', log });
  });
  afterAll(async () => {
    await lock?.end().catch(() => undefined);
    expect(await ledgerViolations(t)).toEqual([]);
    await t.close();
  });

  it('answers 503 SERVICE_UNAVAILABLE after DB_ACQUIRE_TIMEOUT_MS, and serves again once connections come back', async () => {
    const { currency } = await earningProgram(t, 'TP');
    const customer = await createCustomer(t, currency, 10);
    // Every pooled connection opened first (the pool keeps them: DB_POOL_IDLE_MS 0). An adjustment
    // that had to open one could meet DB_ACQUIRE_TIMEOUT_MS's 500 ms in connecting alone on a loaded
    // machine (suite-30: three jest workers) and be cut before it ever waited for the lock.
    await eventually(async () => {
      const opened = await Promise.allSettled(Array.from({ length: POOL }, () => t.orm.em.fork().getConnection().execute('select pg_sleep(0.2)')));
      if (!opened.every((o) => o.status === 'fulfilled')) return false;
      return (await t.sql<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = $1`, [REQUEST_POOL_APPLICATION]))[0].n === POOL;
    }, 30_000);
    lock = await holdAccount(t, await accountOf(t, customer.externalId, currency));
    // Each adjustment holds one pooled connection while it waits for the lock.
    const adjustments = Array.from({ length: POOL }, () =>
      t.gql(AdjustPointsDocument, { input: { customerExternalId: customer.externalId, currency, amount: 1, reason: 'goodwill', idempotencyKey: unique('adj') } }, t.operatorToken),
    );
    await lock.waiters(POOL);

    expect(cut(await t.gql(ProfileDocument, {}, customer.token))).toEqual(SERVICE_UNAVAILABLE);
    expect(warnings.map((w) => [w.msg, w.reason])).toEqual([['database did not answer in time (acquire timeout): answered SERVICE_UNAVAILABLE', 'acquire timeout']]);
    expect(cut(await t.gql(AdjustPointsDocument, { input: { customerExternalId: customer.externalId, currency, amount: 1, reason: 'goodwill', idempotencyKey: unique('adj') } }, t.operatorToken))).toEqual(SERVICE_UNAVAILABLE);
    const ready = await t.fetch('/readyz');
    expect(ready.status).toBe(503);

    await lock.commit();
    for (const res of await Promise.all(adjustments)) ok(res);
    expect(ok(await t.gql(ProfileDocument, {}, customer.token)).me!.balances[0].available).toBe(10 + POOL);
    expect((await t.fetch('/readyz')).status).toBe(200);
  });
});

describe('migrations under the request bounds', () => {
  it('are not cut by DB_STATEMENT_TIMEOUT_MS: one that waits past it for a lock still applies', async () => {
    const database = await createTestDatabase();
    // Bounds of 500 ms (PostgreSQL's) and 1 s (the gateway's, with a margin of 500 ms): the wait
    // below is twice the larger, as it was with the default margin (2 s, a wait of 5 s).
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: database.url, DB_STATEMENT_TIMEOUT_MS: '500', DB_CLIENT_TIMEOUT_MARGIN_MS: '500' });
    const orm = await openOrm({ url: database.url, poolMax: 2, timeouts: config.dbTimeouts });
    // Another session creating the first migration's first table, uncommitted: the migration's own
    // "create table" waits for it (the same name), as a migration waits for a busy table's lock.
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    try {
      await other.query('begin');
      await other.query('create table audit_entry (id int)');
      const migrating = migrate(orm);
      migrating.catch(() => undefined);
      // (pg_stat_activity is read afresh each time: a transaction keeps its first reading)
      const waiting = async () => (await other.query('select pg_stat_clear_snapshot()'), await other.query(`select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)).rowCount! > 0;
      await eventually(waiting, 30_000);
      // well past the requests' bounds, PostgreSQL's and the gateway's own (+ DB_CLIENT_TIMEOUT_MARGIN_MS, hang-12c)
      await new Promise((resolve) => setTimeout(resolve, 2 * (config.dbTimeouts.statementMs + config.dbTimeouts.clientMarginMs)));
      await other.query('rollback');
      expect((await migrating).length).toBeGreaterThan(0);
    } finally {
      await other.end();
      await orm.close(true);
      await database.drop();
    }
  });
});
