import { openOrm } from '../../src/db/orm.js';
import { SetEconomyRuleDocument, SubmitTransactionDocument } from '../generated/graphql.js';
import { createTestDatabase, ok, startTestGateway, testPool, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, earningProgram, submitSale, unique } from '../support/program.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;

/**
 * A sale earns by the economy rule in force when it happened, as it earns from the campaigns of
 * that time (econ-17; found by hostile-17: the rule was read when the sale's job ran, so a sale
 * processed late, or sent late by a till that had been offline, earned by a rule set after it).
 */
describe('the economy rule a sale earns by', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());
  afterEach(() => t.clock.reset());

  const setRate = async (currency: string, pointsPerUnit: string) =>
    ok(await t.gql(SetEconomyRuleDocument, { input: { currency, pointsPerUnit, rounding: 'FLOOR' } as never }, t.operatorToken));
  const pointsOf = async (externalId: string) =>
    (await t.sql<{ status: string; points: number }>(`select status, points_awarded::int as points from sales_transaction where external_id = $1`, [externalId]))[0];
  /** A sale of `amount` units that happened at `occurredAt`, sent now (a till back online), then processed. */
  const lateSale = async (till: { credential: { apiKey: string } }, customer: string, money: string, amount: number, occurredAt: Date) => {
    const externalId = unique('late');
    const lines = [{ sku: 'BEANS', category: 'COFFEE', quantity: 1, unitPrice: amount.toFixed(2) }];
    ok(await t.gql(SubmitTransactionDocument, { input: { externalId, customerExternalId: customer, occurredAt: occurredAt.toISOString(), currency: money, lines } }, till.credential));
    await t.jobs.runner.runUntilIdle();
    return externalId;
  };

  it('is the one in force when the sale happened, not one set while it waited for its processing', async () => {
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'E'); // 10 points a unit
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    const customer = await createCustomer(t, currency);
    const sale = await submitSale(t, till, customer.externalId, money, 10); // accepted: RECEIVED, its job queued
    t.clock.advance(HOUR); // the job waits (an outage, a retry's backoff); meanwhile the rate is cut
    await setRate(currency, '1');
    await t.jobs.runner.runUntilIdle();
    expect(await pointsOf(sale)).toEqual({ status: 'PROCESSED', points: 100 });
    const [balance] = await t.sql<{ available: number }>(`select a.available::int as available from point_account a join customer c on c.id = a.customer_id where c.external_id = $1`, [customer.externalId]);
    expect(balance.available).toBe(100);
    // a sale after the change earns by the new rate
    const later = await submitSale(t, till, customer.externalId, money, 10);
    await t.jobs.runner.runUntilIdle();
    expect(await pointsOf(later)).toEqual({ status: 'PROCESSED', points: 10 });
  });

  it("for a till that was offline, is the one of each sale's occurredAt, across two changes (a change's instant is the new rule's)", async () => {
    t.clock.freeze();
    const start = t.clock.now().getTime();
    const { money, currency } = await earningProgram(t, 'F'); // 10 a unit from start
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    const customer = await createCustomer(t, currency);
    t.clock.advance(HOUR);
    await setRate(currency, '2'); // from start + 1 h
    t.clock.advance(HOUR);
    await setRate(currency, '3'); // from start + 2 h
    t.clock.advance(HOUR);
    // what the till sold while offline, sent now in no particular order
    const cases: [number, number][] = [[150, 30], [30, 100], [90, 20], [60, 20], [120, 30], [59, 100]];
    const got: [number, number][] = [];
    for (const [minutes] of cases) got.push([minutes, (await pointsOf(await lateSale(till, customer.externalId, money, 10, new Date(start + minutes * MINUTE)))).points]);
    expect(got).toEqual(cases);
  });

  it('is the rule set last from its setting on, also when it was set at an earlier clock reading (another instance 5 s behind)', async () => {
    // break-17: each version was in force from its setter's clock reading, so a rule set after
    // another but on a clock behind it (an instance within CLOCK_SKEW_MAX_MS, a clock stepped
    // back) was overtaken by the earlier one once the clock passed that one's reading: for good.
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'H'); // 10 a unit
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    const customer = await createCustomer(t, currency);
    t.clock.advance(HOUR);
    await setRate(currency, '2');
    t.clock.advance(-5_000); // the operator's next request reaches an instance whose clock is 5 s behind
    await setRate(currency, '3');
    const read = `{ economyRules { currency { code } pointsPerUnit } }`;
    const shown = (ok(await t.gql(read, {}, t.analystToken)) as { economyRules: { currency: { code: string }; pointsPerUnit: string }[] }).economyRules;
    expect(Number(shown.find((r) => r.currency.code === currency)?.pointsPerUnit)).toBe(3);
    t.clock.advance(MINUTE);
    const sale = await submitSale(t, till, customer.externalId, money, 10);
    await t.jobs.runner.runUntilIdle();
    // before: 20, by the rate of 2 the operator had replaced
    expect(await pointsOf(sale)).toEqual({ status: 'PROCESSED', points: 30 });
  });

  it('is the one economyRules shows after many settings at once', async () => {
    // break-17: each setting read its clock before it waited for the currency's row, so one that
    // read it first could commit last, and the rule shown was not the one in force from then on
    const { money, currency } = await earningProgram(t, 'I');
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    const customer = await createCustomer(t, currency);
    await Promise.all(Array.from({ length: 12 }, (_, i) => setRate(currency, String(i + 1))));
    const read = `{ economyRules { currency { code } pointsPerUnit } }`;
    const shown = (ok(await t.gql(read, {}, t.analystToken)) as { economyRules: { currency: { code: string }; pointsPerUnit: string }[] }).economyRules;
    const rate = Number(shown.find((r) => r.currency.code === currency)?.pointsPerUnit);
    t.clock.advance(MINUTE);
    const sale = await submitSale(t, till, customer.externalId, money, 10);
    await t.jobs.runner.runUntilIdle();
    expect(await pointsOf(sale)).toEqual({ status: 'PROCESSED', points: 10 * rate });
  });

  it('for a sale before the currency had a rule, is its first rule', async () => {
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'G'); // 10 a unit, set now
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    const customer = await createCustomer(t, currency);
    t.clock.advance(HOUR);
    await setRate(currency, '4');
    const sale = await lateSale(till, customer.externalId, money, 10, new Date(t.clock.now().getTime() - 3 * HOUR));
    expect(await pointsOf(sale)).toEqual({ status: 'PROCESSED', points: 100 });
  });
});

