import { dataOf, ok, type Credential, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, createPartner } from '../support/program.js';
import { deliveriesOf, gatewayWithReceiver, type Receiver } from '../support/webhook-receiver.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code field message } } }`;
const REPLAY = `mutation Replay($input: ReplayWebhookDeliveryInput!) {
  replayWebhookDelivery(input: $input) { delivery { id status endpoint { id } } userErrors { code field message } } }`;
const REPLAY_ALL = `mutation ReplayAll($input: ReplayFailedWebhookDeliveriesInput!) {
  replayFailedWebhookDeliveries(input: $input) { replayed endpoint { id } userErrors { code field message } } }`;

type Delivery = { id: string; status: string; endpoint: { id: string } };
type Replay = { replayWebhookDelivery: { delivery: Delivery | null; userErrors: { code: string; field: string[]; message: string }[] } };
type ReplayAll = { replayFailedWebhookDeliveries: { replayed: number | null; endpoint: { id: string } | null; userErrors: { code: string; field: string[]; message: string }[] } };

/**
 * webhooks-25 (webhooks-24 "Not done"): a partner with webhooks:manage read its own FAILED
 * deliveries but could not send them again: `replayWebhookDelivery` and
 * `replayFailedWebhookDeliveries` were operators'. A partner now replays its own endpoints'
 * deliveries, under its own keys, audited as `partner:<id>`; another partner's delivery or
 * endpoint, and the program's, answer NOT_FOUND exactly as an unknown id does. A real gateway and
 * PostgreSQL, a real receiver; two partners' replays sent at once, as persisted operations (what a
 * partner may send).
 */
