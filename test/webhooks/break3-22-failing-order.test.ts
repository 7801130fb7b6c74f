import pg from 'pg';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer } from '../support/program.js';
import { dispatchAllButDeliveries, heldRequestsReceiver } from '../support/webhook-receiver.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code field message } } }`;
const REMOVE = `mutation Remove($input: RemoveWebhookEndpointInput!) { removeWebhookEndpoint(input: $input) { userErrors { code } } }`;
const ENDPOINTS = `query Endpoints { webhookEndpoints(first: 50) { edges { node { id failingSince } } } }`;

/**
 * break3-22: an endpoint's `failing_since` follows the order in which its receiver answered, not the
 * order in which the deliveries' step 3 (the transaction after the POST) committed. With
 * WEBHOOK_ENDPOINT_CONCURRENCY=2 two deliveries to one endpoint are sent at once, by two workers;
 * here with WEBHOOK_MAX_ATTEMPTS=1 (each failure is a delivery's last). The test holds one
 * delivery's row (a held transaction, as a slow commit would) so that its step 3 commits after the
 * other's, and moves the clock between the two answers: no waiting on time.
 */
describe("an endpoint's failingSince under parallel deliveries (break3-22)", () => {
  let t: TestGateway;
  let receiver: Awaited<ReturnType<typeof heldRequestsReceiver>>;
  let base = '';
  /** The requests received and held, per path: their webhook-id and the response to answer. */
  let held: Awaited<ReturnType<typeof heldRequestsReceiver>>['held'];

  beforeAll(async () => {
    t = await startTestGateway({ WEBHOOK_MAX_ATTEMPTS: '1', WEBHOOK_ENDPOINT_CONCURRENCY: '2' }, { jobs: 'manual' });
    t.clock.freeze();
    receiver = await heldRequestsReceiver();
    ({ base, held } = receiver);
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  const until = async (what: () => Promise<boolean> | boolean) => {
    while (!(await what())) await new Promise((resolve) => setTimeout(resolve, 10));
  };
  const failingSinceOf = async (endpointId: string) =>
    ok(await t.gql<{ webhookEndpoints: { edges: { node: { id: string; failingSince: string | null } }[] } }, unknown>(ENDPOINTS, {}, t.operatorToken)).webhookEndpoints.edges.find(
      (e) => e.node.id === endpointId,
    )!.node.failingSince;

  /**
   * Two deliveries to a new endpoint, both sent at once by two workers; the first request is
   * answered (`answers.first`) at the clock's now, the other a second later; the first's step 3 is
   * held (its delivery row locked) until the other's has committed.
   */
  async function race(path: string, answers: { first: 200 | 503; second: 200 | 503 }) {
    await createCurrency(t, path.slice(1).toUpperCase().replace('-', '_'));
    const customer = await createCustomer(t, path.slice(1).toUpperCase().replace('-', '_'));
    const endpointId = ok(
      await t.gql<{ registerWebhookEndpoint: { endpoint: { id: string } } }, unknown>(REGISTER, { input: { url: base + path, eventTypes: ['BALANCE_CHANGED'] } }, t.operatorToken),
    ).registerWebhookEndpoint.endpoint.id;
    await adjust(t, customer.externalId, path.slice(1).toUpperCase().replace('-', '_'), 10);
    await adjust(t, customer.externalId, path.slice(1).toUpperCase().replace('-', '_'), 5);
    // The dispatch and what the scheduler enqueued (claimed before the deliveries' jobs, which come
    // after them at the same time), one job at a time until only the two deliveries' jobs are due.
    await dispatchAllButDeliveries(t);
    const deliveries = await t.sql<{ id: string; eventId: string }>(
      `select d.id, d.event_id as "eventId" from webhook_delivery d join webhook_endpoint e on e.id = d.endpoint_id where e.url = $1 order by d.id`,
      [base + path],
    );
    expect(deliveries).toHaveLength(2);

    // Two workers at once: each claims one of the two deliveries (the endpoint allows two).
    // (one after the other: two claims at the same instant may find the group busy and claim nothing)
    const workers = [t.jobs.runner.runOne()];
    await until(() => held.filter((h) => h.path === path).length === 1);
    workers.push(t.jobs.runner.runOne());
    await until(() => held.filter((h) => h.path === path).length === 2);
    const requests = held.filter((h) => h.path === path);
    const [firstReq, secondReq] = requests;
    const lateDelivery = deliveries.find((d) => `evt_${d.eventId}` === firstReq.id)!;

    // The late one's row is held: its step 3 (which counts the attempt on that row) waits.
    const holder = new pg.Client({ connectionString: t.databaseUrl });
    await holder.connect();
    await holder.query('begin');
    await holder.query('select 1 from webhook_delivery where id = $1 for update', [lateDelivery.id]);
    const lateBlocked = () =>
      t
        .sql<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> $1`, [
          (holder as unknown as { processID: number }).processID,
        ])
        .then(([r]) => r.n > 0);

    const answer = (r: (typeof requests)[number], status: number) => r.res.writeHead(status).end();
    const firstAt = t.clock.now();
    answer(firstReq, answers.first);
    await until(lateBlocked);
    t.clock.advance(1000);
    answer(secondReq, answers.second);
    const other = deliveries.find((d) => d.id !== lateDelivery.id)!;
    await until(async () => (await t.sql(`select 1 from webhook_delivery where id = $1 and status <> 'PENDING'`, [other.id])).length > 0);
    await holder.query('commit');
    await holder.end();
    await Promise.all(workers);
    const statuses = await t.sql<{ status: string }>(`select status from webhook_delivery where id = any($1::bigint[]) order by id`, [deliveries.map((d) => d.id)]);
    // Removed (its failingSince stays readable), so the next test's events are not sent to it too.
    ok(await t.gql(REMOVE, { input: { endpointId } }, t.operatorToken));
    return { endpointId, firstAt, secondAt: new Date(firstAt.getTime() + 1000), statuses: statuses.map((s) => s.status) };
  }

  it('an earlier 2xx committed after a later last failure does not clear the mark that failure set', async () => {
    // The receiver answers 200 to one, then (a second later) 503 to the other, its last attempt; the 200's commit comes last.
    const { endpointId, secondAt, statuses } = await race('/late-ok', { first: 200, second: 503 });
    expect(statuses.sort()).toEqual(['DELIVERED', 'FAILED']);
    // The receiver's latest answer was a failure of a delivery's every attempt: the endpoint is failing since then.
    expect(await failingSinceOf(endpointId)).toBe(secondAt.toISOString());
  });

  it('a last failure committed after a later 2xx does not mark the endpoint failing', async () => {
    // The receiver answers 503 to one (its last attempt), then a second later 200 to the other; the 503's commit comes last.
    const { endpointId, statuses } = await race('/late-fail', { first: 503, second: 200 });
    expect(statuses.sort()).toEqual(['DELIVERED', 'FAILED']);
    // It answered 2xx after that failure: it receives.
    expect(await failingSinceOf(endpointId)).toBeNull();
  });
});
