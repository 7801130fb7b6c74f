import { Webhook } from 'standardwebhooks';
import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, createPartner } from '../support/program.js';
import { Receiver } from '../support/webhook-receiver.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id url disabledAt } secret secretWithheld userErrors { code field message } } }`;
const REMOVE = `mutation Remove($input: RemoveWebhookEndpointInput!) { removeWebhookEndpoint(input: $input) { endpoint { id disabledAt } userErrors { code field message } } }`;
const ENABLE = `mutation Enable($input: EnableWebhookEndpointInput!) { enableWebhookEndpoint(input: $input) { endpoint { id url disabledAt } userErrors { code field message } } }`;
const REVOKE = `mutation Revoke($input: RevokePartnerInput!) { revokePartner(input: $input) { partner { id } userErrors { code } } }`;
const REPLAY_ALL = `mutation ReplayAll($input: ReplayFailedWebhookDeliveriesInput!) { replayFailedWebhookDeliveries(input: $input) { replayed userErrors { code field message } } }`;
const DELIVERIES = `query Deliveries($endpointId: ID) { webhookDeliveries(first: 50, endpointId: $endpointId) { edges { node { messageId status lastError } } } }`;

type UserErrors = { code: string; field: string[]; message: string }[];
type Registered = { registerWebhookEndpoint: { endpoint: { id: string; url: string; disabledAt: string | null } | null; secret: string | null; secretWithheld: boolean | null; userErrors: UserErrors } };
type Enabled = { enableWebhookEndpoint: { endpoint: { id: string; url: string; disabledAt: string | null } | null; userErrors: UserErrors } };

/**
 * webhooks-24: an owner's second endpoint for one URL (every event sent twice, one copy failing
 * its receiver's verification for 29 hours: newcomer-23) is refused, ALREADY_EXISTS naming the
 * first; and a removed endpoint (by staff, its partner, or a 410 Gone) can be enabled again with
 * its secret (webhooks-23 "Left"). A real gateway, PostgreSQL and receiver; races by real
 * parallel requests, checked on the rows afterwards.
 */
