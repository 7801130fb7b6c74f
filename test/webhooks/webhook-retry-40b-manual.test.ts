import { decodeGlobalId, toGlobalId } from '../../src/graphql/ids.js';
import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer } from '../support/program.js';
import { operatorEndpoints, Receiver } from '../support/webhook-receiver.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code field message } } }`;
const RETRY_NOW = `mutation RetryNow($input: RetryWebhookDeliveriesNowInput!) {
  retryWebhookDeliveriesNow(input: $input) { broughtForward endpoint { id failingSince retrying { count nextAttemptAt lastError } } userErrors { code field message } } }`;
const ENDPOINT = `query Endpoint($id: ID!) { node(id: $id) { ... on WebhookEndpoint { failingSince retrying { count nextAttemptAt lastError } } } }`;
const ATTEMPTS = `query Attempts($endpointId: ID!) { webhookDeliveries(first: 5, endpointId: $endpointId) {
  edges { node { status attempts attempts_log: attemptLog { statusCode manual } } } } }`;

type Endpoint = { failingSince: string | null; retrying: { count: number; nextAttemptAt: string; lastError: string } | null };

/**
 * webhook-retry-40b: "Retry now" pressed while the receiver still failed used up one of each
 * delivery's scheduled attempts per press (WEBHOOK_MAX_ATTEMPTS, ~29 h of back-off with the
 * defaults): pressing every 6 s made the deliveries FAILED within a minute or two, the endpoint
 * "Failing since". A manual retry is now an attempt outside the schedule (as Stripe's Resend and
 * Svix's manual retry): logged, marked manual, and on failure the delivery waits for the scheduled
 * attempt it was waiting for, its count unmoved; it never ends FAILED because of one. A real
 * gateway and PostgreSQL, a real receiver answering 503 on a local port, the clock frozen and
 * moved; WEBHOOK_MAX_ATTEMPTS 3 so that "more presses than attempts" is a few.
 */
