import pino from 'pino';
import { decodeGlobalId } from '../../src/graphql/ids.js';
import { JOB_HANDLERS } from '../../src/jobs/registry.js';
import { JobRunner } from '../../src/jobs/runner.js';
import { CreateCampaignDocument, ReverseTransactionDocument, SubmitTransactionDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createOffer, createPartner, earningProgram, unique } from '../support/program.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const END = `mutation($input: EndCampaignInput!) { endCampaign(input: $input) { campaign { id endsAt pointsAwarded } userErrors { code } } }`;

/**
 * break38b (campaigns), held: sales made before an end and processed by three job workers while
 * the end commits all earn (a budgeted campaign with a per-customer limit, an unbudgeted one with
 * an offer); a late till's sale made 1 ms before the end earns; returns of those sales, after the
 * end, take back exactly the campaign points, void the campaign's offers and give the counts back;
 * a slot freed by a return does not let a sale made after the end earn; ledger invariants hold.
 */
describe('held: sales in flight across an end, and their returns', () => {
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

  const runner = () =>
    new JobRunner({ orm: t.orm, clock: t.clock, config: t.config, log: pino({ level: 'silent' }) }, JOB_HANDLERS, { leaseMs: 60_000, pollMs: 10, backoffMs: 200, maxBackoffMs: 200 }).runUntilIdle();
  const workers = () => Promise.all([runner(), runner(), runner()]);

  it('earn, are taken back and counted as the end promises', async () => {
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'F');
    const now = t.clock.now();
    const offer = await createOffer(t);
    const window = { startsAt: new Date(now.getTime() - DAY).toISOString(), endsAt: new Date(now.getTime() + 10 * DAY).toISOString() };
    const create = async (extra: object) =>
      ok(await t.gql(CreateCampaignDocument, { input: { name: unique('camp'), currency, ...window, ...extra } as never }, t.operatorToken)).createCampaign.campaign!;
    const budgeted = await create({ outcome: { bonusPoints: 50 }, limits: { perCustomer: 2, budgetPoints: 100_000 } });
    const open = await create({ outcome: { bonusPoints: 30, offerId: offer.id } });
    const ids = { budgeted: decodeGlobalId(budgeted.id)!.id, open: decodeGlobalId(open.id)!.id };
    const customers = await Promise.all(Array.from({ length: 5 }, () => createCustomer(t, currency)));
    const sell = async (customerExternalId: string, at: Date) => {
      const externalId = unique('sale');
      ok(
        await t.gql(
          SubmitTransactionDocument,
          { input: { externalId, customerExternalId, occurredAt: at.toISOString(), currency: money, lines: [{ sku: 'BEANS', category: 'COFFEE', quantity: 1, unitPrice: '1.00' }] } },
          till.credential,
        ),
      );
      return externalId;
    };
    // three sales each, made before the end, in parallel
    const before = await Promise.all(customers.flatMap((c) => [1, 2, 3].map((i) => sell(c.externalId, new Date(now.getTime() - i * MINUTE)))));
    // processed by three workers while both campaigns are ended (four ends each, at once)
    const [, ends] = await Promise.all([
      workers(),
      Promise.all([budgeted, open, budgeted, open, budgeted, open, budgeted, open].map((c, i) => t.gql(END, { input: { campaignId: c.id, reason: `end ${i}` } }, t.operatorToken))),
    ]);
    expect(ends.map((e) => (dataOf(e) as { endCampaign: { campaign: { endsAt: string } } }).endCampaign.campaign.endsAt)).toEqual(Array(8).fill(now.toISOString()));
    const late = await Promise.all(customers.map((c) => sell(c.externalId, new Date(now.getTime() - 1))));
    await workers();

    type Row = { external_id: string; status: string; b: number; o: number; offers: number };
    const rows = async (externalIds: string[]) =>
      t.sql<Row>(
        `select s.external_id, s.status,
                coalesce((select sum(a.points) from transaction_award a where a.transaction_id = s.id and a.campaign_id = $2 and a.reversed_at is null), 0)::int as b,
                coalesce((select sum(a.points) from transaction_award a where a.transaction_id = s.id and a.campaign_id = $3 and a.reversed_at is null), 0)::int as o,
                (select count(*) from transaction_award a join issued_offer io on io.id = a.issued_offer_id where a.transaction_id = s.id and io.status = 'ISSUED')::int as offers
           from sales_transaction s where s.external_id = any($1) order by s.external_id`,
        [externalIds, ids.budgeted, ids.open],
      );
    const earned = await rows([...before, ...late]);
    expect(earned.every((r) => r.status === 'PROCESSED' && r.o === 30 && r.offers === 1)).toBe(true);
    // the per-customer limit: two of each customer's four sales earn from the budgeted one
    expect(earned.filter((r) => r.b === 50).length).toBe(10);
    expect(earned.filter((r) => r.b !== 50).every((r) => r.b === 0)).toBe(true);

    // After the end: every sale that earned from the budgeted campaign is returned, in parallel
    t.clock.advance(MINUTE);
    const returned = earned.filter((r) => r.b === 50).map((r) => r.external_id);
    const answers = await Promise.all(returned.map((externalId) => t.gql(ReverseTransactionDocument, { externalId, reason: 'returned' }, till.credential)));
    expect(answers.map((a) => (dataOf(a) as { reverseTransaction: { userErrors: unknown[] } }).reverseTransaction.userErrors)).toEqual(returned.map(() => []));
    // ...which frees each customer's slots: a sale made after the end still earns nothing
    const after = await Promise.all(customers.map((c) => sell(c.externalId, t.clock.now())));
    await workers();
    const afterRows = await rows(after);
    expect(afterRows.map((r) => `${r.status} ${r.b} ${r.o} ${r.offers}`)).toEqual(after.map(() => 'PROCESSED 0 0 0'));
    const voided = await t.sql<{ n: number }>(
      `select count(*)::int as n from transaction_award a join sales_transaction s on s.id = a.transaction_id join issued_offer io on io.id = a.issued_offer_id
        where s.external_id = any($1) and io.status = 'VOIDED'`,
      [returned],
    );
    expect(voided[0].n).toBe(returned.length);
    const listed = (ok(await t.gql(`{ campaigns { id pointsAwarded } }`, {}, t.operatorToken)) as { campaigns: { id: string; pointsAwarded: number }[] }).campaigns;
    expect([listed.find((c) => c.id === budgeted.id)!.pointsAwarded, listed.find((c) => c.id === open.id)!.pointsAwarded]).toEqual([0, 30 * (20 - returned.length)]);
    const audits = await t.sql<{ target: string; n: number }>(
      `select target, count(*)::int as n from audit_entry where action = 'endCampaign' and target = any($1) group by target order by target`,
      [[`Campaign:${ids.budgeted}`, `Campaign:${ids.open}`]],
    );
    expect(audits.map((a) => a.n)).toEqual([1, 1]);
  }, 120_000);
});
