import { decodeGlobalId } from '../../src/graphql/ids.js';
import { CreateCampaignDocument } from '../generated/graphql.js';
import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { earningProgram, unique } from '../support/program.js';

const DAY = 86_400_000;
const END = `mutation($input: EndCampaignInput!) {
  endCampaign(input: $input) { campaign { id startsAt endsAt } userErrors { code field message } }
}`;
type Ended = { endCampaign: { campaign: { id: string; startsAt: string; endsAt: string } | null; userErrors: { code: string }[] } };

/**
 * break38b (campaigns): end-campaign-38 promises "an ended campaign is answered as it is and nothing
 * is written or logged, so a resend after a lost answer (four sent at once) answers the same end
 * with one audit entry". For a campaign ended before its start (cancelled) that is not so:
 * endCampaign's guard is `ends_at > now`, and a cancelled campaign's end is its start, still in the
 * future, so every resend passes it, writes the row again and logs another endCampaign whose
 * "endedBefore" is the start (not the campaign's real former end).
 * What an operator sees: the audit log says the campaign was ended four times (three of them by
 * resends after a lost answer, or by the console's "End now", which a cancelled campaign still
 * shows: see break38b-campaigns-cancelled-shows-end-now), the later ones claiming it "ended before"
 * its start. Should see: one endCampaign entry, its endedBefore the campaign's original end.
 * Root cause: src/rules/rule.service.ts endCampaign (`where ... ends_at > now`): an ended campaign
 * is one whose end is at or before now OR whose end equals its start.
 */
describe('ending a cancelled campaign again', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  const audit = async (campaignId: string) =>
    t.sql<{ reason: string | null; details: { endsAt: string; endedBefore: string } }>(
      `select reason, details from audit_entry where target = 'Campaign:' || $1 and action = 'endCampaign' order by id`,
      [String(decodeGlobalId(campaignId)!.id)],
    );

  it('four ends of an upcoming campaign sent at once log one end, as they do for a running one', async () => {
    const { currency } = await earningProgram(t, 'C');
    const start = new Date(Date.now() + 2 * DAY);
    const end = new Date(start.getTime() + 7 * DAY);
    const upcoming = ok(
      await t.gql(
        CreateCampaignDocument,
        { input: { name: unique('upcoming'), currency, startsAt: start.toISOString(), endsAt: end.toISOString(), outcome: { bonusPoints: 50 } } as never },
        t.operatorToken,
      ),
    ).createCampaign.campaign!;
    const answers = await Promise.all(
      ['wrong days', 'wrong days', 'wrong days', 'wrong days'].map((reason) => t.gql(END, { input: { campaignId: upcoming.id, reason } }, t.operatorToken)),
    );
    expect(answers.map((a) => (dataOf(a) as Ended).endCampaign.campaign?.endsAt)).toEqual(Array(4).fill(start.toISOString()));
    // and a resend later (a lost answer's "Try again")
    (dataOf(await t.gql(END, { input: { campaignId: upcoming.id, reason: 'again' } }, t.operatorToken)) as Ended).endCampaign;
    // received: five entries, the later four with endedBefore = the start
    expect(await audit(upcoming.id)).toEqual([{ reason: 'wrong days', details: { endsAt: start.toISOString(), endedBefore: end.toISOString() } }]);
  });
});
