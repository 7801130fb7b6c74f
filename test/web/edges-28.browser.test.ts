import type { Locator, Page, Route } from 'playwright-core';
import { DEMO } from '../../src/demo/seed.js';
import { answerSuite } from '../support/answer-tabs.js';
import { settledInPage } from '../support/browser.js';
import { ok } from '../support/gateway.js';
import { until } from '../support/web-pages.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code field message } } }`;
const CREATE_PARTNER = `mutation($input: CreatePartnerInput!) { createPartner(input: $input) { partner { id } userErrors { code } } }`;
const CREATE_TIER = `mutation($input: CreateTierInput!) { createTier(input: $input) { tier { code } userErrors { code message } } }`;

/**
 * Holds the page's requests of `operationName` (a mutation's real request, not a `dryRun` preview)
 * until `release` is called, then sends them on (to answerTabs' route, which records them and
 * sends them to the gateway). `arrived` says whether one was held.
 */
async function gate(page: Page, operationName: string) {
  let release!: () => void;
  const opened = new Promise<void>((resolve) => (release = resolve));
  const state = { arrived: false, release };
  await page.route(/\/graphql$/, async (route: Route) => {
    const body = route.request().method() === 'POST' ? (JSON.parse(route.request().postData() ?? '{}') as { operationName?: string; variables?: { input?: { dryRun?: boolean } } }) : {};
    if (body.operationName === operationName && !body.variables?.input?.dryRun) {
      state.arrived = true;
      await opened;
    }
    await route.fallback();
  });
  return state;
}

/** Whether the page's one `<dialog>` is shown (`open`), once it is (it may be shown again a moment after a close), or what it is after 5 s: 'none' when it is gone. */
const dialogOpen = (page: Page) => settledInPage<string>(page, "String(document.querySelector('dialog')?.open ?? 'none')", 'true');

/**
 * Escape pressed twice on `page` with nothing clicked between (Chromium's close watcher lets the
 * second close a dialog whose cancel was refused), then whether the dialog is shown (dialogOpen)
 * and whether its Cancel is disabled.
 */
async function afterEscapeTwice(page: Page, dialog: Locator) {
  await page.keyboard.press('Escape');
  const first = await dialogOpen(page);
  await page.keyboard.press('Escape');
  const open = first === 'true' ? await dialogOpen(page) : first;
  return { open, cancelDisabled: open === 'true' && (await dialog.getByRole('button', { name: 'Cancel' }).isDisabled()) };
}

/**
 * edges-28: a dialog that sends a write closed on Escape while the write was in flight, so its
 * outcome was lost: the member's purchase refused (or of unknown outcome) was set on a dialog no
 * longer there, and the operator's tier refused the same. Now Escape, twice (Chromium lets the
 * second close a dialog whose cancel was refused, when nothing was clicked between), and Cancel
 * leave it open until the answer shows in it. And the console's "Replay all failed" said only how
 * many deliveries were sent again, not the ones it left failed (the payload's `skipped`) and why;
 * its forms showed the first of a refusal's userErrors only (a manifest's problems are one each).
 * Real Chromium on the apps' trusted documents, a real gateway and PostgreSQL.
 */
