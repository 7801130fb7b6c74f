import { ok, startTestGateway, type Credential, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, createPartner, uniqueCode } from '../support/program.js';
import { Receiver } from '../support/webhook-receiver.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code field message } } }`;
const REMOVE = `mutation Remove($input: RemoveWebhookEndpointInput!) { removeWebhookEndpoint(input: $input) { userErrors { code message } } }`;
const ENDPOINTS = `query Endpoints { webhookEndpoints(first: 50) {
  edges { node { id disabledAt failingSince retrying { count firstFailedAt lastError lastStatusCode } } } } }`;

type Node = { id: string; disabledAt: string | null; failingSince: string | null; retrying: { count: number; lastError: string } | null };

/**
 * hostile39b: WebhookEndpoint.retrying says "whether its deliveries are being retried now"; the
 * schema says of a removed endpoint "nothing more is sent to it" (disabledAt), and the next attempt
 * of each of its PENDING deliveries ends it FAILED ("The endpoint was removed.") without a POST. Yet
 * between the removal and that next attempt (the back-off: minutes to hours) `retrying` goes on
 * answering that its deliveries are being retried, to staff and to the partner that removed it.
 */
describe('hostile39b: retrying of a removed endpoint', () => {
  let t: TestGateway;
  let receiver: Receiver;
  beforeAll(async () => {
    t = await startTestGateway({ EVENT_FANOUT: 'off' }, { jobs: 'manual', random: () => 0 });
    receiver = await new Receiver().start();
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  const endpoints = async (c: Credential) => ok(await t.gql<{ webhookEndpoints: { edges: { node: Node }[] } }, unknown>(ENDPOINTS, {}, c)).webhookEndpoints.edges.map((e) => e.node);

  it('a partner removes its endpoint while a delivery is retried: nothing is retried any more, retrying is null', async () => {
    t.clock.freeze();
    const currency = uniqueCode('R');
    await createCurrency(t, currency);
    const customer = await createCustomer(t, currency);
    const partner = await createPartner(t, ['webhooks:manage', 'customers:read']);
    receiver.status = () => 503;
    const id = ok(await t.gql<{ registerWebhookEndpoint: { endpoint: { id: string } } }, unknown>(REGISTER, { input: { url: `${receiver.url}?removed`, eventTypes: ['BALANCE_CHANGED'] } }, partner.credential))
      .registerWebhookEndpoint.endpoint.id;
    await adjust(t, customer.externalId, currency, 10);
    t.clock.advance(t.config.webhooks.dispatchMs);
    await t.runScheduled();
    expect((await endpoints(partner.credential)).find((e) => e.id === id)!.retrying).toMatchObject({ count: 1, lastError: 'HTTP 503' });

    // the partner removes it: nothing more is sent to it
    expect(ok(await t.gql<{ removeWebhookEndpoint: { userErrors: unknown[] } }, unknown>(REMOVE, { input: { endpointId: id } }, partner.credential)).removeWebhookEndpoint.userErrors).toEqual([]);
    const sent = receiver.requests.length;

    const partnerSees = (await endpoints(partner.credential)).find((e) => e.id === id)!;
    const staffSees = (await endpoints(t.operatorToken)).find((e) => e.id === id)!;
    expect(partnerSees.disabledAt).not.toBeNull();
    // expected: not "being retried now" (actual: { count: 1, lastError: 'HTTP 503', … } until its next attempt is due)
    expect({ partner: partnerSees.retrying, staff: staffSees.retrying }).toEqual({ partner: null, staff: null });

    // and indeed nothing is sent again: its next attempt ends it FAILED without a POST
    const [{ next }] = await t.sql<{ next: Date }>(`select max(next_attempt_at) as next from webhook_delivery where status = 'PENDING'`);
    t.clock.advance(Math.max(0, next.getTime() - t.clock.now().getTime()) + 1);
    await t.runScheduled();
    expect(receiver.requests.length).toBe(sent);
  });
});
