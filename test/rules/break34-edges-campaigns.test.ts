import { CreateCampaignDocument, ReverseTransactionDocument, SubmitTransactionDocument } from '../generated/graphql.js';
import { ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { testWorker } from '../support/job-runner.js';
import { createCustomer, createPartner, earningProgram, secondEarningCurrency, unique } from '../support/program.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * break34-edges: campaigns at the edges of their window and limits, with real parallel sales and
 * several job workers. Window: `startsAt` inclusive, `endsAt` exclusive (docs/decisions.md; the
 * campaign query is `starts_at <= at and ends_at > at`); a sale is read at min(occurredAt, receivedAt).
 */
describe('break34-edges: campaigns at their edges', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    till = await createPartner(t, ['transactions:write', 'transactions:read']);
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  const setClock = (at: Date) => t.clock.advance(at.getTime() - t.clock.now().getTime());
  const worker = () =>
    testWorker(t);
  const workers = (n = 4) => Promise.all(Array.from({ length: n }, () => worker().runUntilIdle()));

  const campaign = async (currency: string, input: Record<string, unknown>) => {
    const res = ok(await t.gql(CreateCampaignDocument, { input: { name: unique('camp'), currency, ...input } as never }, t.operatorToken));
    return res.createCampaign.campaign!;
  };
  const sale = (customerExternalId: string, money: string, amount: string, occurredAt: Date) => ({
    externalId: unique('sale'),
    customerExternalId,
    occurredAt: occurredAt.toISOString(),
    currency: money,
    lines: [{ sku: 'BEANS', category: 'COFFEE', quantity: 1, unitPrice: amount }],
  });
  const submit = async (input: ReturnType<typeof sale>) => {
    ok(await t.gql(SubmitTransactionDocument, { input }, till.credential));
    return input.externalId;
  };
  /** Each sale's status and the points of the campaign named by `campaignId` it holds. */
  const campaignPoints = async (externalIds: string[], campaignId: string) =>
    t.sql<{ external_id: string; status: string; points: number }>(
      `select s.external_id, s.status,
              coalesce((select sum(a.points) from transaction_award a where a.transaction_id = s.id and a.reversed_at is null
                         and a.rule like 'campaign:' || c.id || ':%'), 0)::int as points
         from sales_transaction s, campaign c
        where s.external_id = any($1) and c.name = $2 order by array_position($1, s.external_id)`,
      [externalIds, campaignId],
    );
  const campaignRow = async (name: string) =>
    (await t.sql<{ points_awarded: number; budget_points: number | null }>(`select points_awarded::int, budget_points::int from campaign where name = $1`, [name]))[0];

  it('a window is [startsAt, endsAt): sales at its edges, one sent late by an offline till, one stamped ahead by a fast till', async () => {
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'W');
    const start = new Date(Math.ceil((t.clock.now().getTime() + HOUR) / 1000) * 1000);
    const end = new Date(start.getTime() + 2 * HOUR);
    const c = await campaign(currency, { startsAt: start.toISOString(), endsAt: end.toISOString(), outcome: { bonusPoints: 7 } });
    const customer = await createCustomer(t, currency);
    const ids: Record<string, string> = {};
    // a fast till, 30 min ahead, stamps startsAt + 1 ms while the gateway is 30 min before the start: not in it
    setClock(new Date(start.getTime() - 30 * MINUTE));
    ids.aheadBeforeStart = await submit(sale(customer.externalId, money, '1.00', new Date(start.getTime() + 1)));
    setClock(start);
    ids.beforeStart = await submit(sale(customer.externalId, money, '1.00', new Date(start.getTime() - 1)));
    ids.atStart = await submit(sale(customer.externalId, money, '1.00', start));
    setClock(end);
    ids.lastMs = await submit(sale(customer.externalId, money, '1.00', new Date(end.getTime() - 1)));
    ids.atEnd = await submit(sale(customer.externalId, money, '1.00', end));
    // a till offline since 1 ms before the end, back online 5 days later
    setClock(new Date(end.getTime() + 5 * DAY));
    ids.lateInside = await submit(sale(customer.externalId, money, '1.00', new Date(end.getTime() - 1)));
    ids.lateAtEnd = await submit(sale(customer.externalId, money, '1.00', end));
    await workers(2);
    const got = Object.fromEntries(
      await Promise.all(Object.entries(ids).map(async ([k, id]) => [k, (await campaignPoints([id], c.name))[0]?.points])),
    );
    expect(got).toEqual({ aheadBeforeStart: 0, beforeStart: 0, atStart: 7, lastMs: 7, atEnd: 0, lateInside: 7, lateAtEnd: 0 });
  });

  it('a budget raced by 40 customers\' parallel sales on 4 workers: never passed, and all of it given when there is room', async () => {
    const { money, currency } = await earningProgram(t, 'B');
    const now = Date.now();
    const window = { startsAt: new Date(now - DAY).toISOString(), endsAt: new Date(now + DAY).toISOString() };
    const tight = await campaign(currency, { ...window, outcome: { bonusPoints: 10 }, limits: { budgetPoints: 95 } });
    const roomy = await campaign(currency, { ...window, outcome: { bonusPoints: 3 }, limits: { budgetPoints: 120 } });
    const customers = await Promise.all(Array.from({ length: 40 }, () => createCustomer(t, currency)));
    const sales = customers.map((c) => sale(c.externalId, money, '2.00', new Date()));
    await Promise.all(sales.map(submit));
    await workers(4);
    const tightPoints = await campaignPoints(sales.map((s) => s.externalId), tight.name);
    expect(tightPoints.every((r) => r.status === 'PROCESSED')).toBe(true);
    expect(tightPoints.filter((r) => r.points === 10)).toHaveLength(9); // 90 of 95: a tenth would pass it
    expect(await campaignRow(tight.name)).toEqual({ points_awarded: 90, budget_points: 95 });
    const roomyPoints = await campaignPoints(sales.map((s) => s.externalId), roomy.name);
    expect(roomyPoints.filter((r) => r.points === 3)).toHaveLength(40); // 120 of 120: none lost
    expect(await campaignRow(roomy.name)).toEqual({ points_awarded: 120, budget_points: 120 });
  });

  it("a per-customer limit raced by one customer's 12 parallel sales and 4 workers: exactly the limit", async () => {
    const { money, currency } = await earningProgram(t, 'P');
    const now = Date.now();
    const c = await campaign(currency, { startsAt: new Date(now - DAY).toISOString(), endsAt: new Date(now + DAY).toISOString(), outcome: { bonusPoints: 4 }, limits: { perCustomer: 3 } });
    const customer = await createCustomer(t, currency);
    const sales = Array.from({ length: 12 }, () => sale(customer.externalId, money, '1.00', new Date()));
    await Promise.all(sales.map(submit));
    await workers(4);
    const got = await campaignPoints(sales.map((s) => s.externalId), c.name);
    expect(got.filter((r) => r.status === 'PROCESSED')).toHaveLength(12);
    expect(got.filter((r) => r.points === 4)).toHaveLength(3);
  });

  it('returns give budget back while other customers\' sales race for it: held never passes it, all given back is given again', async () => {
    const { money, currency } = await earningProgram(t, 'R');
    const now = Date.now();
    const c = await campaign(currency, { startsAt: new Date(now - DAY).toISOString(), endsAt: new Date(now + DAY).toISOString(), outcome: { bonusPoints: 10 }, limits: { budgetPoints: 50 } });
    const customers = await Promise.all(Array.from({ length: 20 }, () => createCustomer(t, currency)));
    const first = customers.slice(0, 5).map((cu) => sale(cu.externalId, money, '1.00', new Date()));
    await Promise.all(first.map(submit));
    await workers(2);
    expect(await campaignRow(c.name)).toEqual({ points_awarded: 50, budget_points: 50 });
    const later = customers.slice(5).map((cu) => sale(cu.externalId, money, '1.00', new Date()));
    await Promise.all(later.map(submit));
    const [returns] = await Promise.all([
      Promise.all(first.slice(0, 3).map((s) => t.gql(ReverseTransactionDocument, { externalId: s.externalId }, till.credential))),
      workers(4),
    ]);
    for (const r of returns) expect(ok(r).reverseTransaction.transaction?.status).toBe('REVERSED');
    await workers(2);
    const held = await campaignPoints([...first, ...later].map((s) => s.externalId), c.name);
    const total = held.reduce((s, r) => s + r.points, 0);
    expect(await campaignRow(c.name)).toEqual({ points_awarded: total, budget_points: 50 });
    // the return was under way while the later sales were processed: they get what it gave back, unless they were processed before it
    expect(total).toBeLessThanOrEqual(50);
    expect(held.filter((r) => r.status === 'PROCESSED')).toHaveLength(17);
  });

  it('multiplier campaigns round the extra as the rule rounds: ×1.15 on 10 base points adds 1 (FLOOR), on 17 adds 2', async () => {
    const { money, currency } = await earningProgram(t, 'M'); // 10 points a unit, FLOOR
    const now = Date.now();
    const c = await campaign(currency, { startsAt: new Date(now - DAY).toISOString(), endsAt: new Date(now + DAY).toISOString(), outcome: { multiplier: 1.15 } });
    const customer = await createCustomer(t, currency);
    const a = await submit(sale(customer.externalId, money, '1.05', new Date())); // base 10.5 → 10; extra 1.5 → 1
    const b = await submit(sale(customer.externalId, money, '1.79', new Date())); // base 17.9 → 17; extra 2.55 → 2
    await workers(1);
    expect((await campaignPoints([a, b], c.name)).map((r) => r.points)).toEqual([1, 2]);
  });

  it('campaigns in two point currencies of one money: each earns, a return takes both back and gives both budgets back', async () => {
    const { money, currency } = await earningProgram(t, 'TA');
    const second = await secondEarningCurrency(t, 'TB', money);
    const now = Date.now();
    const window = { startsAt: new Date(now - DAY).toISOString(), endsAt: new Date(now + DAY).toISOString() };
    const ca = await campaign(currency, { ...window, outcome: { bonusPoints: 5 }, limits: { budgetPoints: 5 } });
    const cb = await campaign(second, { ...window, outcome: { bonusPoints: 6, multiplier: 2 }, limits: { budgetPoints: 100 } });
    const customer = await createCustomer(t, currency);
    const other = await createCustomer(t, currency);
    const s1 = await submit(sale(customer.externalId, money, '3.00', new Date())); // TA: 30 + 5; TB: 3 + 6 + 3
    await workers(1);
    expect((await campaignPoints([s1], ca.name))[0].points).toBe(5);
    expect((await campaignPoints([s1], cb.name))[0].points).toBe(9);
    ok(await t.gql(ReverseTransactionDocument, { externalId: s1 }, till.credential));
    expect(await campaignRow(ca.name)).toEqual({ points_awarded: 0, budget_points: 5 });
    expect(await campaignRow(cb.name)).toEqual({ points_awarded: 0, budget_points: 100 });
    const s2 = await submit(sale(other.externalId, money, '3.00', new Date()));
    await workers(1);
    expect((await campaignPoints([s2], ca.name))[0].points).toBe(5);
  });
});
