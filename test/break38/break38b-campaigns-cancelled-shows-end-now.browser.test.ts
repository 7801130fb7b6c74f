import { CreateCampaignDocument } from '../generated/graphql.js';
import { ok } from '../support/gateway.js';
import { unique } from '../support/program.js';
import { webGatewayPerBlock } from '../support/web-gateway.js';

const DAY = 86_400_000;
const END = `mutation($input: EndCampaignInput!) { endCampaign(input: $input) { campaign { id endsAt } userErrors { code } } }`;

/**
 * break38b (campaigns), the console's Campaigns table (web/src/console/rules.tsx), in Chromium with
 * the console's trusted documents only.
 */
describe("break38b: the console's Campaigns table, a cancelled campaign", () => {
  const started = webGatewayPerBlock({ demo: true, size: 'desktop' });

  /**
   * A campaign ended before its start ("cancelled": its endsAt = its startsAt, still in the
   * future) reads "never ran" in Days but still offers "End now" in State, until its would-be
   * start has passed. The State cell tests `endsAt <= Date.now()` before `neverRan`.
   * What an operator sees: "End now" on a campaign they cancelled; clicking it says "It has not
   * started: it will never run" and, confirmed, logs yet another endCampaign (see
   * break38b-campaigns-cancel-logged-again). Should see: "cancelled", no button.
   * Fix: in Rules' State cell, test neverRan(c) first (or `neverRan(c) || endsAt <= now`).
   */
  test('a cancelled campaign reads "cancelled", with no End now', async () => {
    const { t } = started.web;
    const name = unique('Cancelled before start');
    const start = new Date(Date.now() + 3 * DAY);
    const created = ok(
      await t.gql(
        CreateCampaignDocument,
        { input: { name, currency: 'BEANS', startsAt: start.toISOString(), endsAt: new Date(start.getTime() + 7 * DAY).toISOString(), outcome: { bonusPoints: 5 } } as never },
        t.operatorToken,
      ),
    ).createCampaign.campaign!;
    ok(await t.gql(END, { input: { campaignId: created.id, reason: 'wrong week' } }, t.operatorToken));
    const page = await started.web.consoleAsOperator('Rules');
    const row = page.getByRole('region', { name: 'Campaigns', exact: true }).getByRole('row').filter({ has: page.getByRole('cell', { name, exact: true }) });
    await row.waitFor();
    // received: { days: '8 Dec 2026: never ran' (or the like), state: 'End now', endNow: 1 }
    expect({
      days: (await row.locator('td:nth-child(2)').innerText()).endsWith(': never ran'),
      state: await row.locator('td:nth-child(7)').innerText(),
      endNow: await row.getByRole('button', { name: /^End now/ }).count(),
    }).toEqual({ days: true, state: 'cancelled', endNow: 0 });
  }, 60_000);
});
