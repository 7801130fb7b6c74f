import { decodeGlobalId } from '../../src/graphql/ids.js';
import { CreateCampaignDocument, SubmitTransactionDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { testWorker } from '../support/job-runner.js';
import { holdLocks } from '../support/locks.js';
import { createCustomer, createPartner, earningProgram, unique } from '../support/program.js';

const DAY = 86_400_000;
const END = `mutation($input: EndCampaignInput!) {
  endCampaign(input: $input) { campaign { id endsAt pointsAwarded } userErrors { code field message } }
}`;
type Ended = { endCampaign: { campaign: { id: string; endsAt: string; pointsAwarded: number } | null } };

/**
 * break38b (campaigns): end-campaign-38 says "Budgeted campaigns are read under their row lock by
 * processing, so for them the end waits for the sale or the sale for the end." They are not:
 * processTransaction reads the campaign's terms (its window included) in its inputs statement,
 * BEFORE it locks the budget row, and the `for update` that follows re-reads only
 * id/pointsAwarded/budgetPoints. An end that commits while the sale waits for the budget's lock
 * (held by another sale or, here, by the end itself) is not seen: the sale, made 1 ms AFTER the end,
 * earns the campaign's bonus and is counted on its budget.
 * What the member/operator sees: a sale made after "ended <instant>" shows +50 from the ended
 * campaign, its Awarded figure grows after the end. Should see: no award (the sale's moment is
 * at/after endsAt), as the decision promises for budgeted campaigns.
 * Root cause: src/transactions/processor.ts processTransaction: the budgeted campaigns' `for update`
 * (CAMPAIGN_BUDGET_COLUMNS) does not re-read starts_at/ends_at; re-read them there and drop a
 * campaign whose window no longer holds the sale's moment.
 */
describe('a budgeted campaign ended while a sale waits for its budget', () => {
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

  const process = () =>
    testWorker(t).runUntilIdle();

  it('a sale made 1 ms after the end earns nothing from it', async () => {
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'B');
    const now = t.clock.now();
    const budgeted = ok(
      await t.gql(
        CreateCampaignDocument,
        {
          input: {
            name: unique('budgeted'),
            currency,
            startsAt: new Date(now.getTime() - DAY).toISOString(),
            endsAt: new Date(now.getTime() + 10 * DAY).toISOString(),
            outcome: { bonusPoints: 50 },
            limits: { budgetPoints: 10_000 },
          } as never,
        },
        t.operatorToken,
      ),
    ).createCampaign.campaign!;
    const id = decodeGlobalId(budgeted.id)!.id;
    const customer = await createCustomer(t, currency);

    // Something holds the campaign's row (another sale counting on its budget, here the test).
    const held = await holdLocks(t, 'select id from campaign where id = $1 for update', [id]);
    let ending: Promise<unknown> | undefined;
    let processing: Promise<unknown> | undefined;
    try {
      ending = t.gql(END, { input: { campaignId: budgeted.id, reason: 'mistake' } }, t.operatorToken); // its end: now
      await held.blocking(1);
      t.clock.advance(1); // the sale is made 1 ms after the end
      const externalId = unique('sale');
      ok(
        await t.gql(
          SubmitTransactionDocument,
          { input: { externalId, customerExternalId: customer.externalId, occurredAt: t.clock.now().toISOString(), currency: money, lines: [{ sku: 'BEANS', category: 'COFFEE', quantity: 1, unitPrice: '1.00' }] } },
          till.credential,
        ),
      );
      processing = process();
      await held.waiters(2); // the end, then the sale, queued on the campaign's row
      await held.release();
      const ended = (dataOf((await ending) as never) as Ended).endCampaign;
      await processing;
      expect(ended.campaign?.endsAt).toBe(now.toISOString());
      const [sale] = await t.sql<{ status: string; bonus: number }>(
        `select s.status, coalesce((select sum(a.points) from transaction_award a where a.transaction_id = s.id and a.campaign_id = $2), 0)::int as bonus
           from sales_transaction s where s.external_id = $1`,
        [externalId, id],
      );
      const [c] = await t.sql<{ points_awarded: number }>(`select points_awarded::int from campaign where id = $1`, [id]);
      // received: { status: 'PROCESSED', bonus: 50, awarded: 50 }
      expect({ status: sale.status, bonus: sale.bonus, awarded: c.points_awarded }).toEqual({ status: 'PROCESSED', bonus: 0, awarded: 0 });
    } finally {
      await held.release();
      await Promise.allSettled([ending, processing]);
    }
  }, 60_000);
});
