import pg from 'pg';
import pino from 'pino';
import { Webhook } from 'standardwebhooks';
import { pruneEvents } from '../../src/events/retention.job.js';
import { webhookUrlProblem } from '../../src/webhooks/webhook-url.js';
import { SubmitTransactionDocument } from '../generated/graphql.js';
import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, createPartner, earningProgram, unique, uniqueCode } from '../support/program.js';
import { committedLongAgo } from '../support/retention.js';
import { Receiver } from '../support/webhook-receiver.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id url eventTypes } secret userErrors { code field message } } }`;
const ENDPOINTS = `query Endpoints { webhookEndpoints(first: 50) { edges { node { id url } } } }`;
const REMOVE = `mutation Remove($input: RemoveWebhookEndpointInput!) { removeWebhookEndpoint(input: $input) { endpoint { id disabledAt } userErrors { code field } } }`;
const DELIVERIES = `query Deliveries($endpointId: ID) {
  webhookDeliveries(first: 20, endpointId: $endpointId) {
    edges { node { id eventType messageId status attempts lastError body attemptLog { attemptedAt statusCode error } endpoint { id } } } } }`;
const REPLAY = `mutation Replay($input: ReplayWebhookDeliveryInput!) { replayWebhookDelivery(input: $input) { delivery { id status attempts } userErrors { code } } }`;

type DeliveryNode = { id: string; eventType: string; messageId: string; status: string; attempts: number; lastError: string | null; body: string; attemptLog: { attemptedAt: string; statusCode: number | null; error: string | null }[] };

