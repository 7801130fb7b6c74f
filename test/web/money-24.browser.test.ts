import { CreateCampaignDocument } from '../generated/graphql.js';
import { ok } from '../support/gateway.js';
import { unique } from '../support/program.js';
import { runningCampaignOnRules, webGatewayPerBlock } from '../support/web-gateway.js';

/**
 * money-24: the console's Campaigns table said what each campaign had awarded as a bare number
 * ("Awarded" 0), while a program can run campaigns in several point currencies: the figure now
 * names its currency, as the Outcome column's bonus already did ("+50 BEANS"). In a real Chromium
 * against a started demo gateway with the apps' trusted documents only.
 */
describe("the console's campaign figures name their currency (money-24)", () => {
  const started = webGatewayPerBlock({ demo: true, size: 'desktop' });

  test("each campaign's Awarded figure carries its point currency", async () => {
    const page = await started.web.consoleAsOperator('Rules');
    const campaigns = page.getByRole('region', { name: 'Campaigns', exact: true });
    const rows = campaigns.getByRole('row').filter({ has: page.getByRole('cell') });
    await rows.first().waitFor();
    const awarded = await rows.locator('td:nth-child(6)').allInnerTexts();
    expect(awarded.length).toBeGreaterThan(0);
    expect(awarded).toEqual(awarded.map(() => expect.stringMatching(/^\d[\d,  ]* BEANS$/)));
  }, 60_000);

  // newcomer-37: the table showed no condition, so the demo's coffee bonus read as one for every sale.
  test("each campaign says which sales it applies to, its minimum spend in the program's money", async () => {
    const { t } = started.web;
    const weekend = unique('Weekend Gold');
    const now = Date.now();
    ok(
      await t.gql(
        CreateCampaignDocument,
        { input: { name: weekend, currency: 'BEANS', startsAt: new Date(now - 3_600_000).toISOString(), endsAt: new Date(now + 30 * 86_400_000).toISOString(), conditions: { daysOfWeek: [6, 7], tiers: ['GOLD'] }, outcome: { multiplier: 2 } } as never },
        t.operatorToken,
      ),
    );
    const page = await started.web.consoleAsOperator('Rules');
    const campaigns = page.getByRole('region', { name: 'Campaigns', exact: true });
    const rowOf = (name: string) => campaigns.getByRole('row').filter({ has: page.getByRole('cell', { name, exact: true }) });
    await rowOf('Coffee bonus').waitFor();
    expect({
      coffee: await rowOf('Coffee bonus').locator('td:nth-child(3)').innerText(),
      firstVisit: await rowOf('First visit treat').locator('td:nth-child(3)').innerText(),
      // the weekdays are the till's (its occurredAt's offset), not the UTC of the Days column (newcomer-38)
      weekend: await rowOf(weekend).locator('td:nth-child(3)').innerText(),
    }).toEqual({ coffee: 'spend ≥ €3.00 · category COFFEE', firstVisit: 'first sale only', weekend: "Sat, Sun (till's day) · tier GOLD" });
  }, 60_000);

  // newcomer-37: a campaign made by mistake ran to its last day; nothing in the console ended it.
  test('an operator ends a running campaign from its row, with a reason, after a confirmation that says what ending does', async () => {
    const { t } = started.web;
    const name = unique('Mistaken double points');
    const { now, page, row, dialog } = await runningCampaignOnRules(started.web, name, { multiplier: 2 });
    await row.getByRole('button', { name: `End now ${name}` }).click();
    const effect = await dialog.getByTestId('end-campaign-effect').innerText();
    await dialog.getByLabel('Reason (kept in the audit log, optional)').fill('Should have been 1.5');
    await dialog.getByRole('button', { name: 'End campaign' }).click();
    const notice = page.getByRole('status').filter({ hasText: `Campaign “${name}” ended at` });
    await notice.waitFor();
    await row.getByRole('cell', { name: /^ended / }).waitFor();
    const [stored] = await t.sql<{ ends_at: Date; reason: string }>(
      `select c.ends_at, a.reason from campaign c join audit_entry a on a.target = 'Campaign:' || c.id and a.action = 'endCampaign' where c.name = $1`,
      [name],
    );
    expect({ effect, dialogOpen: await dialog.isVisible(), ended: stored.ends_at.getTime() <= Date.now() && stored.ends_at.getTime() > now, reason: stored.reason }).toEqual({
      effect: 'Sales made from now on earn nothing from it. Sales made before now still do, also those a till sends later, and the points it awarded stay. This cannot be undone.',
      dialogOpen: false,
      ended: true,
      reason: 'Should have been 1.5',
    });
  }, 60_000);
});
