import { birthdayYearAt } from '../../src/activities/activity-limits.js';
import {
  CreatePartnerDocument,
  RecordActivityDocument,
  SetActivityRuleDocument,
  UpsertCustomerDocument,
  type ActivityKind,
  type SetActivityRuleInput,
} from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCurrency, unique } from '../support/program.js';

const DAY = 86_400_000;

/**
 * Issue 7, kind 4: each activity kind keeps the limit its meaning implies, whoever reports it and
 * however the reference is spelled, also when the reports arrive at once.
 */
describe('activities keep their natural limits', () => {
  let t: TestGateway;
  let partner: { apiKey: string };
  let otherPartner: { apiKey: string };
  const currency = 'NAT';

  const newPartner = async () => ({
    apiKey: ok(await t.gql(CreatePartnerDocument, { input: { name: unique('partner'), scopes: ['activities:write'] } }, t.operatorToken)).createPartner.apiKey!,
  });
  const setRule = async (input: Omit<SetActivityRuleInput, 'currency'>) => ok(await t.gql(SetActivityRuleDocument, { input: { currency, ...input } }, t.operatorToken));
  const customer = async (extra: { birthDate?: string | null } = {}) => {
    const externalId = unique('nat');
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId, name: externalId, ...extra } }, t.operatorToken));
    return externalId;
  };
  const report = async (customerExternalId: string, kind: ActivityKind, reference: string, by = partner) =>
    dataOf(await t.gql(RecordActivityDocument, { customerExternalId, kind, reference }, by)).recordActivity;
  const codes = (results: { pointsAwarded?: number | null; userErrors: { code: string }[] }[]) =>
    results.map((r) => (r.pointsAwarded != null ? r.pointsAwarded : r.userErrors.map((e) => e.code).join()));
  const pointsOf = async (externalId: string) => {
    const [row] = await t.sql<{ available: number; activities: number; entries: number }>(
      `select coalesce((select a.available from point_account a where a.customer_id = c.id and a.currency_code = $2), 0)::int as available,
              (select count(*) from activity x where x.customer_id = c.id)::int as activities,
              (select count(*) from ledger_entry e where e.customer_id = c.id)::int as entries
         from customer c where c.external_id = $1`,
      [externalId, currency],
    );
    return row;
  };
  /** Noon UTC of a day after the clock's now. */
  const goTo = (isoDay: string) => {
    const target = Date.parse(`${isoDay}T12:00:00Z`);
    expect(target).toBeGreaterThan(t.clock.now().getTime());
    t.clock.advance(target - t.clock.now().getTime());
  };
  const runTheDay = async () => {
    await t.jobs.scheduler.tick();
    await t.jobs.runner.runUntilIdle();
  };

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    await createCurrency(t, currency, null);
    partner = await newPartner();
    otherPartner = await newPartner();
    await setRule({ kind: 'BIRTHDAY', points: 100 });
    await setRule({ kind: 'SIGN_UP', points: 50 });
    await setRule({ kind: 'REFERRAL', points: 200 });
    await setRule({ kind: 'REVIEW', points: 10 });
  });
  afterEach(async () => {
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  describe('BIRTHDAY', () => {
    it('a customer with no birth date earns nothing, whatever references a partner reports (x1…x10)', async () => {
      const noBirthDate = await customer();
      const results = [];
      for (let i = 1; i <= 10; i++) results.push(await report(noBirthDate, 'BIRTHDAY', `x${i}`));
      expect(results).toEqual(
        Array(10).fill({ pointsAwarded: null, userErrors: [{ code: 'NOT_ELIGIBLE', field: ['input', 'kind'], message: expect.stringMatching(/birth date/) }] }),
      );
      expect(await pointsOf(noBirthDate)).toEqual({ available: 0, activities: 0, entries: 0 });
    });

    it('only around the birth date, and once a year: ten references, sent in turn or at once, earn once', async () => {
      const year = t.clock.now().getUTCFullYear() + 1;
      goTo(`${year}-04-09`);
      const sequential = await customer({ birthDate: '1990-04-10' });
      const parallel = await customer({ birthDate: '1985-04-10' });
      const notToday = await customer({ birthDate: '1990-04-12' });

      const inTurn = [];
      for (let i = 1; i <= 10; i++) inTurn.push(await report(sequential, 'BIRTHDAY', `x${i}`));
      expect(codes(inTurn)).toEqual([100, ...Array(9).fill('LIMIT_REACHED')]);
      const atOnce = await Promise.all(Array.from({ length: 10 }, (_, i) => report(parallel, 'BIRTHDAY', `x${i + 1}`)));
      expect(codes(atOnce).sort()).toEqual([100, ...Array(9).fill('LIMIT_REACHED')].sort());
      // two days before the birth date: not yet
      expect(codes([await report(notToday, 'BIRTHDAY', 'x1')])).toEqual(['NOT_ELIGIBLE']);

      // on the day itself and the day after, still this year's: nothing more
      goTo(`${year}-04-11`);
      expect(codes([await report(sequential, 'BIRTHDAY', 'day-after')])).toEqual(['LIMIT_REACHED']);
      // a repeat of the awarded reference, spelled differently, answers the first result
      expect(codes([await report(sequential, 'BIRTHDAY', '  X1 ')])).toEqual([100]);
      expect(await pointsOf(sequential)).toEqual({ available: 100, activities: 1, entries: 1 });
      expect(await pointsOf(parallel)).toEqual({ available: 100, activities: 1, entries: 1 });
      expect(await pointsOf(notToday)).toEqual({ available: 0, activities: 0, entries: 0 });

      // next year, once more
      goTo(`${year + 1}-04-10`);
      expect(codes([await report(sequential, 'BIRTHDAY', 'x1'), await report(sequential, 'BIRTHDAY', 'x2')])).toEqual([100, 'LIMIT_REACHED']);
    });

    it('the birthday job and a partner share one award a year, in either order', async () => {
      const year = t.clock.now().getUTCFullYear() + 1;
      goTo(`${year}-06-14`);
      const reportedFirst = await customer({ birthDate: '1970-06-15' });
      const jobFirst = await customer({ birthDate: '1971-06-15' });
      // the partner's customer is in a time zone where the birthday has begun (UTC day before)
      expect(codes([await report(reportedFirst, 'BIRTHDAY', 'party-1', otherPartner)])).toEqual([100]);

      goTo(`${year}-06-15`);
      await runTheDay();
      expect(await pointsOf(reportedFirst)).toEqual({ available: 100, activities: 1, entries: 1 });
      expect(await pointsOf(jobFirst)).toEqual({ available: 100, activities: 1, entries: 1 });
      expect(codes([await report(jobFirst, 'BIRTHDAY', 'x1')])).toEqual(['LIMIT_REACHED']);
      expect(await pointsOf(jobFirst)).toEqual({ available: 100, activities: 1, entries: 1 });
    });
  });

  it('SIGN_UP: once per customer ever, whatever the reference or partner, also at once', async () => {
    const inTurn = await customer();
    expect(codes([await report(inTurn, 'SIGN_UP', 'app'), await report(inTurn, 'SIGN_UP', 'web', otherPartner), await report(inTurn, 'SIGN_UP', ' APP ')])).toEqual([
      50,
      'LIMIT_REACHED',
      50, // the first report again: its answer, nothing more
    ]);
    const atOnce = await customer();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => report(atOnce, 'SIGN_UP', `channel-${i}`, i % 2 ? partner : otherPartner)));
    expect(codes(results).filter((c) => c === 50)).toHaveLength(1);
    expect(await pointsOf(inTurn)).toEqual({ available: 50, activities: 1, entries: 1 });
    expect(await pointsOf(atOnce)).toEqual({ available: 50, activities: 1, entries: 1 });
  });

  it('REFERRAL: the reference is the referred customer, who exists, is not the referrer, and is referred once', async () => {
    const [ann, bob, cy, newcomer] = [await customer(), await customer(), await customer(), await customer()];
    expect(await report(ann, 'REFERRAL', 'nobody-we-know')).toEqual({
      pointsAwarded: null,
      userErrors: [{ code: 'NOT_FOUND', field: ['input', 'reference'], message: expect.any(String) }],
    });
    expect(await report(ann, 'REFERRAL', ann)).toEqual({ pointsAwarded: null, userErrors: [{ code: 'INVALID', field: ['input', 'reference'], message: expect.any(String) }] });

    // three referrers claim the newcomer at once: one earns
    const claims = await Promise.all([ann, bob, cy].map((referrer) => report(referrer, 'REFERRAL', ` ${newcomer} `)));
    expect(codes(claims).sort()).toEqual([200, 'LIMIT_REACHED', 'LIMIT_REACHED'].sort());
    const totals = await Promise.all([ann, bob, cy].map(async (id) => (await pointsOf(id)).available));
    expect([...totals].sort()).toEqual([0, 0, 200]);
    // the winner's repeat answers its first result; nobody earns twice
    const winner = [ann, bob, cy][totals.indexOf(200)];
    expect(codes([await report(winner, 'REFERRAL', newcomer)])).toEqual([200]);
    expect((await pointsOf(winner)).entries).toBe(1);
  });

  describe('REFERRAL cannot go round in a circle (edges-10: two customers each referred the other and both earned)', () => {
    const cycle = { pointsAwarded: null, userErrors: [{ code: 'INVALID', field: ['input', 'reference'], message: expect.stringMatching(/cannot go round in a circle/) }] };

    it('B, referred by A, cannot refer A back: INVALID, nothing written', async () => {
      const [ann, bob] = [await customer(), await customer()];
      expect(codes([await report(ann, 'REFERRAL', bob)])).toEqual([200]);
      const before = await pointsOf(bob);
      expect(await report(bob, 'REFERRAL', ann)).toEqual(cycle);
      expect(await pointsOf(bob)).toEqual(before);
      // by another partner, or the id spelled with spaces: the same customer, the same refusal
      expect(await report(bob, 'REFERRAL', ` ${ann} `, otherPartner)).toEqual(cycle);
      expect(await pointsOf(bob)).toEqual(before);
    });

    it('nor can a longer chain close: A→B→C, then C→A is INVALID; C may still refer someone new', async () => {
      const [ann, bob, cy, dee] = [await customer(), await customer(), await customer(), await customer()];
      expect(codes([await report(ann, 'REFERRAL', bob), await report(bob, 'REFERRAL', cy)])).toEqual([200, 200]);
      expect(await report(cy, 'REFERRAL', ann)).toEqual(cycle);
      expect(await report(cy, 'REFERRAL', bob)).toEqual(cycle);
      expect(codes([await report(cy, 'REFERRAL', dee)])).toEqual([200]);
      expect(await pointsOf(cy)).toEqual({ available: 200, activities: 1, entries: 1 });
    });

    it('A→B and B→A sent at the same time: exactly one of each pair earns (20 requests in parallel)', async () => {
      const pairs = await Promise.all(Array.from({ length: 10 }, async () => [await customer(), await customer()] as const));
      const results = await Promise.all(pairs.flatMap(([a, b]) => [report(a, 'REFERRAL', b), report(b, 'REFERRAL', a, otherPartner)]));
      for (let i = 0; i < pairs.length; i++) {
        const pair = codes(results.slice(2 * i, 2 * i + 2));
        expect(pair.sort()).toEqual([200, 'INVALID']);
      }
      const [{ n }] = await t.sql<{ n: number }>(
        `select count(*)::int as n from activity x join activity y on x.customer_id = y.referred_customer_id and y.customer_id = x.referred_customer_id where x.kind = 'REFERRAL'`,
      );
      expect(n).toBe(0);
    });

    it('a three-customer ring sent at the same time: at most two of the three earn', async () => {
      for (let round = 0; round < 5; round++) {
        const [a, b, c] = [await customer(), await customer(), await customer()];
        const results = await Promise.all([report(a, 'REFERRAL', b), report(b, 'REFERRAL', c, otherPartner), report(c, 'REFERRAL', a)]);
        expect(codes(results).sort()).toEqual([200, 200, 'INVALID']);
      }
    });
  });

  it('REFERRAL of a customer whose externalId is stored decomposed (NFD) or with spaces: found by the id as stored, and as normalised', async () => {
    // hostile pass 6: the reference was only ever looked up normalised (NFC, trimmed), so these
    // customers, whose ids the retailer gave exactly so, could never be referred
    const stored = [`zoe\u0308-${unique('nfd')}`, ` ${unique('spaced')} `];
    for (const externalId of stored) ok(await t.gql(UpsertCustomerDocument, { input: { externalId, name: 'referred' } }, t.operatorToken));
    const [ann, bob] = [await customer(), await customer()];
    expect(codes([await report(ann, 'REFERRAL', stored[0])])).toEqual([200]);
    expect(codes([await report(bob, 'REFERRAL', stored[1])])).toEqual([200]);
    // still once per referred customer
    expect(codes([await report(bob, 'REFERRAL', stored[0])])).toEqual(['LIMIT_REACHED']);
    const referred = await t.sql<{ n: number }>(`select count(distinct referred_customer_id)::int as n from activity where kind = 'REFERRAL' and referred_customer_id in (select id from customer where external_id = any($1))`, [stored]);
    expect(referred).toEqual([{ n: 2 }]);
  });

  it('REFERRAL of two customers whose externalIds differ only in case: two referrals, each earned once', async () => {
    // hostile-18: references were case-folded for every kind, so the second was taken for a repeat
    // of the first: answered "200 points", nothing credited, and the second friend left unreferred
    const friend = unique('Friend');
    const [upper, lower] = [friend.toUpperCase(), friend.toLowerCase()];
    for (const externalId of [upper, lower]) ok(await t.gql(UpsertCustomerDocument, { input: { externalId, name: 'friend' } }, t.operatorToken));
    const ann = await customer();
    expect(codes([await report(ann, 'REFERRAL', upper), await report(ann, 'REFERRAL', lower)])).toEqual([200, 200]);
    expect(await pointsOf(ann)).toEqual({ available: 400, activities: 2, entries: 2 });
    // a repeat of either answers it, and nothing more is earned
    expect(codes([await report(ann, 'REFERRAL', ` ${lower} `), await report(ann, 'REFERRAL', upper)])).toEqual([200, 200]);
    expect(await pointsOf(ann)).toEqual({ available: 400, activities: 2, entries: 2 });
    // a spelling that is no customer is no repeat of one that is
    const onlyUpper = unique('Solo').toUpperCase();
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId: onlyUpper, name: 'solo' } }, t.operatorToken));
    expect(codes([await report(ann, 'REFERRAL', onlyUpper), await report(ann, 'REFERRAL', onlyUpper.toLowerCase())])).toEqual([200, 'NOT_FOUND']);
    // the ledger names each referred customer by their id, as the retailer spells it
    const reasons = await t.sql<{ reason: string }>(`select e.reason from ledger_entry e join customer c on c.id = e.customer_id where c.external_id = $1 order by e.id`, [ann]);
    expect(reasons.map((r) => r.reason)).toEqual([`REFERRAL ${upper}`, `REFERRAL ${lower}`, `REFERRAL ${onlyUpper}`]);
  });

  it('REVIEW: once per reviewed item; references are trimmed, case-folded and NFC-normalised before they count', async () => {
    const reviewer = await customer();
    const spellings = ['Café-Latte', ' café-latte', 'CAFÉ-LATTE ', 'cafe\u0301-latte' /* NFD */, 'CAFE\u0301-LATTE'];
    const results = [];
    for (const reference of spellings) results.push(await report(reviewer, 'REVIEW', reference));
    expect(codes(results)).toEqual(Array(spellings.length).fill(10));
    expect(codes([await report(reviewer, 'REVIEW', 'Straße'), await report(reviewer, 'REVIEW', 'STRASSE')])).toEqual([10, 10]);
    expect(await pointsOf(reviewer)).toEqual({ available: 20, activities: 2, entries: 2 });
    const references = await t.sql<{ reference: string }>(
      `select a.reference from activity a join customer c on c.id = a.customer_id where c.external_id = $1 order by a.id`,
      [reviewer],
    );
    expect(references.map((r) => r.reference)).toEqual(['café-latte', 'strasse']);
  });

  it('a cap holds under 20 different references at once: exactly capPerPeriod awards', async () => {
    await setRule({ kind: 'SOCIAL_SHARE', points: 7, capPerPeriod: 3, periodDays: 1 });
    const sharer = await customer();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => report(sharer, 'SOCIAL_SHARE', `post-${i}`, i % 2 ? partner : otherPartner)));
    expect(codes(results).filter((c) => c === 7)).toHaveLength(3);
    expect(codes(results).filter((c) => c === 'CAP_REACHED')).toHaveLength(17);
    expect(await pointsOf(sharer)).toEqual({ available: 21, activities: 3, entries: 3 });
    t.clock.advance(DAY + 1_000);
    expect(codes([await report(sharer, 'SOCIAL_SHARE', 'post-19')])).toEqual([7]);
  });
});

