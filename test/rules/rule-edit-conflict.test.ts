import { signToken } from '../../src/http/auth.js';
import { dataOf, expectRefusedAtTheEdge, expectRefusedWith, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCurrency, unique } from '../support/program.js';

const SET_ECONOMY = `mutation SetEconomyRuleVersioned($input: SetEconomyRuleInput!) {
  setEconomyRule(input: $input) { rule { version pointsPerUnit categoryMultipliers { category multiplier } excludedSkus } userErrors { code field message } }
}`;
const SET_ACTIVITY = `mutation SetActivityRuleVersioned($input: SetActivityRuleInput!) {
  setActivityRule(input: $input) { rule { version points capPerPeriod periodDays active } userErrors { code field message } }
}`;

type EconomyAnswer = { setEconomyRule: { rule: { version: number; pointsPerUnit: string; categoryMultipliers: { category: string; multiplier: number }[]; excludedSkus: string[] } | null; userErrors: { code: string; field: string[]; message: string }[] } };
type ActivityAnswer = { setActivityRule: { rule: { version: number; points: number; capPerPeriod: number | null; periodDays: number | null; active: boolean } | null; userErrors: { code: string; field: string[]; message: string }[] } };

/**
 * break33 (rules): `setEconomyRule` and `setActivityRule` replace a whole rule, and the console's
 * forms set it from what they read: a set made from a stale read wrote its values back over another
 * operator's (the COFFEE ×2 multiplier wiped, a rule switched off switched back on). Each rule now
 * has a `version`, and a set may name the one it was made from (`expectedVersion`, 0: no rule yet):
 * made from another, it is refused VERSION_CONFLICT and writes nothing.
 */
