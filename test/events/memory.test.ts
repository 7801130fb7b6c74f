import WebSocket from 'ws';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, simpleShop, unique } from '../support/program.js';
import { startGatewayProcess, type GatewayProcess } from '../support/processes.js';
import { collect, openSocket, waitFor, type TestSocket } from '../support/ws.js';

const BALANCE = `subscription($after: ID) { balanceChanged(after: $after) { eventId available change { amount reason } } }`;
const MB = 1024 * 1024;

/**
 * Memory of subscriptions (issue 10), measured in a gateway process of its own (after full GCs,
 * the process runs with --expose-gc): closed subscriptions are released at once, and a consumer
 * that stops reading is cut off at its bound instead of growing the server.
 */
describe('subscription memory', () => {
  let t: TestGateway;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    t = await startTestGateway();
    gateway = await startGatewayProcess(t.databaseUrl, { EVENT_POLL_MS: '10', EVENT_SUBSCRIBER_QUEUE: '200', WS_MAX_SUBSCRIPTIONS: '20', WS_MAX_SOCKETS_PER_CALLER: '5' });
  });
  afterAll(async () => {
    await gateway?.terminate();
    await t.close();
  });

  it('opening and closing 1,000 subscriptions three times leaves the heap where it started', async () => {
    const shop = await simpleShop(t);
    // 100 customers (written straight to the table: the API is not what is measured here), one socket each, 10 subscriptions per socket
    const prefix = unique('mem');
    await t.sql(`insert into customer (external_id, name) select $1 || '-' || g, 'm' from generate_series(1, 100) g`, [prefix]);
    const tokens = await Promise.all(Array.from({ length: 100 }, (_, i) => t.customerToken(`${prefix}-${i + 1}`)));
    void shop;

    const round = async () => {
      const sockets: TestSocket[] = tokens.map((token) => openSocket(gateway.url, token));
      const subs = sockets.flatMap((s) => Array.from({ length: 10 }, () => collect(s.client, BALANCE)));
      await waitFor(async () => (await gateway.stats()).subscribers === 1_000, 60_000, '1,000 subscriptions');
      // closed subscriptions first (the sockets stay): released without any event for their customers
      subs.forEach((s) => s.stop());
      await waitFor(async () => (await gateway.stats()).subscribers === 0, 30_000, 'the subscriptions to be released');
      await Promise.all(sockets.map((s) => s.dispose()));
      await waitFor(async () => (await gateway.stats()).sockets === 0, 30_000, 'the sockets to close');
      return (await gateway.heap()).heapUsed;
    };
    // one round to warm up (JIT, caches, the document cache, the pool), then three measured
    const start = await round();
    const after = [await round(), await round(), await round()];
    console.log(`heap after full GC: warm ${(start / MB).toFixed(1)} MB, after each round ${after.map((h) => (h / MB).toFixed(1)).join(', ')} MB`);
    for (const heap of after) expect(heap - start).toBeLessThan(3 * MB);
  }, 300_000);

  it('closes a consumer that stops reading at its bound (4008), with memory flat, and it resumes from its last event id', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    const [{ id: customerId }] = await t.sql<{ id: string }>(`select id from customer where external_id = $1`, [customer.externalId]);
    const before = (await gateway.heap()).heapUsed;

    // a client that subscribes, then stops reading its socket
    const raw = new WebSocket(gateway.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const received: { id: string; payload: { data?: { balanceChanged: { eventId: string } } } }[] = [];
    let ack!: () => void;
    const acked = new Promise<void>((resolve) => (ack = resolve));
    raw.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.type === 'connection_ack') ack();
      if (message.type === 'next') received.push(message);
    });
    const closed = new Promise<{ code: number; reason: string }>((resolve) => raw.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
    await new Promise((resolve) => raw.once('open', resolve));
    raw.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${customer.token}` } }));
    await acked;
    const listening = (await gateway.stats()).subscribers;
    raw.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: BALANCE } }));
    await waitFor(async () => (await gateway.stats()).subscribers > listening, 30_000, 'the subscription');
    (raw as unknown as { _socket: { pause(): void } })._socket.pause();

    // 3,000 events of about 4 kB for this customer (12 MB: far more than the bound and the socket buffers hold)
    const reason = 'x'.repeat(4_000);
    // (in commits of 10, as changes come: a burst of more than the bound within one relay read would cut off even a fast reader)
    for (let batch = 0; batch < 300; batch++) {
      await t.sql(
        `insert into outbox_event (topic, customer_id, payload)
         select 'BALANCE_CHANGED', $1, jsonb_build_object('currency', $2::text, 'available', g, 'pending', 0, 'lifetimeEarned', g, 'change', jsonb_build_object('amount', 1, 'kind', 'ADJUST', 'reason', $3::text))
           from generate_series($4::int, $4::int + 9) g`,
        [customerId, shop.currency, reason, batch * 10 + 1],
      );
      await new Promise((r) => setTimeout(r, 5));
    }
    // the server cuts it off (its stream is gone at once; the socket closes when the client reads again)
    await waitFor(async () => (await gateway.stats()).subscribers === listening, 60_000, 'the slow consumer to be cut off');
    const during = (await gateway.heap()).heapUsed;
    console.log(`slow consumer: heap after full GC ${(before / MB).toFixed(1)} MB before, ${(during / MB).toFixed(1)} MB once cut off (12 MB of events sent its way)`);
    expect(during - before).toBeLessThan(4 * MB);

    (raw as unknown as { _socket: { resume(): void } })._socket.resume();
    expect(await closed).toEqual({ code: 4008, reason: 'slow consumer: over 200 events waiting; resume with after' });
    expect(received.length).toBeGreaterThan(0);
    expect(received.length).toBeLessThan(3_000);
    const ids = received.map((m) => Number(m.payload.data!.balanceChanged.eventId));
    expect(ids).toEqual(ids.map((_, i) => i + 1));

    // it resumes from the last id it received and gets the rest, once each
    const again = openSocket(gateway.url, customer.token);
    try {
      const rest = collect<{ balanceChanged: { eventId: string } }>(again.client, BALANCE, { after: String(ids.at(-1)) });
      const got = await rest.until(3_000 - ids.length, 120_000);
      expect(got.map((r) => Number(r.data!.balanceChanged.eventId))).toEqual(Array.from({ length: 3_000 - ids.length }, (_, i) => ids.length + i + 1));
    } finally {
      await again.dispose();
    }
  }, 300_000);
});
