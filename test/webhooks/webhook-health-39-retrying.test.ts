import { decodeGlobalId, toGlobalId } from '../../src/graphql/ids.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dataOf, ok, startTestGateway, type Credential, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, createPartner } from '../support/program.js';
import { recordStatements } from '../support/statements.js';
import { testWorker } from '../support/job-runner.js';
import { operatorEndpoints, Receiver } from '../support/webhook-receiver.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code field message } } }`;
const ENDPOINTS = `query Endpoints($first: Int) { webhookEndpoints(first: $first) {
  edges { node { id url failingSince retrying { count firstFailedAt lastError lastStatusCode } } } } }`;
const NEXT_ATTEMPT = `query Next($id: ID!) { node(id: $id) { ... on WebhookEndpoint { retrying { nextAttemptAt } } } }`;
const ENDPOINT_BY_ID = `query Endpoint($id: ID!) { node(id: $id) { ... on WebhookEndpoint { retrying { count } } } }`;

const RETRY_NOW = `mutation RetryNow($input: RetryWebhookDeliveriesNowInput!) {
  retryWebhookDeliveriesNow(input: $input) { broughtForward endpoint { id retrying { count nextAttemptAt } } userErrors { code field message } } }`;
const AUDIT = `{ auditLog(first: 10) { edges { node { actor action target reason details } } } }`;

