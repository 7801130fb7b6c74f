import pg from 'pg';
import { awardBirthdays, BIRTHDAY_JOB, birthdaysOn } from '../../src/activities/birthday.job.js';
import { enqueueJob } from '../../src/jobs/queue.js';
import {
  AdjustPointsDocument,
  AuditLogDocument,
  CreatePartnerDocument,
  PointHistoryDocument,
  ProfileDocument,
  RecordActivityDocument,
  SetActivityRuleDocument,
  UpsertCustomerDocument,
  type ActivityKind,
  type SetActivityRuleInput,
} from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type Credential, type TestGateway } from '../support/gateway.js';
import { createCurrency, createCustomer, createPartner, createTier, earningProgram, eventually, processedSale, storedAndCurrentTier, tierMoves, unique } from '../support/program.js';

const DAY = 86_400_000;

async function newPartner(t: TestGateway, scopes = ['activities:write']) {
  const created = ok(await t.gql(CreatePartnerDocument, { input: { name: unique('partner'), scopes } }, t.operatorToken)).createPartner;
  return { apiKey: created.apiKey! };
}

async function setRule(t: TestGateway, input: SetActivityRuleInput) {
  return ok(await t.gql(SetActivityRuleDocument, { input }, t.operatorToken)).setActivityRule.rule!;
}

async function balanceOf(t: TestGateway, externalId: string, currency: string) {
  const me = ok(await t.gql(ProfileDocument, {}, await t.customerToken(externalId))).me!;
  return me.balances.find((b) => b.currency.code === currency) ?? { available: 0, lifetimeEarned: 0 };
}

