import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { holdLocks } from '../support/locks.js';
import { adjust, createCurrency, createCustomer, eventually } from '../support/program.js';
import { holdAnswers } from '../support/statements.js';
import { dispatchAllButDeliveries, heldRequestsReceiver } from '../support/webhook-receiver.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code field message } } }`;
const ENABLE = `mutation Enable($input: EnableWebhookEndpointInput!) { enableWebhookEndpoint(input: $input) { endpoint { id disabledAt } userErrors { code message } } }`;
const REMOVE = `mutation Remove($input: RemoveWebhookEndpointInput!) { removeWebhookEndpoint(input: $input) { endpoint { id disabledAt } userErrors { code } } }`;
const REPLAY_ALL = `mutation ReplayAll($input: ReplayFailedWebhookDeliveriesInput!) {
  replayFailedWebhookDeliveries(input: $input) { replayed userErrors { code field message } } }`;
const ENDPOINTS = `query Endpoints { webhookEndpoints(first: 50) { edges { node { id disabledAt } } } }`;
const DELIVERIES = `query Deliveries($endpointId: ID) { webhookDeliveries(first: 50, endpointId: $endpointId) { edges { node { id messageId status attempts lastError } } } }`;

type DeliveryNode = { id: string; messageId: string; status: string; attempts: number; lastError: string | null };

/**
 * webhooks-25: decisions a delivery's attempt takes on the endpoint's state as it read it, while an
 * operator's `enableWebhookEndpoint` commits in between. A real gateway, PostgreSQL and receiver
 * (which holds each request until the test answers it); the races are made real by a row lock the
 * test holds (a slow commit) and by holding a statement's answer (a read that came before the
 * enable), not by time; the clock is frozen and moved.
 */
