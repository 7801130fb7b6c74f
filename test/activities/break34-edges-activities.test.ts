import { RecordActivityDocument, SetActivityRuleDocument, UpsertCustomerDocument, type ActivityKind, type SetActivityRuleInput } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCurrency, createPartner, unique } from '../support/program.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * break34-edges: activity caps at the edges of their rolling period, the gateway's clock moved back
 * and forward across it, parallel reports at the cap, a rule switched off and on while reports race,
 * and BIRTHDAY around the year's end in the extreme time zones (UTC−12, UTC+14).
 */
describe('break34-edges: activities at their edges', () => {
  let t: TestGateway;
  let partner: { apiKey: string };
  const currency = 'EDGEACT';
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    await createCurrency(t, currency, null);
    partner = (await createPartner(t, ['activities:write'])).credential;
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  const setClock = (at: Date | number) => t.clock.advance(new Date(at).getTime() - t.clock.now().getTime());
  const setRule = async (input: Omit<SetActivityRuleInput, 'currency'>) => ok(await t.gql(SetActivityRuleDocument, { input: { currency, ...input } }, t.operatorToken));
  const customer = async (birthDate?: string) => {
    const externalId = unique('act');
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId, ...(birthDate ? { birthDate } : {}) } }, t.operatorToken));
    return externalId;
  };
  const report = async (customerExternalId: string, kind: ActivityKind, reference: string) => {
    const r = dataOf(await t.gql(RecordActivityDocument, { customerExternalId, kind, reference }, partner)).recordActivity;
    return r.userErrors.length ? r.userErrors[0].code : r.pointsAwarded;
  };
  const balance = async (externalId: string) =>
    Number((await t.sql<{ n: string }>(`select coalesce(sum(a.available), 0) as n from point_account a join customer c on c.id = a.customer_id where c.external_id = $1 and a.currency_code = $2`, [externalId, currency]))[0].n);

  it('a cap of 2 a day: full until the oldest award is exactly a day old, with the clock moved back and forward across that second', async () => {
    t.clock.freeze();
    await setRule({ kind: 'REVIEW', points: 5, capPerPeriod: 2, periodDays: 1 });
    const who = await customer();
    const t0 = t.clock.now().getTime();
    const got: unknown[] = [];
    got.push(await report(who, 'REVIEW', 'r1')); // t0
    setClock(t0 + HOUR);
    got.push(await report(who, 'REVIEW', 'r2'));
    setClock(t0 + DAY - 1);
    got.push(await report(who, 'REVIEW', 'r3')); // both still in the last 24 h
    setClock(t0 + DAY);
    got.push(await report(who, 'REVIEW', 'r4')); // r1 left the window at this second
    got.push(await report(who, 'REVIEW', 'r5')); // r2, r4 in it
    setClock(t0 + 2 * HOUR); // the clock stepped back: three awards now lie in "the last day" (one ahead of the clock)
    got.push(await report(who, 'REVIEW', 'r6'));
    setClock(t0 + DAY + HOUR); // forward again: r2 left at this second; r4 is in
    got.push(await report(who, 'REVIEW', 'r7'));
    got.push(await report(who, 'REVIEW', 'r8'));
    expect(got).toEqual([5, 5, 'CAP_REACHED', 5, 'CAP_REACHED', 'CAP_REACHED', 5, 'CAP_REACHED']);
    expect(await balance(who)).toBe(20);
  });

  it('12 parallel reports with 12 references at a cap of 3: exactly 3 awarded, every other one CAP_REACHED, none lost', async () => {
    await setRule({ kind: 'SOCIAL_SHARE', points: 7, capPerPeriod: 3, periodDays: 7 });
    const who = await customer();
    const got = await Promise.all(Array.from({ length: 12 }, (_, i) => report(who, 'SOCIAL_SHARE', `share-${i}`)));
    expect(got.filter((g) => g === 7)).toHaveLength(3);
    expect(got.filter((g) => g === 'CAP_REACHED')).toHaveLength(9);
    expect(await balance(who)).toBe(21);
  });

  it('a rule switched off and on while 16 reports race: at most its cap, each answer matches the ledger', async () => {
    await setRule({ kind: 'SURVEY', points: 3, capPerPeriod: 4, periodDays: 1 });
    const who = await customer();
    const reports = Array.from({ length: 16 }, (_, i) => report(who, 'SURVEY', `survey-${i}`));
    const toggles = (async () => {
      for (let i = 0; i < 4; i++) {
        await setRule({ kind: 'SURVEY', points: 3, capPerPeriod: 4, periodDays: 1, active: false });
        await setRule({ kind: 'SURVEY', points: 3, capPerPeriod: 4, periodDays: 1, active: true });
      }
    })();
    const [got] = await Promise.all([Promise.all(reports), toggles]);
    const awarded = got.filter((g) => g === 3).length;
    expect(awarded).toBeLessThanOrEqual(4);
    expect(got.every((g) => g === 3 || g === 'CAP_REACHED' || g === 'NOT_FOUND')).toBe(true);
    expect(await balance(who)).toBe(3 * awarded);
    // switched on for good: the cap still counts what was awarded
    const more = await Promise.all(Array.from({ length: 6 }, (_, i) => report(who, 'SURVEY', `after-${i}`)));
    expect(more.filter((g) => g === 3)).toHaveLength(4 - awarded);
  });

  it('BIRTHDAY at the year boundary: Jan 1 reported on Dec 31 (UTC+14) is the new year\'s, once; Dec 31 reported on Jan 1 (UTC−12) is the old year\'s', async () => {
    await setRule({ kind: 'BIRTHDAY', points: 50 });
    const year = t.clock.now().getUTCFullYear() + 1;
    t.clock.freeze();
    const jan1 = await customer('2000-01-01');
    const dec31 = await customer('1999-12-31');
    const got: unknown[] = [];
    setClock(Date.UTC(year, 11, 31, 10, 0, 0)); // Dec 31 10:00 UTC = Jan 1 00:00 in Kiritimati (UTC+14)
    got.push(await report(jan1, 'BIRTHDAY', 'kiritimati')); // next year's birthday
    got.push(await report(dec31, 'BIRTHDAY', 'utc')); // this year's
    setClock(Date.UTC(year + 1, 0, 1, 11, 59, 59, 999)); // Jan 1: Dec 31 23:59 at UTC−12
    got.push(await report(dec31, 'BIRTHDAY', 'baker-island')); // still this year's: already earned
    got.push(await report(jan1, 'BIRTHDAY', 'utc-again')); // the same birthday: already earned
    setClock(Date.UTC(year + 1, 0, 2, 23, 59, 59, 999)); // Jan 2, last ms: Jan 2 everywhere from UTC−12 … but Jan 1 ends at UTC−12 by 12:00 Jan 2
    got.push(await report(jan1, 'BIRTHDAY', 'late'));
    setClock(Date.UTC(year + 1, 0, 3));
    got.push(await report(jan1, 'BIRTHDAY', 'too-late'));
    setClock(Date.UTC(year + 1, 11, 30, 0, 0, 0)); // Dec 30 of the next year: Dec 31's birthday is a day away
    got.push(await report(dec31, 'BIRTHDAY', 'next-year'));
    setClock(Date.UTC(year, 11, 30, 23, 0, 0)); // the clock stepped back a year: that birthday was earned
    got.push(await report(dec31, 'BIRTHDAY', 'stepped-back'));
    expect(got).toEqual([50, 50, 'LIMIT_REACHED', 'LIMIT_REACHED', 'LIMIT_REACHED', 'NOT_ELIGIBLE', 50, 'LIMIT_REACHED']);
    expect([await balance(jan1), await balance(dec31)]).toEqual([50, 100]);
  });
});