type RetryNow = { broughtForward: number | null; endpoint: { id: string; retrying: { count: number; nextAttemptAt: string } | null } | null; userErrors: { code: string; field: string[]; message: string }[] };
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

  const retryNow = async (endpointId: string, credential: Credential, reason?: string) =>
    dataOf(await t.gql<{ retryWebhookDeliveriesNow: RetryNow }, unknown>(RETRY_NOW, { input: { endpointId, reason } }, credential)).retryWebhookDeliveriesNow;
  /** How many times the receiver was sent each event of the endpoint at `url` (by webhook-id), and answered what. */
  const receivedAt = (url: string) => {
    const seen: Record<string, number[]> = {};
    for (const r of receiver.requests.filter((q) => `${receiver.url}${q.url.slice('/hook'.length)}` === url)) (seen[String(r.headers['webhook-id'])] ??= []).push(r.answered);
    return seen;
  };
  /** Each delivery of the endpoint at `url`: its status, attempts in its round, and the attempts logged. */
  const deliveriesAt = (url: string) =>
    t.sql<{ messageId: string; status: string; attempts: number; logged: number }>(
      `select 'evt_' || d.event_id as "messageId", d.status, d.attempts, (select count(*)::int from webhook_attempt a where a.delivery_id = d.id) as logged
         from webhook_delivery d join webhook_endpoint e on e.id = d.endpoint_id where e.url = $1 order by d.id`,
      [url],
    );
  /** Removes every endpoint still receiving, so that a test's events go only to its own. */
  const removeAll = async () => {
    for (const e of await endpoints(t.operatorToken)) await operatorEndpoints(t).remove(e.id);
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
  it('"Retry now" sends the deliveries being retried at the next run, an attempt outside their round, never sooner than WEBHOOK_BACKOFF_MS after an attempt; refusals; audited (webhook-retry-40)', async () => {
    await removeAll();
    t.clock.freeze();
    await createCurrency(t, 'NOW');
    const customer = await createCustomer(t, 'NOW');
    const [partner, other] = await Promise.all([createPartner(t, ['webhooks:manage', 'customers:read']), createPartner(t, ['webhooks:manage', 'customers:read'])]);
    const programUrl = `${receiver.url}?now-program`;
    const partnerUrl = `${receiver.url}?now-partner`;
    const ofProgram = await register(programUrl, t.operatorToken);
    const ofPartner = await register(partnerUrl, partner.credential);

    // The receiver is down and asks for an hour (503, Retry-After): each delivery's next attempt is an hour away.
    receiver.status = () => 503;
    receiver.headers = () => ({ 'retry-after': '3600' });
    await adjust(t, customer.externalId, 'NOW', 10);
    await adjust(t, customer.externalId, 'NOW', 5);
    t.clock.advance(t.config.webhooks.dispatchMs);
    const failedAt = t.clock.now().getTime();
    await t.runScheduled();
    const anHourOn = new Date(failedAt + 3_600_000).toISOString();
    expect((await retryingOf(ofProgram))?.count).toBe(2);
    expect(ok(await t.gql<{ node: { retrying: { nextAttemptAt: string } } }, object>(NEXT_ATTEMPT, { id: ofProgram }, t.analystToken)).node.retrying.nextAttemptAt).toBe(anHourOn);

    // Mended a few seconds later: the operator's Retry now makes both due now, and the next run sends them.
    receiver.status = () => 200;
    receiver.headers = () => ({});
    t.clock.advance(t.config.webhooks.backoffMs);
    const now = t.clock.now().toISOString();
    const answered = await retryNow(ofProgram, t.operatorToken, 'The partner mended its receiver');
    expect(answered).toEqual({ broughtForward: 2, endpoint: { id: ofProgram, retrying: { count: 2, nextAttemptAt: now } }, userErrors: [] });
    // only that endpoint's: the partner's still waits for its hour
    expect(ok(await t.gql<{ node: { retrying: { nextAttemptAt: string } } }, object>(NEXT_ATTEMPT, { id: ofPartner }, t.analystToken)).node.retrying.nextAttemptAt).toBe(anHourOn);
    await t.runScheduled();
    expect(Object.values(receivedAt(programUrl))).toEqual([
      [503, 200],
      [503, 200],
    ]);
    // the attempt brought forward is logged, outside the schedule: the round counts its one scheduled attempt (webhook-retry-40b)
    expect(await deliveriesAt(programUrl)).toEqual([expect.objectContaining({ status: 'DELIVERED', attempts: 1, logged: 2 }), expect.objectContaining({ status: 'DELIVERED', attempts: 1, logged: 2 })]);
    expect(await retryingOf(ofProgram)).toBeNull();
    expect(Object.values(receivedAt(partnerUrl))).toEqual([[503], [503]]);
    // Audited with who and why; a call that brings nothing forward changes nothing and records nothing.
    const audit = async () => ok(await t.gql<{ auditLog: { edges: { node: { actor: string; action: string; target: string; reason: string | null; details: unknown } }[] } }, unknown>(AUDIT, {}, t.analystToken)).auditLog.edges.map((e) => e.node).filter((e) => e.action === 'retryWebhookDeliveriesNow');
    const [entry] = await audit();
    expect(entry).toEqual({ actor: expect.stringMatching(/^staff:/), action: 'retryWebhookDeliveriesNow', target: `WebhookEndpoint:${decodeGlobalId(ofProgram)!.id}`, reason: 'The partner mended its receiver', details: { broughtForward: 2 } });
    expect(await retryNow(ofProgram, t.operatorToken)).toMatchObject({ broughtForward: 0, userErrors: [] });
    expect(await audit()).toHaveLength(1);

    // The partner's own endpoint, by the partner: another partner's is NOT_FOUND, as an unknown one.
    const notFound = { broughtForward: null, endpoint: null, userErrors: [{ code: 'NOT_FOUND', field: ['input', 'endpointId'], message: 'No such webhook endpoint.' }] };
    expect(await retryNow(ofPartner, other.credential)).toEqual(notFound);
    expect(await retryNow(toGlobalId('WebhookEndpoint', 987_654), t.operatorToken)).toEqual(notFound);
    // Its receiver still fails: the attempt brought forward fails, and pressing again does not send
    // it again before WEBHOOK_BACKOFF_MS has passed since that attempt (the schedule's first step).
    receiver.status = () => 503;
    expect((await retryNow(ofPartner, partner.credential)).broughtForward).toBe(2);
    await t.runScheduled();
    const again = await retryNow(ofPartner, partner.credential);
    const floor = new Date(t.clock.now().getTime() + t.config.webhooks.backoffMs).toISOString();
    expect(again).toMatchObject({ broughtForward: 2, endpoint: { retrying: { count: 2, nextAttemptAt: floor } } });
    expect((await retryNow(ofPartner, partner.credential)).broughtForward).toBe(0);
    await t.runScheduled();
    expect(Object.values(receivedAt(partnerUrl))).toEqual([
      [503, 503],
      [503, 503],
    ]);
    receiver.status = () => 200;
    t.clock.advance(t.config.webhooks.backoffMs);
    await t.runScheduled();
    expect(Object.values(receivedAt(partnerUrl))).toEqual([
      [503, 503, 200],
      [503, 503, 200],
    ]);
    expect((await audit()).map((e) => [e.actor, e.reason])).toEqual([
      [`partner:${decodeGlobalId(partner.id)!.id}`, null],
      [`partner:${decodeGlobalId(partner.id)!.id}`, null],
      [expect.stringMatching(/^staff:/), 'The partner mended its receiver'],
    ]);

    // Nothing is sent to a removed endpoint, nor to a revoked partner's: refused, INVALID.
    const removedOne = await register(`${receiver.url}?now-removed`, t.operatorToken);
    await operatorEndpoints(t).remove(removedOne);
    expect((await retryNow(removedOne, t.operatorToken)).userErrors).toEqual([{ code: 'INVALID', field: ['input', 'endpointId'], message: 'The endpoint was removed: nothing is sent to it.' }]);
    // (a partner revoked by an older build, which left its endpoints as they were)
    await t.sql(`update partner set revoked_at = now() where id = $1`, [decodeGlobalId(partner.id)!.id]);
    expect((await retryNow(ofPartner, t.operatorToken)).userErrors).toEqual([
      { code: 'INVALID', field: ['input', 'endpointId'], message: "The endpoint's partner was revoked: nothing is sent to it." },
    ]);
  });

  it('"Retry now" pressed many times at once while two dispatchers send: each event is sent once per press that moved it, never sooner than the floor (webhook-retry-40)', async () => {
    await removeAll();
    t.clock.freeze();
    await createCurrency(t, 'BURST');
    const customer = await createCustomer(t, 'BURST');
    const url = `${receiver.url}?burst`;
    const endpointId = await register(url, t.operatorToken);
    receiver.status = () => 503;
    receiver.headers = () => ({ 'retry-after': '3600' });
    for (let i = 0; i < 3; i++) await adjust(t, customer.externalId, 'BURST', 10 + i);
    t.clock.advance(t.config.webhooks.dispatchMs);
    await t.runScheduled();
    receiver.headers = () => ({});
    expect(Object.values(receivedAt(url))).toEqual([[503], [503], [503]]);

    /**
     * `calls` Retry nows sent at once (by the operator) while two job workers of their own (two
     * instances' dispatchers) claim and send whatever is due, until the calls are answered and no
     * delivery is due; answers each call's count.
     */
    const burst = async (calls: number) => {
      const workers = [testWorker(t), testWorker(t)];
      let answered = false;
      const sending = workers.map(async (w) => {
        while (!answered) if (!(await w.runOne())) await new Promise((resolve) => setImmediate(resolve));
        await w.runUntilIdle();
      });
      const counts = await Promise.all(Array.from({ length: calls }, () => retryNow(endpointId, t.operatorToken))).finally(() => (answered = true));
      await Promise.all(sending);
      return counts.map((c) => c.broughtForward!);
    };

    // Still failing: however many presses, each delivery is attempted once (then its next attempt
    // waits WEBHOOK_BACKOFF_MS from this one's start at least, and the clock stands still).
    t.clock.advance(t.config.webhooks.backoffMs);
    const first = await burst(12);
    expect(Object.values(receivedAt(url))).toEqual([
      [503, 503],
      [503, 503],
      [503, 503],
    ]);
    // every delivery brought forward once to now, and at most once more to the floor after its failure
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(sum(first)).toBeGreaterThanOrEqual(3);
    expect(sum(first)).toBeLessThanOrEqual(6);

    // Mended, the floor passed: each is sent once more and delivered; the presses' counts add up to
    // the deliveries that were not due already (none is counted twice).
    receiver.status = () => 200;
    t.clock.advance(t.config.webhooks.backoffMs);
    const [{ due }] = await t.sql<{ due: number }>(`select count(*)::int as due from job where kind = 'webhooks.deliver' and status = 'PENDING' and run_at <= $1`, [t.clock.now()]);
    const second = await burst(12);
    expect(sum(second)).toBe(3 - due);
    expect(Object.values(receivedAt(url))).toEqual([
      [503, 503, 200],
      [503, 503, 200],
      [503, 503, 200],
    ]);
    // what the receiver got is exactly the attempts the log holds: none sent unrecorded, none twice;
    // the two manual ones are not counted in the round (webhook-retry-40b)
    expect((await deliveriesAt(url)).map((d) => [d.status, d.attempts, d.logged])).toEqual([
      ['DELIVERED', 1, 3],
      ['DELIVERED', 1, 3],
      ['DELIVERED', 1, 3],
    ]);
    expect(await retryingOf(endpointId)).toBeNull();
  });
});
