import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { startJobs } from '../../src/jobs/registry.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, eventually, uniqueCode } from '../support/program.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } secret userErrors { code field message } } }`;
const DELIVERIES = `query Deliveries($endpointId: ID) { webhookDeliveries(first: 50, endpointId: $endpointId) { edges { node { status attempts } } } }`;

/**
 * A receiver that answers 200 after `answerMs` (or holds every request while `hanging`), and
 * records the most requests it ever had in flight at once and every request's webhook-id.
 */
async function receiver(answerMs: number, hanging = false) {
  let inFlight = 0;
  const stats = { maxInFlight: 0, ids: [] as string[], held: [] as ServerResponse[] };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    req.resume();
    req.on('end', () => {
      stats.ids.push(String(req.headers['webhook-id']));
      if (hanging) stats.held.push(res);
      else setTimeout(() => res.writeHead(200).end(), answerMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    stats,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    close() {
      for (const res of stats.held) res.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * break-14, a hostile pass over webhook-14: two instances' background delivery loops (the test
 * gateway's and a second runner, as two processes have), each with four loops, racing for one
 * endpoint's deliveries with real parallel claims.
 */
describe('two instances delivering to one endpoint at once (break-14)', () => {
  let t: TestGateway;
  let other: Awaited<ReturnType<typeof startJobs>>;
  const closing: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    t = await startTestGateway({ WEBHOOK_CONCURRENCY: '4', WEBHOOK_TIMEOUT_MS: '20000' }, { jobPollMs: 1_000 });
    other = await startJobs(
      { orm: t.orm, clock: t.clock, config: t.config, log: pino({ level: 'silent' }), databaseUrl: t.databaseUrl },
      { background: true, scheduler: false, leaseMs: 30_000, pollMs: 1_000 },
    );
  });
  afterAll(async () => {
    for (const close of closing) await close();
    await other.stop();
    await t.close();
  });

  const register = async (url: string) =>
    ok(await t.gql<{ registerWebhookEndpoint: { endpoint: { id: string } } }, unknown>(REGISTER, { input: { url, eventTypes: ['BALANCE_CHANGED'] } }, t.operatorToken))
      .registerWebhookEndpoint.endpoint.id;
  const deliveries = async (endpointId: string) =>
    ok(await t.gql<{ webhookDeliveries: { edges: { node: { status: string; attempts: number } }[] } }, unknown>(DELIVERIES, { endpointId }, t.analystToken)).webhookDeliveries.edges.map(
      (e) => e.node,
    );
  const balanceChanges = async (n: number) => {
    const code = uniqueCode('B');
    await createCurrency(t, code);
    const customer = await createCustomer(t, code);
    for (let i = 0; i < n; i++) await adjust(t, customer.externalId, code, 10);
    t.clock.advance(t.config.webhooks.dispatchMs);
    await t.jobs.dispatcher.tick();
  };

  it('never has more than WEBHOOK_ENDPOINT_CONCURRENCY (1) requests in flight to the endpoint, and records each delivery once', async () => {
    const r = await receiver(40);
    closing.push(() => r.close());
    const endpointId = await register(r.url);
    await balanceChanges(8);
    await eventually(async () => {
      const found = await deliveries(endpointId);
      return found.length === 8 && found.every((d) => d.status === 'DELIVERED');
    }, 20_000);
    expect(r.stats.maxInFlight).toBe(1);
    expect(r.stats.ids).toHaveLength(8);
    expect(new Set(r.stats.ids).size).toBe(8);
    expect((await deliveries(endpointId)).map((d) => d.attempts)).toEqual(Array(8).fill(1));
    const attempts = await t.sql<{ n: number }>(
      `select count(*)::int as n from webhook_attempt a join webhook_delivery d on d.id = a.delivery_id join webhook_endpoint e on e.id = d.endpoint_id where e.url = $1`,
      [r.url],
    );
    expect(attempts[0].n).toBe(8);
  });

  it('sits idle while every due delivery waits on a full endpoint: the loops poll, they do not spin', async () => {
    const h = await receiver(0, true);
    closing.push(() => h.close());
    const endpointId = await register(h.url);
    await balanceChanges(4);
    await eventually(async () => h.stats.held.length === 1);
    // three due deliveries, none claimable (the endpoint is full); eight loops on two instances
    const committed = async () =>
      Number((await t.sql<{ n: string }>(`select xact_commit + xact_rollback as n from pg_stat_database where datname = current_database()`))[0].n);
    const before = await committed();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const during = (await committed()) - before;
    // eight loops polling once a second for 2 s: ~16 claims (~48 transactions counting the test's
    // own reads); a loop claiming again at once would be thousands
    expect(during).toBeLessThan(200);
    expect(h.stats.held).toHaveLength(1);
    expect((await deliveries(endpointId)).map((d) => d.status)).toEqual(['PENDING', 'PENDING', 'PENDING', 'PENDING']);
  });
});

/**
 * break-14: an endpoint removed while one of its deliveries waits for the answer (lease mode: no
 * row lock holds the removal back). The answer still counts for what was sent; nothing more is
 * sent to the removed endpoint.
 */
describe('an endpoint removed during a POST (break-14)', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway({ WEBHOOK_TIMEOUT_MS: '5000' }, { jobs: 'manual' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('a failed answer is logged, and the retry fails the delivery as removed without sending', async () => {
    const held: ServerResponse[] = [];
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => held.push(res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const endpointId = ok(
        await t.gql<{ registerWebhookEndpoint: { endpoint: { id: string } } }, unknown>(REGISTER, { input: { url, eventTypes: ['BALANCE_CHANGED'] } }, t.operatorToken),
      ).registerWebhookEndpoint.endpoint.id;
      await createCurrency(t, 'REMOVED');
      const customer = await createCustomer(t, 'REMOVED');
      await adjust(t, customer.externalId, 'REMOVED', 10);
      t.clock.advance(t.config.webhooks.dispatchMs);
      await t.jobs.dispatcher.tick();
      while ((await t.sql(`select 1 from job where kind = 'webhooks.dispatch' and status = 'PENDING'`)).length) await t.jobs.runner.runOne();
      const sending = t.jobs.runner.runOne();
      await eventually(async () => held.length === 1);
      ok(await t.gql(`mutation($input: RemoveWebhookEndpointInput!) { removeWebhookEndpoint(input: $input) { endpoint { id } userErrors { code } } }`, { input: { endpointId } }, t.operatorToken));
      held[0].writeHead(500).end();
      expect(await sending).toBe(true);
      t.clock.advance(t.config.webhooks.maxBackoffMs + 1);
      while (await t.jobs.runner.runOne());
      const [delivery] = await t.sql<{ status: string; attempts: number; last_error: string }>(
        `select d.status, d.attempts, d.last_error from webhook_delivery d join webhook_endpoint e on e.id = d.endpoint_id where e.url = $1`,
        [url],
      );
      expect(delivery).toEqual({ status: 'FAILED', attempts: 1, last_error: 'The endpoint was removed.' });
      expect(held).toHaveLength(1);
      expect(await t.sql(`select 1 from job where kind = 'webhooks.deliver' and status in ('PENDING', 'RUNNING')`)).toHaveLength(0);
    } finally {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