describe('birthdayYearAt (pure): the UTC day of the birthday and the day either side', () => {
  it.each([
    ['04-10', '2027-04-09T00:00:00Z', 2027],
    ['04-10', '2027-04-10T23:59:59Z', 2027],
    ['04-10', '2027-04-11T23:59:59Z', 2027],
    ['04-10', '2027-04-12T00:00:00Z', null],
    ['04-10', '2027-04-08T23:59:59Z', null],
    ['01-01', '2026-12-31T10:00:00Z', 2027], // already New Year's Day east of UTC
    ['12-31', '2027-01-01T10:00:00Z', 2026],
    ['02-29', '2027-02-28T12:00:00Z', 2027], // on Feb 28 outside leap years
    ['02-29', '2027-03-01T12:00:00Z', 2027],
    ['02-29', '2027-03-02T12:00:00Z', null],
    ['02-29', '2028-02-28T12:00:00Z', 2028],
    ['02-29', '2028-03-01T12:00:00Z', 2028],
    ['02-29', '2028-02-27T12:00:00Z', null],
  ])('born on %s, at %s: %s', (mmdd, at, expected) => {
    const [month, day] = mmdd.split('-').map(Number);
    expect(birthdayYearAt({ month, day }, new Date(at))).toBe(expected);
  });
});
