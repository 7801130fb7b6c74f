import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, loadConfig } from '../../src/config.js';
import { READING_SHARED_MS } from '../../src/jobs/queue-metrics.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { seriesValue } from '../support/metrics.js';
import { adjust, createCurrency, createCustomer, createPartner } from '../support/program.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code field message } } }`;
const DELIVERIES = `query Deliveries($endpointId: ID) {
  webhookDeliveries(first: 5, endpointId: $endpointId) { edges { node { id status attempts nextAttemptAt lastError } } } }`;
const ENDPOINTS = `query Endpoints { webhookEndpoints(first: 20) { edges { node { id failingSince } } } }`;
const REPLAY = `mutation Replay($input: ReplayWebhookDeliveryInput!) { replayWebhookDelivery(input: $input) { delivery { status } userErrors { code } } }`;

type Delivery = { id: string; status: string; attempts: number; nextAttemptAt: string | null; lastError: string | null };

const HOUR = 3_600_000;
/**
 * The schedule README "Receiving them" states for the defaults, in seconds between one attempt and
 * the next: 5 s doubling to 20 480 s, then 6 h (WEBHOOK_MAX_BACKOFF_MS) three times; 17 attempts.
 */
const README_SCHEDULE_S = [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120, 10240, 20480, 21600, 21600, 21600];

/**
 * webhooks-22: with the defaults a delivery's retries spanned 5 + 10 + … + 320 s, about 11
 * minutes, then it was FAILED and nothing else happened; a partner whose receiver was down for a
 * deploy or a certificate renewal lost the events unless staff noticed. These run the default
 * schedule (no WEBHOOK_* setting) against a real HTTP receiver, with the clock moved to each
 * attempt's time (no waiting) and the hourly prune run at its slots under a 1-hour retention.
 */
