import { ok, type Credential, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, createPartner } from '../support/program.js';
import { deliveriesOf, gatewayWithReceiver, type Receiver } from '../support/webhook-receiver.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code field message } } }`;
const REPLAY = `mutation Replay($input: ReplayWebhookDeliveryInput!) {
  replayWebhookDelivery(input: $input) { delivery { id status } userErrors { code field message } } }`;
const REPLAY_ALL = `mutation ReplayAll($input: ReplayFailedWebhookDeliveriesInput!) {
  replayFailedWebhookDeliveries(input: $input) { replayed endpoint { id } userErrors { code field message } } }`;
const REMOVE = `mutation Remove($input: RemoveWebhookEndpointInput!) { removeWebhookEndpoint(input: $input) { endpoint { id } userErrors { code } } }`;
const ENABLE = `mutation Enable($input: EnableWebhookEndpointInput!) { enableWebhookEndpoint(input: $input) { endpoint { id } userErrors { code } } }`;
const REVOKE = `mutation Revoke($input: RevokePartnerInput!) { revokePartner(input: $input) { partner { id } userErrors { code } } }`;

type Answer = { data?: Record<string, { userErrors?: { code: string }[] } | null> | null; errors?: { message: string; extensions?: { code?: string } }[] };

/**
 * break-25: a hostile partner's replays (webhooks-25): bad ids and keys, one key across partners and
 * across the two mutations, a removed endpoint of another partner, a key revoked between replays,
 * and replays racing removal and enable from parallel requests. A real gateway and receiver.
 */