/** Activities (contract: SetActivityRule, RecordActivity) through HTTP with a partner's API key. */
describe('activities', () => {
  let t: TestGateway;
  let partner: { apiKey: string };
  const currency = 'ACT';

  beforeAll(async () => {
    t = await startTestGateway();
    await createCurrency(t, currency);
    partner = await newPartner(t);
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  const record = (customerExternalId: string, kind: ActivityKind, reference: string, credential: Credential = partner) =>
    t.gql(RecordActivityDocument, { customerExternalId, kind, reference }, credential);
  const awarded = async (customerExternalId: string, kind: ActivityKind, reference: string) => dataOf(await record(customerExternalId, kind, reference)).recordActivity;

  it('setActivityRule creates, then replaces, the rule of a kind in a currency; audit-logged', async () => {
    const first = await setRule(t, { currency, kind: 'SURVEY', points: 20, capPerPeriod: 1, periodDays: 30 });
    expect(first).toEqual({ id: expect.any(String), kind: 'SURVEY', points: 20, capPerPeriod: 1, periodDays: 30 });
    const second = await setRule(t, { currency, kind: 'SURVEY', points: 25 });
    expect(second).toEqual({ id: first.id, kind: 'SURVEY', points: 25, capPerPeriod: null, periodDays: null });
    const audit = ok(await t.gql(AuditLogDocument, { first: 2 }, t.analystToken)).auditLog.edges.map((e) => e.node);
    expect(audit.map((a) => [a.action, a.actor])).toEqual([
      ['setActivityRule', 'staff:staff-op'],
      ['setActivityRule', 'staff:staff-op'],
    ]);
    const rules = ok(await t.gql(`{ activityRules { id kind points currency { code } } }`, {}, t.analystToken)) as { activityRules: unknown[] };
    expect(rules.activityRules).toEqual([{ id: first.id, kind: 'SURVEY', points: 25, currency: { code: currency } }]);

    const noCurrency = dataOf(await t.gql(SetActivityRuleDocument, { input: { currency: 'NOPE', kind: 'SURVEY', points: 1 } }, t.operatorToken));
    expect(noCurrency.setActivityRule).toEqual({ rule: null, userErrors: [{ code: 'NOT_FOUND', field: ['input', 'currency'], message: expect.any(String) }] });
    const periodWithoutCap = dataOf(await t.gql(SetActivityRuleDocument, { input: { currency, kind: 'SURVEY', points: 1, periodDays: 7 } }, t.operatorToken));
    expect(periodWithoutCap.setActivityRule.userErrors.map((e) => e.code)).toEqual(['INVALID']);
    for (const bad of [{ points: 0 }, { points: -5 }, { capPerPeriod: 0 }, { periodDays: 0, capPerPeriod: 1 }]) {
      const res = await t.gql(SetActivityRuleDocument, { input: { currency, kind: 'SURVEY', points: 1, ...bad } }, t.operatorToken);
      expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('setActivityRule is for operators; recordActivity for partners with activities:write', async () => {
    const customer = await createCustomer(t, currency);
    const input = { currency, kind: 'REVIEW' as const, points: 5 };
    const reader = await newPartner(t, ['customers:read']);
    for (const credential of [t.analystToken, customer.token, partner]) {
      expect((await t.gql(SetActivityRuleDocument, { input }, credential)).errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    }
    for (const credential of [t.operatorToken, t.analystToken, customer.token, reader]) {
      const res = await record(customer.externalId, 'REVIEW', 'r-1', credential);
      expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      expect(res.data?.recordActivity ?? null).toBeNull();
    }
    expect((await t.gql(RecordActivityDocument, { customerExternalId: customer.externalId, kind: 'REVIEW', reference: 'r-1' })).errors?.[0].extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
    expect((await t.gql(SetActivityRuleDocument, { input })).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('earns qualifying points once per reference: a repeat answers the first result', async () => {
    await setRule(t, { currency, kind: 'REVIEW', points: 40 });
    await createTier(t, { currency, code: 'ACT_BASE', rank: 1, threshold: 0 });
    await createTier(t, { currency, code: 'ACT_SILVER', rank: 2, threshold: 80 });
    const customer = await createCustomer(t, currency);

    expect(await awarded(customer.externalId, 'REVIEW', 'review-1')).toEqual({ pointsAwarded: 40, userErrors: [] });
    expect(await awarded(customer.externalId, 'REVIEW', 'review-1')).toEqual({ pointsAwarded: 40, userErrors: [] });
    expect(await balanceOf(t, customer.externalId, currency)).toMatchObject({ available: 40, lifetimeEarned: 40 });

    // the rule changes: a repeat still answers what the first report earned, and earns nothing
    await setRule(t, { currency, kind: 'REVIEW', points: 45 });
    expect(await awarded(customer.externalId, 'REVIEW', 'review-1')).toEqual({ pointsAwarded: 40, userErrors: [] });
    expect(await awarded(customer.externalId, 'REVIEW', 'review-2')).toEqual({ pointsAwarded: 45, userErrors: [] });

    const me = ok(await t.gql(ProfileDocument, {}, customer.token)).me!;
    expect(me.balances[0]).toMatchObject({ available: 85, lifetimeEarned: 85 });
    expect(me.tier?.code).toBe('ACT_SILVER'); // activity points qualify
    const history = ok(await t.gql(PointHistoryDocument, { currency }, customer.token)).me!.pointHistory.edges.map((e) => e.node);
    expect(history.map((h) => [h.kind, h.amount, h.reason])).toEqual([
      ['EARN', 45, 'REVIEW review-2'],
      ['EARN', 40, 'REVIEW review-1'],
    ]);
    const sources = await t.sql<{ source_type: string; qualifying: boolean }>(
      `select e.source_type, e.qualifying from ledger_entry e join customer c on c.id = e.customer_id where c.external_id = $1`,
      [customer.externalId],
    );
    expect(sources).toEqual([
      { source_type: 'ACTIVITY', qualifying: true },
      { source_type: 'ACTIVITY', qualifying: true },
    ]);
  });

  it('the same reference sent 10 times at once earns once, and every answer is the same', async () => {
    await setRule(t, { currency, kind: 'REFERRAL', points: 100 });
    const [customer, friend] = [await createCustomer(t, currency), await createCustomer(t, currency)];
    const results = await Promise.all(Array.from({ length: 10 }, () => record(customer.externalId, 'REFERRAL', friend.externalId)));
    expect(results.map((r) => dataOf(r).recordActivity)).toEqual(Array(10).fill({ pointsAwarded: 100, userErrors: [] }));
    expect(await balanceOf(t, customer.externalId, currency)).toMatchObject({ available: 100 });
    const [{ entries, activities }] = await t.sql<{ entries: number; activities: number }>(
      `select (select count(*) from ledger_entry e join customer c on c.id = e.customer_id where c.external_id = $1)::int as entries,
              (select count(*) from activity a join customer c on c.id = a.customer_id where c.external_id = $1)::int as activities`,
      [customer.externalId],
    );
    expect({ entries, activities }).toEqual({ entries: 1, activities: 1 });
  });

  it('at most capPerPeriod awards in the last periodDays: CAP_REACHED, then again once the period has passed', async () => {
    await setRule(t, { currency, kind: 'SOCIAL_SHARE', points: 5, capPerPeriod: 2, periodDays: 7 });
    const customer = await createCustomer(t, currency);
    expect((await awarded(customer.externalId, 'SOCIAL_SHARE', 'post-1')).pointsAwarded).toBe(5);
    t.clock.advance(3 * DAY);
    expect((await awarded(customer.externalId, 'SOCIAL_SHARE', 'post-2')).pointsAwarded).toBe(5);
    expect(await awarded(customer.externalId, 'SOCIAL_SHARE', 'post-3')).toEqual({
      pointsAwarded: null,
      userErrors: [{ code: 'CAP_REACHED', field: ['input', 'kind'], message: expect.any(String) }],
    });
    // a once-per-reference repeat of an award is still answered while capped
    expect((await awarded(customer.externalId, 'SOCIAL_SHARE', 'post-1')).pointsAwarded).toBe(5);

    // four days on, post-1 (day 0) is a week old: one slot free, not two
    t.clock.advance(4 * DAY + 1_000);
    expect((await awarded(customer.externalId, 'SOCIAL_SHARE', 'post-3')).pointsAwarded).toBe(5);
    expect((await awarded(customer.externalId, 'SOCIAL_SHARE', 'post-4')).userErrors.map((e) => e.code)).toEqual(['CAP_REACHED']);
    t.clock.advance(3 * DAY);
    expect((await awarded(customer.externalId, 'SOCIAL_SHARE', 'post-4')).pointsAwarded).toBe(5);
    expect(await balanceOf(t, customer.externalId, currency)).toMatchObject({ available: 20 });
  });

  it('the cap holds under 10 different references at once', async () => {
    await setRule(t, { currency, kind: 'EVENT_CHECK_IN', points: 10, capPerPeriod: 3, periodDays: 30 });
    const customer = await createCustomer(t, currency);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => record(customer.externalId, 'EVENT_CHECK_IN', `event-${i}`)));
    const payloads = results.map((r) => dataOf(r).recordActivity);
    expect(payloads.filter((p) => p.pointsAwarded === 10)).toHaveLength(3);
    expect(payloads.filter((p) => p.pointsAwarded == null).map((p) => p.userErrors[0].code)).toEqual(Array(7).fill('CAP_REACHED'));
    expect(await balanceOf(t, customer.externalId, currency)).toMatchObject({ available: 30 });
  });

  it('a cap without a period is for life', async () => {
    await setRule(t, { currency, kind: 'SURVEY', points: 200, capPerPeriod: 1 });
    const customer = await createCustomer(t, currency);
    expect((await awarded(customer.externalId, 'SURVEY', 'nps-2026')).pointsAwarded).toBe(200);
    t.clock.advance(400 * DAY);
    expect((await awarded(customer.externalId, 'SURVEY', 'nps-2027')).userErrors.map((e) => e.code)).toEqual(['CAP_REACHED']);
  });

  it('a kind with rules in two currencies earns in both', async () => {
    await createCurrency(t, 'ACT_MILES', null);
    await setRule(t, { currency, kind: 'SURVEY', points: 25 });
    await setRule(t, { currency: 'ACT_MILES', kind: 'SURVEY', points: 3 });
    const customer = await createCustomer(t, currency);
    expect((await awarded(customer.externalId, 'SURVEY', 'nps-2026')).pointsAwarded).toBe(28);
    expect(await balanceOf(t, customer.externalId, currency)).toMatchObject({ available: 25 });
    expect(await balanceOf(t, customer.externalId, 'ACT_MILES')).toMatchObject({ available: 3 });
  });

  it('refuses unknown customers, kinds without an active rule, and customers who are not ACTIVE', async () => {
    const customer = await createCustomer(t, currency);
    expect(await awarded('nobody-here', 'REVIEW', 'x')).toEqual({
      pointsAwarded: null,
      userErrors: [{ code: 'NOT_FOUND', field: ['input', 'customerExternalId'], message: expect.any(String) }],
    });
    expect(await awarded(customer.externalId, 'BIRTHDAY', 'x')).toEqual({
      pointsAwarded: null,
      userErrors: [{ code: 'NOT_FOUND', field: ['input', 'kind'], message: expect.any(String) }],
    });
    await setRule(t, { currency, kind: 'BIRTHDAY', points: 10, active: false });
    expect((await awarded(customer.externalId, 'BIRTHDAY', 'x')).userErrors.map((e) => e.code)).toEqual(['NOT_FOUND']);

    ok(await t.gql(UpsertCustomerDocument, { input: { externalId: customer.externalId, status: 'SUSPENDED' } }, t.operatorToken));
    expect((await awarded(customer.externalId, 'REVIEW', 'while-suspended')).userErrors.map((e) => e.code)).toEqual(['NOT_ELIGIBLE']);
    expect((await record(customer.externalId, 'REVIEW', ' ')).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');

    const [{ activities }] = await t.sql<{ activities: number }>(
      `select count(*)::int as activities from activity a join customer c on c.id = a.customer_id where c.external_id = $1`,
      [customer.externalId],
    );
    expect(activities).toBe(0);
    expect(await balanceOf(t, customer.externalId, currency)).toMatchObject({ available: 0 });
  });
});

const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

describe('birthdaysOn (pure)', () => {
  it.each([
    ['2027-02-28T00:00:00Z', ['02-28', '02-29']],
    ['2027-02-28T23:59:59Z', ['02-28', '02-29']],
    ['2028-02-28T12:00:00Z', ['02-28']],
    ['2028-02-29T12:00:00Z', ['02-29']],
    ['2100-02-28T12:00:00Z', ['02-28', '02-29']], // not a leap year
    ['2000-02-28T12:00:00Z', ['02-28']], // a leap year
    ['2027-03-01T00:00:00Z', ['03-01']],
    ['2026-12-31T23:59:59Z', ['12-31']],
  ])('on %s (UTC)', (at, expected) => {
    expect(birthdaysOn(new Date(at))).toEqual(expected);
  });
});

/** The scheduled birthday job, driven by the test's clock, scheduler and worker. */
describe('birthday points', () => {
  let t: TestGateway;
  let partner: { apiKey: string };
  const currency = 'BDAY';

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    await createCurrency(t, currency, null);
    await setRule(t, { currency, kind: 'BIRTHDAY', points: 50 });
    partner = await newPartner(t);
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  /** Moves the test clock forward to noon UTC of a day. */
  const goTo = (year: number, month: number, day: number) => {
    const target = Date.UTC(year, month - 1, day, 12);
    expect(target).toBeGreaterThan(t.clock.now().getTime());
    t.clock.advance(target - t.clock.now().getTime());
  };
  /** What the gateway's scheduler and worker do each day. */
  const runTheDay = async () => {
    await t.jobs.scheduler.tick();
    await t.jobs.runner.runUntilIdle();
  };
  const customerBornOn = async (birthDate: string, status: 'ACTIVE' | 'SUSPENDED' = 'ACTIVE') => {
    const externalId = unique('born');
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId, birthDate, status } }, t.operatorToken));
    return externalId;
  };
  const pointsOf = async (externalIds: Record<string, string>) => {
    const rows = await t.sql<{ external_id: string; available: number }>(
      `select c.external_id, coalesce(a.available, 0)::int as available from customer c
         left join point_account a on a.customer_id = c.id and a.currency_code = $2 where c.external_id = any($1)`,
      [Object.values(externalIds), currency],
    );
    return Object.fromEntries(Object.entries(externalIds).map(([name, id]) => [name, rows.find((r) => r.external_id === id)?.available]));
  };

  it('awards ACTIVE customers on their birthday, once a year; Feb 29 birthdays on Feb 28 in other years', async () => {
    let year = t.clock.now().getUTCFullYear() + 1;
    while (isLeapYear(year)) year++;
    goTo(year, 2, 27);
    const people = {
      feb28: await customerBornOn('1990-02-28'),
      leapling: await customerBornOn('1992-02-29'),
      mar1: await customerBornOn('1990-03-01'),
      suspended: await customerBornOn('1990-02-28', 'SUSPENDED'),
      noBirthDate: await customerBornOn('1990-02-28').then(async (id) => {
        ok(await t.gql(UpsertCustomerDocument, { input: { externalId: id, birthDate: null } }, t.operatorToken));
        return id;
      }),
    };

    await runTheDay(); // Feb 27: nobody
    expect(await pointsOf(people)).toEqual({ feb28: 0, leapling: 0, mar1: 0, suspended: 0, noBirthDate: 0 });

    goTo(year, 2, 28);
    await runTheDay();
    expect(await pointsOf(people)).toEqual({ feb28: 50, leapling: 50, mar1: 0, suspended: 0, noBirthDate: 0 });
    const history = ok(await t.gql(PointHistoryDocument, { currency }, await t.customerToken(people.feb28))).me!.pointHistory.edges.map((e) => e.node);
    expect(history).toEqual([expect.objectContaining({ kind: 'EARN', amount: 50, reason: `BIRTHDAY birthday-${year}` })]);

    // the same day again: the scheduler enqueues nothing more, and a second run of the job awards nothing
    expect(await t.jobs.scheduler.tick()).toBe(0);
    await t.orm.em.fork().transactional((em) => enqueueJob(em, BIRTHDAY_JOB, { slot: Math.floor(t.clock.now().getTime() / DAY) }, { runAt: t.clock.now() }));
    expect(await t.jobs.runner.runUntilIdle()).toBe(1);
    // a partner reporting the same birthday gets the first answer and nothing more
    expect(dataOf(await t.gql(RecordActivityDocument, { customerExternalId: people.feb28, kind: 'BIRTHDAY', reference: `birthday-${year}` }, partner)).recordActivity).toEqual({
      pointsAwarded: 50,
      userErrors: [],
    });
    expect(await pointsOf(people)).toEqual({ feb28: 50, leapling: 50, mar1: 0, suspended: 0, noBirthDate: 0 });

    goTo(year, 3, 1);
    await runTheDay();
    expect(await pointsOf(people)).toEqual({ feb28: 50, leapling: 50, mar1: 50, suspended: 0, noBirthDate: 0 });

    // next year, again; in a leap year the leapling waits for Feb 29
    const next = year + 1;
    goTo(next, 2, 28);
    await runTheDay();
    expect(await pointsOf(people)).toEqual({ feb28: 100, leapling: isLeapYear(next) ? 50 : 100, mar1: 50, suspended: 0, noBirthDate: 0 });
    if (isLeapYear(next)) {
      goTo(next, 2, 29);
      await runTheDay();
    }
    goTo(next, 3, 1);
    await runTheDay();
    expect(await pointsOf(people)).toEqual({ feb28: 100, leapling: 100, mar1: 100, suspended: 0, noBirthDate: 0 });
    const references = await t.sql<{ reference: string; n: number }>(
      `select reference, count(*)::int as n from activity where kind = 'BIRTHDAY' group by reference order by reference`,
    );
    expect(references).toEqual([
      { reference: `birthday-${year}`, n: 3 },
      { reference: `birthday-${next}`, n: 3 },
    ]);
  });

  it('a customer reactivated later in the year is not awarded for a birthday that passed while suspended', async () => {
    const year = t.clock.now().getUTCFullYear() + 1;
    const suspended = await customerBornOn('1980-06-15', 'SUSPENDED');
    goTo(year, 6, 15);
    await runTheDay();
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId: suspended, status: 'ACTIVE' } }, t.operatorToken));
    goTo(year, 6, 16);
    await runTheDay();
    expect(await pointsOf({ suspended })).toEqual({ suspended: 0 });
  });

  it('a UTC day on which no gateway ran is caught up the next day: its birthdays are awarded, once (money-12)', async () => {
    const year = t.clock.now().getUTCFullYear() + 1;
    const people = { sep10: await customerBornOn('1985-09-10'), sep11: await customerBornOn('1985-09-11') };
    goTo(year, 9, 9);
    await runTheDay();
    // nothing ran on Sep 10: every gateway was down from before its midnight to after the next
    goTo(year, 9, 11);
    await runTheDay();
    expect(await pointsOf(people)).toEqual({ sep10: 50, sep11: 50 });
    goTo(year, 9, 12);
    await runTheDay();
    expect(await pointsOf(people)).toEqual({ sep10: 50, sep11: 50 });
    const references = await t.sql<{ reference: string }>(`select a.reference from activity a join customer c on c.id = a.customer_id where c.external_id = any($1)`, [
      Object.values(people),
    ]);
    expect(references).toEqual([{ reference: `birthday-${year}` }, { reference: `birthday-${year}` }]);
  });

  it("a caught-up day awards the members of that day only: who joined after it gets nothing, as on a day the job ran (break-12f)", async () => {
    const year = t.clock.now().getUTCFullYear() + 3;
    const member = await customerBornOn('1985-11-10');
    goTo(year, 11, 9);
    await runTheDay();
    // nothing ran on Nov 10; on Nov 11 someone born on Nov 10 joins, before the day is caught up
    goTo(year, 11, 11);
    const joinedAfter = await customerBornOn('1990-11-10');
    await runTheDay();
    // Nov 10 run on its day would have awarded the member and not the one who joined after it
    expect(await pointsOf({ member, joinedAfter })).toEqual({ member: 50, joinedAfter: 0 });
  });

  it('a gateway down longer than the catch-up still catches up its last seven days (break-12f)', async () => {
    const year = t.clock.now().getUTCFullYear() + 4;
    const people = { mar12: await customerBornOn('1980-03-12'), mar13: await customerBornOn('1980-03-13'), mar19: await customerBornOn('1980-03-19'), mar20: await customerBornOn('1980-03-20') };
    goTo(year, 3, 11);
    await runTheDay();
    // every gateway down from Mar 11 to Mar 20: eight days no one ran, one more than are caught up
    goTo(year, 3, 20);
    await runTheDay();
    expect(await pointsOf(people)).toEqual({ mar12: 0, mar13: 50, mar19: 50, mar20: 50 });
  });

  it('a first start does not reach back: the days before the first run of the birthday job are not run (money-12)', async () => {
    const year = t.clock.now().getUTCFullYear() + 2;
    const before = await customerBornOn('1985-10-01');
    goTo(year, 10, 3);
    await runTheDay();
    expect(await pointsOf({ before })).toEqual({ before: 0 });
  });
});

describe('an activity earning in two currencies', () => {
  it('moves the tier once, from the tier before it to the tier after it, when each of its credits crosses a threshold', async () => {
    // Its own program: tiers are the whole ladder, across currencies.
    const t = await startTestGateway();
    try {
      const partner = await newPartner(t);
      await createCurrency(t, 'DUAL_A');
      await createCurrency(t, 'DUAL_B');
      await setRule(t, { currency: 'DUAL_A', kind: 'REVIEW', points: 10 });
      await setRule(t, { currency: 'DUAL_B', kind: 'REVIEW', points: 10 });
      await createTier(t, { currency: 'DUAL_A', code: 'DUAL_SILVER', rank: 1, threshold: 10 });
      await createTier(t, { currency: 'DUAL_B', code: 'DUAL_GOLD', rank: 2, threshold: 10 });
      const customer = await createCustomer(t, 'DUAL_A');
      const answer = dataOf(await t.gql(RecordActivityDocument, { customerExternalId: customer.externalId, kind: 'REVIEW', reference: 'r-1' }, partner)).recordActivity;
      expect(answer.pointsAwarded).toBe(20);
      // DUAL_SILVER was held only between the activity's two credits: subscribers are not told of it.
      const moves = await tierMoves(t, customer.externalId);
      expect(moves).toEqual([[null, 'DUAL_GOLD']]);
      expect(ok(await t.gql(ProfileDocument, {}, customer.token)).me!.tier?.code).toBe('DUAL_GOLD');
      expect(await ledgerViolations(t)).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('the birthday job awards in batches, each committed on its own: a customer locked by a purchase holds up only their batch, not the points of the others', async () => {
    const t = await startTestGateway({ LEDGER_JOB_BATCH: '2' }, { jobs: 'manual' });
    const holder = new pg.Client({ connectionString: t.databaseUrl });
    try {
      await createCurrency(t, 'BDAY_BATCH', null);
      await setRule(t, { currency: 'BDAY_BATCH', kind: 'BIRTHDAY', points: 10 });
      const now = t.clock.now();
      const birthDate = `1990-${String(now.getUTCMonth() + 1).padStart(2, '0')}-${String(Math.min(now.getUTCDate(), 28)).padStart(2, '0')}`;
      const day = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), Math.min(now.getUTCDate(), 28));
      const born: string[] = [];
      for (let i = 0; i < 5; i++) {
        const externalId = unique('batch');
        ok(await t.gql(UpsertCustomerDocument, { input: { externalId, birthDate } }, t.operatorToken));
        // an account to lock: one point, so the birthday's 10 shows as 11
        ok(await t.gql(AdjustPointsDocument, { input: { customerExternalId: externalId, currency: 'BDAY_BATCH', amount: 1, reason: 'test', idempotencyKey: unique('k') } }, t.operatorToken));
        born.push(externalId);
      }
      const balances = async () => Promise.all(born.map(async (id) => (await balanceOf(t, id, 'BDAY_BATCH')).available));

      // The last customer's account is held by another transaction (a purchase in flight, say).
      await holder.connect();
      await holder.query('begin');
      await holder.query(`select a.id from point_account a join customer c on c.id = a.customer_id where c.external_id = $1 and a.currency_code = 'BDAY_BATCH' for update`, [born[4]]);
      await t.orm.em.fork().transactional((em) => enqueueJob(em, BIRTHDAY_JOB, { slot: Math.floor(day / DAY) }, { runAt: t.clock.now() }));
      const running = t.jobs.runner.runUntilIdle();
      // The first two batches are committed while the third waits: their customers have their points.
      await eventually(async () => (await balances()).slice(0, 4).every((points) => points === 11));
      expect((await balances())[4]).toBe(1);
      await holder.query('commit');
      expect(await running).toBe(3); // three runs of the job: 2 + 2 + 1 customers
      expect(await balances()).toEqual([11, 11, 11, 11, 11]);
      const [{ n }] = await t.sql<{ n: number }>(`select count(*)::int as n from job where kind = $1 and status = 'DONE'`, [BIRTHDAY_JOB]);
      expect(n).toBe(3);
      expect(await ledgerViolations(t)).toEqual([]);
    } finally {
      await holder.end().catch(() => undefined);
      await t.close();
    }
  });

  it('the birthday job refused for one customer (their account full) writes nothing of theirs, and still awards the others', async () => {
    const t = await startTestGateway();
    try {
      await createCurrency(t, 'BDAY_FULL');
      await setRule(t, { currency: 'BDAY_FULL', kind: 'BIRTHDAY', points: 10 });
      const now = t.clock.now();
      const birthDate = `1990-${String(now.getUTCMonth() + 1).padStart(2, '0')}-${String(Math.min(now.getUTCDate(), 28)).padStart(2, '0')}`;
      const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), Math.min(now.getUTCDate(), 28)));
      const born = async () => {
        const externalId = unique('born');
        ok(await t.gql(UpsertCustomerDocument, { input: { externalId, birthDate } }, t.operatorToken));
        return externalId;
      };
      const full = await born();
      const other = await born();
      // lifetime points 5 short of the most an account can hold: the birthday's 10 would pass it
      for (const amount of [1_000_000_000, 1_000_000_000, 147_483_642]) {
        ok(await t.gql(AdjustPointsDocument, { input: { customerExternalId: full, currency: 'BDAY_FULL', amount, reason: 'test', idempotencyKey: unique('k') } }, t.operatorToken));
      }
      const { awarded } = await t.orm.em.fork().transactional((em) => awardBirthdays(em, day, t.clock.now()));
      expect(awarded).toBe(1);
      const activities = await t.sql<{ external_id: string; points_awarded: number }>(
        `select c.external_id, a.points_awarded from activity a join customer c on c.id = a.customer_id where a.kind = 'BIRTHDAY' order by c.id`,
      );
      // the full account's customer: no birthday recorded (it earned nothing), so nothing claims otherwise
      expect(activities).toEqual([{ external_id: other, points_awarded: 10 }]);
      expect((await balanceOf(t, full, 'BDAY_FULL')).available).toBe(2_147_483_642);
      expect((await balanceOf(t, other, 'BDAY_FULL')).available).toBe(10);
      expect(await ledgerViolations(t)).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it("the birthday job refused for a full account whose write-down released points stores the tier those points reach, in the same transaction", async () => {
    // The refusal leaves the write-down (the release of the pending points) standing, since the job
    // goes on with its next customer in the same transaction: the tier it moved must be stored too.
    const t = await startTestGateway();
    try {
      const { money, currency } = await earningProgram(t, 'B', { expiryDays: null, pendingDays: 1 });
      await setRule(t, { currency, kind: 'BIRTHDAY', points: 10 });
      const held = 2_147_483_540; // + the sale's 100 pending: 7 short of the most an account can hold
      await createTier(t, { currency, code: 'BF_GOLD', rank: 1, threshold: 50 }); // lifetime points: the sale's 100 once released
      const till = await createPartner(t, ['transactions:write', 'transactions:read']);
      const customer = await createCustomer(t, currency);
      for (const amount of [1_000_000_000, 1_000_000_000, held - 2_000_000_000]) {
        const input = { customerExternalId: customer.externalId, currency, amount, qualifying: false, reason: 'test', idempotencyKey: unique('k') };
        ok(await t.gql(AdjustPointsDocument, { input }, t.operatorToken));
      }
      await processedSale(t, till, customer.externalId, money, 10); // 100 points, pending for a day
      t.clock.advance(DAY + 1_000); // released now (readers see BF_GOLD), not written down yet
      const now = t.clock.now();
      const birthDate = `1990-${String(now.getUTCMonth() + 1).padStart(2, '0')}-${String(now.getUTCDate()).padStart(2, '0')}`;
      ok(await t.gql(UpsertCustomerDocument, { input: { externalId: customer.externalId, birthDate } }, t.operatorToken));
      const tiers = () => storedAndCurrentTier(t, customer.externalId);
      expect(await tiers()).toEqual({ stored: null, now: 'BF_GOLD' });
      const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
      expect((await t.orm.em.fork().transactional((em) => awardBirthdays(em, day, t.clock.now()))).awarded).toBe(0); // refused: 10 more would pass the most
      expect(await balanceOf(t, customer.externalId, currency)).toMatchObject({ available: held + 100, lifetimeEarned: 100 });
      expect(await tiers()).toEqual({ stored: 'BF_GOLD', now: 'BF_GOLD' });
      const moves = await tierMoves(t, customer.externalId);
      expect(moves).toEqual([[null, 'BF_GOLD']]);
      expect(await ledgerViolations(t)).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
