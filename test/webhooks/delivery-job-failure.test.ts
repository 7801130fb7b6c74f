import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SubmitTransactionDocument } from '../generated/graphql.js';
import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, earningProgram, unique } from '../support/program.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } secret userErrors { code field message } } }`;
const DELIVERIES = `query Deliveries($endpointId: ID) {
  webhookDeliveries(first: 20, endpointId: $endpointId) { edges { node { id status attempts lastError } } } }`;
const REPLAY = `mutation Replay($input: ReplayWebhookDeliveryInput!) { replayWebhookDelivery(input: $input) { delivery { id status attempts } userErrors { code } } }`;

type DeliveryNode = { id: string; status: string; attempts: number; lastError: string | null };

/**
 * A delivery whose job fails for good (hostile pass 10). Each attempt of a webhook delivery is a
 * job; a job that throws (its database work failing after the POST, a failover) is retried by the
 * runner and, after its attempts, marked FAILED. The delivery itself stayed PENDING with no job
 * left to send it: staff saw it pending for ever, and a replay answered it PENDING and sent
 * nothing, so the event never reached the partner. Now the delivery ends FAILED with the job's
 * reason, and a replay sends it.
 */
describe('a webhook delivery whose job fails for good', () => {
  let t: TestGateway;
  let server: Server;
  let url = '';
  /**
   * Makes every attempt's record fail, as a failover between the POST and its record would:
   * since webhook-14 the POST holds no connection (before, the receiver terminated the session
   * the job held idle in its transaction while it waited), so the failure is PostgreSQL's own,
   * raised by a trigger on `webhook_attempt` until the test drops it.
   */
  const failRecords = async (on: boolean) =>
    on
      ? t.sql(`create or replace function test_failover() returns trigger language plpgsql as $$
                 begin raise exception 'terminating connection: the test''s failover'; end $$;
               create trigger test_failover before insert on webhook_attempt for each row execute function test_failover()`)
      : t.sql(`drop trigger test_failover on webhook_attempt`);
  const received: string[] = [];

  beforeAll(async () => {
    t = await startTestGateway({ WEBHOOK_BACKOFF_MS: '1000', WEBHOOK_MAX_ATTEMPTS: '3', WEBHOOK_TIMEOUT_MS: '5000' }, { jobs: 'manual' });
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        received.push(body);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  });

  const deliveries = async (endpointId: string) =>
    ok(await t.gql<{ webhookDeliveries: { edges: { node: DeliveryNode }[] } }, unknown>(DELIVERIES, { endpointId }, t.analystToken)).webhookDeliveries.edges.map((e) => e.node);
  /** Moves the clock on in steps until `check` holds, running whatever is due (the dispatcher, deliveries, retries). */
  const stepUntil = async (check: () => Promise<boolean>) => {
    for (let i = 0; i < 200; i++) {
      if (await check()) return;
      t.clock.advance(1_000);
      await t.runScheduled();
    }
    throw new Error(`gave up waiting: ${JSON.stringify(await t.sql(`select kind, status, attempts, last_error from job where kind like 'webhooks%' and kind <> 'webhooks.dispatch'`))} ${received.length}`);
  };

  it('ends FAILED with the reason once its job gives up, and a staff replay sends it', async () => {
    const { money, currency } = await earningProgram(t, 'J');
    const till = await createPartner(t, ['transactions:write']);
    const registered = dataOf(await t.gql<{ registerWebhookEndpoint: { endpoint: { id: string } } }, unknown>(REGISTER, { input: { url, eventTypes: ['BALANCE_CHANGED'] } }, t.operatorToken));
    const endpointId = registered.registerWebhookEndpoint.endpoint.id;
    const customer = await createCustomer(t, currency);
    await failRecords(true);
    const input = { externalId: unique('sale'), customerExternalId: customer.externalId, occurredAt: t.clock.now().toISOString(), currency: money, lines: [{ sku: 'LATTE', quantity: 1, unitPrice: '3.50' }] };
    ok(await t.gql(SubmitTransactionDocument, { input }, till.credential));

    // Three jobs (the delivery job's attempts), each sending and then failing to record it.
    await stepUntil(async () => (await t.sql<{ n: number }>(`select count(*)::int as n from job where kind = 'webhooks.deliver' and status = 'FAILED'`))[0].n === 1);
    t.clock.advance(60_000);
    await t.runScheduled();
    expect(received).toHaveLength(3);
    const [delivery] = await deliveries(endpointId);
    expect(delivery.status).toBe('FAILED');
    expect(delivery.lastError).toMatch(/terminat|connection/i);

    // Mended: a staff replay sends it again, and it is delivered.
    await failRecords(false);
    const replayed = ok(await t.gql<{ replayWebhookDelivery: { delivery: { status: string } } }, unknown>(REPLAY, { input: { deliveryId: delivery.id } }, t.operatorToken));
    expect(replayed.replayWebhookDelivery.delivery.status).toBe('PENDING');
    await stepUntil(async () => (await deliveries(endpointId))[0].status === 'DELIVERED');
    expect(received).toHaveLength(4);
    expect((await deliveries(endpointId))[0]).toMatchObject({ status: 'DELIVERED', attempts: 1 });
  });
});
