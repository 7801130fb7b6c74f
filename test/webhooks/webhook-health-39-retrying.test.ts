import { decodeGlobalId } from '../../src/graphql/ids.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ok, startTestGateway, type Credential, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, createPartner } from '../support/program.js';
import { recordStatements } from '../support/statements.js';
import { Receiver } from '../support/webhook-receiver.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code field message } } }`;
const ENDPOINTS = `query Endpoints($first: Int) { webhookEndpoints(first: $first) {
  edges { node { id url failingSince retrying { count firstFailedAt lastError lastStatusCode } } } } }`;
const NEXT_ATTEMPT = `query Next($id: ID!) { node(id: $id) { ... on WebhookEndpoint { retrying { nextAttemptAt } } } }`;
const ENDPOINT_BY_ID = `query Endpoint($id: ID!) { node(id: $id) { ... on WebhookEndpoint { retrying { count } } } }`;

type Retrying = { count: number; firstFailedAt: string; lastError: string; lastStatusCode: number | null } | null;
type Endpoints = { webhookEndpoints: { edges: { node: { id: string; url: string; failingSince: string | null; retrying: Retrying } }[] } };

/**
 * webhook-health-39: an endpoint whose receiver was down read "Receiving" (failingSince null) for
 * the retry schedule's ~29 hours, until a delivery ran out of attempts: nobody could see deliveries
 * piling up. `WebhookEndpoint.retrying` answers how many of its deliveries are being retried, since
 * when the first of them first failed, and the last error, and is null again once the receiver is
 * mended and they are delivered. A real gateway and PostgreSQL, a real receiver answering 503 on a
 * local port and a port nothing listens on (ECONNREFUSED); the gateway's clock frozen and moved to
 * each attempt, no waiting.
 */