describe('webhook endpoints: one per URL, and enabled again (webhooks-24)', () => {
  let t: TestGateway;
  let receiver: Receiver;
  let customer: { externalId: string };

  beforeAll(async () => {
    t = await startTestGateway({ WEBHOOK_MAX_ATTEMPTS: '1' }, { jobs: 'manual', random: () => 0 });
    receiver = await new Receiver().start();
    await createCurrency(t, 'EPT');
    customer = await createCustomer(t, 'EPT');
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  const register = async (input: Record<string, unknown>, credential: Parameters<TestGateway['gql']>[2] = t.operatorToken) =>
    dataOf(await t.gql<Registered, unknown>(REGISTER, { input: { eventTypes: ['BALANCE_CHANGED'], ...input } }, credential)).registerWebhookEndpoint;
  const enable = async (endpointId: string, credential: Parameters<TestGateway['gql']>[2] = t.operatorToken) =>
    dataOf(await t.gql<Enabled, unknown>(ENABLE, { input: { endpointId } }, credential)).enableWebhookEndpoint;
  const remove = async (endpointId: string, credential: Parameters<TestGateway['gql']>[2] = t.operatorToken) =>
    ok(await t.gql<{ removeWebhookEndpoint: { userErrors: UserErrors } }, unknown>(REMOVE, { input: { endpointId } }, credential)).removeWebhookEndpoint;
  /** Endpoints not removed whose URL starts with `url`. */
  const live = async (url: string) =>
    (await t.sql<{ id: string }>(`select id from webhook_endpoint where url like $1 and disabled_at is null order by id`, [`${url}%`])).map((r) => Number(r.id));
  const numericId = (id: string) => Number(Buffer.from(id, 'base64url').toString().split(':')[1]);
  const registeredAtOf = async (id: string) => (await t.sql<{ at: Date }>(`select created_at as at from webhook_endpoint where id = $1`, [numericId(id)]))[0].at;
  /** An event now, then what is due sent. */
  const event = async () => {
    await adjust(t, customer.externalId, 'EPT', 5);
    t.clock.advance(t.config.webhooks.dispatchMs);
    await t.runScheduled();
  };

  it('refuses a second endpoint for the same URL of the same owner, naming the first; another owner, a key replay or a removed one do not count', async () => {
    const url = `${receiver.url}?dup`;
    const first = await register({ url, idempotencyKey: 'dup-1', description: 'Main CRM' });
    expect(first.userErrors).toEqual([]);
    const again = await register({ url, eventTypes: ['TIER_CHANGED'] });
    expect(again).toMatchObject({ endpoint: null, secret: null });
    // named as the console's list shows it (its description, when it was registered, its URL), the id last (newcomer-46: the id alone)
    const registeredAt = (await registeredAtOf(first.endpoint!.id)).toISOString();
    expect(again.userErrors).toEqual([
      {
        code: 'ALREADY_EXISTS',
        field: ['input', 'url'],
        message: `An endpoint ("Main CRM") registered at ${registeredAt} already receives at ${url}: a second one would get every event twice. Keep that one, or remove it first (endpoint ${first.endpoint!.id}).`,
      },
    ]);
    // a description as a partner may write it: quoted, cut, and what a reader cannot see spelled out (a review: a right-to-left
    // override in it turned the rest of the console's alert around, and a long one overflowed it)
    const other = `${receiver.url}?described`;
    const described = await register({ url: other, description: 'Ops\u202Eteam\nsecond line, and a long tail of words to cut off' });
    expect(described.userErrors).toEqual([]);
    expect((await register({ url: other })).userErrors[0].message).toMatch(
      /^An endpoint \("Ops\\u202Eteam\\nsecond line, and a long tail of… \(57 characters\)"\) registered at \S+ already receives at /,
    );
    expect((await remove(described.endpoint!.id)).userErrors).toEqual([]);
    // The same URL as URL reads it (host in capitals, the default port written out)
    const spelled = url.replace('http://127.0.0.1:', 'HTTP://127.0.0.1:');
    expect((await register({ url: spelled })).userErrors.map((e) => e.code)).toEqual(['ALREADY_EXISTS']);
    // The first registration's key again answers it, as before
    expect(await register({ url, idempotencyKey: 'dup-1', description: 'Main CRM' })).toMatchObject({ endpoint: { id: first.endpoint!.id }, secretWithheld: true, userErrors: [] });
    // Another owner (a partner) has its own endpoint for it
    const partner = await createPartner(t, ['webhooks:manage', 'customers:read']);
    expect((await register({ url }, partner.credential)).userErrors).toEqual([]);
    expect((await register({ url }, partner.credential)).userErrors.map((e) => e.code)).toEqual(['ALREADY_EXISTS']);
    expect(await live(url)).toHaveLength(2);

    // One event: one message to the URL per owner, not one per registration attempt
    const before = receiver.requests.length;
    await event();
    expect(receiver.requests.slice(before).map((r) => r.url)).toEqual([`/hook?dup`, `/hook?dup`]);

    // Once removed, the URL may be registered again
    expect((await remove(first.endpoint!.id)).userErrors).toEqual([]);
    expect((await register({ url })).userErrors).toEqual([]);
  });

  it('six registrations of one URL at once make one endpoint', async () => {
    const url = `${receiver.url}?race`;
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => register({ url, idempotencyKey: `race-${i}` })));
    expect(answers.filter((a) => a.userErrors.length === 0)).toHaveLength(1);
    expect(answers.flatMap((a) => a.userErrors.map((e) => e.code))).toEqual(Array(5).fill('ALREADY_EXISTS'));
    expect(await live(url)).toHaveLength(1);
  });

  it('an endpoint removed by its receiver\'s 410 Gone is enabled again: same secret, new events sent, its failed deliveries replayable', async () => {
    const url = `${receiver.url}?gone`;
    const registered = await register({ url });
    const id = registered.endpoint!.id;
    receiver.status = () => 410;
    await event();
    expect(await live(url)).toEqual([]); // removed by the 410
    await event(); // nothing is sent to a removed endpoint
    receiver.status = () => 200;

    const enabled = await enable(id);
    expect(enabled).toEqual({ endpoint: { id, url, disabledAt: null }, userErrors: [] });
    expect(await live(url)).toEqual([numericId(id)]);
    expect(await t.sql(`select actor, action from audit_entry where target = $1 order by id`, [`WebhookEndpoint:${numericId(id)}`])).toEqual([
      { actor: expect.stringMatching(/^staff:/), action: 'registerWebhookEndpoint' },
      { actor: 'webhook-receiver', action: 'removeWebhookEndpoint' },
      { actor: expect.stringMatching(/^staff:/), action: 'enableWebhookEndpoint' },
    ]);
    // Enabling what receives changes nothing
    expect(await enable(id)).toEqual({ endpoint: { id, url, disabledAt: null }, userErrors: [] });

    const before = receiver.requests.length;
    await event();
    const sent = receiver.requests.slice(before).filter((r) => r.url === '/hook?gone');
    expect(sent).toHaveLength(1);
    expect(() => new Webhook(registered.secret!).verify(sent[0].body, sent[0].headers as Record<string, string>)).not.toThrow();

    // The delivery the 410 failed is sent again by a bulk replay (refused while removed: INVALID)
    const replay = ok(await t.gql<{ replayFailedWebhookDeliveries: { replayed: number; userErrors: UserErrors } }, unknown>(REPLAY_ALL, { input: { endpointId: id, idempotencyKey: 'gone-replay' } }, t.operatorToken));
    expect(replay.replayFailedWebhookDeliveries).toEqual({ replayed: 1, userErrors: [] });
    await t.runScheduled();
    const deliveries = ok(await t.gql<{ webhookDeliveries: { edges: { node: { status: string } }[] } }, unknown>(DELIVERIES, { endpointId: id }, t.analystToken));
    expect(deliveries.webhookDeliveries.edges.map((e) => e.node.status)).toEqual(['DELIVERED', 'DELIVERED']);
  });

  it('a partner enables only its own; a revoked partner\'s stays removed; a URL taken meanwhile is ALREADY_EXISTS', async () => {
    const [a, b] = await Promise.all([createPartner(t, ['webhooks:manage', 'customers:read']), createPartner(t, ['webhooks:manage', 'customers:read'])]);
    const url = `${receiver.url}?own`;
    const mine = (await register({ url }, a.credential)).endpoint!.id;
    expect((await remove(mine, a.credential)).userErrors).toEqual([]);
    expect((await enable(mine, b.credential)).userErrors).toEqual([{ code: 'NOT_FOUND', field: ['input', 'endpointId'], message: 'No such webhook endpoint.' }]);
    expect(await live(url)).toEqual([]);
    expect((await enable(mine, a.credential)).endpoint?.disabledAt).toBeNull();

    // Removed, then the URL registered again: enabling the old one would send every event twice
    expect((await remove(mine, a.credential)).userErrors).toEqual([]);
    const newer = (await register({ url }, a.credential)).endpoint!.id;
    expect((await enable(mine, a.credential)).userErrors).toEqual([
      {
        code: 'ALREADY_EXISTS',
        field: ['input', 'endpointId'],
        message: `An endpoint registered at ${(await registeredAtOf(newer)).toISOString()} already receives at ${url}: a second one would get every event twice. Keep that one, or remove it first (endpoint ${newer}).`,
      },
    ]);
    expect(await live(url)).toEqual([numericId(newer)]);

    // A revocation removes its endpoints for good
    ok(await t.gql(REVOKE, { input: { partnerId: a.id } }, t.operatorToken));
    expect((await enable(newer)).userErrors).toEqual([{ code: 'NOT_FOUND', field: ['input', 'endpointId'], message: 'No such webhook endpoint.' }]);
    expect(await live(url)).toEqual([]);
  });

  it('enabling a removed endpoint while its URL is registered again, all at once, leaves one endpoint receiving', async () => {
    const url = `${receiver.url}?both`;
    const old = (await register({ url })).endpoint!.id;
    expect((await remove(old)).userErrors).toEqual([]);
    const answers = await Promise.all([
      ...Array.from({ length: 3 }, () => enable(old)),
      ...Array.from({ length: 3 }, (_, i) => register({ url, idempotencyKey: `both-${i}` })),
    ]);
    const refused = answers.flatMap((a) => a.userErrors.map((e) => e.code));
    expect(refused.every((code) => code === 'ALREADY_EXISTS')).toBe(true);
    expect(await live(url)).toHaveLength(1);
  });
});
