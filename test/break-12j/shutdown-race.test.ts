import pg from 'pg';
import { startTestGateway } from '../support/gateway.js';
import { createCustomer, eventually, simpleShop } from '../support/program.js';
import { rawSocket } from '../support/ws.js';

/**
 * break-12j: edges-12d refuses a socket's subscribe read once shutdown has begun and lets the
 * operations already running finish. An operation read just before, still in its checks
 * (credentials, the rate-limit point, the trusted-document read) when shutdown began, is neither:
 * it was taken, so it must be answered before the socket's 1001, as one already executing is.
 */
describe('a socket operation still in its checks when shutdown begins (break-12j)', () => {
  it('is answered before the socket closes 1001 (the shutdown waited only for operations past their checks, and closed the socket under it)', async () => {
    const t = await startTestGateway({}, { jobs: 'manual' });
    let closing: Promise<void> | undefined;
    const blocker = new pg.Client({ connectionString: t.databaseUrl });
    try {
      const shop = await simpleShop(t);
      const customer = await createCustomer(t, shop.currency, 100);
      const raw = await rawSocket(t.url, { authorization: `Bearer ${customer.token}` });
      expect(raw.messages[0]).toEqual({ type: 'connection_ack' });

      // The operation's rate-limit point waits on a lock the test holds: it is in its checks.
      await blocker.connect();
      await blocker.query('begin');
      await blocker.query('lock table rate_limit_bucket in access exclusive mode');
      raw.send(JSON.stringify({ id: 'checking', type: 'subscribe', payload: { query: '{ me { balances { available } } }' } }));
      await eventually(async () => {
        const [row] = await t.sql<{ n: string }>("select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'");
        return Number(row.n) >= 1;
      });
      closing = t.gateway.close();
      // Released once shutdown has begun (the store's own bound would release it otherwise).
      await eventually(async () => !t.gateway.server.listening);
      await blocker.query('commit');

      expect(await raw.answer('checking')).toEqual({ id: 'checking', type: 'next', payload: { data: { me: { balances: [{ available: 100 }] } } } });
      await closing;
      expect((await raw.closed).code).toBe(1001);
    } finally {
      await blocker.end().catch(() => undefined);
      await (closing ?? Promise.resolve());
      await t.close();
    }
  });
});
