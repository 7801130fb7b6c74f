import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer } from '../support/program.js';
import { Receiver } from '../support/webhook-receiver.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code field message } } }`;
const REPLAY = `mutation Replay($input: ReplayWebhookDeliveryInput!) {
  replayWebhookDelivery(input: $input) { delivery { id status attempts } userErrors { code field message } } }`;
const DELIVERIES = `query Deliveries($endpointId: ID) { webhookDeliveries(first: 50, endpointId: $endpointId) { edges { node { id status } } } }`;

type Replay = { replayWebhookDelivery: { delivery: { id: string; status: string; attempts: number } | null; userErrors: { code: string; field: string[]; message: string }[] } };

/**
 * web-24: `replayWebhookDelivery` is not naturally idempotent (a resend after a lost answer, once
 * the first replay's round has ended, sends the delivery once more), so it takes an optional
 * `idempotencyKey`: the same key and delivery again answer the delivery as it is now and send
 * nothing. A real gateway and PostgreSQL, a real receiver, WEBHOOK_MAX_ATTEMPTS=1.
 */
describe('a keyed replay of one webhook delivery (web-24)', () => {
  let t: TestGateway;
  let receiver: Receiver;
  let endpoint = '';
  let deliveries: string[] = [];

  beforeAll(async () => {
    t = await startTestGateway({ WEBHOOK_MAX_ATTEMPTS: '1' }, { jobs: 'manual' });
    receiver = await new Receiver().start();
    receiver.status = () => 503;
    await createCurrency(t, 'ONE');
    const customer = await createCustomer(t, 'ONE');
    endpoint = ok(await t.gql<{ registerWebhookEndpoint: { endpoint: { id: string } } }, unknown>(REGISTER, { input: { url: `${receiver.url}?one`, eventTypes: ['BALANCE_CHANGED'] } }, t.operatorToken))
      .registerWebhookEndpoint.endpoint.id;
    for (let i = 0; i < 2; i++) await adjust(t, customer.externalId, 'ONE', 10);
    t.clock.advance(t.config.webhooks.dispatchMs);
    await t.runScheduled();
    deliveries = ok(await t.gql<{ webhookDeliveries: { edges: { node: { id: string; status: string } }[] } }, unknown>(DELIVERIES, { endpointId: endpoint }, t.analystToken)).webhookDeliveries.edges.map((e) => e.node.id);
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  const replay = async (deliveryId: string, idempotencyKey?: string) => t.gql<Replay, unknown>(REPLAY, { input: { deliveryId, idempotencyKey } }, t.operatorToken);

  it('the same key again, after the first replay was delivered, answers it as it is and sends nothing more', async () => {
    const [id] = deliveries;
    const first = await replay(id, 'replay-one');
    expect(dataOf(first).replayWebhookDelivery).toEqual({ delivery: { id, status: 'PENDING', attempts: 0 }, userErrors: [] });
    expect(first.extensions).toBeUndefined();
    receiver.status = () => 200;
    const before = receiver.requests.length;
    await t.runScheduled();
    expect(receiver.requests.length - before).toBe(1);

    // The answer was lost: the console sends it again with the same key.
    const again = await replay(id, 'replay-one');
    expect(dataOf(again).replayWebhookDelivery).toEqual({ delivery: { id, status: 'DELIVERED', attempts: 1 }, userErrors: [] });
    expect(again.extensions).toEqual({ idempotentReplays: [['replayWebhookDelivery']] });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    await t.runScheduled();
    expect(receiver.requests.length - before).toBe(1);

    // The key for another delivery is refused, nothing replayed; a new key replays it again.
    expect(dataOf(await replay(deliveries[1], 'replay-one')).replayWebhookDelivery.userErrors.map((e) => e.code)).toEqual(['IDEMPOTENCY_KEY_REUSED']);
    expect(dataOf(await replay(id, 'replay-two')).replayWebhookDelivery.delivery?.status).toBe('PENDING');
  });

  it('without a key each call replays, as before', async () => {
    receiver.status = () => 503;
    const id = deliveries[1];
    expect(dataOf(await replay(id)).replayWebhookDelivery.delivery?.status).toBe('PENDING');
    await t.runScheduled();
    expect(dataOf(await replay(id)).replayWebhookDelivery.delivery?.status).toBe('PENDING');
  });
});
