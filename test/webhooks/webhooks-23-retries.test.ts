import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, createPartner } from '../support/program.js';
import { Receiver } from '../support/webhook-receiver.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code field message } } }`;
const DELIVERIES = `query Deliveries($endpointId: ID) {
  webhookDeliveries(first: 5, endpointId: $endpointId) { edges { node { id status attempts nextAttemptAt lastError } } } }`;
const ENDPOINTS = `query Endpoints { webhookEndpoints(first: 50) { edges { node { id disabledAt failingSince } } } }`;

type Delivery = { id: string; status: string; attempts: number; nextAttemptAt: string | null; lastError: string | null };

/**
 * webhooks-23: how a delivery's next attempt is timed. Before, every failed attempt was retried
 * after exactly WEBHOOK_BACKOFF_MS × 2^(n-1): endpoints failing at once (an outage of the network
 * between, or of a host serving many of them) came back in lock-step, each retry a burst; a
 * receiver's 429/503 `Retry-After` was ignored (retried 5 s later when it asked for minutes); and a
 * 410 Gone was retried for 29 hours. A real gateway and PostgreSQL, a real HTTP receiver, the
 * gateway's clock frozen (no waiting), and the jitter's random source fixed by the test.
 */
describe('webhook retries: jitter, Retry-After and 410 Gone (webhooks-23)', () => {
  let t: TestGateway;
  let receiver: Receiver;
  /** What the gateway's random source draws next (0 once these are used up). */
  const draws: number[] = [];

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual', random: () => draws.shift() ?? 0 });
    receiver = await new Receiver().start();
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  const register = async (url: string, credential: Parameters<TestGateway['gql']>[2] = t.operatorToken) =>
    ok(await t.gql<{ registerWebhookEndpoint: { endpoint: { id: string } } }, unknown>(REGISTER, { input: { url, eventTypes: ['BALANCE_CHANGED'] } }, credential)).registerWebhookEndpoint.endpoint.id;
  const deliveryOf = async (endpointId: string): Promise<Delivery> =>
    ok(await t.gql<{ webhookDeliveries: { edges: { node: Delivery }[] } }, unknown>(DELIVERIES, { endpointId }, t.analystToken)).webhookDeliveries.edges[0]?.node;
  /** One balance change, dispatched, its deliveries' first attempts made. */
  const anEvent = async (currency: string, externalId: string) => {
    await adjust(t, externalId, currency, 10);
    t.clock.advance(t.config.webhooks.dispatchMs);
    await t.runScheduled();
  };
  /** Seconds from the gateway's (frozen) now to the delivery's next attempt. */
  const waitOf = (d: Delivery) => (new Date(d.nextAttemptAt!).getTime() - t.clock.now().getTime()) / 1000;
  /** Moves the clock to the delivery's next attempt and runs it. */
  const toNextAttempt = async (d: Delivery) => {
    t.clock.advance(new Date(d.nextAttemptAt!).getTime() - t.clock.now().getTime());
    await t.runScheduled();
  };

  it('endpoints that fail together are retried spread over up to half of the delay after the schedule\'s, not in lock-step', async () => {
    t.clock.freeze();
    await createCurrency(t, 'JITTER');
    const customer = await createCustomer(t, 'JITTER');
    receiver.status = () => 503;
    const endpoints: string[] = [];
    for (let i = 0; i < 10; i++) endpoints.push(await register(`${receiver.url}?lockstep=${i}`));
    draws.push(...Array.from({ length: 10 }, (_, i) => i / 10));
    await anEvent('JITTER', customer.externalId);

    const first = await Promise.all(endpoints.map(deliveryOf));
    expect(first.map((d) => ({ status: d.status, attempts: d.attempts, lastError: d.lastError }))).toEqual(endpoints.map(() => ({ status: 'PENDING', attempts: 1, lastError: 'HTTP 503' })));
    // WEBHOOK_BACKOFF_MS (5 s) plus the draw × 2.5 s: each delivery its own second retry time
    expect(first.map(waitOf).sort((a, b) => a - b)).toEqual([5, 5.25, 5.5, 5.75, 6, 6.25, 6.5, 6.75, 7, 7.25]);

    // The next round from there: 10 s plus up to 5 s, from each one's own time.
    draws.push(...Array.from({ length: 10 }, (_, i) => 0.95 - i / 10));
    for (const d of [...first].sort((a, b) => waitOf(a) - waitOf(b))) await toNextAttempt(d);
    const second = await Promise.all(endpoints.map(deliveryOf));
    expect(second.every((d) => d.attempts === 2 && d.status === 'PENDING')).toBe(true);
    const gaps = second.map((d, i) => (new Date(d.nextAttemptAt!).getTime() - new Date(first[i].nextAttemptAt!).getTime()) / 1000);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(10);
      expect(gap).toBeLessThan(15);
    }
    expect(new Set(second.map((d) => d.nextAttemptAt)).size).toBe(10);
  });

  it("a 429's or 503's Retry-After is waited, at most WEBHOOK_MAX_BACKOFF_MS; other answers' are not", async () => {
    t.clock.advance(1000 - (t.clock.now().getTime() % 1000)); // on a whole second: an HTTP-date has no less
    await createCurrency(t, 'BUSY');
    const customer = await createCustomer(t, 'BUSY');
    const url = `${receiver.url}?busy`;
    const endpointId = await register(url);
    // each answer's Retry-After as the receiver sends it, at the time it answers (an HTTP-date an hour on)
    const answers: [number, () => Record<string, string>][] = [
      [429, () => ({ 'retry-after': '120' })],
      [503, () => ({ 'retry-after': new Date(t.clock.now().getTime() + 3_600_000).toUTCString() })],
      [503, () => ({ 'retry-after': String(3 * 24 * 3600) })],
      [500, () => ({ 'retry-after': '600' })],
      [429, () => ({ 'retry-after': 'soon' })],
    ];
    const waits: number[] = [];
    let answer = answers[0];
    receiver.status = () => answer[0];
    receiver.headers = () => answer[1]();
    await anEvent('BUSY', customer.externalId);
    for (let i = 0; ; i++) {
      const d = await deliveryOf(endpointId);
      expect(d).toMatchObject({ status: 'PENDING', attempts: i + 1, lastError: `HTTP ${answers[i][0]}` });
      waits.push(waitOf(d));
      if (i === answers.length - 1) break;
      answer = answers[i + 1];
      await toNextAttempt(d);
    }
    receiver.headers = () => ({});
    // 120 s asked (the schedule's 5 s is less); an HTTP-date an hour after the answer; 3 days asked,
    // 6 h waited (the schedule's longest); a 500's Retry-After is no request: the schedule's 40 s;
    // one that cannot be read: the schedule's 80 s.
    expect(waits).toEqual([120, 3600, 21_600, 40, 80]);
  });

  it('a 410 Gone ends the delivery at once and removes the endpoint, as its receiver asked', async () => {
    await createCurrency(t, 'GONE');
    const customer = await createCustomer(t, 'GONE');
    const partner = await createPartner(t, ['webhooks:manage', 'customers:read']);
    const url = `${receiver.url}?gone`;
    const endpointId = await register(url, partner.credential);
    receiver.status = () => 410;
    await anEvent('GONE', customer.externalId);

    const d = await deliveryOf(endpointId);
    expect(d).toMatchObject({ status: 'FAILED', attempts: 1, nextAttemptAt: null });
    expect(d.lastError).toMatch(/^HTTP 410: the receiver said it wants no more messages \(Gone\); the endpoint was removed\.$/);
    // The partner reads its endpoint removed (not failing: nothing more is sent to it).
    const mine = ok(await t.gql<{ webhookEndpoints: { edges: { node: { id: string; disabledAt: string | null; failingSince: string | null } }[] } }, unknown>(ENDPOINTS, {}, partner.credential));
    expect(mine.webhookEndpoints.edges.map((e) => e.node)).toEqual([{ id: endpointId, disabledAt: t.clock.now().toISOString(), failingSince: null }]);
    // The next event is not sent to it.
    const before = receiver.requests.filter((r) => r.url === '/hook?gone').length;
    await anEvent('GONE', customer.externalId);
    expect(receiver.requests.filter((r) => r.url === '/hook?gone')).toHaveLength(before);
    expect(before).toBe(1);
    const [audit] = await t.sql<{ actor: string; action: string }>(`select actor, action from audit_entry where target = $1 and action <> 'registerWebhookEndpoint'`, [`WebhookEndpoint:${Buffer.from(endpointId, 'base64url').toString().split(':')[1]}`]);
    expect(audit).toEqual({ actor: 'webhook-receiver', action: 'removeWebhookEndpoint' });
  });
});
