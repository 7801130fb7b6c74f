import { seriousViolations } from '../support/browser.js';
import { ok } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer } from '../support/program.js';
import { startWebGateway, type WebGateway } from '../support/web-gateway.js';
import { Receiver } from '../support/webhook-receiver.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code field message } } }`;

/** As the console writes an instant to the second ("5 Dec 2026, 14:02:07 UTC"). */
const consoleInstant = (at: Date) => `${new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' }).format(at)} UTC`;

/** As the console writes a time ("5 Dec 2026, 14:02 UTC"). */
const consoleTime = (at: Date) => `${new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(at)} UTC`;

/**
 * webhook-health-39: an operator's walkthrough found the Webhooks page saying "Receiving" for an
 * endpoint whose receiver was down, every delivery retried on the back-off schedule, until the
 * first ran out of attempts ~29 hours later. The State column now says "Retrying — n deliveries,
 * failing since …" with the last error, and "Receiving" again once the receiver is mended and they
 * are delivered. A real Chromium on the console's trusted documents, a real receiver answering 503
 * on a local port, the gateway's clock moved to each attempt (no waiting).
 */
describe("the console's Webhooks page shows deliveries being retried (webhook-health-39)", () => {
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

  test('a receiver answering 503 reads "Retrying — 2 deliveries, failing since … (HTTP 503)", then "Receiving" once mended', async () => {
    const { t } = web;
    receiver.status = () => 503;
    await createCurrency(t, 'RETRYING');
    const customer = await createCustomer(t, 'RETRYING');
    ok(await t.gql(REGISTER, { input: { url: receiver.url, eventTypes: ['BALANCE_CHANGED'] } }, t.operatorToken));
    await adjust(t, customer.externalId, 'RETRYING', 10);
    await adjust(t, customer.externalId, 'RETRYING', 5);
    t.clock.advance(t.config.webhooks.dispatchMs);
    await t.runScheduled();
    const [{ firstFailure, pending, nextAttempt }] = await t.sql<{ firstFailure: Date; pending: number; nextAttempt: Date }>(
      `select min(a.attempted_at) as "firstFailure", count(distinct d.id)::int as pending, min(d.next_attempt_at) as "nextAttempt"
         from webhook_delivery d join webhook_endpoint e on e.id = d.endpoint_id join webhook_attempt a on a.delivery_id = d.id
        where e.url = $1 and d.status = 'PENDING'`,
      [receiver.url],
    );
    expect(pending).toBe(2);

    const page = await web.consoleAsOperator('Webhooks');
    const endpointRow = page.getByTestId('webhook-endpoint-row').filter({ hasText: receiver.url });
    await endpointRow.filter({ hasText: 'Retrying' }).waitFor();
    expect(await endpointRow.getByRole('cell').nth(4).textContent()).toBe(
      `Retrying — 2 deliveries, failing since ${consoleTime(firstFailure)} (HTTP 503); next attempt ${consoleInstant(nextAttempt)}`,
    );
    expect(await endpointRow.textContent()).not.toContain('Receiving');
    expect(await seriousViolations(page)).toEqual([]);

    // Mended: the next attempts are delivered, and the endpoint reads "Receiving" again.
    receiver.status = () => 204;
    const [{ next }] = await t.sql<{ next: Date }>(`select max(next_attempt_at) as next from webhook_delivery where status = 'PENDING'`);
    t.clock.advance(Math.max(0, next.getTime() - t.clock.now().getTime()) + 1);
    await t.runScheduled();
    expect(receiver.requests.filter((r) => r.answered === 204)).toHaveLength(2);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();
    await endpointRow.filter({ hasText: 'Receiving' }).waitFor();
    expect(await endpointRow.textContent()).not.toContain('Retrying');
  }, 90_000);
});