describe('"Retry now" is an attempt outside the schedule (webhook-retry-40b)', () => {
  let t: TestGateway;
  let receiver: Receiver;

  beforeAll(async () => {
    t = await startTestGateway({ EVENT_FANOUT: 'off', WEBHOOK_MAX_ATTEMPTS: '3' }, { jobs: 'manual', random: () => 0 });
    receiver = await new Receiver().start();
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  const retryNow = async (endpointId: string) =>
    dataOf(await t.gql<{ retryWebhookDeliveriesNow: { broughtForward: number | null; endpoint: Endpoint & { id: string } } }, unknown>(RETRY_NOW, { input: { endpointId } }, t.operatorToken))
      .retryWebhookDeliveriesNow;
  const endpoint = async (id: string) => ok(await t.gql<{ node: Endpoint }, unknown>(ENDPOINT, { id }, t.analystToken)).node;
  const deliveries = (endpointId: string) =>
    t.sql<{ status: string; attempts: number; logged: number; nextAttemptAt: Date | null }>(
      `select d.status, d.attempts, (select count(*)::int from webhook_attempt a where a.delivery_id = d.id) as logged, d.next_attempt_at as "nextAttemptAt"
         from webhook_delivery d where d.endpoint_id = $1 order by d.id`,
      [decodeGlobalId(endpointId)!.id],
    );

  /**
   * A new endpoint (the program's, `?<code>` on the receiver), the only one receiving, and
   * `events` events for it whose first attempts fail (503, Retry-After an hour); answers its id and
   * the deliveries' next scheduled attempt (an hour after the first, UTC ISO).
   */
  const failedOnce = async (code: string, events: number) => {
    t.clock.freeze();
    await createCurrency(t, code);
    const customer = await createCustomer(t, code);
    const id = ok(await t.gql<{ registerWebhookEndpoint: { endpoint: { id: string } } }, unknown>(REGISTER, { input: { url: `${receiver.url}?${code}`, eventTypes: ['BALANCE_CHANGED'] } }, t.operatorToken))
      .registerWebhookEndpoint.endpoint.id;
    for (const other of await t.sql<{ id: string }>(`select id::text from webhook_endpoint where id <> $1 and disabled_at is null`, [decodeGlobalId(id)!.id]))
      await operatorEndpoints(t).remove(toGlobalId('WebhookEndpoint', Number(other.id)));
    // Down, asking for an hour: each delivery's first attempt fails and its next is an hour away.
    receiver.status = () => 503;
    receiver.headers = () => ({ 'retry-after': '3600' });
    for (let i = 0; i < events; i++) await adjust(t, customer.externalId, code, 10 + i);
    t.clock.advance(t.config.webhooks.dispatchMs);
    const firstAttempt = t.clock.now().getTime();
    await t.runScheduled();
    const scheduled = new Date(firstAttempt + 3_600_000).toISOString();
    expect((await deliveries(id)).map((d) => [d.status, d.attempts, d.nextAttemptAt?.toISOString()])).toEqual(Array(events).fill(['PENDING', 1, scheduled]));
    return { id, scheduled };
  };

  it('pressed every 6 s on a receiver still answering 503, more times than WEBHOOK_MAX_ATTEMPTS: each press is one more attempt, logged as manual; the deliveries keep their count and their next scheduled attempt, never FAILED', async () => {
    const { id, scheduled } = await failedOnce('PRESS', 2);

    // Five presses, 6 s apart (past the 5 s floor), each followed by the workers' run: the
    // receiver is sent each delivery once per press, and still answers 503.
    const presses = t.config.webhooks.maxAttempts + 2;
    for (let i = 0; i < presses; i++) {
      t.clock.advance(6_000);
      expect((await retryNow(id)).broughtForward).toBe(2);
      await t.runScheduled();
    }
    const perEvent = Object.values(
      receiver.requests.filter((r) => r.url.includes('PRESS')).reduce<Record<string, number[]>>((seen, r) => ((seen[String(r.headers['webhook-id'])] ??= []).push(r.answered), seen), {}),
    );
    expect(perEvent).toEqual([Array(presses + 1).fill(503), Array(presses + 1).fill(503)]);
    // Still retried on the schedule as it was: one scheduled attempt made, the next the one they
    // waited for; every attempt logged; not failing.
    expect((await deliveries(id)).map((d) => [d.status, d.attempts, d.logged, d.nextAttemptAt?.toISOString()])).toEqual([
      ['PENDING', 1, presses + 1, scheduled],
      ['PENDING', 1, presses + 1, scheduled],
    ]);
    expect(await endpoint(id)).toEqual({ failingSince: null, retrying: { count: 2, nextAttemptAt: scheduled, lastError: 'HTTP 503' } });
    // The delivery log marks the manual ones.
    const log = ok(await t.gql<{ webhookDeliveries: { edges: { node: { status: string; attempts: number; attempts_log: { statusCode: number; manual: boolean }[] } }[] } }, unknown>(ATTEMPTS, { endpointId: id }, t.operatorToken))
      .webhookDeliveries.edges.map((e) => e.node);
    for (const d of log) expect(d.attempts_log).toEqual([{ statusCode: 503, manual: false }, ...Array(presses).fill({ statusCode: 503, manual: true })]);

    // The scheduled attempt comes at its time and counts: the second of the round.
    t.clock.advance(Date.parse(scheduled) - t.clock.now().getTime() + 1);
    await t.runScheduled();
    expect((await deliveries(id)).map((d) => [d.status, d.attempts])).toEqual([
      ['PENDING', 2],
      ['PENDING', 2],
    ]);

    // Mended: a press delivers them; a delivered manual attempt does not count either.
    receiver.status = () => 204;
    receiver.headers = () => ({});
    t.clock.advance(6_000);
    expect((await retryNow(id)).broughtForward).toBe(2);
    await t.runScheduled();
    expect((await deliveries(id)).map((d) => [d.status, d.attempts, d.logged])).toEqual([
      ['DELIVERED', 2, presses + 3],
      ['DELIVERED', 2, presses + 3],
    ]);
    expect(await endpoint(id)).toEqual({ failingSince: null, retrying: null });
  });
  it('a manual attempt whose job fails for good (its record refused on every try, as in a failover) leaves the delivery to its schedule, not FAILED', async () => {
    const { id, scheduled } = await failedOnce('GIVEUP', 1);

    t.clock.advance(6_000);
    expect((await retryNow(id)).broughtForward).toBe(1);
    // every record of the attempt refused by PostgreSQL until the test drops the trigger
    await t.sql(`create or replace function test_failover() returns trigger language plpgsql as $$
                   begin raise exception 'terminating connection: the test''s failover'; end $$;
                 create trigger test_failover before insert on webhook_attempt for each row execute function test_failover()`);
    try {
      const gaveUp = async () =>
        (await t.sql<{ n: number }>(`select count(*)::int as n from job where kind = 'webhooks.deliver' and status = 'FAILED' and payload->>'manual' = 'true' and (payload->>'deliveryId')::bigint in (select id from webhook_delivery where endpoint_id = $1)`, [decodeGlobalId(id)!.id]))[0].n === 1;
      for (let i = 0; i < 100 && !(await gaveUp()); i++) {
        t.clock.advance(1_000);
        await t.runScheduled();
      }
      expect(await gaveUp()).toBe(true);
    } finally {
      await t.sql(`drop trigger test_failover on webhook_attempt`);
    }
    expect((await deliveries(id)).map((d) => [d.status, d.attempts, d.logged, d.nextAttemptAt?.toISOString()])).toEqual([['PENDING', 1, 1, scheduled]]);
    expect(await endpoint(id)).toMatchObject({ failingSince: null, retrying: { count: 1, nextAttemptAt: scheduled } });
    // and the scheduled attempt is made at its time
    t.clock.advance(Date.parse(scheduled) - t.clock.now().getTime() + 1);
    await t.runScheduled();
    expect((await deliveries(id)).map((d) => [d.status, d.attempts])).toEqual([['PENDING', 2]]);
  });
});
