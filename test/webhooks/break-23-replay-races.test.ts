import type { JobContext } from '../../src/jobs/runner.js';
import { pruneEvents } from '../../src/events/retention.job.js';
import { dataOf, ok, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, eventually } from '../support/program.js';
import { holdLocks } from '../support/locks.js';
import { gatewayWithReceiver, type Receiver } from '../support/webhook-receiver.js';

const HOUR = 3_600_000;
const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code field message } } }`;
const REPLAY_ALL = `mutation ReplayAll($input: ReplayFailedWebhookDeliveriesInput!) {
  replayFailedWebhookDeliveries(input: $input) { replayed userErrors { code field message } } }`;
const REPLAY_ONE = `mutation ReplayOne($input: ReplayWebhookDeliveryInput!) {
  replayWebhookDelivery(input: $input) { delivery { id status } userErrors { code field message } } }`;
const DELIVERIES = `query Deliveries($endpointId: ID) { webhookDeliveries(first: 50, endpointId: $endpointId) { edges { node { id status } } } }`;
const ENDPOINTS = `query Endpoints { webhookEndpoints(first: 50) { edges { node { id disabledAt } } } }`;

/**
 * break-23: webhooks-23's bulk replay under real parallel requests: racing the prune (the FAILED
 * deliveries past the retention) and a single replay of each delivery; and racing a 410 Gone that
 * removes the endpoint while the runner attempts its deliveries. Checked on what staff read and on
 * the rows: no request answered an internal error, a delivery gets at most one job, nothing is
 * left PENDING for a removed endpoint once the runner is idle, one removal is audited.
 */
describe('bulk replays racing the prune, single replays and a 410 (break-23)', () => {
  let t: TestGateway;
  let receiver: Receiver;
  const EVENTS = 8;
  const started = gatewayWithReceiver({ EVENT_RETENTION_HOURS: '1', WEBHOOK_MAX_ATTEMPTS: '1' }, { jobs: 'manual' });
  beforeAll(() => ({ t, receiver } = started));

  const deliveriesOf = async (endpointId: string) =>
    ok(await t.gql<{ webhookDeliveries: { edges: { node: { id: string; status: string } }[] } }, unknown>(DELIVERIES, { endpointId }, t.operatorToken)).webhookDeliveries.edges.map((e) => e.node);
  /** An endpoint (its URL tagged `tag`) with EVENTS FAILED deliveries. */
  const failedEndpoint = async (tag: string) => {
    receiver.status = () => 503;
    await createCurrency(t, tag);
    const customer = await createCustomer(t, tag);
    const id = ok(
      await t.gql<{ registerWebhookEndpoint: { endpoint: { id: string } } }, unknown>(REGISTER, { input: { url: `${receiver.url}?${tag}`, eventTypes: ['BALANCE_CHANGED'] } }, t.operatorToken),
    ).registerWebhookEndpoint.endpoint.id;
    for (let i = 0; i < EVENTS; i++) await adjust(t, customer.externalId, tag, 10);
    t.clock.advance(t.config.webhooks.dispatchMs);
    await t.runScheduled();
    expect((await deliveriesOf(id)).map((d) => d.status)).toEqual(Array(EVENTS).fill('FAILED'));
    return { id, customer };
  };
  /** Jobs to send each delivery: delivery id → count (waiting ones). */
  const jobsPerDelivery = async () =>
    t.sql<{ n: number }>(`select payload->>'deliveryId' as "deliveryId", count(*)::int as n from job where kind = 'webhooks.deliver' and status = 'PENDING' group by 1`);
  const errorsOf = (res: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => (res.errors ?? []).map((e) => e.extensions?.code);

  it("a replay that took a delivery's row before the prune did is sent, not deleted by the prune that waited for it", async () => {
    t.clock.freeze();
    const { id } = await failedEndpoint('PRUNERACE');
    const deliveries = await deliveriesOf(id);
    t.clock.advance(2 * HOUR); // past the retention: the prune deletes them unless they are replayed first
    // Orders the race, not its outcome: the replays queue on the deliveries' rows first, the prune
    // behind them; then every one goes on, as staff replaying while the hourly prune runs.
    const held = await holdLocks(t, `select 1 from webhook_delivery where status = 'FAILED' for update`, []);
    let replays: Promise<unknown[]>;
    let pruned: Promise<unknown>;
    try {
      replays = Promise.all(
        deliveries.map(async (d) =>
          dataOf(await t.gql<{ replayWebhookDelivery: { delivery: { status: string } | null; userErrors: { code: string }[] } }, unknown>(REPLAY_ONE, { input: { deliveryId: d.id } }, t.operatorToken))
            .replayWebhookDelivery,
        ),
      );
      await held.waiters(EVENTS);
      let done = false;
      pruned = t.orm.em.fork().transactional((em) => pruneEvents({ em, clock: t.clock, config: t.config } as unknown as JobContext)).finally(() => (done = true));
      // the prune waits behind the replays, or passes their rows by
      await eventually(async () => done || (await t.sql<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`))[0].n === EVENTS + 1);
    } finally {
      await held.release();
    }
    // Staff were told each is PENDING again: a new round of attempts, the same webhook-id.
    expect(await replays).toEqual(deliveries.map((d) => ({ delivery: { id: d.id, status: 'PENDING' }, userErrors: [] })));
    await pruned;
    receiver.status = () => 200;
    const before = receiver.requests.length;
    await t.runScheduled();
    expect({
      deliveries: (await deliveriesOf(id)).map((d) => d.status),
      sent: receiver.requests.slice(before).filter((r) => r.url === '/hook?PRUNERACE').length,
    }).toEqual({ deliveries: Array(EVENTS).fill('DELIVERED'), sent: EVENTS });
  });

  it('a bulk replay, single replays and the prune at once: none fails (the prune deadlocked with the bulk replay), a delivery left has one job', async () => {
    t.clock.freeze();
    const { id } = await failedEndpoint('BULKRACE');
    const deliveries = await deliveriesOf(id);
    t.clock.advance(2 * HOUR);
    const [bulk, singles] = await Promise.all([
      t.gql<{ replayFailedWebhookDeliveries: { replayed: number | null; userErrors: unknown[] } }, unknown>(REPLAY_ALL, { input: { endpointId: id, idempotencyKey: 'race-prune' } }, t.operatorToken),
      Promise.all(deliveries.map((d) => t.gql<{ replayWebhookDelivery: { delivery: { status: string } | null; userErrors: { code: string }[] } }, unknown>(REPLAY_ONE, { input: { deliveryId: d.id } }, t.operatorToken))),
      t.orm.em.fork().transactional((em) => pruneEvents({ em, clock: t.clock, config: t.config } as unknown as JobContext)),
    ]);
    expect({ bulk: errorsOf(bulk), singles: singles.flatMap(errorsOf) }).toEqual({ bulk: [], singles: [] });
    const left = await deliveriesOf(id);
    expect(left.every((d) => d.status === 'PENDING')).toBe(true);
    const jobs = await t.sql<{ n: number }>(
      `select count(*)::int as n from job j join webhook_delivery d on d.id = (j.payload->>'deliveryId')::bigint where j.kind = 'webhooks.deliver' and j.status = 'PENDING' and d.endpoint_id = $1 group by d.id`,
      [Buffer.from(id, 'base64url').toString().split(':')[1]],
    );
    expect(jobs.map((j) => j.n)).toEqual(left.map(() => 1));
  });

  it('a 410 answered while a bulk replay runs: the endpoint is removed once, and nothing is left PENDING to it once the runner is idle', async () => {
    t.clock.freeze();
    const { id, customer } = await failedEndpoint('GONERACE');
    receiver.status = () => 410;
    await adjust(t, customer.externalId, 'GONERACE', 10);
    t.clock.advance(t.config.webhooks.dispatchMs);
    const [bulk] = await Promise.all([
      t.gql<{ replayFailedWebhookDeliveries: { replayed: number | null; userErrors: { code: string }[] } }, unknown>(REPLAY_ALL, { input: { endpointId: id, idempotencyKey: 'race-gone' } }, t.operatorToken),
      t.runScheduled(),
    ]);
    expect(errorsOf(bulk)).toEqual([]);
    await t.runScheduled();
    const statuses = (await deliveriesOf(id)).map((d) => d.status);
    // EVENTS, or one more when the new event was dispatched before a replayed delivery's 410 removed it
    expect({ failed: statuses.every((s) => s === 'FAILED'), some: statuses.length >= EVENTS, jobs: await jobsPerDelivery() }).toEqual({ failed: true, some: true, jobs: [] });
    const endpoint = ok(await t.gql<{ webhookEndpoints: { edges: { node: { id: string; disabledAt: string | null } }[] } }, unknown>(ENDPOINTS, {}, t.operatorToken)).webhookEndpoints.edges.find(
      (e) => e.node.id === id,
    )!.node;
    expect(endpoint.disabledAt).not.toBeNull();
    const dbId = Buffer.from(id, 'base64url').toString().split(':')[1];
    expect(await t.sql(`select actor from audit_entry where target = $1 and action = 'removeWebhookEndpoint'`, [`WebhookEndpoint:${dbId}`])).toEqual([{ actor: 'webhook-receiver' }]);
  });
});