describe('setEconomyRule and setActivityRule refuse a set made from a rule that is no longer current', () => {
  let t: TestGateway;
  let second: string;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    second = await signToken(t.config, { sub: 'staff-second', role: 'operator' });
  });
  afterAll(() => t.close());

  const newCurrency = async () => {
    const code = unique('RV').toUpperCase().replace(/[^A-Z0-9]/g, '_').slice(0, 20);
    await createCurrency(t, code);
    return code;
  };
  const economy = (input: Record<string, unknown>, token = t.operatorToken) => t.gql<EconomyAnswer, { input: Record<string, unknown> }>(SET_ECONOMY, { input }, token);
  const activity = (input: Record<string, unknown>, token = t.operatorToken) => t.gql<ActivityAnswer, { input: Record<string, unknown> }>(SET_ACTIVITY, { input }, token);
  const economyNow = async (code: string) =>
    (await t.sql<{ version: number; points_per_unit: string; category_multipliers: unknown; versions: number }>(
      `select r.version, r.points_per_unit::text, r.category_multipliers, (select count(*)::int from economy_rule_version v where v.currency_code = r.currency_code) as versions
         from economy_rule r where r.currency_code = $1`,
      [code],
    ))[0];
  const activityNow = async (code: string) =>
    (await t.sql<{ version: number; points: number; active: boolean }>(`select version, points::int, active from activity_rule where currency_code = $1 and kind = 'REVIEW'`, [code]))[0];

  it('economy: the second of two operators setting from version 1 is refused, and the first one’s rule (its multipliers) stays', async () => {
    const code = await newCurrency();
    const made = ok(await economy({ currency: code, pointsPerUnit: '1', categoryMultipliers: [{ category: 'COFFEE', multiplier: 2 }] })).setEconomyRule;
    expect(made.rule).toMatchObject({ version: 1 });
    const first = ok(await economy({ currency: code, pointsPerUnit: '1', categoryMultipliers: [{ category: 'COFFEE', multiplier: 3 }], expectedVersion: 1 })).setEconomyRule;
    expect(first).toMatchObject({ rule: { version: 2, categoryMultipliers: [{ category: 'COFFEE', multiplier: 3 }] }, userErrors: [] });

    // the second operator's form, filled at version 1, raises the points per unit and sends version 1's multipliers
    await expectRefusedWith(
      t,
      () => economy({ currency: code, pointsPerUnit: '2', categoryMultipliers: [{ category: 'COFFEE', multiplier: 2 }], expectedVersion: 1 }, second),
      'setEconomyRule',
      'VERSION_CONFLICT',
      ['input', 'expectedVersion'],
      /economy rule of .* was set by someone else since this was made from version 1: it is now version 2, and nothing was saved/,
    );
    expect(await economyNow(code)).toMatchObject({ version: 2, points_per_unit: '1.0000', category_multipliers: [{ category: 'COFFEE', multiplier: 3 }], versions: 2 });

    // read again, the same change made on version 2 is written
    const again = ok(await economy({ currency: code, pointsPerUnit: '2', categoryMultipliers: [{ category: 'COFFEE', multiplier: 3 }], expectedVersion: 2 }, second)).setEconomyRule;
    expect(again).toMatchObject({ rule: { version: 3, pointsPerUnit: '2.0000' }, userErrors: [] });
    // the audit entry says which version the set was made from; one without it says nothing of it
    const details = await t.sql<{ details: Record<string, unknown> }>(`select details from audit_entry where action = 'setEconomyRule' and details->>'currency' = $1 order by id`, [code]);
    expect(details.map((d) => d.details.expectedVersion ?? null)).toEqual([null, 1, 2]);
    expect('expectedVersion' in details[0].details).toBe(false);
  });

  it('activity: a set from the rule as read before another operator switched it off is refused, and the rule stays off', async () => {
    const code = await newCurrency();
    ok(await activity({ currency: code, kind: 'REVIEW', points: 10, capPerPeriod: 5, periodDays: 30 }));
    const off = ok(await activity({ currency: code, kind: 'REVIEW', points: 10, capPerPeriod: 5, periodDays: 30, active: false, expectedVersion: 1 })).setActivityRule;
    expect(off).toMatchObject({ rule: { version: 2, active: false }, userErrors: [] });
    await expectRefusedWith(
      t,
      () => activity({ currency: code, kind: 'REVIEW', points: 20, capPerPeriod: 5, periodDays: 30, active: true, expectedVersion: 1 }, second),
      'setActivityRule',
      'VERSION_CONFLICT',
      ['input', 'expectedVersion'],
      /REVIEW rule of .* was set by someone else since this was made from version 1: it is now version 2, and nothing was saved/,
    );
    expect(await activityNow(code)).toEqual({ version: 2, points: 10, active: false });
  });

  it('of sets sent at once from one version, exactly one is written (real parallel requests), for both rules, a rule not yet made included', async () => {
    const n = 8;
    const code = await newCurrency();
    ok(await economy({ currency: code, pointsPerUnit: '1' }));
    const economyAnswers = await Promise.all(Array.from({ length: n }, (_, i) => economy({ currency: code, pointsPerUnit: String(i + 2), expectedVersion: 1 }, i % 2 ? second : t.operatorToken)));
    const economyPayloads = economyAnswers.map((a) => dataOf(a).setEconomyRule);
    const economyWritten = economyPayloads.filter((p) => p.rule);
    expect(economyWritten).toHaveLength(1);
    expect(economyWritten[0].rule).toMatchObject({ version: 2 });
    expect(economyPayloads.filter((p) => p.userErrors[0]?.code === 'VERSION_CONFLICT')).toHaveLength(n - 1);
    expect(await economyNow(code)).toMatchObject({ version: 2, points_per_unit: economyWritten[0].rule!.pointsPerUnit, versions: 2 });

    // activity: from "no rule yet" (0), then from version 1
    for (const expectedVersion of [0, 1]) {
      const answers = await Promise.all(Array.from({ length: n }, (_, i) => activity({ currency: code, kind: 'REVIEW', points: 10 + i, expectedVersion }, i % 2 ? second : t.operatorToken)));
      const payloads = answers.map((a) => dataOf(a).setActivityRule);
      const written = payloads.filter((p) => p.rule);
      expect(written).toHaveLength(1);
      expect(written[0].rule).toMatchObject({ version: expectedVersion + 1 });
      expect(payloads.filter((p) => p.userErrors[0]?.code === 'VERSION_CONFLICT')).toHaveLength(n - 1);
      expect(await activityNow(code)).toMatchObject({ version: expectedVersion + 1, points: written[0].rule!.points });
    }
    const [{ audits }] = await t.sql<{ audits: number }>(`select count(*)::int as audits from audit_entry where action in ('setEconomyRule', 'setActivityRule') and details->>'currency' = $1`, [code]);
    expect(audits).toBe(1 + 1 + 2);
  });

  it('checked and unchecked sets sent at once: every checked one made from the version before an unchecked one is refused', async () => {
    const code = await newCurrency();
    ok(await activity({ currency: code, kind: 'REVIEW', points: 10 }));
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 ? activity({ currency: code, kind: 'REVIEW', points: 100 + i }) : activity({ currency: code, kind: 'REVIEW', points: 200 + i, expectedVersion: 1 }, second))),
    );
    const payloads = answers.map((a) => dataOf(a).setActivityRule);
    const checkedWritten = payloads.filter((p, i) => i % 2 === 0 && p.rule);
    // at most one checked set is written, and only as the first of all (version 2)
    expect(checkedWritten.length).toBeLessThanOrEqual(1);
    if (checkedWritten.length) expect(checkedWritten[0].rule).toMatchObject({ version: 2 });
    const written = payloads.filter((p) => p.rule).length;
    expect(await activityNow(code)).toMatchObject({ version: 1 + written });
    expect(written).toBe(4 + checkedWritten.length);
  });

  it('without expectedVersion a set replaces the current rule, as before (the version still counts)', async () => {
    const code = await newCurrency();
    ok(await economy({ currency: code, pointsPerUnit: '1' }));
    const last = ok(await economy({ currency: code, pointsPerUnit: '3', expectedVersion: null }, second)).setEconomyRule;
    expect(last).toMatchObject({ rule: { version: 2, pointsPerUnit: '3.0000' }, userErrors: [] });
    ok(await activity({ currency: code, kind: 'REVIEW', points: 10, active: false }));
    const on = ok(await activity({ currency: code, kind: 'REVIEW', points: 10 }, second)).setActivityRule;
    expect(on).toMatchObject({ rule: { version: 2, active: true }, userErrors: [] });
  });

  it('expectedVersion 0 creates a rule not yet made, and is refused once one is', async () => {
    const code = await newCurrency();
    expect(ok(await economy({ currency: code, pointsPerUnit: '1', expectedVersion: 0 })).setEconomyRule).toMatchObject({ rule: { version: 1 }, userErrors: [] });
    expect(ok(await activity({ currency: code, kind: 'REVIEW', points: 10, expectedVersion: 0 })).setActivityRule).toMatchObject({ rule: { version: 1 }, userErrors: [] });
    await expectRefusedWith(t, () => economy({ currency: code, pointsPerUnit: '5', expectedVersion: 0 }, second), 'setEconomyRule', 'VERSION_CONFLICT', ['input', 'expectedVersion'], /since this was made when it had no rule: it is now version 1, and nothing was saved/);
    await expectRefusedWith(t, () => activity({ currency: code, kind: 'REVIEW', points: 50, expectedVersion: 0 }, second), 'setActivityRule', 'VERSION_CONFLICT', ['input', 'expectedVersion'], /since this was made when it had no rule: it is now version 1/);
    // a version the rule never had, or a rule that does not exist yet, is a conflict too
    await expectRefusedWith(t, () => economy({ currency: code, pointsPerUnit: '5', expectedVersion: 7 }), 'setEconomyRule', 'VERSION_CONFLICT', ['input', 'expectedVersion'], /from version 7: it is now version 1/);
    await expectRefusedWith(t, () => activity({ currency: code, kind: 'SURVEY', points: 5, expectedVersion: 1 }), 'setActivityRule', 'VERSION_CONFLICT', ['input', 'expectedVersion'], /from version 1: it has no rule now/);
  });

  it('a version below 0, or not a 32-bit integer, is refused at the edge', async () => {
    const code = await newCurrency();
    ok(await economy({ currency: code, pointsPerUnit: '1' }));
    await expectRefusedAtTheEdge(t, () => economy({ currency: code, pointsPerUnit: '2', expectedVersion: -1 }), 'input.expectedVersion', /expectedVersion/);
    await expectRefusedAtTheEdge(t, () => activity({ currency: code, kind: 'REVIEW', points: 10, expectedVersion: -1 }), 'input.expectedVersion', /expectedVersion/);
    for (const bad of [1.5, 2 ** 31, '1']) {
      const res = await economy({ currency: code, pointsPerUnit: '2', expectedVersion: bad });
      expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    }
    expect(await economyNow(code)).toMatchObject({ version: 1, points_per_unit: '1.0000' });
  });
});
