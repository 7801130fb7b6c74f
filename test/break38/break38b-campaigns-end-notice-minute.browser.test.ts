import { unique } from '../support/program.js';
import { runningCampaignOnRules, webGatewayPerBlock } from '../support/web-gateway.js';

/**
 * break38b (campaigns), console: after "End campaign" the notice says “Campaign “X” ended at
 * 5 Dec 2026, 14:19 UTC: sales made from then on earn nothing from it.” and the State column
 * "ended 5 Dec 2026, 14:19 UTC" — the end cut to the minute (formatDateTime: timeStyle 'short'),
 * while the end is an instant to the millisecond. Sales made between 14:19:00 and the real end
 * (up to 59.999 s) DO earn from it.
 * What an operator sees: a promise that sales from 14:19 earned nothing, then a member's 14:19:30
 * sale with the campaign's bonus. Should see the instant the end holds from, to the second at
 * least (e.g. "14:19:45 UTC"; or say "at 14:19:45.123").
 * Fix: web/src/console/rules.tsx ConfirmEndCampaign's notice and the State cell should format the
 * end with seconds (a formatDateTime variant with timeStyle 'medium').
 */
describe("break38b: the console's notice of an ended campaign", () => {
  const started = webGatewayPerBlock({ demo: true, size: 'desktop' });

  test('names the second the campaign ended at', async () => {
    const { t } = started.web;
    const name = unique('Ended to the second');
    const { page, row, dialog } = await runningCampaignOnRules(started.web, name);
    await row.getByRole('button', { name: `End now ${name}` }).click();
    await dialog.getByRole('button', { name: 'End campaign' }).click();
    const notice = page.getByRole('status').filter({ hasText: `Campaign “${name}” ended at` });
    await notice.waitFor();
    await row.getByRole('cell', { name: /^ended / }).waitFor();
    const [stored] = await t.sql<{ ends_at: Date }>(`select ends_at from campaign where name = $1`, [name]);
    const second = stored.ends_at.toISOString().slice(11, 19); // HH:MM:SS, UTC
    // received: notice "… ended at 5 Dec 2026, 14:19 UTC: …", state "ended 5 Dec 2026, 14:19 UTC"
    expect({ notice: await notice.innerText(), state: await row.locator('td:nth-child(7)').innerText() }).toEqual({
      notice: expect.stringContaining(second),
      state: expect.stringContaining(second),
    });
  }, 60_000);
});