describe('WebhookEndpoint.retrying: deliveries being retried, before the schedule runs out (webhook-health-39)', () => {
  let t: TestGateway;
  let receiver: Receiver;

  beforeAll(async () => {
    t = await startTestGateway({ EVENT_FANOUT: 'off' }, { jobs: 'manual', random: () => 0 });
    receiver = await new Receiver().start();
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  const register = async (url: string, credential: Credential) =>
    ok(await t.gql<{ registerWebhookEndpoint: { endpoint: { id: string } } }, unknown>(REGISTER, { input: { url, eventTypes: ['BALANCE_CHANGED'] } }, credential)).registerWebhookEndpoint.endpoint.id;
  const endpoints = async (credential: Credential, first = 50) => ok(await t.gql<Endpoints, unknown>(ENDPOINTS, { first }, credential)).webhookEndpoints.edges.map((e) => e.node);
  const retryingOf = async (id: string, credential: Credential = t.analystToken) => (await endpoints(credential)).find((e) => e.id === id)!.retrying;
  /** Moves the clock to the latest next attempt of the PENDING deliveries and runs every attempt then due. */
  const nextRound = async () => {
    const [{ next }] = await t.sql<{ next: Date | null }>(`select max(next_attempt_at) as next from webhook_delivery where status = 'PENDING'`);
    if (next) t.clock.advance(Math.max(0, next.getTime() - t.clock.now().getTime()) + 1);
    await t.runScheduled();
  };

  it('counts the retried deliveries, says since when and the last error (HTTP status or network error), for staff and the owning partner only; null once delivered', async () => {
    t.clock.freeze();
    await createCurrency(t, 'RETRY');
    const customer = await createCustomer(t, 'RETRY');
    const [partner, other] = await Promise.all([createPartner(t, ['webhooks:manage', 'customers:read']), createPartner(t, ['webhooks:manage', 'customers:read'])]);
    // a port nothing listens on: its attempts fail with no answer (ECONNREFUSED)
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/hook`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    receiver.status = () => 503;
    const ofProgram = await register(`${receiver.url}?program`, t.operatorToken);
    const ofPartner = await register(`${receiver.url}?partner`, partner.credential);
    const refused = await register(closedUrl, t.operatorToken);
    const ofOther = await register(`${receiver.url}?other`, other.credential);
    // Nothing sent yet: nothing is being retried.
    expect((await endpoints(t.analystToken)).map((e) => e.retrying)).toEqual([null, null, null, null]);

    // Three events; each delivery's first attempt fails at `firstFailure`.
    for (let i = 0; i < 3; i++) await adjust(t, customer.externalId, 'RETRY', 10);
    t.clock.advance(t.config.webhooks.dispatchMs);
    const firstFailure = t.clock.now().toISOString();
    receiver.status = () => 503;
    await t.runScheduled();
    expect(await retryingOf(ofProgram)).toEqual({ count: 3, firstFailedAt: firstFailure, lastError: 'HTTP 503', lastStatusCode: 503 });
    // the soonest next attempt among them, as the deliveries hold it (newcomer-39)
    const [{ next }] = await t.sql<{ next: Date }>(`select min(next_attempt_at) as next from webhook_delivery where endpoint_id = $1 and status = 'PENDING'`, [
      String(decodeGlobalId(ofProgram)!.id),
    ]);
    expect(ok(await t.gql<{ node: { retrying: { nextAttemptAt: string } } }, object>(NEXT_ATTEMPT, { id: ofProgram }, t.analystToken)).node.retrying.nextAttemptAt).toBe(next.toISOString());
    expect(await retryingOf(refused)).toEqual({ count: 3, firstFailedAt: firstFailure, lastError: 'ECONNREFUSED', lastStatusCode: null });
    // The endpoint is not failing yet (that takes every attempt, ~29 hours): retrying is what says it.
    expect((await endpoints(t.operatorToken)).map((e) => e.failingSince)).toEqual([null, null, null, null]);

    // Two more rounds: still retried, since the first failure; the last error is the latest one's.
    receiver.status = () => 500;
    await nextRound();
    await nextRound();
    const [{ attempts }] = await t.sql<{ attempts: number }>(`select min(attempts)::int as attempts from webhook_delivery where status = 'PENDING'`);
    expect(attempts).toBe(3);
    expect(await retryingOf(ofProgram)).toEqual({ count: 3, firstFailedAt: firstFailure, lastError: 'HTTP 500', lastStatusCode: 500 });
    expect(await retryingOf(ofProgram, t.operatorToken)).toEqual(await retryingOf(ofProgram, t.analystToken));

    // The partner reads its own endpoint's, as it reads the endpoint; another partner sees neither.
    const partnerSees = await endpoints(partner.credential);
    expect(partnerSees.map((e) => [e.id, e.retrying?.count, e.retrying?.lastError])).toEqual([[ofPartner, 3, 'HTTP 500']]);
    expect((await endpoints(other.credential)).map((e) => [e.id, e.retrying?.count])).toEqual([[ofOther, 3]]);
    // node(id:) is staff's: an analyst reads it, a partner reads nothing of another's endpoint
    expect(ok(await t.gql<{ node: { retrying: Retrying } | null }, unknown>(ENDPOINT_BY_ID, { id: ofPartner }, t.analystToken)).node?.retrying?.count).toBe(3);
    expect(ok(await t.gql<{ node: unknown }, unknown>(ENDPOINT_BY_ID, { id: ofPartner }, other.credential)).node).toBeNull();

    // A page of endpoints reads it in one statement, whatever the page's size.
    const recorder = recordStatements();
    try {
      const counted = async (first: number) => {
        recorder.take();
        const page = await endpoints(t.operatorToken, first);
        expect(page).toHaveLength(first);
        return recorder.take().filter((s) => /webhook_attempt/.test(s.text)).length;
      };
      expect([await counted(1), await counted(4)]).toEqual([1, 1]);
    } finally {
      recorder.stop();
    }

    // Mended: the next round is delivered, and nothing is retried any more.
    receiver.status = () => 200;
    await nextRound();
    const after = await endpoints(t.analystToken);
    expect(after.filter((e) => e.id !== refused).map((e) => [e.id, e.retrying, e.failingSince])).toEqual(
      [ofOther, ofPartner, ofProgram].map((id) => [id, null, null]),
    );
    const [{ delivered }] = await t.sql<{ delivered: number }>(
      `select count(*)::int as delivered from webhook_delivery d join webhook_endpoint e on e.id = d.endpoint_id where e.url like $1 and d.status = 'DELIVERED'`,
      [`${receiver.url}?%`],
    );
    expect(delivered).toBe(9);
    // The refused one still is, with its first failure kept.
    expect(after.find((e) => e.id === refused)!.retrying).toEqual({ count: 3, firstFailedAt: firstFailure, lastError: 'ECONNREFUSED', lastStatusCode: null });
  });
});
