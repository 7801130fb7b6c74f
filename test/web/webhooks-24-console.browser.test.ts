import { DEMO } from '../../src/demo/seed.js';
import { seriousViolations, settledInPage } from '../support/browser.js';
import { ok } from '../support/gateway.js';
import { startWebGateway, type WebGateway } from '../support/web-gateway.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code field message } } }`;

/**
 * webhooks-24: the console's Webhooks page had no way to remove an endpoint (the API had
 * removeWebhookEndpoint), nor to turn a removed one on again (a 410 Gone removes it). Now each
 * endpoint's row has Remove, which asks first (a modal dialog: Cancel sends nothing), and a
 * removed one's row has Enable again. Real Chromium on the console's trusted documents, a real
 * gateway and PostgreSQL.
 */
describe("the console's Webhooks page removes and enables endpoints (webhooks-24)", () => {
  let web: WebGateway;

  beforeAll(async () => {
    web = await startWebGateway({ demo: true, size: 'desktop' });
  });
  afterAll(async () => {
    await web?.close();
  });

  const disabledAt = async (url: string) =>
    (await web.t.sql<{ disabled_at: Date | null }>(`select disabled_at from webhook_endpoint where url = $1`, [url])).map((r) => r.disabled_at !== null);

  test('Remove asks first, Cancel keeps the endpoint, Remove endpoint removes it; Enable again turns it back on', async () => {
    const { t } = web;
    const url = 'http://127.0.0.1:9/console-remove';
    ok(await t.gql(REGISTER, { input: { url, eventTypes: ['BALANCE_CHANGED'] } }, t.operatorToken));
    const page = await web.consoleAsOperator('Webhooks');
    const row = page.getByTestId('webhook-endpoint-row').filter({ hasText: url });
    await row.waitFor();
    expect(await row.textContent()).toContain('Receiving');

    await row.getByRole('button', { name: `Remove ${url}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove this endpoint?' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain(url);
    expect(await seriousViolations(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await disabledAt(url)).toEqual([false]);
    expect(await row.textContent()).toContain('Receiving');

    await row.getByRole('button', { name: `Remove ${url}` }).click();
    await dialog.getByRole('button', { name: 'Remove endpoint' }).click();
    await page.getByRole('status').filter({ hasText: `${url} was removed: nothing more is sent to it.` }).waitFor();
    await row.filter({ hasText: 'Removed' }).waitFor();
    expect(await disabledAt(url)).toEqual([true]);

    await row.getByRole('button', { name: `Enable again ${url}` }).click();
    await page.getByRole('status').filter({ hasText: `${url} receives again` }).waitFor();
    await row.filter({ hasText: 'Receiving' }).waitFor();
    expect(await disabledAt(url)).toEqual([false]);
    // Escape closes the dialog and sends nothing
    await row.getByRole('button', { name: `Remove ${url}` }).click();
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await disabledAt(url)).toEqual([false]);
  }, 120_000);

  // break2-24: with the keyboard alone. The dialog opened with the focus on its first button,
  // "Remove endpoint", so the Enter that opened it, pressed again (a double press, a held key),
  // removed the endpoint unread. The focus now starts on Cancel (useConfirmDialog).
  test('Enter twice on Remove keeps the endpoint; Escape returns the focus; Shift+Tab then Enter removes it', async () => {
    const { t } = web;
    const url = 'http://127.0.0.1:9/break2-24-keyboard';
    ok(await t.gql(REGISTER, { input: { url, eventTypes: ['BALANCE_CHANGED'] } }, t.operatorToken));
    const page = await web.consoleAsOperator('Webhooks');
    const row = page.getByTestId('webhook-endpoint-row').filter({ hasText: url });
    await row.waitFor();
    const dialog = page.getByRole('dialog', { name: 'Remove this endpoint?' });
    // the focused element's text once it is `expected` (the dialog moves the focus after it opens or closes), or what it is after 5 s
    const focused = (expected: string) => settledInPage<string | null>(page, 'document.activeElement?.textContent ?? null', expected);

    await row.getByRole('button', { name: `Remove ${url}` }).focus();
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    expect(await disabledAt(url)).toEqual([false]);
    expect(await row.textContent()).toContain('Receiving');

    expect(await focused(`Remove ${url}`)).toBe(`Remove ${url}`);
    await page.keyboard.press('Enter'); // the focus is back on the row's Remove
    await dialog.waitFor();
    expect(await focused('Cancel')).toBe('Cancel');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await focused(`Remove ${url}`)).toBe(`Remove ${url}`);
    expect(await disabledAt(url)).toEqual([false]);

    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.press('Shift+Tab');
    expect(await focused('Remove endpoint')).toBe('Remove endpoint');
    await page.keyboard.press('Enter');
    await row.filter({ hasText: 'Removed' }).waitFor();
    expect(await disabledAt(url)).toEqual([true]);
  }, 120_000);

  // webhook-register-46: the page listed endpoints but an operator could register one only with
  // the API's registerWebhookEndpoint (its empty table said so).
  test('Register an endpoint: the program’s, its events chosen, its signing secret shown once and copied; a partner’s offered only the events it may have; what the form lets through by mistake is refused as the API words it', async () => {
    const { t } = web;
    const partnerName = 'Register46 Till Co';
    ok(await t.gql(`mutation($input: CreatePartnerInput!) { createPartner(input: $input) { partner { id } userErrors { code } } }`, { input: { name: partnerName, scopes: ['customers:read'] } }, t.operatorToken));
    const url = 'http://127.0.0.1:9/console-register';
    const page = await web.consoleAsOperator('Webhooks');
    const form = page.getByRole('region', { name: 'Register an endpoint' });
    await form.getByLabel('URL (https://…)').fill(url);
    await form.getByRole('checkbox', { name: /^sale\.processed —/ }).check();
    await form.getByRole('checkbox', { name: /^offer\.issued —/ }).check();
    await form.getByLabel('Description (optional)').fill('Our CRM');
    await form.getByLabel('Reason (kept in the audit log, optional)').fill('CRM goes live');
    await form.getByRole('button', { name: 'Register endpoint' }).click();
    const shown = page.getByTestId('new-webhook-secret');
    const secret = await shown.locator('code.code').innerText();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    await form.getByRole('status').filter({ hasText: `Registered ${url} for the program: copy its signing secret above now.` }).waitFor();
    // listed, and stored as shown: the secret the gateway signs with, the events, the reason in the audit log
    const row = page.getByTestId('webhook-endpoint-row').filter({ hasText: url });
    // the description beside the URL, the events by the names the form and their messages use (newcomer-46)
    expect((await row.getByRole('cell').allInnerTexts()).slice(0, 3)).toEqual([`${url} — Our CRM`, 'the program', 'sale.processed, offer.issued']);
    const [stored] = await t.sql<{ secret: string; event_types: string[]; description: string; partner_id: number | null }>(`select secret, event_types, description, partner_id from webhook_endpoint where url = $1`, [url]);
    expect(stored).toEqual({ secret, event_types: ['sale.processed', 'offer.issued'], description: 'Our CRM', partner_id: null });
    expect(await t.sql(`select actor, reason from audit_entry where action = 'registerWebhookEndpoint' and target like 'WebhookEndpoint:%' order by id desc limit 1`)).toEqual([{ actor: `staff:${DEMO.staff.operator}`, reason: 'CRM goes live' }]);
    // Copy puts the secret on the clipboard (newcomer-46: it was selected by hand)
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(page.url()).origin });
    await shown.getByRole('button', { name: 'Copy' }).click();
    await shown.getByText('Copied to the clipboard.').waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText())).toBe(secret);
    await shown.getByRole('button', { name: 'I have stored it' }).click();
    await shown.waitFor({ state: 'detached' });
    // the button went with the secret: the focus is on the form's first field, not the page's body (newcomer-46)
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id)).toBe('f-url');

    // a partner's endpoint: the events it cannot have are off and say why, those left ticked unticked (newcomer-46: the
    // wallet's stayed selectable, and only the API's refusal said so); one its scopes read registers for the partner
    await form.getByLabel('URL (https://…)').fill(`${url}-partner`);
    const box = (wire: string) => form.getByRole('checkbox', { name: new RegExp(`^${wire.replace('.', '\\.')} —`) });
    await box('offer.issued').check();
    await form.getByLabel('For', { exact: true }).selectOption({ label: `partner ${partnerName}` });
    const boxes = await Promise.all(['sale.processed', 'offer.issued', 'balance.changed'].map(async (wire) => [await box(wire).isDisabled(), await box(wire).isChecked()]));
    expect(boxes).toEqual([[true, false], [true, false], [false, false]]);
    expect((await form.locator('label.check').allTextContents()).map((line) => line.replace(/\s+/g, ' ').trim())).toEqual([
      'sale.processed — a sale was processed (needs the transactions:read scope, which partner Register46 Till Co does not hold)',
      'sale.reversed — a sale was returned (needs the transactions:read scope, which partner Register46 Till Co does not hold)',
      'offer.issued — an offer landed in a wallet (the program’s endpoints only) (not for a partner)',
      'offer.redeemed — an offer was redeemed (the program’s endpoints only) (not for a partner)',
      'balance.changed — a point balance changed',
      'tier.changed — a customer moved tier',
    ]);
    await box('balance.changed').check();
    await form.getByRole('button', { name: 'Register endpoint' }).click();
    await form.getByRole('status').filter({ hasText: `Registered ${url}-partner for ${partnerName}` }).waitFor();
    expect(await t.sql(`select event_types, partner_id is not null as "forPartner" from webhook_endpoint where url = $1`, [`${url}-partner`])).toEqual([{ event_types: ['balance.changed'], forPartner: true }]);
    await shown.getByRole('button', { name: 'I have stored it' }).click();

    // what the form would let through by mistake (here: a box enabled by hand) the API refuses, in its own words, and nothing is registered
    await form.getByLabel('URL (https://…)').fill(`${url}-partner-2`);
    await box('offer.issued').evaluate((input) => ((input as unknown as { disabled: boolean }).disabled = false));
    await box('offer.issued').check();
    await form.getByRole('button', { name: 'Register endpoint' }).click();
    const refusal = page.getByRole('alert').filter({ hasText: "A partner's endpoint cannot receive offer.issued: partners do not read the wallet." });
    // the gateway's sentence alone: it read "This is not available to this member. A partner's endpoint …" (newcomer-46)
    expect(await refusal.innerText()).not.toMatch(/member/);
    expect(await shown.count()).toBe(0);
    expect(await t.sql(`select 1 from webhook_endpoint where url = $1`, [`${url}-partner-2`])).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);
    await page.close();
  }, 120_000);
});
