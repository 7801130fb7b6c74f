import { ProfileDocument, RecordActivityDocument, SetActivityRuleDocument } from '../generated/graphql.js';
import { ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCurrency, createCustomer, createPartner, createTier, earningProgram, processedSale, uniqueCode } from '../support/program.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * A day of the program is 24 hours (docs/decisions.md, "Time"), whatever the database's TimeZone.
 * Hostile pass 9: the SQL that adds days to an instant (`make_interval(days => n)`) counts calendar
 * days of the session's time zone, so on a database set to Europe/Berlin (a DBA's `alter database
 * … set timezone`, or an embedded cluster made on a machine in Berlin) a day across the clocks going
 * forward was 23 hours and across them going back 25: points expired an hour early, a rolling tier
 * window held points an hour too long, an activity cap an hour too long, while offers and pending
 * days (24-hour days) did not move. The run's server is in UTC, where the two agree, so these run
 * on a database set to Berlin, at its changes of 2027 (28 March 01:00Z, 31 October 01:00Z).
 */
describe('a day is 24 hours on a database whose TimeZone has daylight saving time', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;

  beforeAll(async () => {
    t = await startTestGateway({}, { settings: { TimeZone: 'Europe/Berlin' } });
    till = await createPartner(t, ['transactions:write', 'transactions:read', 'activities:write']);
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  /** Stops the test clock at `iso`. */
  const at = (iso: string) => {
    t.clock.freeze();
    t.clock.advance(Date.parse(iso) - t.clock.now().getTime());
  };
  const balanceOf = async (token: string, currency: string) =>
    ok(await t.gql(ProfileDocument, {}, token)).me!.balances.find((b) => b.currency.code === currency) ?? { available: 0, pending: 0, expiringSoon: [] };
  const tierOf = async (token: string) => ok(await t.gql(ProfileDocument, {}, token)).me!.tier?.code ?? null;

  it('the gateway runs on Berlin time here (the control)', async () => {
    const [{ zone }] = await t.sql<{ zone: string }>(`select current_setting('TimeZone') as zone`);
    expect(zone).toBe('Europe/Berlin');
  });

  it('points that expire a day after they were granted, the day before the clocks go forward, are spendable for 24 hours, in every read and after the jobs', async () => {
    at('2027-03-27T12:00:00Z');
    const currency = uniqueCode('TZ');
    await createCurrency(t, currency, 1);
    const customer = await createCustomer(t, currency, 100);
    expect((await balanceOf(customer.token, currency)).expiringSoon).toEqual([{ amount: 100, expiresAt: '2027-03-28T12:00:00.000Z' }]);
    t.clock.advance(23 * HOUR + 30 * MINUTE);
    expect((await balanceOf(customer.token, currency)).available).toBe(100);
    await t.runScheduled(); // the expiry job writes down nothing yet
    expect((await balanceOf(customer.token, currency)).available).toBe(100);
    t.clock.advance(30 * MINUTE);
    expect((await balanceOf(customer.token, currency)).available).toBe(0);
  });

  it('pending points released the day before the clocks go forward expire a day after their release, not 23 hours', async () => {
    at('2027-03-26T12:00:00Z');
    const { money, currency } = await earningProgram(t, 'TZP', { expiryDays: 1, pendingDays: 1 });
    const customer = await createCustomer(t, currency);
    await processedSale(t, till, customer.externalId, money, 10); // 100 points, pending until 03-27 12:00Z
    t.clock.advance(24 * HOUR);
    expect(await balanceOf(customer.token, currency)).toMatchObject({
      available: 100,
      pending: 0,
      expiringSoon: [{ amount: 100, expiresAt: '2027-03-28T12:00:00.000Z' }],
    });
    t.clock.advance(23 * HOUR + 30 * MINUTE);
    expect((await balanceOf(customer.token, currency)).available).toBe(100);
    await t.runScheduled(); // released and written down by the jobs: still a day of 24 hours
    expect((await balanceOf(customer.token, currency)).available).toBe(100);
    t.clock.advance(30 * MINUTE);
    expect((await balanceOf(customer.token, currency)).available).toBe(0);
  });

  it('a one-day rolling tier window stops counting points 24 hours after they were earned, across the clocks going back', async () => {
    at('2027-10-30T12:00:00Z');
    const currency = uniqueCode('TZT');
    await createCurrency(t, currency, null);
    await createTier(t, { currency, code: `${currency}_BASE`, rank: 1, threshold: 0 });
    await createTier(t, { currency, code: `${currency}_DAY`, rank: 2, threshold: 100, windowDays: 1 });
    const customer = await createCustomer(t, currency, 100);
    expect(await tierOf(customer.token)).toBe(`${currency}_DAY`);
    t.clock.advance(24 * HOUR - 1_000);
    expect(await tierOf(customer.token)).toBe(`${currency}_DAY`);
    t.clock.advance(30 * MINUTE);
    expect(await tierOf(customer.token)).toBe(`${currency}_BASE`);
  });

  it('an activity capped once a day earns again 24 hours after the last award, across the clocks going back', async () => {
    at('2027-10-30T12:00:00Z');
    const currency = uniqueCode('TZA');
    await createCurrency(t, currency, null);
    ok(await t.gql(SetActivityRuleDocument, { input: { currency, kind: 'REVIEW', points: 5, capPerPeriod: 1, periodDays: 1 } }, t.operatorToken));
    const customer = await createCustomer(t, currency);
    const review = async (reference: string) =>
      (await t.gql(RecordActivityDocument, { customerExternalId: customer.externalId, kind: 'REVIEW', reference }, till.credential)).data!.recordActivity;
    expect(await review('item-1')).toEqual({ pointsAwarded: 5, userErrors: [] });
    t.clock.advance(24 * HOUR - 1_000);
    expect((await review('item-2')).userErrors.map((e) => e.code)).toEqual(['CAP_REACHED']);
    t.clock.advance(30 * MINUTE);
    expect(await review('item-3')).toEqual({ pointsAwarded: 5, userErrors: [] });
    expect((await balanceOf(customer.token, currency)).available).toBe(10);
  });

  it('no function in the database adds calendar days to an instant (every day is 24 hours there too)', async () => {
    const rows = await t.sql<{ name: string }>(
      `select p.proname as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = current_schema() and p.prokind = 'f' and pg_get_functiondef(p.oid) ~* '(days\\s*=>|interval\\s*''[^'']*day)'`,
    );
    expect(rows).toEqual([]);
  });
});