describe('economy rule versions on a database migrated before them', () => {
  it('start from each currency\'s rule as it was, in force from its last change', async () => {
    const database = await createTestDatabase();
    const orm = await openOrm({ url: database.url, poolMax: 2 });
    const pool = testPool({ connectionString: database.url, max: 1 });
    try {
      await orm.migrator.up({ to: 'Migration20261202020000' });
      await pool.query(`insert into point_currency (code, name, point_value, money_currency) values ('OLD', 'Old', 0.01, 'EUR'), ('NEW', 'New', 0.01, 'USD')`);
      await pool.query(
        `insert into economy_rule (currency_code, points_per_unit, category_multipliers, excluded_skus, rounding, pending_days, updated_at)
         values ('OLD', 7.5, '[{"category":"COFFEE","multiplier":2}]', '{GIFT}', 'CEIL', 3, '2026-11-01T10:00:00Z')`,
      );
      await orm.migrator.up();
      const { rows } = await pool.query(
        `select currency_code as currency, points_per_unit::text as "perUnit", category_multipliers as multipliers, excluded_skus as excluded, rounding, pending_days as "pendingDays", valid_from as "validFrom" from economy_rule_version`,
      );
      expect(rows).toEqual([
        { currency: 'OLD', perUnit: '7.5', multipliers: [{ category: 'COFFEE', multiplier: 2 }], excluded: ['GIFT'], rounding: 'CEIL', pendingDays: 3, validFrom: new Date('2026-11-01T10:00:00Z') },
      ]);
    } finally {
      await pool.end();
      await orm.close();
      await database.drop();
    }
  });
});
