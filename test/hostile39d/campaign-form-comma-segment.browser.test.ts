import type { Page } from 'playwright-core';
import { ok } from '../support/gateway.js';
import { unique } from '../support/program.js';
import { webGatewayPerBlock } from '../support/web-gateway.js';

const DAY_MS = 86_400_000;

/**
 * hostile39d: the campaign form takes a segment with a comma in double quotes (campaign-form-39:
 * `"Paris, FR", Lyon` is two segments, as the economy rule's and the store's lists take them), and
 * the API stores two. The notice and the Campaigns table's "Applies to" then print them joined with
 * ", ": "segments Paris, FR, Lyon", which an operator reads as three segments (Paris, FR and Lyon),
 * and which, typed back into the form, makes three. What is shown must read back as what was
 * stored: each entry written as the form takes it (`entryText`: "Paris, FR" in quotes).
 */
describe('hostile39d: a campaign segment with a comma, read back', () => {
  const started = webGatewayPerBlock({ demo: true, size: 'desktop' });

  const fillWindow = async (form: ReturnType<Page['getByRole']>) => {
    const now = started.web.t.clock.now().getTime();
    await form.getByLabel('Starts (UTC)').fill(new Date(now - DAY_MS).toISOString().slice(0, 10));
    await form.getByLabel('Last day (UTC)').fill(new Date(now + 7 * DAY_MS).toISOString().slice(0, 10));
  };

  test('the notice and the table tell the two segments "Paris, FR" and Lyon from three', async () => {
    const { t } = started.web;
    const page = await started.web.consoleAsOperator('Rules');
    const form = page.getByRole('region', { name: 'Create a campaign' });
    const name = unique('Paris and Lyon');
    await form.getByLabel('Name').fill(name);
    await fillWindow(form);
    await form.getByLabel('Bonus points per sale').fill('10');
    await form.getByRole('group', { name: /^Conditions/ }).getByLabel(/^Segments/).fill('"Paris, FR", Lyon');
    await form.getByRole('button', { name: 'Create campaign' }).click();
    const notice = form.getByRole('status').filter({ hasText: 'Campaign created.' });
    await notice.waitFor();

    // the API stored two segments
    const stored = ok(await t.gql<{ campaigns: { name: string; conditions: { segments: string[] } }[] }, object>(`{ campaigns { name conditions { segments } } }`, {}, t.operatorToken)).campaigns.find((c) => c.name === name)!;
    expect(stored.conditions.segments).toEqual(['Paris, FR', 'Lyon']);

    const row = page.getByRole('region', { name: 'Campaigns', exact: true }).getByRole('row').filter({ has: page.getByRole('cell', { name, exact: true }) });
    await row.waitFor();
    const appliesCell = (await row.locator('td').allInnerTexts())[2];
    expect({ notice: await notice.innerText(), table: appliesCell }).toEqual({
      notice: `Campaign created. “${name}”: +10 BEANS; applies to segments "Paris, FR", Lyon.`,
      table: 'segments "Paris, FR", Lyon',
    });
    await page.close();
  }, 120_000);
});
