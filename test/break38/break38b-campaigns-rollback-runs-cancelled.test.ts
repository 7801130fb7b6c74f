import { decodeGlobalId } from '../../src/graphql/ids.js';
import { Migration20261205140000 } from '../../migrations/Migration20261205140000.js';
import { CreateCampaignDocument, SubmitTransactionDocument } from '../generated/graphql.js';
import { ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { testWorker } from '../support/job-runner.js';
import { runMigration } from '../support/migrations.js';
import { createCustomer, createPartner, earningProgram, unique } from '../support/program.js';

const DAY = 86_400_000;
const END = `mutation($input: EndCampaignInput!) { endCampaign(input: $input) { campaign { id startsAt endsAt } userErrors { code } } }`;

/**
 * break38b (campaigns), the rolling upgrade's way back: Migration20261205140000.down gives a
 * campaign ended before its start (cancelled, "it never runs") a window of 1 ms from its start, so
 * that the older build's `starts_at < ends_at` holds. That 1 ms is a real window: campaigns start
 * at a day's 00:00:00.000 (the console's form) and tills stamp whole seconds, so a sale stamped at
 * the start earns from the cancelled campaign once the release is rolled back.
 * What a member/operator sees: +50 from a campaign the operator cancelled ("cancelled", "never ran")
 * on the midnight sale; the campaign's Awarded grows. Should: a rolled-back cancelled campaign still
 * holds no instant a sale can have.
 * Fix: in down(), move an empty window where no sale can be (e.g. starts_at = '0001-01-01',
 * ends_at = starts_at + 1 ms; the planned start is kept in the endCampaign audit entry), not to
 * [start, start + 1 ms).
 */
describe('a cancelled campaign after Migration20261205140000 is rolled back', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;
  let rolledBack = false;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    till = await createPartner(t, ['transactions:write', 'transactions:read']);
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(async () => {
    if (rolledBack) await runMigration(t, Migration20261205140000, 'up').catch(() => undefined);
    await t.close();
  });

  const process = () =>
    testWorker(t).runUntilIdle();

  it('does not run for the sale stamped at its planned start', async () => {
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'R');
    // tomorrow 00:00 UTC, as the console's form sets a start
    const start = new Date(Math.floor(t.clock.now().getTime() / DAY) * DAY + DAY);
    const upcoming = ok(
      await t.gql(
        CreateCampaignDocument,
        { input: { name: unique('cancelled'), currency, startsAt: start.toISOString(), endsAt: new Date(start.getTime() + 7 * DAY).toISOString(), outcome: { bonusPoints: 50 } } as never },
        t.operatorToken,
      ),
    ).createCampaign.campaign!;
    ok(await t.gql(END, { input: { campaignId: upcoming.id, reason: 'wrong week' } }, t.operatorToken));
    await runMigration(t, Migration20261205140000, 'down');
    rolledBack = true;

    t.clock.moveTo(start.getTime() + 5_000);
    const customer = await createCustomer(t, currency);
    const externalId = unique('midnight');
    ok(
      await t.gql(
        SubmitTransactionDocument,
        { input: { externalId, customerExternalId: customer.externalId, occurredAt: start.toISOString(), currency: money, lines: [{ sku: 'BEANS', category: 'COFFEE', quantity: 1, unitPrice: '1.00' }] } },
        till.credential,
      ),
    );
    await process();
    const [sale] = await t.sql<{ status: string; bonus: number }>(
      `select s.status, coalesce((select sum(a.points) from transaction_award a where a.transaction_id = s.id and a.campaign_id = $2), 0)::int as bonus
         from sales_transaction s where s.external_id = $1`,
      [externalId, decodeGlobalId(upcoming.id)!.id],
    );
    // received: { status: 'PROCESSED', bonus: 50 }
    expect(sale).toEqual({ status: 'PROCESSED', bonus: 0 });
  });
});
