import { seriousViolations } from '../support/browser.js';
import { ok } from '../support/gateway.js';
import { startWebGateway, type WebGateway } from '../support/web-gateway.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code field message } } }`;
const REMOVE = `mutation Remove($input: RemoveWebhookEndpointInput!) { removeWebhookEndpoint(input: $input) { endpoint { id } userErrors { code } } }`;

/**
 * webhooks-23: two faults of the console's Webhooks page (break3-22 "Left"), and its new bulk replay. A Replay refetched
 * the FAILED list, which reloads its first page only: an operator replaying, after an outage, the
 * older deliveries reached with "Show older" was sent back to the newest 30 after each one. And a
 * removed endpoint's FAILED deliveries (removed by staff, by its partner, or now by its receiver's
 * 410 Gone) were offered a Replay the API refuses ("Its endpoint was removed."). Real Chromium on
 * the console's trusted documents; FAILED deliveries written to the log as the job leaves them.
 */
describe("the console's Webhooks page after a replay, and a removed endpoint's deliveries (webhooks-23)", () => {
  let web: WebGateway;

  beforeAll(async () => {
    web = await startWebGateway({ demo: true, size: 'desktop' });
  });
  afterAll(async () => {
    await web?.close();
  });

  /** An endpoint at `url` and `count` FAILED deliveries to it, of events `first` … `first + count - 1` in that order. */
  const failedDeliveries = async (url: string, first: number, count: number) => {
    const { t } = web;
    const endpointId = ok(await t.gql<{ registerWebhookEndpoint: { endpoint: { id: string } } }, unknown>(REGISTER, { input: { url, eventTypes: ['BALANCE_CHANGED'] } }, t.operatorToken))
      .registerWebhookEndpoint.endpoint.id;
    await t.sql(
      `insert into webhook_delivery (endpoint_id, event_id, event_type, body, status, attempts, last_error, created_at, finished_at)
       select e.id, $2::bigint + n, 'balance.changed', '{}', 'FAILED', $3, 'HTTP 503', $4, $4 from webhook_endpoint e, generate_series(0, $5::int - 1) as n where e.url = $1`,
      [url, first, t.config.webhooks.maxAttempts, t.clock.now(), count],
    );
    return endpointId;
  };

  test('a replay of an older delivery takes it off the list and keeps the pages loaded', async () => {
    await failedDeliveries('http://127.0.0.1:9/older', 900001, 45);
    const page = await web.consoleAsOperator('Webhooks');
    const rows = page.getByTestId('failed-delivery-row');
    await rows.filter({ hasText: 'evt_900045' }).waitFor();
    await page.getByRole('button', { name: 'Show older' }).click();
    await rows.filter({ hasText: 'evt_900001' }).waitFor();
    expect(await rows.count()).toBe(45);

    await rows.filter({ hasText: 'evt_900001' }).getByRole('button', { name: 'Replay evt_900001' }).click();
    await page.getByRole('status').filter({ hasText: 'evt_900001 is being sent again.' }).waitFor();
    await rows.filter({ hasText: 'evt_900001' }).waitFor({ state: 'detached' });
    // The next one down is still there to replay, with every other one loaded.
    expect(await rows.count()).toBe(44);
    expect(await rows.last().textContent()).toContain('evt_900002');
    await rows.filter({ hasText: 'evt_900002' }).getByRole('button', { name: 'Replay evt_900002' }).click();
    await page.getByRole('status').filter({ hasText: 'evt_900002 is being sent again.' }).waitFor();
    await rows.filter({ hasText: 'evt_900002' }).waitFor({ state: 'detached' });
    expect(await rows.count()).toBe(43);
    expect(await rows.last().textContent()).toContain('evt_900003');
  }, 120_000);

  test("an operator replays every FAILED delivery of one endpoint at once; the others' stay listed", async () => {
    const { t } = web;
    const endpointId = await failedDeliveries('http://127.0.0.1:9/bulk', 700001, 35);
    const page = await web.consoleAsOperator('Webhooks');
    const rows = page.getByTestId('failed-delivery-row');
    await rows.filter({ hasText: 'evt_700035' }).waitFor();
    expect(await rows.filter({ hasText: '127.0.0.1:9/bulk' }).count()).toBe(30);

    const form = page.getByRole('region', { name: "Replay an endpoint's failed deliveries" });
    await form.getByLabel(/^Endpoint/).selectOption(endpointId);
    await form.getByRole('button', { name: 'Replay all failed' }).click();
    await page.getByRole('status').filter({ hasText: '35 deliveries to http://127.0.0.1:9/bulk are being sent again.' }).waitFor();
    await page.getByText('None of those shown is left failed: show older ones.').waitFor();
    expect(await rows.count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
    const [{ pending }] = await t.sql<{ pending: number }>(
      `select count(*)::int as pending from webhook_delivery d join webhook_endpoint e on e.id = d.endpoint_id where e.url = $1 and d.status = 'PENDING'`,
      ['http://127.0.0.1:9/bulk'],
    );
    expect(pending).toBe(35);
    // The other endpoint's FAILED deliveries are still there, older.
    await page.getByRole('button', { name: 'Show older' }).click();
    await rows.filter({ hasText: 'evt_900045' }).waitFor();
    expect(await rows.filter({ hasText: '127.0.0.1:9/bulk' }).count()).toBe(0);
  }, 120_000);

  test("a removed endpoint's FAILED delivery is listed without a Replay", async () => {
    const { t } = web;
    const endpointId = await failedDeliveries('http://127.0.0.1:9/removed', 800001, 1);
    ok(await t.gql(REMOVE, { input: { endpointId } }, t.operatorToken));
    const page = await web.consoleAsOperator('Webhooks');
    const row = page.getByTestId('failed-delivery-row').filter({ hasText: 'evt_800001' });
    await row.waitFor();
    expect(await row.textContent()).toContain('Endpoint removed');
    expect(await row.getByRole('button').count()).toBe(0);
  }, 120_000);
});
