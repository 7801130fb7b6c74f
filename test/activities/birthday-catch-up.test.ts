import { SetActivityRuleDocument, UpsertCustomerDocument } from '../generated/graphql.js';
import { ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCurrency, unique } from '../support/program.js';

/**
 * The birthday job's missed days (money-12's catch-up) attacked (docs/decisions.md, "Hostile pass
 * 12d"): instances that tick at the same moment after a gap, a clock stepped back, a gap longer than
 * the catch-up's week. Driven by the test's clock, scheduler ticks and workers, on a real PostgreSQL.
 */
describe('birthdays of days no gateway ran, with several instances and a moved clock (hostile pass 12d)', () => {
  let t: TestGateway;
  const currency = 'BDAY12D';

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    await createCurrency(t, currency, null);
    ok(await t.gql(SetActivityRuleDocument, { input: { currency, kind: 'BIRTHDAY', points: 50 } }, t.operatorToken));
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  /** Moves the test clock to `hour` UTC of a day (forward or back). */
  const goTo = (year: number, month: number, day: number, hour = 12) => t.clock.advance(Date.UTC(year, month - 1, day, hour) - t.clock.now().getTime());
  const born = async (birthDate: string) => {
    const externalId = unique('born');
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId, birthDate, status: 'ACTIVE' } }, t.operatorToken));
    return externalId;
  };
  /** How many birthday awards each customer had. */
  const awards = async (externalIds: Record<string, string>) => {
    const rows = await t.sql<{ external_id: string; n: number }>(
      `select c.external_id, count(a.id)::int as n
         from customer c left join activity a on a.customer_id = c.id and a.kind = 'BIRTHDAY' where c.external_id = any($1) group by c.external_id`,
      [Object.values(externalIds)],
    );
    return Object.fromEntries(Object.entries(externalIds).map(([name, id]) => [name, rows.find((r) => r.external_id === id)?.n ?? 0]));
  };

  it('three instances ticking at once after a gap award each missed day once, and their workers in parallel too', async () => {
    const year = t.clock.now().getUTCFullYear() + 1;
    goTo(year, 4, 1);
    await t.jobs.scheduler.tick();
    await t.jobs.runner.runUntilIdle();
    const people = { apr2: await born('1990-04-02'), apr3: await born('1990-04-03'), apr4: await born('1990-04-04'), apr5: await born('1990-04-05') };
    goTo(year, 4, 5, 0); // the first minute of Apr 5: nothing ran on Apr 2, 3, 4
    await Promise.all([t.jobs.scheduler.tick(), t.jobs.scheduler.tick(), t.jobs.scheduler.tick()]);
    await Promise.all([t.jobs.runner.runUntilIdle(), t.jobs.runner.runUntilIdle()]);
    expect(await awards(people)).toEqual({ apr2: 1, apr3: 1, apr4: 1, apr5: 1 });
    const keys = await t.sql<{ unique_key: string }>(`select unique_key from job where kind = 'activities.birthday' and unique_key is not null order by unique_key`);
    expect(new Set(keys.map((k) => k.unique_key)).size).toBe(keys.length);
  });

  it('a clock stepped back over midnight (NTP) and forward again awards no day twice and skips none', async () => {
    const year = t.clock.now().getUTCFullYear() + 2;
    const people = { may10: await born('1990-05-10'), may11: await born('1990-05-11'), may12: await born('1990-05-12') };
    goTo(year, 5, 9);
    await t.jobs.scheduler.tick();
    await t.jobs.runner.runUntilIdle();
    goTo(year, 5, 11, 0);
    await t.jobs.scheduler.tick(); // May 10 caught up, May 11 run
    await t.jobs.runner.runUntilIdle();
    goTo(year, 5, 10, 23); // stepped back an hour and more, to the day before
    await t.jobs.scheduler.tick();
    await t.jobs.runner.runUntilIdle();
    goTo(year, 5, 12, 1);
    await t.jobs.scheduler.tick();
    await t.jobs.runner.runUntilIdle();
    expect(await awards(people)).toEqual({ may10: 1, may11: 1, may12: 1 });
  });
});

describe("a birthday caught up after an outage expires as the day's own would (break36)", () => {
  let t: TestGateway;
  const currency = 'BDAY36';

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    await createCurrency(t, currency, 30);
    ok(await t.gql(SetActivityRuleDocument, { input: { currency, kind: 'BIRTHDAY', points: 50 } }, t.operatorToken));
  });
  afterAll(() => t.close());

  it("the points of a birthday paid four days late expire 30 days after the birthday, as those paid on the day", async () => {
    const year = t.clock.now().getUTCFullYear() + 3;
    t.clock.moveTo(Date.UTC(year, 5, 1, 12));
    await t.runScheduled();
    const onTime = unique('ontime');
    const late = unique('late');
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId: onTime, birthDate: '1990-06-02', status: 'ACTIVE' } }, t.operatorToken));
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId: late, birthDate: '1990-06-03', status: 'ACTIVE' } }, t.operatorToken));
    // June 2 runs on time (its first minute); nothing runs on June 3 to 6; June 7 catches June 3 up
    t.clock.moveTo(Date.UTC(year, 5, 2, 0, 0, 30));
    await t.runScheduled();
    t.clock.moveTo(Date.UTC(year, 5, 7, 0, 0, 30));
    await t.runScheduled();
    const rows = await t.sql<{ external_id: string; expires_at: Date }>(
      `select c.external_id, e.expires_at from ledger_entry e join point_account a on a.id = e.account_id join customer c on c.id = a.customer_id
        where c.external_id = any($1) and e.kind = 'EARN'`,
      [[onTime, late]],
    );
    const expiry = Object.fromEntries(rows.map((r) => [r.external_id === onTime ? 'onTime' : 'late', new Date(r.expires_at).toISOString().slice(0, 10)]));
    const day = (d: number) => new Date(Date.UTC(year, 5, d + 30)).toISOString().slice(0, 10);
    expect(expiry).toEqual({ onTime: day(2), late: day(3) });
    expect(await ledgerViolations(t)).toEqual([]);
  });
});