describe('a delivery decided on an endpoint state an enable changed meanwhile (webhooks-25)', () => {
  let t: TestGateway;
  /** Holds each request until the test answers it, or answers `answerAtOnce` when set. */
  let receiver: Awaited<ReturnType<typeof heldRequestsReceiver>>;

  beforeAll(async () => {
    t = await startTestGateway({ WEBHOOK_ENDPOINT_CONCURRENCY: '2' }, { jobs: 'manual', random: () => 0 });
    t.clock.freeze();
    receiver = await heldRequestsReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  const endpointOf = async (endpointId: string) =>
    ok(await t.gql<{ webhookEndpoints: { edges: { node: { id: string; disabledAt: string | null } }[] } }, unknown>(ENDPOINTS, {}, t.operatorToken)).webhookEndpoints.edges.find(
      (e) => e.node.id === endpointId,
    )!.node;
  const deliveriesOf = async (endpointId: string) =>
    ok(await t.gql<{ webhookDeliveries: { edges: { node: DeliveryNode }[] } }, unknown>(DELIVERIES, { endpointId }, t.operatorToken)).webhookDeliveries.edges.map((e) => e.node);
  const audit = async (endpointId: string) =>
    (
      await t.sql<{ actor: string; action: string }>(`select actor, action from audit_entry where target = $1 order by id`, [
        `WebhookEndpoint:${Buffer.from(endpointId, 'base64url').toString().split(':')[1]}`,
      ])
    ).map((e) => `${e.action} by ${e.actor.replace(/^staff:.*/, 'staff')}`);

  /** A new endpoint at `path` and `events` balance changes dispatched to it: only its deliveries' jobs are left due. */
  async function endpointWithDeliveries(path: string, events: number): Promise<string> {
    const code = path.slice(1).toUpperCase().replace(/-/g, '_');
    await createCurrency(t, code);
    const customer = await createCustomer(t, code);
    const endpointId = ok(
      await t.gql<{ registerWebhookEndpoint: { endpoint: { id: string } } }, unknown>(REGISTER, { input: { url: receiver.base + path, eventTypes: ['BALANCE_CHANGED'] } }, t.operatorToken),
    ).registerWebhookEndpoint.endpoint.id;
    for (let i = 1; i <= events; i++) await adjust(t, customer.externalId, code, i * 10);
    await dispatchAllButDeliveries(t);
    expect(await deliveriesOf(endpointId)).toHaveLength(events);
    return endpointId;
  }

  it('a 410 answered before an enable and committed after it leaves the endpoint enabled; that delivery is retried and reaches the mended receiver', async () => {
    const endpointId = await endpointWithDeliveries('/gone-race', 2);
    // Both deliveries sent at once by two workers (the endpoint allows two)
    const workers = [t.jobs.runner.runOne()];
    await eventually(async () => receiver.held.length === 1);
    workers.push(t.jobs.runner.runOne());
    await eventually(async () => receiver.held.length === 2);
    const [early, late] = receiver.held.splice(0);
    const deliveries = await deliveriesOf(endpointId);
    const lateDelivery = deliveries.find((d) => d.messageId === late.id)!;
    const earlyDelivery = deliveries.find((d) => d.messageId === early.id)!;

    // The late one's step 3 (its attempt counted on its row) waits on a row lock the test holds
    const lock = await holdLocks(t, 'select 1 from webhook_delivery where id = $1 for update', [Buffer.from(lateDelivery.id, 'base64url').toString().split(':')[1]]);
    try {
      // The receiver is gone for both: the early 410 removes the endpoint; the late one's is answered too, its commit held
      early.res.writeHead(410).end();
      late.res.writeHead(410).end();
      await lock.blocking(1);
      await eventually(async () => (await endpointOf(endpointId)).disabledAt !== null);
      // The receiver is mended and the operator turns the endpoint on again, while the late 410 is still to commit
      receiver.answerAtOnce = 200;
      const enabled = dataOf(await t.gql<{ enableWebhookEndpoint: { endpoint: { disabledAt: string | null } } }, unknown>(ENABLE, { input: { endpointId } }, t.operatorToken));
      expect(enabled.enableWebhookEndpoint.endpoint.disabledAt).toBeNull();
    } finally {
      await lock.release();
    }
    await Promise.all(workers);

    // The late 410 spoke of the registration before the enable: the endpoint stays on (before: removed again)
    expect(await endpointOf(endpointId)).toEqual({ id: endpointId, disabledAt: null });
    expect(await audit(endpointId)).toEqual(['registerWebhookEndpoint by staff', 'removeWebhookEndpoint by webhook-receiver', 'enableWebhookEndpoint by staff']);
    const after = await deliveriesOf(endpointId);
    expect(after.find((d) => d.id === earlyDelivery.id)).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(after.find((d) => d.id === lateDelivery.id)).toEqual({
      ...lateDelivery,
      status: 'PENDING',
      attempts: 1,
      lastError: 'HTTP 410 (Gone) to a request sent before the endpoint was enabled again: the endpoint stays, the delivery is retried.',
    });

    // The late one is sent again on the schedule (5 s, no jitter) and the early one by a replay: both delivered
    expect(dataOf(await t.gql<{ replayFailedWebhookDeliveries: { replayed: number } }, unknown>(REPLAY_ALL, { input: { endpointId, idempotencyKey: 'gone-race' } }, t.operatorToken)))
      .toEqual({ replayFailedWebhookDeliveries: { replayed: 1, userErrors: [] } });
    t.clock.advance(t.config.webhooks.backoffMs);
    await t.runScheduled();
    expect((await deliveriesOf(endpointId)).map((d) => d.status)).toEqual(['DELIVERED', 'DELIVERED']);
    expect(await endpointOf(endpointId)).toEqual({ id: endpointId, disabledAt: null });
    receiver.answerAtOnce = null;
    // Removed, so the next test's events are not sent to it too
    ok(await t.gql(REMOVE, { input: { endpointId } }, t.operatorToken));
  });

  it("a delivery whose endpoint read removed, enabled and bulk-replayed before that read's FAILED committed, is sent, not left FAILED", async () => {
    const endpointId = await endpointWithDeliveries('/removed-read', 1);
    // Its first attempt fails (503): PENDING, the next attempt due in 5 s
    receiver.answerAtOnce = 503;
    expect(await t.jobs.runner.runOne()).toBe(true);
    expect((await deliveriesOf(endpointId)).map((d) => [d.status, d.attempts])).toEqual([['PENDING', 1]]);
    // Removed by an operator meanwhile
    ok(await t.gql(REMOVE, { input: { endpointId } }, t.operatorToken));
    receiver.answerAtOnce = 200;

    // The next attempt reads the delivery and its endpoint (removed); the answer of that read is held
    const read = holdAnswers((text) => text.includes('"partnerRevokedAt"'));
    t.clock.advance(t.config.webhooks.backoffMs);
    const worker = t.jobs.runner.runOne();
    try {
      await read.reached;
      // The operator turns it on again and replays its FAILED deliveries: this one is PENDING, so not among them
      expect(ok(await t.gql<{ enableWebhookEndpoint: { endpoint: { disabledAt: string | null } } }, unknown>(ENABLE, { input: { endpointId } }, t.operatorToken)).enableWebhookEndpoint.endpoint.disabledAt).toBeNull();
      expect(dataOf(await t.gql<{ replayFailedWebhookDeliveries: { replayed: number } }, unknown>(REPLAY_ALL, { input: { endpointId, idempotencyKey: 'removed-read' } }, t.operatorToken)))
        .toEqual({ replayFailedWebhookDeliveries: { replayed: 0, userErrors: [] } });
    } finally {
      read.release();
    }
    expect(await worker).toBe(true);

    // Sent to the endpoint receiving again (before: FAILED "The endpoint was removed." on an enabled endpoint, its replay already past)
    expect((await deliveriesOf(endpointId)).map((d) => [d.status, d.attempts, d.lastError])).toEqual([['DELIVERED', 2, null]]);
    receiver.answerAtOnce = null;
  });
});
