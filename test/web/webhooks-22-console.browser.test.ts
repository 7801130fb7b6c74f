import { seriousViolations } from '../support/browser.js';
import { ok } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer } from '../support/program.js';
import { startWebGateway, type WebGateway } from '../support/web-gateway.js';
import { Receiver } from '../support/webhook-receiver.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code field message } } }`;
const RETRY_NOW = `mutation RetryNow($input: RetryWebhookDeliveriesNowInput!) { retryWebhookDeliveriesNow(input: $input) { broughtForward userErrors { code field message } } }`;

/**
 * webhooks-22: staff had no page for webhooks; a receiver that failed a delivery's every attempt
 * was seen only by whoever queried `webhookDeliveries`. The console's Webhooks page says which
 * endpoints are failing and since when, lists the FAILED deliveries, and an operator replays one
 * once the receiver is mended. A real Chromium on the console's trusted documents, a real receiver
 * that answers 503 through the whole default schedule (the clock moved to each attempt, no waiting).
 */
describe("the console's Webhooks page (webhooks-22)", () => {
  let web: WebGateway;
  let receiver: Receiver;

  beforeAll(async () => {
    web = await startWebGateway({ demo: true, size: 'desktop' });
    receiver = await new Receiver().start();
  });
  afterAll(async () => {
    await receiver?.close();
    await web?.close();
  });

  test('a failing endpoint reads "Failing since", its FAILED delivery is listed, and a replay after the mend clears both', async () => {
    const { t } = web;
    // The clock stands still but for the test's own moves: the first retry is due the backoff plus a
    // random part of up to half of it after the first attempt, and Retry now must come between. On a
    // running clock the real time between the first attempt and Retry now (seconds under a whole
    // run's load) could pass that random part, the retry was then due already, Retry now brought
    // nothing forward, and one attempt fewer was sent (17 of 18, seen once in a whole run).
    t.clock.freeze();
    receiver.status = () => 503;
    await createCurrency(t, 'HOOKS');
    const customer = await createCustomer(t, 'HOOKS');
    const endpointId = ok(await t.gql<{ registerWebhookEndpoint: { endpoint: { id: string } } }, unknown>(REGISTER, { input: { url: receiver.url, eventTypes: ['BALANCE_CHANGED'] } }, t.operatorToken))
      .registerWebhookEndpoint.endpoint.id;
    await adjust(t, customer.externalId, 'HOOKS', 10);
    t.clock.advance(t.config.webhooks.dispatchMs);
    await t.runScheduled();
    // An operator's Retry now after the first attempt, past its floor: one more attempt, outside the schedule
    t.clock.advance(t.config.webhooks.backoffMs + 1);
    ok(await t.gql(RETRY_NOW, { input: { endpointId } }, t.operatorToken));
    await t.runScheduled();
    // Every attempt of the schedule, each at its time.
    for (;;) {
      const [d] = await t.sql<{ status: string; next: Date | null }>(
        `select d.status, d.next_attempt_at as next from webhook_delivery d join webhook_endpoint e on e.id = d.endpoint_id where e.url = $1`,
        [receiver.url],
      );
      if (d.status !== 'PENDING') break;
      t.clock.advance(Math.max(0, d.next!.getTime() - t.clock.now().getTime()) + 1);
      await t.runScheduled();
    }
    expect(receiver.requests).toHaveLength(t.config.webhooks.maxAttempts + 1);
    const messageId = String(receiver.requests[0].headers['webhook-id']);

    const page = await web.consoleAsOperator('Webhooks');
    const endpointRow = page.getByTestId('webhook-endpoint-row').filter({ hasText: receiver.url });
    await endpointRow.filter({ hasText: 'Failing since' }).waitFor();
    const failedRow = page.getByTestId('failed-delivery-row').filter({ hasText: messageId });
    await failedRow.waitFor();
    expect(await failedRow.textContent()).toContain('HTTP 503');
    expect(await failedRow.textContent()).toContain(String(t.config.webhooks.maxAttempts));
    // its attempts, each (the console showed the count and the last error only): the schedule's and the one by Retry now, marked so
    await failedRow.locator("summary", { hasText: `attempts of ${messageId}` }).click();
    const attempts = failedRow.locator('ol.attempt-log li');
    await attempts.first().waitFor();
    const lines = await attempts.allInnerTexts();
    expect(lines).toHaveLength(t.config.webhooks.maxAttempts + 1);
    expect(lines.every((line) => /^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}:\d{2} UTC: HTTP 503, \d+ ms/.test(line))).toBe(true);
    expect(lines.map((line) => line.endsWith(', by Retry now (not counted)'))).toEqual([false, true, ...Array(t.config.webhooks.maxAttempts - 1).fill(false)]);
    expect(await seriousViolations(page)).toEqual([]);

    // Mended: the operator replays it, the gateway delivers it, and the page shows the endpoint receiving.
    receiver.status = () => 200;
    await failedRow.getByRole('button', { name: `Replay ${messageId}` }).click();
    await page.getByRole('status').filter({ hasText: `${messageId} is being sent again.` }).waitFor();
    await t.runScheduled();
    expect(receiver.requests.at(-1)!.answered).toBe(200);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();
    await endpointRow.filter({ hasText: 'Receiving' }).waitFor();
    await page.getByText('No delivery has failed (within the event retention).').waitFor();
  }, 90_000);
});
