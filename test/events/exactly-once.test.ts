import pino from 'pino';
import { startGateway, type Gateway } from '../../src/http/server.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCustomer, simpleShop } from '../support/program.js';
import { collect, openSocket, waitFor, type TestSocket } from '../support/ws.js';

type Balance = { balanceChanged: { eventId: string; available: number } };
const QUERY = 'subscription($after: ID) { balanceChanged(after: $after) { eventId available } }';

/**
 * Exactly once, in order, per subscriber (hostile pass 12): a subscriber that leaves and resumes
 * with `after` again and again, on one instance and then another, while events commit in
 * parallel, gets each of its events once and in stream order.
 */
describe('a subscriber resuming while events commit', () => {
  let t: TestGateway;
  let other: Gateway;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    t = await startTestGateway();
    other = await startGateway({ config: t.config, orm: t.orm, databaseUrl: t.databaseUrl, clock: t.clock, log: pino({ level: 'silent' }) }, 0, '127.0.0.1');
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await other.close();
    await t.close();
  });

  it('gets every event once and in order across resumes on two instances', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency);
    const total = 120;
    let committed = 0;
    const producers = Array.from({ length: 4 }, async () => {
      while (committed < total) {
        committed++;
        await adjust(t, customer.externalId, shop.currency, 1);
      }
    });
    const received: { id: number; available: number }[] = [];
    let after = '0'; // from the stream's start
    let round = 0;
    const urls = [t.url, other.url];
    for (; received.length < committed || committed < total; round++) {
      const on = round % 2;
      const socket = openSocket(urls[on], customer.token);
      sockets.push(socket);
      const sub = collect<Balance>(socket.client, QUERY, { after });
      const take = 3 + (round % 7);
      const deadline = Date.now() + 10_000;
      while (sub.results.length < take && Date.now() < deadline && (received.length + sub.results.length < committed || committed < total)) {
        if (sub.done) throw new Error(`subscription ended: ${JSON.stringify(sub.failure)}`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      for (const r of sub.results) {
        if (r.errors) throw new Error(JSON.stringify(r.errors));
        received.push({ id: Number(r.data!.balanceChanged.eventId), available: r.data!.balanceChanged.available });
      }
      if (received.length) after = String(received.at(-1)!.id);
      // leave at once: a resume must cover what arrived after the last one read
      await socket.dispose();
      if (Date.now() > deadline) break;
    }
    await Promise.all(producers);
    // one more resume picks up the rest
    const socket = openSocket(t.url, customer.token);
    sockets.push(socket);
    const rest = collect<Balance>(socket.client, QUERY, { after });
    await waitFor(() => received.length + rest.results.length >= total, 15_000, 'the rest');
    for (const r of rest.results) received.push({ id: Number(r.data!.balanceChanged.eventId), available: r.data!.balanceChanged.available });
    const seqs = (await t.sql<{ seq: string }>(`select customer_seq as seq from outbox_event o join customer c on c.id = o.customer_id where c.external_id = $1 and topic = 'BALANCE_CHANGED' order by customer_seq`, [customer.externalId])).map((r) => Number(r.seq));
    expect(received.map((r) => r.id)).toEqual(seqs);
    expect(received.map((r) => r.available)).toEqual(seqs.map((_, i) => i + 1));
    expect(round).toBeGreaterThan(5);
  });

  it('subscriptions that start while their customer’s events commit get every event after their first, with no gap', async () => {
    const shop = await simpleShop(t);
    const customers = await Promise.all(Array.from({ length: 16 }, () => createCustomer(t, shop.currency)));
    const perCustomer = 12;
    const runs = customers.map(async (customer, i) => {
      const producing = (async () => {
        for (let n = 0; n < perCustomer; n++) await adjust(t, customer.externalId, shop.currency, 1);
      })();
      // subscribe somewhere in the middle of the commits, on either instance
      await new Promise((resolve) => setTimeout(resolve, 20 + ((i * 37) % 150)));
      const socket = openSocket(i % 2 ? other.url : t.url, customer.token);
      sockets.push(socket);
      const sub = collect<Balance>(socket.client, 'subscription { balanceChanged { eventId available } }');
      await producing;
      await waitFor(() => sub.results.some((r) => Number(r.data?.balanceChanged.eventId) === perCustomer) || sub.done, 15_000, 'the last event');
      const ids = sub.results.map((r) => Number(r.data!.balanceChanged.eventId));
      await socket.dispose();
      return ids;
    });
    for (const ids of await Promise.all(runs)) {
      // from the first event received to the last, each once, in order
      expect(ids).toEqual(Array.from({ length: ids.length }, (_, k) => ids[0] + k));
      expect(ids.at(-1)).toBe(perCustomer);
    }
  });
});