describe('a dialog stays while its write is sent; a bulk replay says what it skipped (edges-28)', () => {
  const { stack, staff, memberInStore, memberState, consoleTab } = answerSuite();

  test('Escape while a purchase is sent keeps the dialog, and the refusal shows in it', async () => {
    const { member, tab, listing, dialog } = await memberInStore();
    const held = await gate(tab.page, 'MemberPurchase');
    await listing.getByRole('button', { name: /^Buy/ }).click();
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Confirm purchase' }).click();
    await until(() => held.arrived, 'the purchase sent, held on its way');

    expect(await afterEscapeTwice(tab.page, dialog)).toEqual({ open: 'true', cancelDisabled: true });

    // Meanwhile the member's points are spent elsewhere: the purchase is refused when it arrives.
    await staff(`mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { userErrors { code } } }`, {
      customerExternalId: member,
      currency: DEMO.currency,
      amount: -500,
      reason: 'edges-28 drain',
      idempotencyKey: `drain-${member}`,
    });
    held.release();
    await dialog.getByRole('alert').filter({ hasText: 'The balance is too low for this.' }).waitFor();
    expect(await memberState(member)).toEqual({ available: 0 });
    // Answered: Escape closes it now.
    await tab.page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  }, 120_000);

  test("Escape while a tier is created keeps the console's dialog, and the refusal naming the clash shows in it", async () => {
    const tab = await consoleTab();
    await tab.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rules', exact: true }).click();
    const form = tab.page.getByRole('region', { name: 'Add a tier' });
    await form.getByLabel('Code (capital letters, digits or _)').waitFor();
    await form.locator('#f-tierCurrency').selectOption(DEMO.currency);
    await form.getByLabel('Code (capital letters, digits or _)').fill('EDGES28');
    await form.getByLabel('Name').fill('Edges');
    await form.getByLabel('Rank (higher is better)').fill('828');
    await form.getByLabel('Qualifying points').fill('900000');
    const held = await gate(tab.page, 'ConsoleCreateTier');
    await form.getByRole('button', { name: 'Preview' }).click();
    const dialog = tab.page.getByRole('dialog', { name: 'Create tier “Edges” (EDGES28)?' });
    await dialog.getByTestId('tier-preview').waitFor();
    await dialog.getByRole('button', { name: 'Create tier' }).click();
    await until(() => held.arrived, 'the tier sent, held on its way');

    expect(await afterEscapeTwice(tab.page, dialog)).toEqual({ open: 'true', cancelDisabled: true });

    // Another operator takes the rank meanwhile.
    const other = (await staff(CREATE_TIER, { currency: DEMO.currency, code: 'OTHER28', name: 'Other', rank: 828, threshold: 800000 })) as { createTier: { tier: { code: string } | null } };
    expect(other.createTier.tier).toEqual({ code: 'OTHER28' });
    held.release();
    await dialog
      .getByRole('alert')
      .filter({ hasText: `Rank 828 is taken by tier OTHER28 (${DEMO.currency}, from 800,000 points)` })
      .waitFor();
    expect(await stack().t.sql(`select code from tier where code = 'EDGES28'`)).toEqual([]);
  }, 120_000);

  test('Escape while an endpoint is removed keeps the dialog until the answer, which the page then says', async () => {
    const { t } = stack();
    const url = 'http://127.0.0.1:9/edges-28-remove';
    ok(await t.gql(REGISTER, { input: { url, eventTypes: ['BALANCE_CHANGED'] } }, t.operatorToken));
    const tab = await consoleTab();
    await tab.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks', exact: true }).click();
    const row = tab.page.getByTestId('webhook-endpoint-row').filter({ hasText: url });
    const held = await gate(tab.page, 'ConsoleRemoveWebhookEndpoint');
    await row.getByRole('button', { name: `Remove ${url}` }).click();
    const dialog = tab.page.getByRole('dialog', { name: 'Remove this endpoint?' });
    await dialog.getByRole('button', { name: 'Remove endpoint' }).click();
    await until(() => held.arrived, 'the removal sent, held on its way');

    await tab.page.keyboard.press('Escape');
    expect(await dialogOpen(tab.page)).toBe('true');
    expect(await dialog.getByRole('button', { name: 'Cancel' }).isDisabled()).toBe(true);
    held.release();
    await tab.page.getByRole('status').filter({ hasText: `${url} was removed: nothing more is sent to it.` }).waitFor();
    await dialog.waitFor({ state: 'detached' });
  }, 120_000);

  test('"Replay all failed" says how many it sent again and how many it left failed, and why', async () => {
    const { t } = stack();
    const url = 'http://127.0.0.1:9/edges-28-skipped';
    const partner = (await staff(CREATE_PARTNER, { name: 'Edges till', scopes: ['customers:read', 'transactions:read', 'webhooks:manage'], idempotencyKey: 'edges-28-partner' })) as {
      createPartner: { partner: { id: string } };
    };
    ok(await t.gql(REGISTER, { input: { url, eventTypes: ['BALANCE_CHANGED', 'SALE_PROCESSED'], partnerId: partner.createPartner.partner.id } }, t.operatorToken));
    // 2 balance.changed and 3 sale.processed deliveries FAILED; then the partner no longer reads sales (small-25's narrowing, in the database).
    await t.sql(
      `insert into webhook_delivery (endpoint_id, event_id, event_type, body, status, attempts, last_error, created_at, finished_at)
       select e.id, 28000 + n, case when n < 2 then 'balance.changed' else 'sale.processed' end, '{}', 'FAILED', $2, 'HTTP 503', $3, $3
         from webhook_endpoint e, generate_series(0, 4) as n where e.url = $1`,
      [url, t.config.webhooks.maxAttempts, t.clock.now()],
    );
    await t.sql(`update partner set scopes = array_remove(scopes, 'transactions:read') where name = 'Edges till'`);

    const tab = await consoleTab();
    await tab.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks', exact: true }).click();
    const form = tab.page.getByRole('region', { name: "Replay an endpoint's failed deliveries" });
    const endpointId = (await t.sql<{ id: string }>(`select id::text from webhook_endpoint where url = $1`, [url]))[0].id;
    const option = form.locator('option').filter({ hasText: url });
    await option.waitFor({ state: 'attached' });
    await form.getByLabel(/^Endpoint/).selectOption((await option.getAttribute('value')) ?? endpointId);
    await form.getByRole('button', { name: 'Replay all failed' }).click();
    const notice = form.getByRole('status');
    await notice.waitFor();
    expect(await notice.innerText()).toBe(
      `2 deliveries to ${url} are being sent again. 3 deliveries were left out and stay failed: 3 deliveries of SALE_PROCESSED: ` +
        "The endpoint's partner no longer holds transactions:read, which sale.processed events need, so a replay would not be sent.",
    );
  }, 120_000);
  test("a manifest refused for two things says both, not the first alone", async () => {
    const tab = await consoleTab();
    await tab.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Partners', exact: true }).click();
    const form = tab.page.getByRole('region', { name: "Register a partner's operations" });
    await form.getByRole('option', { name: 'Demo POS' }).waitFor({ state: 'attached' });
    await form.getByLabel('Partner').selectOption({ label: 'Demo POS' });
    await form.getByLabel('Persisted query manifest (JSON)').fill(JSON.stringify({ format: 'apollo', version: 2, operations: [] }));
    await form.getByRole('button', { name: 'Register manifest' }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toBe('Something in the form is not valid. format must be "apollo-persisted-query-manifest". version must be 1.');
  }, 120_000);
});
