import { decodeGlobalId } from '../../src/graphql/ids.js';
import { CreateCampaignDocument, SubmitTransactionDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { testWorker } from '../support/job-runner.js';
import { createCustomer, createPartner, earningProgram, unique } from '../support/program.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const END = `mutation($input: EndCampaignInput!) {
  endCampaign(input: $input) { campaign { id endsAt } userErrors { code field message } }
}`;
type Ended = { endCampaign: { campaign: { id: string; endsAt: string } | null } };

/**
 * break38b (campaigns): an ended campaign is "answered as it is, nothing written or logged" only
 * when the caller's clock has reached its end. A resend of the end from a gateway instance whose
 * clock runs behind the one that ended it (within CLOCK_SKEW_MAX_MS), or after the clock was
 * stepped back, finds `ends_at > now` and moves the end EARLIER, logging a second end. A sale made
 * between the two moments (a till's sale still in the queue, or sent late) loses the campaign's
 * points that the first end promised it ("sales made before it earn as before").
 * What a member sees: the 50 bonus points of a sale made before the end the operator was shown are
 * not awarded. What the operator sees: two endCampaign entries and an endsAt that moved back.
 * Should: an end never moves an ended campaign's end (setEconomyRule already guards the same skew
 * with greatest(...) over the previous version).
 * Root cause: src/rules/rule.service.ts endCampaign: the guard compares with this caller's clock;
 * it should only end a campaign that was not ended (e.g. keep a record of the end, or never set
 * ends_at below an end already written by endCampaign).
 */
describe('an end resent from a clock behind', () => {
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

  it('does not move the end back, nor take a sale made before the end out of it', async () => {
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'K');
    const now = t.clock.now();
    const running = ok(
      await t.gql(
        CreateCampaignDocument,
        { input: { name: unique('camp'), currency, startsAt: new Date(now.getTime() - DAY).toISOString(), endsAt: new Date(now.getTime() + 10 * DAY).toISOString(), outcome: { bonusPoints: 50 } } as never },
        t.operatorToken,
      ),
    ).createCampaign.campaign!;
    const customer = await createCustomer(t, currency);
    // a sale 500 ms before the end, still in the queue
    t.clock.moveTo(now.getTime() - 500);
    const externalId = unique('sale');
    ok(
      await t.gql(
        SubmitTransactionDocument,
        { input: { externalId, customerExternalId: customer.externalId, occurredAt: t.clock.now().toISOString(), currency: money, lines: [{ sku: 'BEANS', category: 'COFFEE', quantity: 1, unitPrice: '1.00' }] } },
        till.credential,
      ),
    );
    t.clock.moveTo(now.getTime());
    const first = (dataOf(await t.gql(END, { input: { campaignId: running.id, reason: 'mistake' } }, t.operatorToken)) as Ended).endCampaign;
    expect(first.campaign?.endsAt).toBe(now.toISOString());
    // the resend, answered by an instance whose clock is 1 s behind
    t.clock.moveTo(now.getTime() - 1000);
    const again = (dataOf(await t.gql(END, { input: { campaignId: running.id, reason: 'mistake' } }, t.operatorToken)) as Ended).endCampaign;
    t.clock.moveTo(now.getTime() + MINUTE);
    await process();
    const [bonus] = await t.sql<{ points: number }>(
      `select coalesce(sum(a.points), 0)::int as points from transaction_award a join sales_transaction s on s.id = a.transaction_id
        where s.external_id = $1 and a.campaign_id = $2`,
      [externalId, decodeGlobalId(running.id)!.id],
    );
    const audits = await t.sql<{ n: number }>(`select count(*)::int as n from audit_entry where target = 'Campaign:' || $1 and action = 'endCampaign'`, [String(decodeGlobalId(running.id)!.id)]);
    // received: endsAt now − 1 s, bonus 0, 2 audit entries
    expect({ endsAt: again.campaign?.endsAt, bonus: bonus.points, audits: audits[0].n }).toEqual({ endsAt: now.toISOString(), bonus: 50, audits: 1 });
  });
});