describe("a hostile partner's replays (break-25)", () => {
  const started = gatewayWithReceiver({ WEBHOOK_MAX_ATTEMPTS: '1' }, { jobs: 'manual', random: () => 0 });
  let t: TestGateway;
  let receiver: Receiver;
  beforeAll(() => {
    ({ t, receiver } = started);
  });

  const send = (query: string, input: object, credential: Credential) => t.gql(query, { input }, credential) as Promise<Answer>;
  /** What one answer says, as a code: the first userError's or GraphQL error's code, or 'ok'. */
  const codeOf = (answer: Answer) =>
    answer.errors?.[0]?.extensions?.code ?? Object.values(answer.data ?? {})[0]?.userErrors?.[0]?.code ?? 'ok';

  async function failedEndpoint(currency: string) {
    const customer = await createCustomer(t, currency);
    const partner = await createPartner(t, ['webhooks:manage', 'customers:read']);
    const endpoint = ok(
      await t.gql<{ registerWebhookEndpoint: { endpoint: { id: string } } }, unknown>(REGISTER, { input: { url: `${receiver.url}?${partner.id}`, eventTypes: ['BALANCE_CHANGED'] } }, partner.credential),
    ).registerWebhookEndpoint.endpoint.id;
    return { customer, partner, endpoint };
  }

  it('bad ids and keys are BAD_USER_INPUT; one key is each partner\'s and each mutation\'s own; another partner\'s removed endpoint is unknown; a revoked key is UNAUTHENTICATED; nothing else written', async () => {
    await createCurrency(t, 'BRPL');
    const a = await failedEndpoint('BRPL');
    const b = await failedEndpoint('BRPL');
    receiver.status = () => 503;
    await adjust(t, a.customer.externalId, 'BRPL', 10);
    t.clock.advance(t.config.webhooks.dispatchMs);
    await t.runScheduled();
    const [ofA] = await deliveriesOf(t, a.partner.credential, a.endpoint);
    const [ofB] = await deliveriesOf(t, b.partner.credential, b.endpoint);
    expect([ofA.status, ofB.status]).toEqual(['FAILED', 'FAILED']);
    const auditBefore = (await t.sql<{ n: number }>(`select count(*)::int as n from audit_entry where action like 'replay%'`))[0].n;

    const bad = await Promise.all([
      send(REPLAY, { deliveryId: '' }, a.partner.credential),
      send(REPLAY, { deliveryId: 'x'.repeat(10_000) }, a.partner.credential),
      send(REPLAY, { deliveryId: a.endpoint }, a.partner.credential),
      send(REPLAY, { deliveryId: Buffer.from('WebhookDelivery:99999999999999999999').toString('base64url') }, a.partner.credential),
      send(REPLAY, { deliveryId: Buffer.from('WebhookDelivery:-1').toString('base64url') }, a.partner.credential),
      send(REPLAY, { deliveryId: ofA.id, idempotencyKey: '' }, a.partner.credential),
      send(REPLAY, { deliveryId: ofA.id, idempotencyKey: 'k'.repeat(10_000) }, a.partner.credential),
      send(REPLAY_ALL, { endpointId: a.endpoint, idempotencyKey: '' }, a.partner.credential),
      send(REPLAY_ALL, { endpointId: ofA.id, idempotencyKey: 'bad-1' }, a.partner.credential),
      send(REPLAY_ALL, { endpointId: a.endpoint }, a.partner.credential),
      send(REPLAY_ALL, { endpointId: a.endpoint, idempotencyKey: 7 }, a.partner.credential),
      send(REPLAY, { deliveryId: [ofA.id] }, a.partner.credential),
    ]);
    expect(bad.map(codeOf)).toEqual(bad.map(() => 'BAD_USER_INPUT'));
    expect((await deliveriesOf(t, a.partner.credential, a.endpoint)).map((d) => d.status)).toEqual(['FAILED']);
    expect(await t.sql(`select actor, action, target from audit_entry where action like 'replay%' order by id offset $1`, [auditBefore])).toEqual([]);

    // One key, two partners, two mutations: each its own
    const keyed = await Promise.all([
      send(REPLAY, { deliveryId: ofA.id, idempotencyKey: 'same' }, a.partner.credential),
      send(REPLAY_ALL, { endpointId: b.endpoint, idempotencyKey: 'same' }, b.partner.credential),
      send(REPLAY_ALL, { endpointId: a.endpoint, idempotencyKey: 'same' }, a.partner.credential),
      send(REPLAY, { deliveryId: ofB.id, idempotencyKey: 'same' }, b.partner.credential),
    ]);
    expect(keyed.map(codeOf)).toEqual(['ok', 'ok', 'ok', 'ok']);
    // B's key "same" with A's delivery: unknown to B, not a key reused (the key says nothing of A's)
    expect(codeOf(await send(REPLAY, { deliveryId: ofA.id, idempotencyKey: 'other' }, b.partner.credential))).toBe('NOT_FOUND');

    // B's endpoint removed: to A it is still unknown (not "removed")
    ok(await t.gql(REMOVE, { input: { endpointId: b.endpoint } }, b.partner.credential));
    expect([
      codeOf(await send(REPLAY, { deliveryId: ofB.id }, a.partner.credential)),
      codeOf(await send(REPLAY_ALL, { endpointId: b.endpoint, idempotencyKey: 'x' }, a.partner.credential)),
      codeOf(await send(REPLAY, { deliveryId: ofB.id }, b.partner.credential)),
    ]).toEqual(['NOT_FOUND', 'NOT_FOUND', 'INVALID']);

    // A revoked: its key's replays, keyed resends included, are refused at the door
    ok(await t.gql(REVOKE, { input: { partnerId: a.partner.id } }, t.operatorToken));
    expect([
      codeOf(await send(REPLAY, { deliveryId: ofA.id, idempotencyKey: 'same' }, a.partner.credential)),
      codeOf(await send(REPLAY_ALL, { endpointId: a.endpoint, idempotencyKey: 'same' }, a.partner.credential)),
    ]).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED']);
  });

  it('replays racing removal and enable from parallel requests: each delivery ends DELIVERED or FAILED, is sent at most once per round, and none is left PENDING on a removed endpoint', async () => {
    await createCurrency(t, 'BRPR');
    const a = await failedEndpoint('BRPR');
    receiver.status = () => 503;
    for (const points of [1, 2, 3, 4, 5]) await adjust(t, a.customer.externalId, 'BRPR', points);
    t.clock.advance(t.config.webhooks.dispatchMs);
    await t.runScheduled();
    const deliveries = await deliveriesOf(t, a.partner.credential, a.endpoint);
    expect(deliveries.map((d) => d.status)).toEqual(['FAILED', 'FAILED', 'FAILED', 'FAILED', 'FAILED']);
    receiver.status = () => 200;
    const answers = await Promise.all([
      ...deliveries.map((d) => send(REPLAY, { deliveryId: d.id, idempotencyKey: `one-${d.id}` }, a.partner.credential)),
      ...deliveries.map((d) => send(REPLAY, { deliveryId: d.id, idempotencyKey: `one-${d.id}` }, a.partner.credential)),
      send(REPLAY_ALL, { endpointId: a.endpoint, idempotencyKey: 'all' }, a.partner.credential),
      send(REPLAY_ALL, { endpointId: a.endpoint, idempotencyKey: 'all' }, a.partner.credential),
      send(REMOVE, { endpointId: a.endpoint }, a.partner.credential),
      send(ENABLE, { endpointId: a.endpoint }, a.partner.credential),
    ]);
    for (const answer of answers) expect(answer.errors).toBeUndefined();
    expect(answers.map(codeOf).filter((c) => !['ok', 'INVALID'].includes(c))).toEqual([]);
    const jobs = await t.sql<{ deliveryId: string; n: number }>(
      `select payload->>'deliveryId' as "deliveryId", count(*)::int as n from job where kind = 'webhooks.deliver' and status = 'PENDING' group by 1 having count(*) > 1`,
    );
    expect(jobs).toEqual([]);
    const before = receiver.requests.length;
    await t.runScheduled();
    const after = await deliveriesOf(t, a.partner.credential, a.endpoint);
    expect(after.filter((d) => !['DELIVERED', 'FAILED'].includes(d.status))).toEqual([]);
    const ids = receiver.requests.slice(before).map((r) => r.headers['webhook-id']);
    expect(ids.length).toBe(new Set(ids).size);
    const endpoint = await t.sql<{ removed: boolean }>(`select disabled_at is not null as removed from webhook_endpoint where id = $1`, [Buffer.from(a.endpoint, 'base64url').toString().split(':')[1]]);
    if (endpoint[0].removed) expect(after.filter((d) => d.status === 'PENDING')).toEqual([]);
  });
});
