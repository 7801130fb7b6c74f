import { ok } from '../support/gateway.js';
import { startWebGateway, type WebGateway } from '../support/web-gateway.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code field message } } }`;

/**
 * break2-24: the console's Remove confirmation (webhooks-24) with the keyboard alone. The dialog
 * opened with the focus on its first button, "Remove endpoint", so the Enter that opened it,
 * pressed again (a double press, a held key repeating), removed the endpoint without the
 * confirmation being read. The focus now starts on Cancel (the choice that changes nothing, as
 * WAI-ARIA's alert dialog pattern advises for a destructive action), Enter there sends nothing, and
 * removing takes a deliberate move to "Remove endpoint". Real Chromium, gateway and PostgreSQL.
 */
describe("the console's Remove confirmation with the keyboard alone (break2-24)", () => {
  let web: WebGateway;
  beforeAll(async () => {
    web = await startWebGateway({ demo: true, size: 'desktop' });
  });
  afterAll(async () => {
    await web?.close();
  });

  const disabledAt = async (url: string) =>
    (await web.t.sql<{ disabled_at: Date | null }>(`select disabled_at from webhook_endpoint where url = $1`, [url])).map((r) => r.disabled_at !== null);

  test('Enter twice on Remove keeps the endpoint; Escape returns the focus; Shift+Tab then Enter removes it', async () => {
    const { t } = web;
    const url = 'http://127.0.0.1:9/break2-24-keyboard';
    ok(await t.gql(REGISTER, { input: { url, eventTypes: ['BALANCE_CHANGED'] } }, t.operatorToken));
    const page = await web.consoleAsOperator('Webhooks');
    const row = page.getByTestId('webhook-endpoint-row').filter({ hasText: url });
    await row.waitFor();
    const dialog = page.getByRole('dialog', { name: 'Remove this endpoint?' });
    const focused = () => page.evaluate<string | null>('document.activeElement?.textContent ?? null');

    await row.getByRole('button', { name: `Remove ${url}` }).focus();
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    expect(await disabledAt(url)).toEqual([false]);
    expect(await row.textContent()).toContain('Receiving');

    await page.keyboard.press('Enter'); // the focus is back on the row's Remove
    await dialog.waitFor();
    expect(await focused()).toBe('Cancel');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await focused()).toBe(`Remove ${url}`);
    expect(await disabledAt(url)).toEqual([false]);

    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.press('Shift+Tab');
    expect(await focused()).toBe('Remove endpoint');
    await page.keyboard.press('Enter');
    await row.filter({ hasText: 'Removed' }).waitFor();
    expect(await disabledAt(url)).toEqual([true]);
  }, 120_000);
});
