import { READING_SHARED_MS } from '../../src/jobs/queue-metrics.js';
import { ok, type TestGateway } from '../support/gateway.js';
import { seriesValue } from '../support/metrics.js';
import { adjust, createCurrency, createCustomer } from '../support/program.js';
import { gatewayWithReceiver, type Receiver } from '../support/webhook-receiver.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code field message } } }`;
const FAILED = `query Failed($endpointId: ID) { webhookDeliveries(first: 10, endpointId: $endpointId, status: FAILED) { edges { node { messageId } } } }`;
const ENDPOINTS = `query Endpoints { webhookEndpoints(first: 10) { edges { node { id failingSince } } } }`;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * webhooks-23 (break3-22 "Left"): a FAILED delivery pruned EVENT_RETENTION_HOURS after it failed
 * left its endpoint "Failing since …", and `gateway_webhook_endpoints_failing` at 1, for good
 * when no more events went to it: nothing was left to replay, and only a 2xx cleared the mark. The
 * mark says deliveries failed and wait for a replay; the prune of the last one clears it. A real
 * gateway and receiver (answering 503), WEBHOOK_MAX_ATTEMPTS=1 (every failure a last one), a
 * 1-hour retention, the clock moved to the prune's hourly runs.
 */
describe('an endpoint whose FAILED deliveries were all pruned is no longer failing (webhooks-23)', () => {
  let t: TestGateway;
  let receiver: Receiver;

  const started = gatewayWithReceiver({ EVENT_RETENTION_HOURS: '1', WEBHOOK_MAX_ATTEMPTS: '1' }, { jobs: 'manual' });
  beforeAll(() => ({ t, receiver } = started));

  const failingSinceOf = async (endpointId: string) =>
    ok(await t.gql<{ webhookEndpoints: { edges: { node: { id: string; failingSince: string | null } }[] } }, unknown>(ENDPOINTS, {}, t.operatorToken)).webhookEndpoints.edges.find(
      (e) => e.node.id === endpointId,
    )!.node.failingSince;
  const failedOf = async (endpointId: string) =>
    ok(await t.gql<{ webhookDeliveries: { edges: { node: { messageId: string } }[] } }, unknown>(FAILED, { endpointId }, t.operatorToken)).webhookDeliveries.edges.map((e) => e.node.messageId);
  const gauge = async () => {
    await new Promise((resolve) => setTimeout(resolve, READING_SHARED_MS + 100)); // a reading of its own
    return seriesValue(await (await t.fetch('/metrics')).text(), 'gateway_webhook_endpoints_failing');
  };
  /** Moves the clock by `ms` and runs what is due then (the hourly prune at its slots). */
  const later = async (ms: number) => {
    t.clock.advance(ms);
    await t.runScheduled();
  };

  it('keeps the mark while a FAILED delivery remains, and clears it with the last one', async () => {
    t.clock.freeze();
    // A minute into an hour: the prune runs once per hour of the clock (its slot), so each `later`
    // below lands in the hour it means, wherever the test starts.
    t.clock.advance(HOUR - (t.clock.now().getTime() % HOUR) + MINUTE);
    receiver.status = () => 503;
    await createCurrency(t, 'PRUNED');
    const customer = await createCustomer(t, 'PRUNED');
    const endpointId = ok(
      await t.gql<{ registerWebhookEndpoint: { endpoint: { id: string } } }, unknown>(REGISTER, { input: { url: receiver.url, eventTypes: ['BALANCE_CHANGED'] } }, t.operatorToken),
    ).registerWebhookEndpoint.endpoint.id;
    await adjust(t, customer.externalId, 'PRUNED', 10);
    await later(t.config.webhooks.dispatchMs);
    const since = await failingSinceOf(endpointId);
    expect(since).not.toBeNull();
    // A second event 40 minutes later fails too: the mark keeps its first time.
    await later(40 * MINUTE);
    await adjust(t, customer.externalId, 'PRUNED', 10);
    await later(t.config.webhooks.dispatchMs);
    const [newer, older] = await failedOf(endpointId);
    expect(await failedOf(endpointId)).toHaveLength(2);
    expect(await failingSinceOf(endpointId)).toBe(since);

    // The next hour's prune (1 h 10 min after the first failure, 30 min after the second): the first
    // is past the retention and pruned, the newer one stays, and so does the mark.
    await later(30 * MINUTE);
    expect(await failedOf(endpointId)).toEqual([newer]);
    expect(older).not.toBe(newer);
    expect(await failingSinceOf(endpointId)).toBe(since);
    expect(await gauge()).toBe(1);

    // The hour's after: the second is pruned too, nothing is left to replay, and the endpoint no
    // longer reads failing.
    await later(60 * MINUTE);
    expect(await failedOf(endpointId)).toEqual([]);
    expect(await failingSinceOf(endpointId)).toBeNull();
    expect(await gauge()).toBe(0);
    expect(receiver.requests).toHaveLength(2);
  });
});
