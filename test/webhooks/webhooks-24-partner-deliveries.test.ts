import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, createPartner } from '../support/program.js';
import { Receiver } from '../support/webhook-receiver.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code field message } } }`;
const DELIVERIES = `query Deliveries($endpointId: ID, $status: WebhookDeliveryStatus) {
  webhookDeliveries(first: 50, endpointId: $endpointId, status: $status) {
    edges { node { messageId status lastError body attemptLog { statusCode } endpoint { id url partner { id } } } } } }`;

type Deliveries = {
  webhookDeliveries: { edges: { node: { messageId: string; status: string; body: string; endpoint: { id: string; url: string; partner: { id: string } | null } } }[] };
};

/**
 * webhooks-24 (newcomer-21's proposal, webhooks-22/23 "Left"): a partner learnt from failingSince
 * *that* its endpoint failed, but not which events, since only staff read `webhookDeliveries`.
 * A partner with webhooks:manage now reads its own endpoints' deliveries, and nothing of another
 * partner's or the program's: not in the list, not by endpointId (refused as an unknown endpoint),
 * not from an answer kept for another caller. A real gateway, PostgreSQL and receiver; the reads
 * are real parallel requests by three callers.
 */
describe("a partner reads its own endpoints' deliveries, and only those (webhooks-24)", () => {
  let t: TestGateway;
  let receiver: Receiver;

  beforeAll(async () => {
    t = await startTestGateway({ WEBHOOK_MAX_ATTEMPTS: '1' }, { jobs: 'manual', random: () => 0 });
    receiver = await new Receiver().start();
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  it('each partner sees its own deliveries, staff see all, another partner\'s endpoint is refused as unknown', async () => {
    await createCurrency(t, 'PDL');
    const customer = await createCustomer(t, 'PDL');
    const [a, b, none] = await Promise.all([
      createPartner(t, ['webhooks:manage', 'customers:read']),
      createPartner(t, ['webhooks:manage', 'customers:read']),
      createPartner(t, ['customers:read']),
    ]);
    const register = async (url: string, credential: Parameters<TestGateway['gql']>[2]) =>
      ok(await t.gql<{ registerWebhookEndpoint: { endpoint: { id: string } } }, unknown>(REGISTER, { input: { url, eventTypes: ['BALANCE_CHANGED'] } }, credential)).registerWebhookEndpoint.endpoint.id;
    const ofA = await register(`${receiver.url}?a`, a.credential);
    const ofB = await register(`${receiver.url}?b`, b.credential);
    const ofProgram = await register(`${receiver.url}?program`, t.operatorToken);
    receiver.status = () => 200;
    await adjust(t, customer.externalId, 'PDL', 10);
    t.clock.advance(t.config.webhooks.dispatchMs);
    await t.runScheduled();
    receiver.status = () => 503; // the second event fails (one attempt: FAILED)
    await adjust(t, customer.externalId, 'PDL', 20);
    t.clock.advance(t.config.webhooks.dispatchMs);
    await t.runScheduled();

    const read = async (credential: Parameters<TestGateway['gql']>[2], vars: Record<string, unknown> = {}) =>
      ok(await t.gql<Deliveries, unknown>(DELIVERIES, vars, credential)).webhookDeliveries.edges.map((e) => e.node);
    // Many reads at once by the three callers: each answer is its caller's alone
    const rounds = await Promise.all(Array.from({ length: 4 }, () => Promise.all([read(a.credential), read(b.credential), read(t.analystToken)])).flat());
    for (const [seenByA, seenByB, seenByStaff] of rounds) {
      expect(seenByA.map((d) => [d.endpoint.id, d.status])).toEqual([
        [ofA, 'FAILED'],
        [ofA, 'DELIVERED'],
      ]);
      expect(seenByA.every((d) => d.endpoint.partner === null)).toBe(true); // the partner field is staff's
      expect(seenByB.map((d) => d.endpoint.id)).toEqual([ofB, ofB]);
      expect(new Set(seenByStaff.map((d) => d.endpoint.id))).toEqual(new Set([ofA, ofB, ofProgram]));
    }
    expect((await read(a.credential, { status: 'FAILED' })).map((d) => [d.endpoint.id, JSON.parse(d.body).data.change.amount])).toEqual([[ofA, 20]]);
    expect((await read(a.credential, { endpointId: ofA })).map((d) => d.endpoint.id)).toEqual([ofA, ofA]);

    // Another's endpoint, or the program's, is answered as one that does not exist
    for (const other of [ofB, ofProgram]) {
      const refused = await t.gql(DELIVERIES, { endpointId: other }, a.credential);
      expect(refused.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['BAD_USER_INPUT', `No webhook endpoint ${other}.`]]);
    }
    const unknown = Buffer.from('WebhookEndpoint:987654').toString('base64url');
    expect((await t.gql(DELIVERIES, { endpointId: unknown }, a.credential)).errors?.map((e) => e.message)).toEqual([`No webhook endpoint ${unknown}.`]);
    // break2-24: another partner's cursor, or the program's, pages the caller's own deliveries only
    // (a cursor names a position, the page is filtered by the caller's endpoints); a delivery's or
    // endpoint's id guessed by node(id:) is staff's alone
    const PAGE = `query Page($after: String) { webhookDeliveries(first: 1, after: $after) { edges { cursor node { id endpoint { id } } } } }`;
    type Paged = { webhookDeliveries: { edges: { cursor: string; node: { id: string; endpoint: { id: string } } }[] } };
    const page = async (credential: Parameters<TestGateway['gql']>[2], after: string | null = null) =>
      ok(await t.gql<Paged, unknown>(PAGE, { after }, credential)).webhookDeliveries.edges;
    const [newestOfB] = await page(b.credential);
    const [newestOfStaff] = await page(t.analystToken);
    for (const cursor of [newestOfB.cursor, newestOfStaff.cursor]) {
      expect((await page(a.credential, cursor)).every((e) => e.node.endpoint.id === ofA)).toBe(true);
    }
    expect((await page(a.credential, newestOfStaff.cursor)).map((e) => e.node.endpoint.id)).toEqual([ofA]); // the newest of all: one of A's is older
    const NODE = `query Node($id: ID!) { node(id: $id) { id } }`;
    for (const id of [newestOfB.node.id, ofB, ofProgram]) {
      const guessed = await t.gql<{ node: { id: string } | null }, unknown>(NODE, { id }, a.credential);
      expect(guessed.data?.node ?? null).toBeNull();
    }
    // Without webhooks:manage: refused
    expect((await t.gql(DELIVERIES, {}, none.credential)).errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    // A partner's answer is never kept for another caller
    const hash = await persistedHash(t, a.apiKey);
    const response = await t.fetch(`/graphql?extensions=${encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } }))}`, { headers: { 'x-api-key': a.apiKey } });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    expect((dataOf((await response.json()) as never) as Deliveries).webhookDeliveries.edges.map((e) => e.node.endpoint.id)).toEqual([ofA, ofA]);
  });
});

/** The id of DELIVERIES as registered for the partner holding `apiKey` (t.gql registers what a partner sends). */
async function persistedHash(t: TestGateway, apiKey: string): Promise<string> {
  const manifest = await t.register({ apiKey }, DELIVERIES);
  return manifest.operations.find((o) => o.name === 'Deliveries')!.id;
}
