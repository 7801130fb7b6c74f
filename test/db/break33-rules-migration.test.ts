import { Migration20261204221803 } from '../../migrations/Migration20261204221803.js';
import { runMigration } from '../support/migrations.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCurrency, unique } from '../support/program.js';

const SET_ECONOMY = `mutation SetEconomyRuleMig($input: SetEconomyRuleInput!) {
  setEconomyRule(input: $input) { rule { version pointsPerUnit } userErrors { code field message } }
}`;
const SET_ACTIVITY = `mutation SetActivityRuleMig($input: SetActivityRuleInput!) {
  setActivityRule(input: $input) { rule { version points active } userErrors { code field message } }
}`;
type Payload = { rule: { version: number } | null; userErrors: { code: string }[] };

/**
 * break33 (rules), hostile round 2: Migration20261204221803 on a database that already has rules
 * (economy rules set several times, activity rules, one switched off), as the database before it
 * had them: its down, rules set the old way (no version), its up; then sets with and without
 * expectedVersion.
 */
describe('Migration20261204221803 on a database with rules', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  const run = (direction: 'up' | 'down') => runMigration(t, Migration20261204221803, direction);
  const columns = async () =>
    (await t.sql<{ table_name: string }>(`select table_name from information_schema.columns where column_name = 'version' and table_name in ('economy_rule', 'activity_rule') order by table_name`)).map((c) => c.table_name);
  const economy = async (input: Record<string, unknown>) => (await t.gql<{ setEconomyRule: Payload }, { input: Record<string, unknown> }>(SET_ECONOMY, { input }, t.operatorToken)).data!.setEconomyRule;
  const activity = async (input: Record<string, unknown>) => (await t.gql<{ setActivityRule: Payload }, { input: Record<string, unknown> }>(SET_ACTIVITY, { input }, t.operatorToken)).data!.setActivityRule;
  const code = (p: string) => unique(p).toUpperCase().replace(/[^A-Z0-9]/g, '_').slice(0, 20);

  it('an economy rule starts at its number of sets, an activity rule at 1; later sets count on from there and the check holds; down and up again', async () => {
    const [a, b, c] = [code('MA'), code('MB'), code('MC')];
    for (const x of [a, b, c]) await createCurrency(t, x);
    // set through the API before the migration's down: a three times, b once
    for (const ppu of ['1', '2', '3']) expect(await economy({ currency: a, pointsPerUnit: ppu })).toMatchObject({ userErrors: [] });
    expect(await economy({ currency: b, pointsPerUnit: '5' })).toMatchObject({ userErrors: [] });

    await run('down');
    expect(await columns()).toEqual([]);
    // the gateway before the migration: sets of c's economy rule (twice) and activity rules, written as it wrote them
    for (const [i, ppu] of ['7', '8'].entries()) {
      await t.sql(
        `insert into economy_rule (currency_code, points_per_unit, category_multipliers, excluded_skus, rounding, pending_days, updated_at)
         values ($1, $2, '[]', '{}', 'FLOOR', 0, now()) on conflict (currency_code) do update set points_per_unit = excluded.points_per_unit, updated_at = excluded.updated_at`,
        [c, ppu],
      );
      await t.sql(
        `insert into economy_rule_version (currency_code, points_per_unit, category_multipliers, excluded_skus, rounding, pending_days, valid_from) values ($1, $2, '[]', '{}', 'FLOOR', 0, now() + ($3 || ' ms')::interval)`,
        [c, ppu, String(i)],
      );
    }
    // a set four times more of a while down
    for (let i = 0; i < 4; i++) {
      await t.sql(`update economy_rule set points_per_unit = points_per_unit + 1 where currency_code = $1`, [a]);
      await t.sql(`insert into economy_rule_version (currency_code, points_per_unit, category_multipliers, excluded_skus, rounding, pending_days, valid_from) select currency_code, points_per_unit, category_multipliers, excluded_skus, rounding, pending_days, now() + interval '1 second' * $2 from economy_rule where currency_code = $1`, [a, i + 1]);
    }
    await t.sql(
      `insert into activity_rule (currency_code, kind, points, cap_per_period, period_days, active, updated_by, created_at, updated_at)
       values ($1, 'REVIEW', 10, 5, 30, false, 'staff:old', now(), now()), ($1, 'SURVEY', 20, null, null, true, 'staff:old', now(), now())`,
      [c],
    );

    await run('up');
    expect(await columns()).toEqual(['activity_rule', 'economy_rule']);
    const versions = await t.sql<{ currency_code: string; version: number }>(`select currency_code, version from economy_rule where currency_code = any($1) order by currency_code`, [[a, b, c]]);
    expect(Object.fromEntries(versions.map((v) => [v.currency_code, v.version]))).toEqual({ [a]: 7, [b]: 1, [c]: 2 });
    const acts = await t.sql<{ kind: string; version: number; active: boolean }>(`select kind, version, active from activity_rule where currency_code = $1 order by kind`, [c]);
    expect(acts).toEqual([
      { kind: 'REVIEW', version: 1, active: false },
      { kind: 'SURVEY', version: 1, active: true },
    ]);

    // the API reads and checks these versions
    expect((await economy({ currency: a, pointsPerUnit: '9', expectedVersion: 6 })).userErrors.map((e) => e.code)).toEqual(['VERSION_CONFLICT']);
    expect(await economy({ currency: a, pointsPerUnit: '9', expectedVersion: 7 })).toMatchObject({ rule: { version: 8 }, userErrors: [] });
    expect(await economy({ currency: c, pointsPerUnit: '9' })).toMatchObject({ rule: { version: 3 }, userErrors: [] });
    expect((await activity({ currency: c, kind: 'REVIEW', points: 11, capPerPeriod: 5, periodDays: 30, active: true, expectedVersion: 0 })).userErrors.map((e) => e.code)).toEqual(['VERSION_CONFLICT']);
    expect(await activity({ currency: c, kind: 'REVIEW', points: 11, capPerPeriod: 5, periodDays: 30, active: false, expectedVersion: 1 })).toMatchObject({ rule: { version: 2, active: false }, userErrors: [] });
    const [counts] = await t.sql<{ a: number; c: number }>(
      `select (select count(*)::int from economy_rule_version where currency_code = $1) as a, (select count(*)::int from economy_rule_version where currency_code = $2) as c`,
      [a, c],
    );
    expect(counts).toEqual({ a: 8, c: 3 });
    // a version below 1 is refused by the table
    await expect(t.sql(`update economy_rule set version = 0 where currency_code = $1`, [a])).rejects.toThrow(/economy_rule_version_positive/);
    await expect(t.sql(`update activity_rule set version = 0 where currency_code = $1`, [c])).rejects.toThrow(/activity_rule_version_positive/);

    // down, then up again: versions are counted again from the version rows
    await run('down');
    expect(await columns()).toEqual([]);
    await run('up');
    const again = await t.sql<{ currency_code: string; version: number }>(`select currency_code, version from economy_rule where currency_code = any($1) order by currency_code`, [[a, b, c]]);
    expect(Object.fromEntries(again.map((v) => [v.currency_code, v.version]))).toEqual({ [a]: 8, [b]: 1, [c]: 3 });
  }, 60_000);

  it('down and up again (a release rolled back and made again) does not hand an activity rule a version it had before: a form filled then is still refused', async () => {
    const x = code('MR');
    await createCurrency(t, x);
    // the operator's form is filled from version 1 (active); another operator switches the rule off: version 2
    expect(await activity({ currency: x, kind: 'REVIEW', points: 10, expectedVersion: 0 })).toMatchObject({ rule: { version: 1 } });
    expect(await activity({ currency: x, kind: 'REVIEW', points: 10, active: false, expectedVersion: 1 })).toMatchObject({ rule: { version: 2, active: false } });
    // the release is rolled back (down) and made again (up)
    await run('down');
    await run('up');
    // the form filled from version 1 saves: it was made before the switch-off, so it must be refused
    const stale = await activity({ currency: x, kind: 'REVIEW', points: 20, active: true, expectedVersion: 1 });
    const [rule] = await t.sql<{ version: number; active: boolean }>(`select version, active from activity_rule where currency_code = $1 and kind = 'REVIEW'`, [x]);
    expect({ codes: stale.userErrors.map((e) => e.code), rule }).toEqual({ codes: ['VERSION_CONFLICT'], rule: { version: 2, active: false } });
  }, 60_000);
});
