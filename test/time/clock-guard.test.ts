import { AdjustPointsDocument, ProfileDocument, SetActivityRuleDocument, UpsertCustomerDocument } from '../generated/graphql.js';
import { ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, unique } from '../support/program.js';
import { collect, openSocket, type TestSocket } from '../support/ws.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

type Balance = { balanceChanged: { eventId: string; available: number } };
const BALANCE = `subscription($after: ID) { balanceChanged(after: $after) { eventId available } }`;

/**
 * Irrevocable work driven by one instance's own clock (docs/decisions.md, "## clock-12"): a host
 * clock that steps (bad NTP, a VM resumed from a snapshot, a hand-set date) is `stepHost`, which
 * the clock guard sees, unlike the days tests move on purpose (`advance`). The instance whose clock
 * stepped runs no job and enqueues no slot; once the clock is right again the jobs run as due, and
 * what users see is what they would have seen with no step: points kept, events kept for replay,
 * no award before its day. Jobs are driven by hand (`jobs: 'manual'`).
 */
describe('the clock guard: an instance whose clock stepped runs no irrevocable job', () => {
  let t: TestGateway;
  const sockets: TestSocket[] = [];

  // A gateway (and database) per test: each test's slots and the prune's snapshots are its own.
  beforeEach(async () => {
    t = await startTestGateway({ WS_SESSION_RECHECK_MS: '600000' }, { jobs: 'manual' });
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
    await Promise.all(sockets.splice(0).map((s) => s.dispose()));
    await t.close();
  });

  /** What the instance's scheduler and worker do at one moment: tick every schedule, run everything due. */
  const runJobs = async () => {
    await t.jobs.scheduler.tick();
    await t.jobs.runner.runUntilIdle();
  };
  const balanceOf = async (token: string, currency: string) =>
    ok(await t.gql(ProfileDocument, {}, token)).me!.balances.find((b) => b.currency.code === currency)?.available;

  it('a clock a week ahead expires no points: the balance is whole once the clock is right, and the skipped job runs then', async () => {
    const currency = 'GUARDEXP';
    await createCurrency(t, currency, 7);
    const customer = await createCustomer(t, currency, 100);
    await t.jobs.scheduler.tick(); // this slot's write-downs enqueued at the right time
    t.clock.stepHost(8 * DAY);
    await runJobs();
    t.clock.reset();
    expect(await balanceOf(customer.token, currency)).toBe(100);
    // not marked done: the jobs this instance skipped are still due, and run now
    const pending = await t.sql<{ n: number }>(`select count(*)::int as n from job where kind = 'points.expire' and status = 'PENDING' and attempts = 0`);
    expect(pending[0].n).toBeGreaterThan(0);
    await runJobs();
    expect(await t.sql(`select id from job where status in ('PENDING', 'RUNNING') and run_at <= now()`)).toEqual([]);
    expect(await balanceOf(customer.token, currency)).toBe(100);
    // and they expire when they are due
    t.clock.advance(8 * DAY);
    await runJobs();
    expect(await balanceOf(customer.token, currency)).toBe(0);
  });

  it('a mutation on a clock a week ahead is refused, SERVICE_UNAVAILABLE, and expires nothing; reads are served; taken once the clock is right', async () => {
    const currency = 'GUARDMUT';
    await createCurrency(t, currency, 7);
    const customer = await createCustomer(t, currency, 100);
    // sent often enough to be a compiled document (hotAfter), so both paths a mutation takes are seen
    for (let i = 0; i < 4; i++) await adjust(t, customer.externalId, currency, 1);
    t.clock.stepHost(8 * DAY);
    const send = () =>
      t.gql(AdjustPointsDocument, { input: { customerExternalId: customer.externalId, currency, amount: 1, reason: 'test', idempotencyKey: 'guard-mut-1' } }, t.operatorToken);
    const refused = await send();
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBeTruthy();
    expect(refused.errors?.[0].extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(refused.errors?.[0].message).toContain('clock');
    expect(refused.data?.adjustPoints ?? null).toBeNull();
    // a read is answered (as of this instance's clock)
    expect((await t.gql(ProfileDocument, {}, customer.token)).status).toBe(200);
    t.clock.reset();
    expect(await balanceOf(customer.token, currency)).toBe(104);
    const taken = await send();
    expect(taken.status).toBe(200);
    expect(await balanceOf(customer.token, currency)).toBe(105);
  });

  it('a clock a retention ahead prunes no event that just committed: a subscriber resuming from its first event gets the rest', async () => {
    const currency = 'GUARDPRN';
    await createCurrency(t, currency, null);
    const customer = await createCustomer(t, currency);
    for (const amount of [1, 2, 3]) await adjust(t, customer.externalId, currency, amount);
    // the webhook dispatcher has passed them, and the hourly prune has run since they committed
    await t.sql(
      `insert into webhook_cursor (name, cursor) values ('webhooks', json_build_object('from', pg_current_snapshot()::text)::text)
       on conflict (name) do update set cursor = excluded.cursor`,
    );
    await runJobs();
    t.clock.stepHost((t.config.events.retentionHours + 2) * HOUR);
    await runJobs();
    t.clock.reset();
    const socket = openSocket(t.url, customer.token);
    sockets.push(socket);
    const sub = collect<Balance>(socket.client, BALANCE, { after: '1' });
    expect((await sub.until(2)).map((r) => r.data?.balanceChanged)).toEqual([
      { eventId: '2', available: 3 },
      { eventId: '3', available: 6 },
    ]);
    sub.stop();
  });

  it('a clock three days ahead awards no birthday early', async () => {
    const currency = 'GUARDBDY';
    await createCurrency(t, currency, null);
    ok(await t.gql(SetActivityRuleDocument, { input: { currency, kind: 'BIRTHDAY', points: 50 } }, t.operatorToken));
    const inThreeDays = new Date(t.clock.now().getTime() + 3 * DAY);
    const externalId = unique('born');
    const birthDate = `1990-${String(inThreeDays.getUTCMonth() + 1).padStart(2, '0')}-${String(inThreeDays.getUTCDate()).padStart(2, '0')}`;
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId, birthDate, status: 'ACTIVE' } }, t.operatorToken));
    await runJobs();
    t.clock.stepHost(3 * DAY);
    await runJobs();
    t.clock.reset();
    expect((await balanceOf(await t.customerToken(externalId), currency)) ?? 0).toBe(0);
  });

  it('readiness answers 503 with both clocks while the clock is off, /metrics shows the skew, reads are served; ready again once it agrees', async () => {
    const currency = 'GUARDRDY';
    await createCurrency(t, currency, null);
    const customer = await createCustomer(t, currency, 5);
    expect((await t.fetch('/readyz')).status).toBe(200);
    t.clock.stepHost(2 * t.config.clockSkewMaxMs);
    const res = await t.fetch('/readyz');
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; clock: { gateway: string; database: string; skewMs: number; maxSkewMs: number; message: string } };
    expect(body.status).toBe('not ready');
    expect(body.clock.maxSkewMs).toBe(t.config.clockSkewMaxMs);
    expect(body.clock.skewMs).toBeGreaterThan(t.config.clockSkewMaxMs);
    expect(new Date(body.clock.gateway).getTime() - new Date(body.clock.database).getTime()).toBe(body.clock.skewMs);
    expect(body.clock.message).toContain('CLOCK_SKEW_MAX_MS');
    const metrics = await (await t.fetch('/metrics')).text();
    expect(metrics).toMatch(/^gateway_clock_skewed 1$/m);
    expect(Number(/^gateway_clock_skew_seconds (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(t.config.clockSkewMaxMs / 1000);
    expect(await balanceOf(customer.token, currency)).toBe(5);
    // a clock behind is refused as one ahead: its jobs would date writes before what is known to have happened
    t.clock.stepHost(-4 * t.config.clockSkewMaxMs);
    const behind = await t.fetch('/readyz');
    expect(behind.status).toBe(503);
    expect(((await behind.json()) as { clock: { skewMs: number } }).clock.skewMs).toBeLessThan(-t.config.clockSkewMaxMs);
    // a test's days moved on purpose are no fault
    t.clock.stepHost(2 * t.config.clockSkewMaxMs);
    t.clock.advance(30 * DAY);
    expect((await t.fetch('/readyz')).status).toBe(200);
    expect(await (await t.fetch('/metrics')).text()).toMatch(/^gateway_clock_skewed 0$/m);
  });
});