describe('webhook retries over a day, and an endpoint that keeps failing (webhooks-22)', () => {
  let t: TestGateway;
  let server: Server;
  let base = '';
  /** Per path: whether the receiver answers 200 (up) or 503 (down), and what each request carried, on the gateway's clock. */
  const up = new Map<string, boolean>();
  const received: { path: string; id: string; at: number; answered: number }[] = [];

  beforeAll(async () => {
    // no jitter (webhooks-23): the README's schedule is its least wait, and these check it exactly
    t = await startTestGateway({ EVENT_RETENTION_HOURS: '1' }, { jobs: 'manual', random: () => 0 });
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const answered = up.get(req.url!) ? 200 : 503;
        received.push({ path: req.url!, id: String(req.headers['webhook-id']), at: t.clock.now().getTime(), answered });
        res.writeHead(answered).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  });

  const deliveriesOf = async (endpointId: string): Promise<Delivery[]> =>
    ok(await t.gql<{ webhookDeliveries: { edges: { node: Delivery }[] } }, unknown>(DELIVERIES, { endpointId }, t.analystToken)).webhookDeliveries.edges.map((e) => e.node);
  /** Moves the clock to the delivery's next attempt and runs what is due (the attempt, and the hourly prune at its slots). */
  const toNextAttempt = async (d: Delivery) => {
    t.clock.advance(Math.max(0, new Date(d.nextAttemptAt!).getTime() - t.clock.now().getTime()) + 1);
    await t.runScheduled();
  };
  /** From attempt to attempt of the endpoint's one delivery while it is PENDING and `more` holds; answers it as it then is. */
  const attemptWhile = async (endpointId: string, more: (d: Delivery) => boolean) => {
    let [delivery] = await deliveriesOf(endpointId);
    while (delivery.status === 'PENDING' && more(delivery)) {
      await toNextAttempt(delivery);
      [delivery] = await deliveriesOf(endpointId);
    }
    return delivery;
  };
  /** Seconds between consecutive requests to `path`, rounded. */
  const gapsOf = (path: string) => {
    const at = received.filter((r) => r.path === path).map((r) => r.at);
    return at.slice(1).map((a, i) => Math.round((a - at[i]) / 1000));
  };
  const endpointsAs = async (credential: Parameters<TestGateway['gql']>[2]) =>
    ok(await t.gql<{ webhookEndpoints: { edges: { node: { id: string; failingSince: string | null } }[] } }, unknown>(ENDPOINTS, {}, credential)).webhookEndpoints.edges.map((e) => e.node);
  const scrape = async () => {
    await new Promise((resolve) => setTimeout(resolve, READING_SHARED_MS + 100)); // a reading of its own, not an earlier scrape's
    return (await t.fetch('/metrics')).text();
  };

  it('a receiver down for a day gets the event once it is back, and the prune keeps the delivery meanwhile', async () => {
    t.clock.freeze();
    await createCurrency(t, 'DAY');
    const customer = await createCustomer(t, 'DAY');
    const path = '/down-for-a-day';
    up.set(path, false);
    const endpointId = ok(
      await t.gql<{ registerWebhookEndpoint: { endpoint: { id: string } } }, unknown>(REGISTER, { input: { url: base + path, eventTypes: ['BALANCE_CHANGED'] } }, t.operatorToken),
    ).registerWebhookEndpoint.endpoint.id;
    await adjust(t, customer.externalId, 'DAY', 10);
    const eventId = Number((await t.sql<{ id: string }>(`select max(id) as id from outbox_event`))[0].id);
    t.clock.advance(t.config.webhooks.dispatchMs);
    await t.runScheduled();
    const outageEnds = received.find((r) => r.path === path)!.at + 24 * HOUR;

    // Down for 24 hours: every attempt meanwhile fails, and the delivery stays PENDING with a next attempt.
    let delivery = await attemptWhile(endpointId, (d) => new Date(d.nextAttemptAt!).getTime() < outageEnds);
    expect({ status: delivery.status, lastError: delivery.lastError, next: delivery.nextAttemptAt !== null }).toEqual({ status: 'PENDING', lastError: 'HTTP 503', next: true });
    // Back up: the next attempt delivers it, the same message it was sent from the start.
    up.set(path, true);
    await toNextAttempt(delivery);
    [delivery] = await deliveriesOf(endpointId);
    const requests = received.filter((r) => r.path === path);
    expect(delivery).toMatchObject({ status: 'DELIVERED', attempts: requests.length, lastError: null });
    expect(requests.map((r) => r.answered)).toEqual([...requests.slice(0, -1).map(() => 503), 200]);
    expect(new Set(requests.map((r) => r.id))).toEqual(new Set([`evt_${eventId}`]));
    expect(requests.length).toBeLessThanOrEqual(t.config.webhooks.maxAttempts);
    expect(gapsOf(path)).toEqual(README_SCHEDULE_S.slice(0, requests.length - 1));
    // The prune ran past the retention meanwhile: the outbox event, dispatched more than an hour
    // before, is gone; the PENDING delivery (which carries its own body) was kept to its last attempt.
    expect(await t.sql(`select id from outbox_event where id = $1`, [eventId])).toEqual([]);
    expect(((await endpointsAs(t.operatorToken)).find((e) => e.id === endpointId))!.failingSince).toBeNull();
  });

  it('a receiver that fails every attempt: FAILED after about 29 hours, the endpoint failing for staff, the partner and /metrics, until one is delivered', async () => {
    await createCurrency(t, 'GONE');
    const customer = await createCustomer(t, 'GONE');
    const partner = await createPartner(t, ['webhooks:manage', 'customers:read']);
    const path = '/down-for-good';
    up.set(path, false);
    const endpointId = ok(
      await t.gql<{ registerWebhookEndpoint: { endpoint: { id: string } } }, unknown>(REGISTER, { input: { url: base + path, eventTypes: ['BALANCE_CHANGED'] } }, partner.credential),
    ).registerWebhookEndpoint.endpoint.id;
    await adjust(t, customer.externalId, 'GONE', 10);
    t.clock.advance(t.config.webhooks.dispatchMs);
    await t.runScheduled();

    const delivery = await attemptWhile(endpointId, () => true);
    const requests = received.filter((r) => r.path === path);
    expect({ status: delivery.status, attempts: delivery.attempts, lastError: delivery.lastError }).toEqual({ status: 'FAILED', attempts: 17, lastError: 'HTTP 503' });
    expect(requests).toHaveLength(17);
    expect(gapsOf(path)).toEqual(README_SCHEDULE_S);
    const lastAttempt = requests.at(-1)!.at;
    expect((lastAttempt - requests[0].at) / HOUR).toBeGreaterThan(29);

    // After the last attempt: the partner and staff read since when it fails, /metrics counts it.
    const failingSince = (await endpointsAs(partner.credential)).find((e) => e.id === endpointId)!.failingSince;
    expect(failingSince).not.toBeNull();
    expect(new Date(failingSince!).getTime()).toBeGreaterThanOrEqual(lastAttempt);
    expect((await endpointsAs(t.operatorToken)).find((e) => e.id === endpointId)!.failingSince).toBe(failingSince);
    expect(seriesValue(await scrape(), 'gateway_webhook_endpoints_failing')).toBe(1);

    // Mended and replayed by staff: delivered, and the endpoint is no longer failing.
    up.set(path, true);
    const replayed = ok(await t.gql<{ replayWebhookDelivery: { delivery: { status: string } } }, unknown>(REPLAY, { input: { deliveryId: delivery.id } }, t.operatorToken));
    expect(replayed.replayWebhookDelivery.delivery.status).toBe('PENDING');
    await t.runScheduled();
    expect((await deliveriesOf(endpointId))[0].status).toBe('DELIVERED');
    expect((await endpointsAs(partner.credential)).find((e) => e.id === endpointId)!.failingSince).toBeNull();
    expect(seriesValue(await scrape(), 'gateway_webhook_endpoints_failing')).toBe(0);
  });
});

describe('the retry settings (webhooks-22)', () => {
  const base = { NODE_ENV: 'test', DATABASE_URL: 'postgres://localhost/x' };
  it('default to a schedule of about 29 hours and keep their ranges', () => {
    const { maxAttempts, backoffMs, maxBackoffMs } = loadConfig(base).webhooks;
    expect({ maxAttempts, backoffMs, maxBackoffMs }).toEqual({ maxAttempts: 17, backoffMs: 5_000, maxBackoffMs: 21_600_000 });
    const span = Array.from({ length: maxAttempts - 1 }, (_, i) => Math.min(backoffMs * 2 ** i, maxBackoffMs)).reduce((a, b) => a + b, 0);
    expect(span / 1000).toBe(README_SCHEDULE_S.reduce((a, b) => a + b, 0));
    for (const [name, value] of [['WEBHOOK_MAX_ATTEMPTS', '0'], ['WEBHOOK_MAX_ATTEMPTS', '101'], ['WEBHOOK_BACKOFF_MS', '9'], ['WEBHOOK_BACKOFF_MS', '3600001'], ['WEBHOOK_MAX_BACKOFF_MS', '86400001']]) {
      expect(() => loadConfig({ ...base, [name]: value })).toThrow(ConfigError);
    }
    expect(loadConfig({ ...base, WEBHOOK_MAX_ATTEMPTS: '100', WEBHOOK_MAX_BACKOFF_MS: '86400000' }).webhooks).toMatchObject({ maxAttempts: 100, maxBackoffMs: 86_400_000 });
  });
});
