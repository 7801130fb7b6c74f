import { DEMO } from '../../src/demo/seed.js';
import { ok } from '../support/gateway.js';
import { startWebGateway, type WebGateway } from '../support/web-gateway.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code field message } } }`;
/** More FAILED deliveries than the page's first page (30). */
const FAILED = 75;

/**
 * break3-22: an endpoint down past the schedule leaves as many FAILED deliveries as it had events
 * (thousands after a day for a busy program). The console's Webhooks page shows them 30 at a time
 * with "Show older"; it must reach the older ones, which the operator replays. And an analyst reads
 * the page with Replay disabled. Real Chromium on the console's trusted documents; the FAILED
 * deliveries are written to the log as the job leaves them (the schedule itself is webhooks-22's test).
 */
describe("the console's Webhooks page with many failed deliveries (break3-22)", () => {
  let web: WebGateway;

  beforeAll(async () => {
    web = await startWebGateway({ demo: true, size: 'desktop' });
  });
  afterAll(async () => {
    await web?.close();
  });

  test('"Show older" reaches every FAILED delivery, and an analyst sees Replay disabled', async () => {
    const { t } = web;
    const url = 'http://127.0.0.1:9/many-failed';
    ok(await t.gql(REGISTER, { input: { url, eventTypes: ['BALANCE_CHANGED'] } }, t.operatorToken));
    const now = t.clock.now();
    await t.sql(
      `insert into webhook_delivery (endpoint_id, event_id, event_type, body, status, attempts, last_error, created_at, finished_at)
       select e.id, 900000 + n, 'balance.changed', '{}', 'FAILED', $2, 'HTTP 503', $3, $3 from webhook_endpoint e, generate_series(1, $4) as n where e.url = $1`,
      [url, t.config.webhooks.maxAttempts, now, FAILED],
    );

    const page = await web.consoleAsOperator('Webhooks');
    const rows = page.getByTestId('failed-delivery-row');
    await rows.filter({ hasText: `evt_${900000 + FAILED}` }).waitFor();
    expect(await rows.count()).toBe(30);
    // Older pages, until the oldest is shown.
    for (const shown of [60, FAILED]) {
      await page.getByRole('button', { name: 'Show older' }).click();
      await rows.nth(shown - 1).waitFor({ timeout: 10_000 });
      expect(await rows.count()).toBe(shown);
    }
    await rows.filter({ hasText: 'evt_900001' }).waitFor();
    expect(await page.getByRole('button', { name: 'Show older' }).count()).toBe(0);

    // An analyst reads the same page; Replay is there but disabled.
    const analyst = await web.context.newPage();
    await analyst.goto('/console/');
    await analyst.getByRole('button', { name: `Continue as analyst (${DEMO.staff.analyst})` }).click();
    await analyst.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks', exact: true }).click();
    const first = analyst.getByTestId('failed-delivery-row').filter({ hasText: `evt_${900000 + FAILED}` });
    await first.waitFor();
    expect(await first.getByRole('button', { name: `Replay evt_${900000 + FAILED}` }).isDisabled()).toBe(true);
  }, 120_000);
});