describe("a partner replays its own endpoints' deliveries, and only those (webhooks-25)", () => {
  const started = gatewayWithReceiver({ WEBHOOK_MAX_ATTEMPTS: '1' }, { jobs: 'manual', random: () => 0 });
  let t: TestGateway;
  let receiver: Receiver;
  beforeAll(() => {
    ({ t, receiver } = started);
  });

  const replay = async (credential: Credential, deliveryId: string, idempotencyKey?: string) =>
    t.gql<Replay, unknown>(REPLAY, { input: { deliveryId, idempotencyKey } }, credential);
  const replayAll = async (credential: Credential, endpointId: string, idempotencyKey: string) =>
    t.gql<ReplayAll, unknown>(REPLAY_ALL, { input: { endpointId, idempotencyKey } }, credential);
  /** Jobs waiting to send each delivery: delivery id → count. */
  const pendingJobs = async () =>
    Object.fromEntries(
      (
        await t.sql<{ deliveryId: string; n: number }>(
          `select payload->>'deliveryId' as "deliveryId", count(*)::int as n from job where kind = 'webhooks.deliver' and status = 'PENDING' group by 1`,
        )
      ).map((r) => [r.deliveryId, r.n]),
    );
  const rowId = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1];

  it('two partners replay their own at once, one by one and all at once, under the same keys; each other\'s and the program\'s are unknown to them', async () => {
    await createCurrency(t, 'PRPL');
    const customer = await createCustomer(t, 'PRPL');
    const [a, b] = await Promise.all([createPartner(t, ['webhooks:manage', 'customers:read']), createPartner(t, ['webhooks:manage', 'customers:read'])]);
    const register = async (url: string, credential: Credential) =>
      ok(await t.gql<{ registerWebhookEndpoint: { endpoint: { id: string } } }, unknown>(REGISTER, { input: { url, eventTypes: ['BALANCE_CHANGED'] } }, credential)).registerWebhookEndpoint.endpoint.id;
    const ofA = await register(`${receiver.url}?a`, a.credential);
    const ofB = await register(`${receiver.url}?b`, b.credential);
    const ofProgram = await register(`${receiver.url}?program`, t.operatorToken);
    // Three events, each FAILED at its one attempt on every endpoint
    receiver.status = () => 503;
    for (const points of [10, 20, 30]) await adjust(t, customer.externalId, 'PRPL', points);
    t.clock.advance(t.config.webhooks.dispatchMs);
    await t.runScheduled();
    const [deliveriesOfA, deliveriesOfB, deliveriesOfProgram] = await Promise.all([
      deliveriesOf(t, a.credential, ofA),
      deliveriesOf(t, b.credential, ofB),
      deliveriesOf(t, t.operatorToken, ofProgram),
    ]);
    for (const list of [deliveriesOfA, deliveriesOfB, deliveriesOfProgram]) expect(list.map((d) => d.status)).toEqual(['FAILED', 'FAILED', 'FAILED']);
    receiver.status = () => 200;
    const unknownDelivery = Buffer.from('WebhookDelivery:987654').toString('base64url');
    const unknownEndpoint = Buffer.from('WebhookEndpoint:987654').toString('base64url');

    // All at once: each partner replays one of its deliveries (both under the key "retry-1") and
    // all its endpoint's FAILED ones (both under "all-1"), and tries the other's and the program's.
    const [
      [oneOfA, allOfA, aOnB, aOnProgram, aOnUnknown, aOnBEndpoint, aOnProgramEndpoint, aOnUnknownEndpoint],
      [oneOfB, allOfB, bOnA, bOnAEndpoint],
    ] = await Promise.all([
      Promise.all([
        replay(a.credential, deliveriesOfA[0].id, 'retry-1'),
        replayAll(a.credential, ofA, 'all-1'),
        replay(a.credential, deliveriesOfB[0].id, 'other-1'),
        replay(a.credential, deliveriesOfProgram[0].id),
        replay(a.credential, unknownDelivery),
        replayAll(a.credential, ofB, 'other-all-1'),
        replayAll(a.credential, ofProgram, 'other-all-2'),
        replayAll(a.credential, unknownEndpoint, 'other-all-3'),
      ]),
      Promise.all([
        replay(b.credential, deliveriesOfB[0].id, 'retry-1'),
        replayAll(b.credential, ofB, 'all-1'),
        replay(b.credential, deliveriesOfA[1].id, 'other-1'),
        replayAll(b.credential, ofA, 'other-all-1'),
      ]),
    ]);
    // Their own: replayed
    for (const [answer, endpoint] of [
      [oneOfA, ofA],
      [oneOfB, ofB],
    ] as const) {
      expect(dataOf(answer).replayWebhookDelivery).toMatchObject({ delivery: { status: 'PENDING', endpoint: { id: endpoint } }, userErrors: [] });
    }
    for (const answer of [allOfA, allOfB]) expect(dataOf(answer).replayFailedWebhookDeliveries.userErrors).toEqual([]);
    // Another's, the program's and an unknown one: the same answer, word for word
    const unknownDeliveryAnswer = { delivery: null, userErrors: [{ code: 'NOT_FOUND', field: ['input', 'deliveryId'], message: 'No such webhook delivery.' }] };
    for (const answer of [aOnB, aOnProgram, aOnUnknown, bOnA]) expect(dataOf(answer).replayWebhookDelivery).toEqual(unknownDeliveryAnswer);
    const unknownEndpointAnswer = { replayed: null, endpoint: null, userErrors: [{ code: 'NOT_FOUND', field: ['input', 'endpointId'], message: 'No such webhook endpoint.' }] };
    for (const answer of [aOnBEndpoint, aOnProgramEndpoint, aOnUnknownEndpoint, bOnAEndpoint]) expect(dataOf(answer).replayFailedWebhookDeliveries).toEqual(unknownEndpointAnswer);

    // Each partner's three are PENDING once, one job each; the program's stay FAILED
    expect((await deliveriesOf(t, a.credential, ofA)).map((d) => d.status)).toEqual(['PENDING', 'PENDING', 'PENDING']);
    expect((await deliveriesOf(t, b.credential, ofB)).map((d) => d.status)).toEqual(['PENDING', 'PENDING', 'PENDING']);
    expect((await deliveriesOf(t, t.operatorToken, ofProgram)).map((d) => d.status)).toEqual(['FAILED', 'FAILED', 'FAILED']);
    const jobs = await pendingJobs();
    expect([...deliveriesOfA, ...deliveriesOfB].map((d) => jobs[rowId(d.id)])).toEqual([1, 1, 1, 1, 1, 1]);
    expect(deliveriesOfProgram.map((d) => jobs[rowId(d.id)])).toEqual([undefined, undefined, undefined]);

    // Audited with the partner as the actor
    const [idOfA, idOfB] = [rowId(a.id), rowId(b.id)];
    const inOrder = (entries: { actor: string; action: string; target: string }[]) => entries.map((e) => `${e.actor} ${e.action} ${e.target}`).sort();
    const audit = await t.sql<{ actor: string; action: string; target: string }>(
      `select actor, action, target from audit_entry where action in ('replayWebhookDelivery', 'replayFailedWebhookDeliveries')`,
    );
    const replayedBy = (partnerId: string, endpoint: string, one: Delivery) =>
      [
        { actor: `partner:${partnerId}`, action: 'replayFailedWebhookDeliveries', target: `WebhookEndpoint:${rowId(endpoint)}` },
        // the single replay took its delivery first, or found it PENDING after the bulk one and left it (no entry)
        ...(dataOf(partnerId === idOfA ? allOfA : allOfB).replayFailedWebhookDeliveries.replayed === 2
          ? [{ actor: `partner:${partnerId}`, action: 'replayWebhookDelivery', target: `WebhookDelivery:${rowId(one.id)}` }]
          : []),
      ];
    expect(inOrder(audit)).toEqual(inOrder([...replayedBy(idOfA, ofA, deliveriesOfA[0]), ...replayedBy(idOfB, ofB, deliveriesOfB[0])]));

    // Sent once each, to the partner's own receiver
    const before = receiver.requests.length;
    await t.runScheduled();
    expect((await deliveriesOf(t, a.credential, ofA)).map((d) => d.status)).toEqual(['DELIVERED', 'DELIVERED', 'DELIVERED']);
    expect((await deliveriesOf(t, b.credential, ofB)).map((d) => d.status)).toEqual(['DELIVERED', 'DELIVERED', 'DELIVERED']);
    expect(receiver.requests.slice(before).map((r) => r.url).sort()).toEqual(['/hook?a', '/hook?a', '/hook?a', '/hook?b', '/hook?b', '/hook?b']);

    // A resend under a partner's key answers as the first and sends nothing more
    const resent = await replay(a.credential, deliveriesOfA[0].id, 'retry-1');
    expect(resent.extensions).toEqual({ idempotentReplays: [['replayWebhookDelivery']] });
    expect(dataOf(resent).replayWebhookDelivery).toMatchObject({ delivery: { status: 'DELIVERED' }, userErrors: [] });
    const resentAll = await replayAll(b.credential, ofB, 'all-1');
    expect(resentAll.extensions).toEqual({ idempotentReplays: [['replayFailedWebhookDeliveries']] });
    expect(dataOf(resentAll).replayFailedWebhookDeliveries.replayed).toBe(dataOf(allOfB).replayFailedWebhookDeliveries.replayed);
    expect(await pendingJobs()).toEqual({});
    // The key with another delivery is the partner's own and refused as reused
    expect(dataOf(await replay(a.credential, deliveriesOfA[1].id, 'retry-1')).replayWebhookDelivery.userErrors.map((e) => e.code)).toEqual(['IDEMPOTENCY_KEY_REUSED']);
    // A key with webhooks:manage is needed
    const reader = await createPartner(t, ['customers:read']);
    expect((await replay(reader.credential, deliveriesOfA[0].id)).errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  });
});
