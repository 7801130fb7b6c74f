import pino from 'pino';
import { BalanceChangedDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCustomer, createPartner, simpleShop } from '../support/program.js';
import { holdAnswers } from '../support/statements.js';
import { collect, openSocket, subscribed, waitFor, type TestSocket } from '../support/ws.js';

/** The statement that reads where a customer's event stream stands (`streamPosition`). */
const isStreamPosition = (text: string) => /select last_seq from event_stream/.test(text);

type Balance = { balanceChanged: { available: number } };

/**
 * Where a subscription starts (hostile pass 12): everything committed after the subscription read
 * where the customer's stream stood is delivered, whenever the relay happens to read it.
 */
describe('a subscription’s start', () => {
  let t: TestGateway;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    // no sweep within a test: a socket left open is closed by a session end or not at all
    t = await startTestGateway({ WS_SESSION_RECHECK_MS: '600000' });
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await t.close();
  });

  it('delivers an event the relay published while the subscription’s start was being read (it was lost)', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    const socket = openSocket(t.url, customer.token);
    sockets.push(socket);
    // the socket is open: the relay reads every poll
    await waitFor(() => t.gateway.sockets.sessionCount() === 1, 10_000, 'the socket');
    const head = holdAnswers(isStreamPosition);
    const sub = collect<Balance>(socket.client, BalanceChangedDocument.toString());
    // The subscription has read its start (nothing yet) and not heard the answer: an event commits
    // now, and the relay reads and publishes it before the answer is heard.
    await head.reached;
    const read = t.gateway.relay.stats().eventsRead;
    await adjust(t, customer.externalId, shop.currency, 7);
    await waitFor(() => t.gateway.relay.stats().eventsRead > read, 10_000, 'the relay to read the event');
    head.release();
    await waitFor(() => t.gateway.events.listenerCount() === 1, 10_000, 'the subscription');
    await adjust(t, customer.externalId, shop.currency, 11);
    const [first, second] = await sub.until(2, 3_000).catch(() => sub.results);
    expect([first?.data?.balanceChanged.available, second?.data?.balanceChanged.available]).toEqual([7, 18]);
    sub.stop();
  });

  it('leaves no stream behind when the client goes while the start is read', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    await Promise.all(sockets.splice(0).map((s) => s.dispose()));
    await waitFor(() => t.gateway.sockets.sessionCount() === 0, 10_000, 'the sockets to go');
    const head = holdAnswers(isStreamPosition);
    const socket = openSocket(t.url, customer.token);
    collect<Balance>(socket.client, BalanceChangedDocument.toString());
    await head.reached;
    expect(t.gateway.events.wanted()).toBe(true);
    await socket.dispose();
    await waitFor(() => t.gateway.sockets.sessionCount() === 0, 10_000, 'the socket to go');
    head.release();
    // the relay goes idle again: no stream of a gone client keeps it reading
    await waitFor(() => !t.gateway.events.wanted(), 10_000, 'the stream to go');
    expect(t.gateway.events.listenerCount()).toBe(0);
  });

  /** Opens a socket of a bystander (the relay then reads every poll) and returns it. */
  async function bystander(currency: string) {
    const before = t.gateway.sockets.sessionCount();
    const socket = openSocket(t.url, (await createCustomer(t, currency)).token);
    sockets.push(socket);
    await waitFor(() => t.gateway.sockets.sessionCount() > before, 10_000, 'the bystander’s socket');
    return socket;
  }

  const stillOpen = (ms: number) => new Promise<string>((resolve) => setTimeout(() => resolve('still open'), ms).unref());

  it('closes a socket whose customer was closed while it connected, at once (it stayed open until the sweep)', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    await bystander(shop.currency);
    const status = holdAnswers((text) => /select c\.status, s\.last_seq as seq from customer c/.test(text));
    const socket = openSocket(t.url, customer.token);
    sockets.push(socket);
    // the socket has read the customer's status (active) and not heard it; staff close the customer
    await status.reached;
    const read = t.gateway.relay.stats().eventsRead;
    ok(await t.gql(`mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { userErrors { code } } }`, { input: { externalId: customer.externalId, status: 'CLOSED' } }, t.operatorToken));
    await waitFor(() => t.gateway.relay.stats().eventsRead > read, 10_000, 'the relay to read the close');
    status.release();
    expect(await Promise.race([socket.closed, stillOpen(3_000)])).toEqual({ code: 4403, reason: 'account closed' });
  });

  it('closes a partner’s socket whose key was revoked while it connected, at once (it stayed open until the sweep)', async () => {
    const shop = await simpleShop(t);
    const partner = await createPartner(t, ['customers:read']);
    await bystander(shop.currency);
    const key = holdAnswers((text) => /from partner p where p\.key_hash/.test(text));
    const socket = openSocket(t.url, { 'x-api-key': partner.apiKey });
    sockets.push(socket);
    await key.reached;
    const read = t.gateway.relay.stats().eventsRead;
    ok(await t.gql(`mutation($input: RevokePartnerInput!) { revokePartner(input: $input) { userErrors { code } } }`, { input: { partnerId: partner.id } }, t.operatorToken));
    await waitFor(() => t.gateway.relay.stats().eventsRead > read, 10_000, 'the relay to read the revocation');
    key.release();
    expect(await Promise.race([socket.closed, stillOpen(3_000)])).toEqual({ code: 4401, reason: 'API key revoked' });
  });
});

describe('a subscriber cut off as a slow consumer', () => {
  let t: TestGateway;
  const lines: { level: number; msg: string }[] = [];
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    t = await startTestGateway({ EVENT_SUBSCRIBER_QUEUE: '2' }, { log });
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await t.close();
  });

  it('is closed 4008 with what to do, and the gateway logs no internal error for it', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    const { socket, sub } = await subscribed<Balance>(t.url, t.gateway.events, customer.token, BalanceChangedDocument.toString());
    sockets.push(socket);
    // five events in one transaction: one relay page, more than the bound at once
    await t.sql(
      `insert into outbox_event (topic, customer_id, payload)
       select 'BALANCE_CHANGED', c.id, jsonb_build_object('currency', $2::text, 'available', g, 'pending', 0, 'lifetimeEarned', g)
         from customer c, generate_series(1, 5) g where c.external_id = $1`,
      [customer.externalId, shop.currency],
    );
    expect(await socket.closed).toEqual({ code: 4008, reason: 'slow consumer: over 2 events waiting; resume with after' });
    await waitFor(() => sub.done, 5_000, 'the subscription to end');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(lines.filter((l) => l.level >= 50).map((l) => l.msg)).toEqual([]);
  });
});
