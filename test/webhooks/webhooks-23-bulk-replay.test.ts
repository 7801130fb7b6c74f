import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer } from '../support/program.js';
import { Receiver } from '../support/webhook-receiver.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code field message } } }`;
const REMOVE = `mutation Remove($input: RemoveWebhookEndpointInput!) { removeWebhookEndpoint(input: $input) { endpoint { id } userErrors { code } } }`;
const REPLAY_ALL = `mutation ReplayAll($input: ReplayFailedWebhookDeliveriesInput!) {
  replayFailedWebhookDeliveries(input: $input) { replayed endpoint { id failingSince } userErrors { code field message } } }`;
const DELIVERIES = `query Deliveries($endpointId: ID) { webhookDeliveries(first: 50, endpointId: $endpointId) { edges { node { messageId status attempts } } } }`;

type ReplayAll = { replayFailedWebhookDeliveries: { replayed: number | null; endpoint: { id: string; failingSince: string | null } | null; userErrors: { code: string; field: string[]; message: string }[] } };
const EVENTS = 6;

/**
 * webhooks-23 (webhooks-22 "Left"): after an outage longer than the retry schedule an endpoint has
 * one FAILED delivery per event, and staff replayed them one by one. `replayFailedWebhookDeliveries`
 * sends an endpoint's FAILED deliveries again, keyed: a resend answers the first count and sends
 * nothing more. A real gateway and PostgreSQL, a real receiver, WEBHOOK_MAX_ATTEMPTS=1 (every
 * failure a last one); concurrency by real parallel requests, checked on the rows afterwards.
 */
describe('replaying every FAILED delivery of an endpoint (webhooks-23)', () => {
  let t: TestGateway;
  let receiver: Receiver;
  let down = '';
  let other = '';

  beforeAll(async () => {
    t = await startTestGateway({ WEBHOOK_MAX_ATTEMPTS: '1' }, { jobs: 'manual' });
    receiver = await new Receiver().start();
    receiver.status = () => 503;
    await createCurrency(t, 'BULK');
    const customer = await createCustomer(t, 'BULK');
    const register = async (url: string) =>
      ok(await t.gql<{ registerWebhookEndpoint: { endpoint: { id: string } } }, unknown>(REGISTER, { input: { url, eventTypes: ['BALANCE_CHANGED'] } }, t.operatorToken)).registerWebhookEndpoint.endpoint.id;
    down = await register(`${receiver.url}?down`);
    other = await register(`${receiver.url}?other`);
    for (let i = 0; i < EVENTS; i++) await adjust(t, customer.externalId, 'BULK', 10);
    t.clock.advance(t.config.webhooks.dispatchMs);
    await t.runScheduled();
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  /** The payload as answered, userErrors included. */
  const replayAll = async (endpointId: string, idempotencyKey: string) =>
    dataOf(await t.gql<ReplayAll, unknown>(REPLAY_ALL, { input: { endpointId, idempotencyKey } }, t.operatorToken)).replayFailedWebhookDeliveries;
  const statusesOf = async (endpointId: string) =>
    ok(await t.gql<{ webhookDeliveries: { edges: { node: { status: string } }[] } }, unknown>(DELIVERIES, { endpointId }, t.analystToken)).webhookDeliveries.edges.map((e) => e.node.status);
  /** Jobs waiting to send each delivery of the endpoint: delivery id → count. */
  const pendingJobs = async () =>
    t.sql<{ deliveryId: string; n: number }>(
      `select payload->>'deliveryId' as "deliveryId", count(*)::int as n from job where kind = 'webhooks.deliver' and status = 'PENDING' group by 1 order by 1`,
    );

  it('replays each FAILED delivery once, however many replays run at once, and only that endpoint\'s', async () => {
    expect(await statusesOf(down)).toEqual(Array(EVENTS).fill('FAILED'));
    expect(await statusesOf(other)).toEqual(Array(EVENTS).fill('FAILED'));
    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => replayAll(down, `bulk-${i}`)));
    expect(answers.flatMap((a) => a.userErrors)).toEqual([]);
    expect(answers.reduce((sum, a) => sum + a.replayed!, 0)).toBe(EVENTS);
    expect(await statusesOf(down)).toEqual(Array(EVENTS).fill('PENDING'));
    expect(await statusesOf(other)).toEqual(Array(EVENTS).fill('FAILED'));
    const jobs = await pendingJobs();
    expect(jobs.map((j) => j.n)).toEqual(Array(EVENTS).fill(1));

    // Mended: each is sent once and delivered; the endpoint no longer reads failing.
    receiver.status = () => 200;
    const before = receiver.requests.length;
    await t.runScheduled();
    expect(await statusesOf(down)).toEqual(Array(EVENTS).fill('DELIVERED'));
    const sent = receiver.requests.slice(before);
    expect(sent.map((r) => r.url)).toEqual(Array(EVENTS).fill('/hook?down'));
    expect(new Set(sent.map((r) => r.headers['webhook-id'])).size).toBe(EVENTS);
    expect(ok(await t.gql<ReplayAll, unknown>(REPLAY_ALL, { input: { endpointId: down, idempotencyKey: 'bulk-none-left' } }, t.operatorToken)).replayFailedWebhookDeliveries).toMatchObject({
      replayed: 0,
      endpoint: { id: down, failingSince: null },
    });
  });

  it('a resend under the same key answers the first count and sends nothing again', async () => {
    receiver.status = () => 503;
    const first = await replayAll(other, 'resent');
    expect(first).toMatchObject({ replayed: EVENTS, userErrors: [] });
    await t.runScheduled(); // every one fails again: FAILED after its one attempt
    expect(await statusesOf(other)).toEqual(Array(EVENTS).fill('FAILED'));
    const requests = receiver.requests.length;

    const resent = await t.gql<ReplayAll, unknown>(REPLAY_ALL, { input: { endpointId: other, idempotencyKey: 'resent' } }, t.operatorToken);
    expect(ok(resent).replayFailedWebhookDeliveries).toMatchObject({ replayed: EVENTS, userErrors: [] });
    expect(resent.extensions).toEqual({ idempotentReplays: [['replayFailedWebhookDeliveries']] });
    await t.runScheduled();
    expect(await statusesOf(other)).toEqual(Array(EVENTS).fill('FAILED'));
    expect(receiver.requests).toHaveLength(requests);
    // The key with another endpoint is refused, nothing replayed.
    expect((await replayAll(down, 'resent')).userErrors).toEqual([{ code: 'IDEMPOTENCY_KEY_REUSED', field: ['input', 'idempotencyKey'], message: expect.any(String) }]);
  });

  it('refuses a removed endpoint, an unknown one and an analyst', async () => {
    ok(await t.gql(REMOVE, { input: { endpointId: other } }, t.operatorToken));
    expect(await replayAll(other, 'removed')).toEqual({
      replayed: null,
      endpoint: null,
      userErrors: [{ code: 'INVALID', field: ['input', 'endpointId'], message: 'The endpoint was removed: nothing would be sent.' }],
    });
    expect(await statusesOf(other)).toEqual(Array(EVENTS).fill('FAILED'));
    const unknown = Buffer.from('WebhookEndpoint:987654').toString('base64url');
    expect((await replayAll(unknown, 'unknown')).userErrors).toEqual([{ code: 'NOT_FOUND', field: ['input', 'endpointId'], message: 'No such webhook endpoint.' }]);
    const analyst = await t.gql(REPLAY_ALL, { input: { endpointId: down, idempotencyKey: 'analyst' } }, t.analystToken);
    expect(analyst.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  });
});
