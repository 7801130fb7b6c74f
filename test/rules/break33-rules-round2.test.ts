import { signToken } from '../../src/http/auth.js';
import { AuditLogDocument, RecordActivityDocument, SetActivityRuleDocument, SetEconomyRuleDocument, SubmitTransactionDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCurrency, createCustomer, createPartner, eventually, unique } from '../support/program.js';
import { CreateCurrencyDocument } from '../generated/graphql.js';

const SET_ECONOMY = `mutation SetEconomyRuleR2($input: SetEconomyRuleInput!) {
  setEconomyRule(input: $input) { rule { version pointsPerUnit } userErrors { code field message } }
}`;
const SET_ACTIVITY = `mutation SetActivityRuleR2($input: SetActivityRuleInput!) {
  setActivityRule(input: $input) { rule { version points active } userErrors { code field message } }
}`;
type Payload<R> = { rule: R | null; userErrors: { code: string; field: string[]; message: string }[] };
type EconomyAnswer = { setEconomyRule: Payload<{ version: number; pointsPerUnit: string }> };
type ActivityAnswer = { setActivityRule: Payload<{ version: number; points: number; active: boolean }> };

const timed = async <T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> => {
  const start = performance.now();
  const value = await f();
  return { value, ms: Math.round(performance.now() - start) };
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * break33 (rules), hostile round 2: real parallel requests against the rule sets' version check
 * and the currency lock they take, the contract's documents as written, and the audit log.
 */
describe('rule sets, round 2: races, locks and the contract', () => {
  let t: TestGateway;
  let second: string;
  let till: Awaited<ReturnType<typeof createPartner>>;
  let reporter: Awaited<ReturnType<typeof createPartner>>;
  const figures: Record<string, unknown> = {};
  beforeAll(async () => {
    t = await startTestGateway();
    second = await signToken(t.config, { sub: 'staff-second', role: 'operator' });
    till = await createPartner(t, ['transactions:write', 'transactions:read']);
    reporter = await createPartner(t, ['activities:write']);
  });
  afterAll(async () => {
    // eslint-disable-next-line no-console
    console.log('break33-rules-round2 figures', JSON.stringify(figures));
    await t.close();
  });
  afterEach(async () => {
    expect(await ledgerViolations(t)).toEqual([]);
  });

  const newCode = (prefix: string) => unique(prefix).toUpperCase().replace(/[^A-Z0-9]/g, '_').slice(0, 20);
  const newCurrency = async (prefix = 'R2') => {
    const code = newCode(prefix);
    await createCurrency(t, code);
    return code;
  };
  const economy = (input: Record<string, unknown>, token = t.operatorToken) => t.gql<EconomyAnswer, { input: Record<string, unknown> }>(SET_ECONOMY, { input }, token);
  const activity = (input: Record<string, unknown>, token = t.operatorToken) => t.gql<ActivityAnswer, { input: Record<string, unknown> }>(SET_ACTIVITY, { input }, token);
  const economyState = async (code: string) =>
    (
      await t.sql<{ version: number | null; versions: number; audits: number }>(
        `select (select version from economy_rule where currency_code = $1) as version,
                (select count(*)::int from economy_rule_version where currency_code = $1) as versions,
                (select count(*)::int from audit_entry where action = 'setEconomyRule' and details->>'currency' = $1) as audits`,
        [code],
      )
    )[0];
  const sale = (customerExternalId: string, amount: number) =>
    t.gql(
      SubmitTransactionDocument,
      {
        input: {
          externalId: unique('sale'),
          customerExternalId,
          occurredAt: t.clock.now().toISOString(),
          currency: 'EUR',
          lines: [{ sku: 'BEANS', category: 'RETAIL', quantity: 1, unitPrice: amount.toFixed(2) }],
        },
      },
      till.credential,
    );

  it('unchecked sets racing sales being submitted and processed: one version row and one audit entry per set, every sale earns by one of the rules set, nothing waits on the lock', async () => {
    const code = await newCurrency('RS');
    ok(await economy({ currency: code, pointsPerUnit: '1' }));
    const customers = await Promise.all(Array.from({ length: 6 }, () => createCustomer(t, code)));
    // a baseline: the same burst of sales with no set
    const alone = await Promise.all(Array.from({ length: 18 }, (_, i) => timed(() => sale(customers[i % customers.length].externalId, 10))));
    for (const s of alone) ok(s.value);
    const sets = Array.from({ length: 8 }, (_, i) => timed(() => economy({ currency: code, pointsPerUnit: String(i + 2) }, i % 2 ? second : t.operatorToken)));
    const sales = Array.from({ length: 18 }, (_, i) => timed(() => sale(customers[i % customers.length].externalId, 10)));
    const [setAnswers, saleAnswers] = await Promise.all([Promise.all(sets), Promise.all(sales)]);
    for (const s of setAnswers) expect(dataOf(s.value).setEconomyRule.userErrors).toEqual([]);
    for (const s of saleAnswers) ok(s.value);
    expect(new Set(setAnswers.map((s) => dataOf(s.value).setEconomyRule.rule!.version))).toEqual(new Set([2, 3, 4, 5, 6, 7, 8, 9]));
    expect(await economyState(code)).toEqual({ version: 9, versions: 9, audits: 9 });
    // valid_from never goes back with the id (the lock orders the sets)
    const rows = await t.sql<{ ok: boolean }>(
      `select bool_and(valid_from >= prev) as ok from (select valid_from, lag(valid_from) over (order by id) as prev from economy_rule_version where currency_code = $1) x where prev is not null`,
      [code],
    );
    expect(rows[0].ok).toBe(true);
    await eventually(async () => {
      const [{ pending }] = await t.sql<{ pending: number }>(
        `select count(*)::int as pending from sales_transaction s join customer c on c.id = s.customer_id where c.external_id = any($1) and s.status <> 'PROCESSED'`,
        [customers.map((c) => c.externalId)],
      );
      return pending === 0;
    }, 30_000);
    const earned = await t.sql<{ points: number }>(
      `select coalesce(sum(a.points), 0)::int as points from sales_transaction s join customer c on c.id = s.customer_id
         left join transaction_award a on a.transaction_id = s.id and a.currency_code = $2
        where c.external_id = any($1) group by s.id`,
      [customers.map((c) => c.externalId), code],
    );
    expect(earned).toHaveLength(36);
    for (const e of earned) expect([10, 20, 30, 40, 50, 60, 70, 80, 90]).toContain(e.points);
    figures.setsRacingSales = { saleSubmitMsMedianAlone: median(alone.map((s) => s.ms)), setMsMedian: median(setAnswers.map((s) => s.ms)), setMsMax: Math.max(...setAnswers.map((s) => s.ms)), saleSubmitMsMedian: median(saleAnswers.map((s) => s.ms)), saleSubmitMsMax: Math.max(...saleAnswers.map((s) => s.ms)) };
  }, 90_000);

  it('a set holding the currency lock (and its rule rows) does not hold up a sale’s submission and processing, nor an activity’s award', async () => {
    const code = await newCurrency('RL');
    ok(await economy({ currency: code, pointsPerUnit: '1' }));
    ok(await activity({ currency: code, kind: 'SURVEY', points: 7 }));
    const customer = await createCustomer(t, code);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const held = new Promise<void>((resolve) => (locked = resolve));
    // what setEconomyRule and setActivityRule hold until they commit: the currency's row lock, the rules' rows written
    const holder = t.orm.em
      .fork()
      .transactional(async (em) => {
        await em.execute(`select code from point_currency where code = '${code}' for no key update`);
        await em.execute(`update economy_rule set version = version + 1, points_per_unit = 5 where currency_code = '${code}'`);
        await em.execute(
          `insert into economy_rule_version (currency_code, points_per_unit, category_multipliers, excluded_skus, rounding, pending_days, valid_from) select currency_code, 5, category_multipliers, excluded_skus, rounding, pending_days, now() from economy_rule where currency_code = '${code}'`,
        );
        await em.execute(`update activity_rule set version = version + 1, points = 70 where currency_code = '${code}'`);
        locked();
        await gate;
        throw new Error('rolled back on purpose');
      })
      .catch((e: Error) => e.message);
    await held;
    try {
      const submitted = await timed(() => sale(customer.externalId, 10));
      ok(submitted.value);
      const processed = await timed(() =>
        eventually(async () => {
          const [row] = await t.sql<{ status: string }>(`select s.status from sales_transaction s join customer c on c.id = s.customer_id where c.external_id = $1`, [customer.externalId]);
          return row?.status === 'PROCESSED';
        }, 8_000),
      );
      const awarded = await timed(() => t.gql(RecordActivityDocument, { customerExternalId: customer.externalId, kind: 'SURVEY', reference: unique('survey') }, reporter.credential));
      expect(dataOf(awarded.value).recordActivity).toMatchObject({ userErrors: [] });
      figures.underHeldSetLock = { submitMs: submitted.ms, processedMs: processed.ms, activityMs: awarded.ms, activityPoints: dataOf(awarded.value).recordActivity.pointsAwarded };
      expect(submitted.ms).toBeLessThan(3_000);
      expect(awarded.ms).toBeLessThan(3_000);
    } finally {
      release();
      expect(await holder).toBe('rolled back on purpose');
    }
  }, 60_000);

  it('createCurrency racing first sets with expectedVersion 0: at most one set is written, and then at version 1 with one version row', async () => {
    const outcomes: Record<string, number> = {};
    for (let round = 0; round < 6; round++) {
      const code = newCode('RC');
      const create = t.gql(CreateCurrencyDocument, { input: { code, name: code, expiryDays: 365, pointValue: '0.01', moneyCurrency: 'EUR' } }, t.operatorToken);
      const sets = Array.from({ length: 6 }, async (_, i): Promise<Payload<{ version: number }>> => {
        await new Promise((r) => setTimeout(r, i * 3));
        return i % 2
          ? dataOf(await economy({ currency: code, pointsPerUnit: String(i + 1), expectedVersion: 0 }, second)).setEconomyRule
          : dataOf(await activity({ currency: code, kind: 'REVIEW', points: i + 1, expectedVersion: 0 })).setActivityRule;
      });
      const [created, payloads] = await Promise.all([create, Promise.all(sets)]);
      ok(created);
      for (const p of payloads) {
        const what = p.rule ? `written v${p.rule.version}` : p.userErrors.map((e) => e.code).join(',');
        outcomes[what] = (outcomes[what] ?? 0) + 1;
      }
      const economyWritten = payloads.filter((p, i) => i % 2 && p.rule);
      const activityWritten = payloads.filter((p, i) => i % 2 === 0 && p.rule);
      expect(economyWritten.length).toBeLessThanOrEqual(1);
      expect(activityWritten.length).toBeLessThanOrEqual(1);
      for (const p of [...economyWritten, ...activityWritten]) expect(p.rule).toMatchObject({ version: 1 });
      const state = await economyState(code);
      expect(state).toEqual({ version: economyWritten.length ? 1 : null, versions: economyWritten.length, audits: economyWritten.length });
      const [{ n }] = await t.sql<{ n: number }>(`select count(*)::int as n from activity_rule where currency_code = $1 and version = 1`, [code]);
      expect(n).toBe(activityWritten.length);
      for (const p of payloads) if (!p.rule) expect(['NOT_FOUND', 'VERSION_CONFLICT']).toContain(p.userErrors[0]?.code);
    }
    figures.createRacingFirstSets = outcomes;
  }, 60_000);

  it('economy: checked and unchecked sets at once keep one version row per set written, and a checked one is written only as the first', async () => {
    const code = await newCurrency('RU');
    ok(await economy({ currency: code, pointsPerUnit: '1' }));
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? economy({ currency: code, pointsPerUnit: String(100 + i) }) : economy({ currency: code, pointsPerUnit: String(200 + i), expectedVersion: 1 }, second))),
    );
    const payloads = answers.map((a) => dataOf(a).setEconomyRule);
    const checkedWritten = payloads.filter((p, i) => i % 2 === 0 && p.rule);
    expect(checkedWritten.length).toBeLessThanOrEqual(1);
    if (checkedWritten.length) expect(checkedWritten[0].rule).toMatchObject({ version: 2 });
    const written = payloads.filter((p) => p.rule).length;
    expect(written).toBe(5 + checkedWritten.length);
    expect(await economyState(code)).toEqual({ version: 1 + written, versions: 1 + written, audits: 1 + written });
    // the rule read is the last version row's values
    const [last] = await t.sql<{ same: boolean }>(
      `select r.points_per_unit = v.points_per_unit as same from economy_rule r cross join lateral (select * from economy_rule_version v where v.currency_code = r.currency_code order by valid_from desc, id desc limit 1) v where r.currency_code = $1`,
      [code],
    );
    expect(last.same).toBe(true);
  }, 60_000);

  it('activities reported while the rule is switched off and on: each award is the rule’s points or nothing, the versions count every set, off is off once answered', async () => {
    const code = await newCurrency('RA');
    ok(await activity({ currency: code, kind: 'EVENT_CHECK_IN', points: 10 }));
    const customers = await Promise.all(Array.from({ length: 8 }, () => createCustomer(t, code)));
    const reports = Array.from({ length: 24 }, (_, i) =>
      timed(() => t.gql(RecordActivityDocument, { customerExternalId: customers[i % customers.length].externalId, kind: 'EVENT_CHECK_IN', reference: unique('ev') }, reporter.credential)),
    );
    const flips = Array.from({ length: 6 }, (_, i) => timed(() => activity({ currency: code, kind: 'EVENT_CHECK_IN', points: 10, active: i % 2 === 1 }, i % 2 ? second : t.operatorToken)));
    const [reported, flipped] = await Promise.all([Promise.all(reports), Promise.all(flips)]);
    for (const r of reported) {
      const payload = dataOf(r.value).recordActivity;
      // switched off, the kind has no rule: NOT_FOUND, nothing awarded
      expect(payload.userErrors.filter((e) => e.code !== 'NOT_FOUND')).toEqual([]);
      expect(payload.userErrors.length ? [null, 0] : [10]).toContain(payload.pointsAwarded);
    }
    for (const f of flipped) expect(dataOf(f.value).setActivityRule.userErrors).toEqual([]);
    const [{ version }] = await t.sql<{ version: number }>(`select version from activity_rule where currency_code = $1 and kind = 'EVENT_CHECK_IN'`, [code]);
    expect(version).toBe(7);
    ok(await activity({ currency: code, kind: 'EVENT_CHECK_IN', points: 10, active: false, expectedVersion: 7 }));
    const after = dataOf(await t.gql(RecordActivityDocument, { customerExternalId: customers[0].externalId, kind: 'EVENT_CHECK_IN', reference: unique('ev') }, reporter.credential)).recordActivity;
    expect({ points: after.pointsAwarded, codes: after.userErrors.map((e) => e.code) }).toEqual({ points: null, codes: ['NOT_FOUND'] });
    figures.activitiesWhileFlipping = {
      reportMsMedian: median(reported.map((r) => r.ms)),
      reportMsMax: Math.max(...reported.map((r) => r.ms)),
      flipMsMax: Math.max(...flipped.map((f) => f.ms)),
      awarded: reported.filter((r) => dataOf(r.value).recordActivity.pointsAwarded === 10).length,
    };
  }, 60_000);

  it('the contract’s SetEconomyRule, SetActivityRule and AuditLog documents run as written, with and without expectedVersion; EconomyRule.version and ActivityRule.version read; a refused set leaves no audit entry', async () => {
    const code = await newCurrency('RK');
    const first = ok(await t.gql(SetEconomyRuleDocument, { input: { currency: code, pointsPerUnit: '1' } }, t.operatorToken)).setEconomyRule;
    expect(first).toMatchObject({ rule: { pointsPerUnit: '1.0000', currency: { code } }, userErrors: [] });
    const checked = ok(await t.gql(SetEconomyRuleDocument, { input: { currency: code, pointsPerUnit: '2', expectedVersion: 1 } }, t.operatorToken)).setEconomyRule;
    expect(checked.userErrors).toEqual([]);
    const stale = dataOf(await t.gql(SetEconomyRuleDocument, { input: { currency: code, pointsPerUnit: '3', expectedVersion: 1 } }, second)).setEconomyRule;
    expect(stale).toEqual({ rule: null, userErrors: [{ code: 'VERSION_CONFLICT', field: ['input', 'expectedVersion'], message: expect.stringContaining('it is now version 2') }] });
    const act = ok(await t.gql(SetActivityRuleDocument, { input: { currency: code, kind: 'SOCIAL_SHARE', points: 3, expectedVersion: 0 } }, t.operatorToken)).setActivityRule;
    expect(act).toMatchObject({ rule: { kind: 'SOCIAL_SHARE', points: 3 }, userErrors: [] });
    const staleAct = dataOf(await t.gql(SetActivityRuleDocument, { input: { currency: code, kind: 'SOCIAL_SHARE', points: 4, expectedVersion: 0 } }, second)).setActivityRule;
    expect(staleAct.userErrors.map((e) => e.code)).toEqual(['VERSION_CONFLICT']);

    const read = ok(await t.gql(`{ economyRules { version pointsPerUnit currency { code } } activityRules { version kind points currency { code } } }`, {}, t.analystToken)) as {
      economyRules: { version: number; pointsPerUnit: string; currency: { code: string } }[];
      activityRules: { version: number; kind: string; points: number; currency: { code: string } }[];
    };
    expect(read.economyRules.filter((r) => r.currency.code === code)).toEqual([{ version: 2, pointsPerUnit: '2.0000', currency: { code } }]);
    expect(read.activityRules.filter((r) => r.currency.code === code)).toEqual([{ version: 1, kind: 'SOCIAL_SHARE', points: 3, currency: { code } }]);

    const audit = ok(await t.gql(AuditLogDocument, { first: 10 }, t.analystToken)).auditLog.edges.map((e) => e.node);
    const mine = audit.filter((a) => a.action === 'setEconomyRule' || a.action === 'setActivityRule').slice(0, 3);
    expect(mine.map((a) => [a.action, a.actor])).toEqual([
      ['setActivityRule', 'staff:staff-op'],
      ['setEconomyRule', 'staff:staff-op'],
      ['setEconomyRule', 'staff:staff-op'],
    ]);
    const details = await t.sql<{ action: string; details: Record<string, unknown> }>(`select action, details from audit_entry where details->>'currency' = $1 order by id`, [code]);
    expect(details.map((d) => [d.action, d.details.expectedVersion ?? 'absent'])).toEqual([
      ['setEconomyRule', 'absent'],
      ['setEconomyRule', 1],
      ['setActivityRule', 0],
    ]);
  }, 60_000);
});