/** Partner webhooks: signed deliveries from the outbox, retried, failed, replayed; endpoint rules. */
describe('partner webhooks', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;
  let money: string;
  let currency: string;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    t = await startTestGateway({ WEBHOOK_BACKOFF_MS: '1000', WEBHOOK_MAX_ATTEMPTS: '3', WEBHOOK_TIMEOUT_MS: '2000', EVENT_RETENTION_HOURS: '1' }, { jobs: 'manual', random: () => 0 }); // no jitter: the backoff's bounds below are the schedule's (webhooks-23)
    ({ money, currency } = await earningProgram(t, 'W'));
    till = await createPartner(t, ['transactions:write']);
  });
  // The clock only moves forward here: the dispatcher runs once per time slot, and a slot already
  // used (before a reset) would not run again.
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await t.close();
  });

  const receiver = async () => {
    const r = await new Receiver().start();
    receivers.push(r);
    return r;
  };
  const register = async (input: Record<string, unknown>, credential: Parameters<TestGateway['gql']>[2] = t.operatorToken) =>
    dataOf(await t.gql<{ registerWebhookEndpoint: { endpoint: { id: string } | null; secret: string | null; userErrors: { code: string; field: string[]; message: string }[] } }, unknown>(REGISTER, { input }, credential))
      .registerWebhookEndpoint;
  const sell = async (customerExternalId: string, apiKey = till.apiKey) => {
    const input = {
      externalId: unique('sale'),
      customerExternalId,
      occurredAt: t.clock.now().toISOString(),
      currency: money,
      lines: [{ sku: 'LATTE', category: 'COFFEE', quantity: 1, unitPrice: '3.50' }],
    };
    ok(await t.gql(SubmitTransactionDocument, { input }, { apiKey }));
    return input.externalId;
  };
  const deliveries = async (endpointId: string) =>
    ok(await t.gql<{ webhookDeliveries: { edges: { node: DeliveryNode }[] } }, unknown>(DELIVERIES, { endpointId }, t.analystToken)).webhookDeliveries.edges.map((e) => e.node);
  /** Moves the clock on and runs everything then due (the dispatcher, deliveries, retries). */
  const after = async (ms: number) => {
    t.clock.advance(ms);
    await t.runScheduled();
  };
  /**
   * Moves the clock on in steps of `ms` until `check` holds. Sales reach the outbox through their
   * processing job, and a delivery's retry is due after its backoff, so the tests step the clock
   * until what they wait for has happened, and assert order, content and counts, reading the
   * backoff from the attempt log.
   */
  const stepUntil = async (check: () => boolean | Promise<boolean>, ms = 500, steps = 200) => {
    for (let i = 0; i < steps; i++) {
      if (await check()) return;
      await after(ms);
      if (i > 20) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('gave up waiting');
  };
  /** Every committed outbox event has been read by the dispatcher (its transaction is visible in the cursor's `from`). */
  const allDispatched = async () =>
    Number(
      (
        await t.sql<{ n: string }>(
          `select count(*) as n from outbox_event o
            where not exists (select 1 from webhook_cursor c where pg_visible_in_snapshot(o.xid, (c.cursor::json->>'from')::pg_snapshot))`,
        )
      )[0].n,
    ) === 0;

  it('a receiver that fails twice, then answers, gets the event once more, signed, under one webhook-id', async () => {
    const r = await receiver();
    let calls = 0;
    r.status = () => (++calls <= 2 ? 500 : 204);
    const { endpoint, secret } = ok({ data: { x: await register({ url: r.url, eventTypes: ['SALE_PROCESSED'] }) }, headers: new Headers(), status: 200 }).x;
    expect(secret).toMatch(/^whsec_/);
    const alice = await createCustomer(t, currency);
    const saleId = await sell(alice.externalId);

    await stepUntil(() => r.requests.length >= 3, 250);
    expect(r.requests.map((q) => q.answered)).toEqual([500, 500, 204]);
    await after(60_000); // nothing more once delivered
    await after(60_000);
    expect(r.requests).toHaveLength(3);

    const ids = new Set(r.requests.map((q) => q.headers['webhook-id']));
    expect(ids.size).toBe(1);
    const accepted = r.requests[2];
    const message = new Webhook(secret!).verify(accepted.body, accepted.headers as Record<string, string>) as { type: string; data: { customer: { externalId: string }; sale: { externalId: string; pointsAwarded: number } } };
    expect(message).toMatchObject({ type: 'sale.processed', data: { customer: { externalId: alice.externalId }, sale: { externalId: saleId, pointsAwarded: 35 } } });
    // another secret does not verify it
    expect(() => new Webhook(`whsec_${Buffer.from('another secret of 24 bytes').toString('base64')}`).verify(accepted.body, accepted.headers as Record<string, string>)).toThrow();

    const [delivery] = await deliveries(endpoint!.id);
    expect(delivery).toMatchObject({ eventType: 'SALE_PROCESSED', status: 'DELIVERED', attempts: 3, messageId: ids.values().next().value });
    expect(delivery.attemptLog.map((a) => a.statusCode)).toEqual([500, 500, 204]);
    // exponential backoff (WEBHOOK_BACKOFF_MS=1000): each retry is due 1 s, then 2 s, after the
    // attempt before it ended (by the gateway's clock; the attempt itself takes a few ms)
    const at = delivery.attemptLog.map((a) => new Date(a.attemptedAt).getTime());
    const retries = await t.sql<{ run_at: Date }>(`select run_at from job where kind = 'webhooks.deliver' and payload->>'deliveryId' = $1 order by id`, [
      String(Buffer.from(delivery.id, 'base64url').toString().split(':')[1]),
    ]);
    const waits = retries.slice(1).map((j, i) => new Date(j.run_at).getTime() - at[i]);
    expect(waits).toEqual([expect.any(Number), expect.any(Number)]);
    expect(waits[0]).toBeGreaterThanOrEqual(1_000);
    expect(waits[0]).toBeLessThan(1_500);
    expect(waits[1]).toBeGreaterThanOrEqual(2_000);
    expect(waits[1]).toBeLessThan(2_500);
    expect(at[1]).toBeGreaterThanOrEqual(at[0] + 1_000);
    expect(at[2]).toBeGreaterThanOrEqual(at[1] + 2_000);
  });

  it('a receiver that always fails ends FAILED after the bound; a staff replay delivers it', async () => {
    const r = await receiver();
    r.status = () => 503;
    const { endpoint, secret } = await register({ url: r.url, eventTypes: ['BALANCE_CHANGED', 'TIER_CHANGED'] });
    const bob = await createCustomer(t, currency);
    await sell(bob.externalId);
    await stepUntil(async () => (await deliveries(endpoint!.id))[0]?.status === 'FAILED');
    await after(60_000);
    expect(r.requests.map((q) => q.answered)).toEqual([503, 503, 503]);
    let [delivery] = await deliveries(endpoint!.id);
    expect(delivery).toMatchObject({ eventType: 'BALANCE_CHANGED', status: 'FAILED', attempts: 3, lastError: 'HTTP 503' });

    // Only operators replay.
    expect((await t.gql(REPLAY, { input: { deliveryId: delivery.id } }, t.analystToken)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    r.status = () => 200;
    expect(ok(await t.gql<{ replayWebhookDelivery: { delivery: { status: string } } }, unknown>(REPLAY, { input: { deliveryId: delivery.id } }, t.operatorToken)).replayWebhookDelivery.delivery).toMatchObject({ status: 'PENDING' });
    await stepUntil(async () => (await deliveries(endpoint!.id))[0]?.status === 'DELIVERED', 0);
    [delivery] = await deliveries(endpoint!.id);
    expect(delivery).toMatchObject({ status: 'DELIVERED', attempts: 1 });
    expect(r.requests).toHaveLength(4);
    const last = r.requests[3];
    expect(last.headers['webhook-id']).toBe(r.requests[0].headers['webhook-id']);
    expect(new Webhook(secret!).verify(last.body, last.headers as Record<string, string>)).toMatchObject({ type: 'balance.changed', data: { customer: { externalId: bob.externalId }, balance: { currency, available: 35 } } });
  });

  it('refuses endpoint URLs that are not https (http only to localhost here), carry credentials or are not URLs', async () => {
    const cases: [string, RegExp][] = [
      ['ftp://example.com/hook', /must use https/],
      ['http://example.com/hook', /http is allowed only for localhost/],
      ['https://user:secret@example.com/hook', /user name or password/],
      ['https://example.com/hook#part', /fragment/],
      ['not a url', /not an absolute URL/],
    ];
    for (const [url, message] of cases) {
      const res = await register({ url, eventTypes: ['SALE_PROCESSED'] });
      expect(res.endpoint).toBeNull();
      expect(res.userErrors).toEqual([{ code: 'INVALID', field: ['input', 'url'], message: expect.stringMatching(message) }]);
    }
    expect((await register({ url: 'https://crm.example.com/hooks/rg', eventTypes: ['SALE_PROCESSED'] })).userErrors).toEqual([]);
    expect((await register({ url: 'http://localhost:9/hook', eventTypes: ['SALE_PROCESSED'] })).userErrors).toEqual([]);
    // In production (WEBHOOK_ALLOW_HTTP_LOCALHOST off) not even localhost over http.
    expect(webhookUrlProblem('http://localhost:9/hook', false)).toBe('HTTP_NOT_LOCALHOST');
    // the secret is shown once: no field reads it back
    expect((await t.gql(`{ webhookEndpoints { edges { node { secret } } } }`, {}, t.operatorToken)).errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('a partner sees and removes only its own endpoints, and is sent only its own sales', async () => {
    const [a, b] = await Promise.all([
      createPartner(t, ['webhooks:manage', 'transactions:write', 'transactions:read']),
      createPartner(t, ['webhooks:manage', 'transactions:write', 'transactions:read']),
    ]);
    const [ra, rb] = await Promise.all([receiver(), receiver()]);
    const ea = await register({ url: ra.url, eventTypes: ['SALE_PROCESSED'] }, a.credential);
    const eb = await register({ url: rb.url, eventTypes: ['SALE_PROCESSED'] }, b.credential);
    expect(ea.userErrors).toEqual([]);
    const seen = async (credential: { apiKey: string }) =>
      ok(await t.gql<{ webhookEndpoints: { edges: { node: { id: string } }[] } }, unknown>(ENDPOINTS, {}, credential)).webhookEndpoints.edges.map((e) => e.node.id);
    expect(await seen(a.credential)).toEqual([ea.endpoint!.id]);
    expect(await seen(b.credential)).toEqual([eb.endpoint!.id]);
    const staffView = ok(
      await t.gql<{ webhookEndpoints: { edges: { node: { id: string; partner: { id: string } | null } }[] } }, unknown>(
        `{ webhookEndpoints(first: 50) { edges { node { id partner { id } } } } }`,
        {},
        t.analystToken,
      ),
    ).webhookEndpoints.edges.map((e) => e.node);
    expect(staffView).toEqual(expect.arrayContaining([{ id: ea.endpoint!.id, partner: { id: a.id } }, { id: eb.endpoint!.id, partner: { id: b.id } }]));
    // another partner's endpoint does not exist for it
    const removeOther = dataOf(await t.gql<{ removeWebhookEndpoint: { userErrors: { code: string }[] } }, unknown>(REMOVE, { input: { endpointId: eb.endpoint!.id } }, a.credential));
    expect(removeOther.removeWebhookEndpoint.userErrors).toEqual([{ code: 'NOT_FOUND', field: ['input', 'endpointId'] }]);
    expect(await seen(b.credential)).toEqual([eb.endpoint!.id]);
    // a key without the scope, and offer events (the wallet) for a partner, are refused
    expect((await t.gql(ENDPOINTS, {}, till.credential)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await register({ url: ra.url, eventTypes: ['OFFER_REDEEMED'] }, a.credential)).userErrors[0]).toMatchObject({ code: 'NOT_ELIGIBLE', field: ['input', 'eventTypes', '0'] });

    const carol = await createCustomer(t, currency);
    const saleOfA = await sell(carol.externalId, a.apiKey);
    await stepUntil(() => ra.requests.length >= 1);
    await stepUntil(allDispatched);
    expect(ra.requests.map((q) => JSON.parse(q.body).data.sale.externalId)).toEqual([saleOfA]);
    expect(rb.requests).toEqual([]);
    ok(await t.gql(REMOVE, { input: { endpointId: ea.endpoint!.id } }, a.credential));
    const unsent = await sell(carol.externalId, a.apiKey);
    await stepUntil(async () => (await t.sql(`select 1 from sales_transaction where external_id = $1 and status = 'PROCESSED'`, [unsent])).length > 0);
    await stepUntil(allDispatched);
    await after(1_000);
    expect(ra.requests).toHaveLength(1);
  });

  it('a revoked partner is sent nothing more: its endpoints end with the key, pending deliveries too', async () => {
    const partner = await createPartner(t, ['webhooks:manage', 'customers:read']);
    const r = await receiver();
    r.status = () => 503; // the first delivery stays PENDING, waiting for its retry
    const { endpoint } = await register({ url: r.url, eventTypes: ['BALANCE_CHANGED'] }, partner.credential);
    const dana = await createCustomer(t, currency);
    await adjust(t, dana.externalId, currency, 4);
    await stepUntil(() => r.requests.length >= 1);
    ok(await t.gql(`mutation($input: RevokePartnerInput!) { revokePartner(input: $input) { userErrors { code } } }`, { input: { partnerId: partner.id } }, t.operatorToken));
    r.status = () => 204;
    await adjust(t, dana.externalId, currency, 6);
    await stepUntil(allDispatched);
    await stepUntil(async () => (await deliveries(endpoint!.id)).every((d) => d.status !== 'PENDING'), 1_000);
    await after(60_000);
    expect(r.requests).toHaveLength(1);
    expect((await deliveries(endpoint!.id)).map((d) => ({ status: d.status, lastError: d.lastError }))).toEqual([{ status: 'FAILED', lastError: 'The endpoint was removed.' }]);
    const [row] = await t.sql<{ disabled: boolean }>(`select disabled_at is not null as disabled from webhook_endpoint where url = $1`, [r.url]);
    expect(row.disabled).toBe(true);

    // a partner revoked before revocation removed endpoints (its endpoint still live) is sent nothing either
    const earlier = await createPartner(t, ['webhooks:manage', 'customers:read']);
    const r2 = await receiver();
    const { endpoint: live } = await register({ url: r2.url, eventTypes: ['BALANCE_CHANGED'] }, earlier.credential);
    await t.sql(`update partner set revoked_at = $2 where id = (select partner_id from webhook_endpoint where url = $1)`, [r2.url, t.clock.now()]);
    await adjust(t, dana.externalId, currency, 1);
    await stepUntil(allDispatched);
    await after(60_000);
    expect(r2.requests).toEqual([]);
    expect(await deliveries(live!.id)).toEqual([]);
  });

  it("a partner is sent only what its scopes let it read: every customer's balance and tier changes need customers:read, its sales' outcomes transactions:read", async () => {
    // Hostile pass 9: webhooks:manage alone registered balance.changed and tier.changed and was
    // sent every customer's balances and tier moves, which reads refuse it without customers:read.
    const manager = await createPartner(t, ['webhooks:manage', 'transactions:write']);
    const r = await receiver();
    for (const [eventType, scope] of [['BALANCE_CHANGED', 'customers:read'], ['TIER_CHANGED', 'customers:read'], ['SALE_PROCESSED', 'transactions:read']]) {
      const byPartner = await register({ url: r.url, eventTypes: [eventType] }, manager.credential);
      expect(byPartner.userErrors).toEqual([{ code: 'NOT_ELIGIBLE', field: ['input', 'eventTypes', '0'], message: expect.stringContaining(scope) }]);
      // nor may an operator register it for the partner
      const byOperator = await register({ url: r.url, eventTypes: [eventType], partnerId: manager.id });
      expect(byOperator.userErrors).toEqual([{ code: 'NOT_ELIGIBLE', field: ['input', 'eventTypes', '0'], message: expect.stringContaining(scope) }]);
    }
    expect(await t.sql(`select 1 from webhook_endpoint where url = $1`, [r.url])).toEqual([]);
    // An endpoint registered before the rule (written as it was then) is sent nothing it may not read.
    await t.sql(
      `insert into webhook_endpoint (partner_id, url, event_types, secret, created_by, created_at)
       select id, $2, '{balance.changed,tier.changed,sale.processed}', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'test', $3 from partner where key_hash = encode(sha256($1::bytea), 'hex')`,
      [manager.apiKey, r.url, t.clock.now()],
    );
    // the control: a partner holding the scopes is sent all three
    const reader = await createPartner(t, ['webhooks:manage', 'customers:read', 'transactions:read', 'transactions:write']);
    const rr = await receiver();
    expect((await register({ url: rr.url, eventTypes: ['BALANCE_CHANGED', 'TIER_CHANGED', 'SALE_PROCESSED'] }, reader.credential)).userErrors).toEqual([]);
    const frank = await createCustomer(t, currency);
    await adjust(t, frank.externalId, currency, 7);
    const saleOfManager = await sell(frank.externalId, manager.apiKey);
    const saleOfReader = await sell(frank.externalId, reader.apiKey);
    await stepUntil(async () => (await t.sql(`select 1 from sales_transaction where external_id = any($1) and status = 'PROCESSED'`, [[saleOfManager, saleOfReader]])).length === 2);
    await stepUntil(allDispatched);
    await stepUntil(() => rr.requests.some((q) => JSON.parse(q.body).type === 'sale.processed'));
    await after(1_000);
    expect(r.requests).toEqual([]);
    expect(new Set(rr.requests.map((q) => JSON.parse(q.body).type))).toEqual(new Set(['balance.changed', 'sale.processed']));
    // A delivery written for it before the rule, still waiting for its retry, is not sent either.
    const [{ id: waiting }] = await t.sql<{ id: string }>(
      `insert into webhook_delivery (endpoint_id, event_id, event_type, body, next_attempt_at, created_at)
       select e.id, (select max(id) from outbox_event), 'balance.changed', '{}', $2, $2 from webhook_endpoint e where e.url = $1 returning id`,
      [r.url, t.clock.now()],
    );
    await t.sql(`insert into job (kind, payload, run_at, max_attempts, created_at) values ('webhooks.deliver', $1, $2, 3, $2)`, [{ deliveryId: Number(waiting) }, t.clock.now()]);
    await after(1_000);
    expect(r.requests).toEqual([]);
    expect(await t.sql(`select status, last_error from webhook_delivery where id = $1`, [waiting])).toEqual([{ status: 'FAILED', last_error: 'The partner may not read balance.changed events.' }]);
    expect(rr.requests.filter((q) => JSON.parse(q.body).type === 'sale.processed').map((q) => JSON.parse(q.body).data.sale.externalId)).toEqual([saleOfReader]);
  });

  it('an event that commits late with a lower id is dispatched in a later run, not skipped, and nothing twice', async () => {
    const r = await receiver();
    ok(await t.gql(REGISTER, { input: { url: r.url, eventTypes: ['TIER_CHANGED'] } }, t.operatorToken));
    // Two customers: one customer's events are numbered under that customer's lock (its stream
    // follows commit order), so only different customers' transactions can commit out of id order.
    const idOf = async (externalId: string) => (await t.sql<{ id: string }>(`select id from customer where external_id = $1`, [externalId]))[0].id;
    const dave = await idOf((await createCustomer(t, currency)).externalId);
    const erin = await idOf((await createCustomer(t, currency)).externalId);
    const early = new pg.Client({ connectionString: t.databaseUrl });
    const late = new pg.Client({ connectionString: t.databaseUrl });
    await Promise.all([early.connect(), late.connect()]);
    try {
      const event = (client: pg.Client, to: string) =>
        client.query(`insert into outbox_event (topic, customer_id, payload, created_at) values ('TIER_CHANGED', $1, $2, $3) returning id`, [
          to === 'LATE' ? dave : erin,
          { from: null, to },
          t.clock.now(),
        ]);
      // `early` takes its transaction id first; `late` then writes the lower event id and stays open;
      // `early` writes a higher event id and commits.
      await early.query('begin');
      await early.query('select pg_current_xact_id()');
      await late.query('begin');
      const lowId = Number((await event(late, 'LATE')).rows[0].id);
      const highId = Number((await event(early, 'EARLY')).rows[0].id);
      await early.query('commit');
      expect(lowId).toBeLessThan(highId);
      await stepUntil(() => r.requests.length >= 1);
      await after(1_000);
      expect(r.requests.map((q) => JSON.parse(q.body).data.to)).toEqual(['EARLY']);
      await late.query('commit');
      await stepUntil(() => r.requests.length >= 2);
      await after(1_000);
      expect(r.requests.map((q) => JSON.parse(q.body).data.to)).toEqual(['EARLY', 'LATE']);
    } finally {
      await Promise.all([early.end(), late.end()]);
    }
  });

  /** Writes a TIER_CHANGED event for `customerId` on `client` (in its transaction, if open); returns the outbox row's id. */
  const tierEvent = async (client: pg.Client | pg.Pool | null, customerId: string, to: string, createdAt = t.clock.now()) => {
    const text = `insert into outbox_event (topic, customer_id, payload, created_at) values ('TIER_CHANGED', $1, $2, $3) returning id`;
    const values = [customerId, { from: null, to }, createdAt];
    const rows = client ? (await client.query<{ id: string }>(text, values)).rows : await t.sql<{ id: string }>(text, values);
    return Number(rows[0].id);
  };
  const customerId = async () => {
    const { externalId } = await createCustomer(t, currency);
    return (await t.sql<{ id: string }>(`select id from customer where external_id = $1`, [externalId]))[0].id;
  };

  it('a write transaction held open delays only its own events: those committed after it began go on the next run; its own once it commits, once', async () => {
    const r = await receiver();
    ok(await t.gql(REGISTER, { input: { url: r.url, eventTypes: ['TIER_CHANGED'] } }, t.operatorToken));
    const [frank, gina] = [await customerId(), await customerId()];
    await stepUntil(allDispatched);
    const sent = () => r.requests.map((q) => ({ id: q.headers['webhook-id'], eventId: JSON.parse(q.body).data.eventId, to: JSON.parse(q.body).data.to }));
    // A batch job's (or a console's) transaction: it has written, so it has a transaction id, and stays open.
    const held = new pg.Client({ connectionString: t.databaseUrl });
    await held.connect();
    try {
      await held.query('begin');
      const heldId = await tierEvent(held, frank, 'HELD');
      const committedId = await tierEvent(null, gina, 'COMMITTED');
      await after(1_000); // one dispatcher run
      // the message id is the outbox row's id, in the header and the body
      expect(sent()).toEqual([{ id: `evt_${committedId}`, eventId: String(committedId), to: 'COMMITTED' }]);
      await after(1_000);
      expect(sent()).toHaveLength(1);
      await held.query('commit');
      await after(1_000);
      expect(sent()).toEqual([
        { id: `evt_${committedId}`, eventId: String(committedId), to: 'COMMITTED' },
        { id: `evt_${heldId}`, eventId: String(heldId), to: 'HELD' },
      ]);
      await after(1_000);
      await after(1_000);
      expect(sent()).toHaveLength(2);
    } finally {
      await held.end();
    }
  });

  it('prunes what the dispatcher passed while a transaction is held open, never the held one\'s event, committed after the cursor\'s snapshot, until it is dispatched', async () => {
    const jc = () => ({ em: t.orm.em.fork(), clock: t.clock, config: t.config, log: pino({ level: 'silent' }) });
    const prune = async () => {
      await committedLongAgo(t.sql, t.config.events.retentionHours, t.clock.now());
      return t.orm.em.fork().transactional((em) => pruneEvents({ ...jc(), em }));
    };
    const kept = async (...ids: number[]) => (await t.sql<{ id: string }>(`select id from outbox_event where id = any($1::bigint[]) order by id`, [ids])).map((row) => Number(row.id));
    const [hank, ida] = [await customerId(), await customerId()];
    const old = new Date(t.clock.now().getTime() - 3 * 3_600_000); // past EVENT_RETENTION_HOURS=1
    const held = new pg.Client({ connectionString: t.databaseUrl });
    await held.connect();
    try {
      await held.query('begin');
      const heldId = await tierEvent(held, hank, 'HELD', old);
      const passedId = await tierEvent(null, ida, 'PASSED', old);
      await after(1_000); // the dispatcher passes `passed`; `held` is running at its snapshot
      await held.query('commit'); // committed, old, but not read yet: the cursor's `from` does not see it
      await prune();
      expect(await kept(heldId, passedId)).toEqual([heldId]);
      await after(1_000); // read now
      await prune();
      expect(await kept(heldId, passedId)).toEqual([]);
    } finally {
      await held.end();
    }
  });

  it('prunes dispatched events, finished deliveries and their attempts past the retention, never an event not yet dispatched', async () => {
    const jc = () => ({ em: t.orm.em.fork(), clock: t.clock, config: t.config, log: pino({ level: 'silent' }) });
    await stepUntil(async () => (await allDispatched()) && (await t.sql(`select 1 from webhook_delivery where status = 'PENDING'`)).length === 0); // everything so far dispatched and finished
    const count = async (table: string) => Number((await t.sql<{ n: string }>(`select count(*) as n from ${table}`))[0].n);
    expect(await count('outbox_event')).toBeGreaterThan(0);
    expect(await count('webhook_attempt')).toBeGreaterThan(0);
    t.clock.advance(2 * 3_600_000);
    // an old event written after the dispatcher's last run: it waits for the dispatcher
    await t.sql(`insert into outbox_event (topic, customer_id, payload, created_at) values ('TIER_CHANGED', null, '{}', $1)`, [new Date(t.clock.now().getTime() - 3 * 3_600_000)]);
    await committedLongAgo(t.sql, t.config.events.retentionHours, t.clock.now());
    const pruned = await t.orm.em.fork().transactional((em) => pruneEvents({ ...jc(), em }));
    expect(pruned.events).toBeGreaterThan(0);
    expect(pruned.attempts).toBeGreaterThan(0);
    expect(await count('outbox_event')).toBe(1);
    expect(await count('webhook_attempt')).toBe(0);
    expect(await count('webhook_delivery where status <> \'PENDING\'')).toBe(0);
    await stepUntil(allDispatched); // the dispatcher passes it (the scheduled prune may already take it)
    await committedLongAgo(t.sql, t.config.events.retentionHours, t.clock.now());
    await t.orm.em.fork().transactional((em) => pruneEvents({ ...jc(), em }));
    expect(await count('outbox_event')).toBe(0);
  });
});

/**
 * Webhook destinations (edges-net): a partner with `webhooks:manage` names a URL; the gateway must
 * not POST to internal addresses for it (SSRF). Literal IPs are refused at registration, and every
 * address a host name resolves to is checked when sending, on the connection that is made.
 */
describe('webhook destinations: no private, loopback, link-local or other internal address', () => {
  let strict: TestGateway;
  let allowed: TestGateway;
  const receivers: Receiver[] = [];
  const secret = 'whsec_' + Buffer.from('0123456789abcdef01234567').toString('base64');
  const SETTINGS = { WEBHOOK_ALLOW_HTTP_LOCALHOST: 'false', WEBHOOK_MAX_ATTEMPTS: '1', WEBHOOK_TIMEOUT_MS: '2000' };

  beforeAll(async () => {
    strict = await startTestGateway(SETTINGS, { jobs: 'manual' });
    // an explicit allow-list, as a test rig or a development machine with a receiver nearby has
    allowed = await startTestGateway({ ...SETTINGS, WEBHOOK_ALLOWED_DESTINATIONS: '127.0.0.0/8, ::1' }, { jobs: 'manual' });
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await strict.close();
    await allowed.close();
  });

  /** An endpoint stored as it is (as one registered before these rules, or whose name now resolves elsewhere), and one balance event for it. */
  const deliverTo = async (t: TestGateway, urls: string[]) => {
    const past = new Date(t.clock.now().getTime() - 60_000);
    const ids: number[] = [];
    for (const url of urls) {
      const [row] = await t.sql<{ id: string }>(
        `insert into webhook_endpoint (partner_id, url, event_types, secret, created_by, created_at) values (null, $1, '{balance.changed}', $2, 'test', $3) returning id`,
        [url, secret, past],
      );
      ids.push(Number(row.id));
    }
    const code = uniqueCode('D');
    await createCurrency(t, code);
    const customer = await createCustomer(t, code);
    await adjust(t, customer.externalId, code, 5);
    for (let i = 0; i < 100; i++) {
      t.clock.advance(1_000);
      await t.runScheduled();
      const rows = await t.sql<{ endpoint_id: string; status: string; last_error: string | null }>(
        `select endpoint_id, status, last_error from webhook_delivery where endpoint_id = any($1::bigint[]) order by endpoint_id`,
        [ids],
      );
      if (rows.length === ids.length && rows.every((r) => r.status !== 'PENDING')) {
        return rows.map((r) => ({ url: urls[ids.indexOf(Number(r.endpoint_id))], status: r.status, lastError: r.last_error }));
      }
    }
    throw new Error('the deliveries did not finish');
  };

  it('refuses every internal destination when sending, after resolving the name, without connecting; the reason is recorded', async () => {
    const r = await new Receiver().start();
    receivers.push(r);
    const port = new URL(r.url).port;
    const outcomes = await deliverTo(strict, [
      `http://localhost:${port}/hook`,
      `http://127.0.0.1:${port}/hook`,
      `http://0.0.0.0:${port}/hook`,
      `https://[::1]:${port}/hook`,
      `https://[::ffff:127.0.0.1]:${port}/hook`,
      'https://169.254.169.254/latest/meta-data/',
      'https://10.1.2.3/hook',
      'https://192.168.1.1/hook',
      'https://[fd00::1]/hook',
      'https://224.0.0.1/hook',
    ]);
    expect(r.requests).toEqual([]);
    expect(outcomes).toEqual([
      { url: `http://localhost:${port}/hook`, status: 'FAILED', lastError: expect.stringMatching(/^destination not allowed: localhost resolves to (127\.0\.0\.1|::1) \(loopback\)$/) },
      { url: `http://127.0.0.1:${port}/hook`, status: 'FAILED', lastError: 'destination not allowed: 127.0.0.1 (loopback)' },
      { url: `http://0.0.0.0:${port}/hook`, status: 'FAILED', lastError: 'destination not allowed: 0.0.0.0 (unspecified)' },
      { url: `https://[::1]:${port}/hook`, status: 'FAILED', lastError: 'destination not allowed: ::1 (loopback)' },
      { url: `https://[::ffff:127.0.0.1]:${port}/hook`, status: 'FAILED', lastError: 'destination not allowed: ::ffff:7f00:1 (loopback)' },
      { url: 'https://169.254.169.254/latest/meta-data/', status: 'FAILED', lastError: 'destination not allowed: 169.254.169.254 (linkLocal)' },
      { url: 'https://10.1.2.3/hook', status: 'FAILED', lastError: 'destination not allowed: 10.1.2.3 (private)' },
      { url: 'https://192.168.1.1/hook', status: 'FAILED', lastError: 'destination not allowed: 192.168.1.1 (private)' },
      { url: 'https://[fd00::1]/hook', status: 'FAILED', lastError: 'destination not allowed: fd00::1 (uniqueLocal)' },
      { url: 'https://224.0.0.1/hook', status: 'FAILED', lastError: 'destination not allowed: 224.0.0.1 (multicast)' },
    ]);
  });

  it('refuses literal internal addresses (and localhost) at registration with DESTINATION_NOT_ALLOWED', async () => {
    const register = async (url: string) =>
      dataOf(
        await strict.gql<{ registerWebhookEndpoint: { endpoint: { id: string } | null; userErrors: { code: string; field: string[]; message: string }[] } }, unknown>(
          REGISTER,
          { input: { url, eventTypes: ['SALE_PROCESSED'] } },
          strict.operatorToken,
        ),
      ).registerWebhookEndpoint;
    // (`[::127.0.0.1]` is `[::7f00:1]` once parsed: IPv4-compatible, deprecated, never a public host)
    for (const url of ['https://127.0.0.1/hook', 'https://0x7f.1/hook', 'https://[::1]/hook', 'https://169.254.169.254/', 'https://10.0.0.1/', 'https://[fe80::1]/', 'https://[::]/', 'https://localhost/hook', 'https://api.localhost./hook', 'https://[::127.0.0.1]/hook', 'https://[::a9fe:a9fe]/', 'https://[::0a00:1]/']) {
      const res = await register(url);
      expect({ url, endpoint: res.endpoint, userErrors: res.userErrors }).toEqual({
        url,
        endpoint: null,
        userErrors: [{ code: 'DESTINATION_NOT_ALLOWED', field: ['input', 'url'], message: expect.stringMatching(/^url must not point to an internal address \(.+\)\.$/) }],
      });
    }
    // a name is checked when sending (it may resolve elsewhere by then); a public address is fine
    expect((await register('https://crm.example.com/hooks/rg')).userErrors).toEqual([]);
    expect((await register('https://8.8.8.8/hooks/rg')).userErrors).toEqual([]);
  });

  it('sends to an internal address that WEBHOOK_ALLOWED_DESTINATIONS lists', async () => {
    const r = await new Receiver().start();
    receivers.push(r);
    const port = new URL(r.url).port;
    // a literal address, and a name whose every address is listed (resolved and connected by the checking lookup)
    expect(await deliverTo(allowed, [`http://127.0.0.1:${port}/hook`, `http://localhost:${port}/by-name`])).toEqual([
      { url: `http://127.0.0.1:${port}/hook`, status: 'DELIVERED', lastError: null },
      { url: `http://localhost:${port}/by-name`, status: 'DELIVERED', lastError: null },
    ]);
    expect(r.requests).toHaveLength(2);
    expect(new Webhook(secret).verify(r.requests[0].body, r.requests[0].headers as Record<string, string>)).toMatchObject({ type: 'balance.changed' });
  });
});
