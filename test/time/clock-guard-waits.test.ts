import { AdjustPointsDocument } from '../generated/graphql.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { holdLocks } from '../support/locks.js';
import { adjust, createCurrency, createCustomer, unique } from '../support/program.js';
import { holdAnswers } from '../support/statements.js';

/** The clock guard's own statement (`ClockGuard.check`: /readyz, a mutation's check, a scheduler tick). */
const clockRead = (text: string) => /^select \(extract\(epoch from clock_timestamp\(\)\)/.test(text.trim());
/** A real wait, longer than the tolerance these tests run with (CLOCK_SKEW_MAX_MS = 1000). */
const WAIT_MS = 1_600;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waiting is not clock skew (break-12g): a healthy instance whose comparison with PostgreSQL's
 * clock waited (for a pooled connection, for a lock, for its answer to be read) is no clock fault.
 * Run at CLOCK_SKEW_MAX_MS = 1000 (allowed: 100 ms to an hour), so a wait of 1.6 s shows what a
 * wait past the default 10 s does (DB_ACQUIRE_TIMEOUT_MS or DB_STATEMENT_TIMEOUT_MS set above it, a
 * long stall). The instance's clock is right throughout: every refusal here is a false one.
 */
describe('the clock guard counts no wait as skew', () => {
  let t: TestGateway;

  afterEach(async () => {
    await t?.close();
  });

  it('a /readyz that waited for a pooled connection is ready, and mutations go on', async () => {
    t = await startTestGateway({ CLOCK_SKEW_MAX_MS: '1000', DB_POOL_MAX: '2' }, { jobs: 'manual' });
    const currency = 'WAITPOOL';
    await createCurrency(t, currency, null);
    const customer = await createCustomer(t, currency, 5);
    // the pool's two connections are held by adjustments waiting for the account's lock
    const held = await holdLocks(t, `select 1 from point_account a join customer c on c.id = a.customer_id where c.external_id = $1 for update of a`, [customer.externalId]);
    const waiting = Promise.all([adjust(t, customer.externalId, currency, 1), adjust(t, customer.externalId, currency, 1)]);
    await held.waiters(2);
    const readiness = t.fetch('/readyz');
    await sleep(WAIT_MS);
    await held.commit();
    await held.end();
    await waiting;
    const res = await readiness;
    expect({ status: res.status, body: await res.json() }).toEqual({ status: 200, body: { status: 'ready' } });
    expect(await (await t.fetch('/metrics')).text()).toMatch(/^gateway_clock_skewed 0$/m);
    await adjust(t, customer.externalId, currency, 1);
  });

  it('a mutation after a comparison whose answer was read late is taken', async () => {
    t = await startTestGateway({ CLOCK_SKEW_MAX_MS: '1000' }, { jobs: 'manual' });
    const currency = 'WAITANSW';
    await createCurrency(t, currency, null);
    const customer = await createCustomer(t, currency, 5);
    // the answer of /readyz's comparison reaches the gateway late (a slow network, a stalled event loop)
    const held = holdAnswers(clockRead);
    const readiness = t.fetch('/readyz');
    await held.reached;
    await sleep(WAIT_MS);
    held.release();
    expect((await readiness).status).toBe(200);
    const res = await t.gql(
      AdjustPointsDocument,
      { input: { customerExternalId: customer.externalId, currency, amount: 1, reason: 'test', idempotencyKey: unique('wait') } },
      t.operatorToken,
    );
    expect({ status: res.status, errors: res.errors }).toEqual({ status: 200, errors: undefined });
    expect(res.data?.adjustPoints.entry?.amount).toBe(1);
  });

  it('a job claim that waited for a lock on the job table is no clock fault: /metrics and /readyz say so, and the job runs', async () => {
    t = await startTestGateway({ CLOCK_SKEW_MAX_MS: '1000' }, { jobs: 'manual' });
    await t.sql(`insert into job (kind, payload, run_at, status, attempts, max_attempts) values ('points.expire', '{}', now() - interval '1 minute', 'PENDING', 0, 3)`);
    // an index built on the job table (a migration, an operator): a claim waits for it
    const held = await holdLocks(t, `lock table job in share mode`, []);
    const claiming = t.jobs.runner.runOne();
    await held.blocking(1);
    await sleep(WAIT_MS);
    await held.commit();
    await held.end();
    await claiming;
    expect(await (await t.fetch('/metrics')).text()).toMatch(/^gateway_clock_skewed 0$/m);
    await t.jobs.runner.runUntilIdle();
    expect(await t.sql(`select status from job where kind = 'points.expire'`)).toEqual([{ status: 'DONE' }]);
  });

  it('a clock just over the limit either way is still refused, and writes are taken the moment it agrees again', async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    const currency = 'WAITEDGE';
    await createCurrency(t, currency, null);
    const customer = await createCustomer(t, currency, 5);
    const send = () =>
      t.gql(AdjustPointsDocument, { input: { customerExternalId: customer.externalId, currency, amount: 1, reason: 'test', idempotencyKey: unique('edge') } }, t.operatorToken);
    // a local round trip is a few ms: 300 ms over is over however it splits
    for (const step of [t.config.clockSkewMaxMs + 300, -(t.config.clockSkewMaxMs + 300)]) {
      t.clock.stepHost(step);
      expect((await t.fetch('/readyz')).status).toBe(503);
      expect((await send()).status).toBe(503);
      t.clock.stepHost(-step);
      expect((await send()).status).toBe(200);
      expect((await t.fetch('/readyz')).status).toBe(200);
    }
  });
});
