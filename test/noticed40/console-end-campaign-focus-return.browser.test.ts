import { unique } from '../support/program.js';
import { runningCampaignOnRules, webGatewayPerBlock } from '../support/web-gateway.js';
import { focusedText as focused } from '../support/web-pages.js';

/**
 * noticed-40: the Rules page's "End now" confirmation (ConfirmEndCampaign) left the focus on the
 * page's body when it closed, as the Stores page's Edit dialogs did before hostile39e: after Escape
 * or Cancel the next Tab started again at the top of the page, far from the campaign the operator
 * was on. Cancelled, the focus goes back to the End now button that opened it; ended, that button
 * is gone (the row says "ended early …"), and the focus goes to the notice saying so.
 */
describe("noticed-40: the focus after the campaign End dialog closes", () => {
  const web = webGatewayPerBlock({ demo: true, size: 'desktop' });
  /** A running campaign of the demo's BEANS, and the Rules page with its row. */
  async function running() {
    const name = unique('Focus');
    return { name, ...(await runningCampaignOnRules(web.web, name)) };
  }

  test('Escape, and Cancel, give the focus back to the End now button', async () => {
    const { name, page, row, dialog } = await running();
    const endNow = row.getByRole('button', { name: `End now ${name}` });
    await endNow.focus();
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await focused(page)).toBe(`End now ${name}`);

    await page.keyboard.press('Enter');
    await dialog.waitFor();
    // the focus starts on Cancel: Enter there cancels
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    expect(await focused(page)).toBe(`End now ${name}`);
  }, 90_000);

  test('ended from the keyboard: the focus is on the notice that says so', async () => {
    const { name, page, row, dialog } = await running();
    await row.getByRole('button', { name: `End now ${name}` }).focus();
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'End campaign' }).focus();
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: `Campaign “${name}” ended at` }).waitFor();
    await row.getByRole('cell', { name: /^ended / }).waitFor();
    expect(await focused(page)).toMatch(new RegExp(`^Campaign “${name}” ended at`));
  }, 90_000);
});
