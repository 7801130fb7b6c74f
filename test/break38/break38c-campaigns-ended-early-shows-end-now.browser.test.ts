import { CreateCampaignDocument } from '../generated/graphql.js';
import { ok } from '../support/gateway.js';
import { unique } from '../support/program.js';
import { webGatewayPerBlock } from '../support/web-gateway.js';

const DAY = 86_400_000;
const END = `mutation($input: EndCampaignInput!) { endCampaign(input: $input) { campaign { id endsAt endedAt } userErrors { code } } }`;

/**
 * break38c (campaigns), the console's Campaigns table (web/src/console/rules.tsx `Rules`, the State
 * cell). An operator's end is the gateway's `now` (`ends_at = ended_at = now`), but the State cell
 * judges "ended" by the browser's clock (`Date.parse(c.endsAt) <= Date.now()`) and ignores
 * `endedAt`, the API's own word that it was ended. An operator whose machine runs a few minutes
 * behind the gateway (or a gateway instance ahead within CLOCK_SKEW_MAX_MS) ends a campaign and the
 * refetched table still offers "End now" for it; pressing it again says "Sales made from now on
 * earn nothing…" and answers the same end.
 *
 * What the operator sees: State "End now" for the campaign just ended. Should see: "ended early
 * <instant>". Fix: `c.endedAt || Date.parse(c.endsAt) <= Date.now()` (and for the confirmation's
 * `upcoming`, likewise trust the server: e.g. compare with `endedAt`/the answer's moment).
 */
describe("break38c: the console's Campaigns table, a campaign ended by a gateway ahead of the browser", () => {
  const started = webGatewayPerBlock({ demo: true, size: 'desktop' });

  test('reads "ended early", with no End now', async () => {
    const { t } = started.web;
    const name = unique('Ended early');
    const created = ok(
      await t.gql(
        CreateCampaignDocument,
        { input: { name, currency: 'BEANS', startsAt: new Date(Date.now() - DAY).toISOString(), endsAt: new Date(Date.now() + 7 * DAY).toISOString(), outcome: { bonusPoints: 5 } } as never },
        t.operatorToken,
      ),
    ).createCampaign.campaign!;
    t.clock.advance(5 * 60_000); // the gateway's clock 5 minutes ahead of the operator's machine
    const ended = ok(await t.gql(END, { input: { campaignId: created.id, reason: 'wrong multiplier' } }, t.operatorToken)) as unknown as {
      endCampaign: { campaign: { endedAt: string | null } };
    };
    expect(ended.endCampaign.campaign.endedAt).not.toBeNull();
    const page = await started.web.consoleAsOperator('Rules');
    const row = page.getByRole('region', { name: 'Campaigns', exact: true }).getByRole('row').filter({ has: page.getByRole('cell', { name, exact: true }) });
    await row.waitFor();
    // Expected { state: 'ended early …', endNow: 0 }; received { state: 'End now …', endNow: 1 }.
    expect({
      state: (await row.locator('td:nth-child(7)').innerText()).startsWith('ended early '),
      endNow: await row.getByRole('button', { name: /^End now/ }).count(),
    }).toEqual({ state: true, endNow: 0 });
  }, 60_000);
});
