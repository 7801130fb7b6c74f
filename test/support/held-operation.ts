import pg from 'pg';
import type { TestGateway } from './gateway.js';
import { createCustomer, eventually, simpleShop } from './program.js';
import { rawSocket, type RawSocket } from './ws.js';

/**
 * A customer's raw socket (100 points in a simple shop) with one operation sent on it that waits,
 * in the gateway, on a lock of `table` held by the test (access exclusive, in a session of its
 * own): the operation is provably running when this resolves (one session waits on a lock).
 * `token`: the customer's. `release` commits the lock's transaction; `end` closes the test's session (safe after release).
 * Shutdown tests use it to hold an operation open at a chosen step (edges-12d, break-12j).
 */
export async function heldOperation(t: TestGateway, table: string, id: string, query: string): Promise<{ raw: RawSocket; token: string; release(): Promise<void>; end(): Promise<void> }> {
  const shop = await simpleShop(t);
  const customer = await createCustomer(t, shop.currency, 100);
  const raw = await rawSocket(t.url, { authorization: `Bearer ${customer.token}` });
  if (raw.messages[0]?.type !== 'connection_ack') throw new Error(`the socket was not acknowledged: ${JSON.stringify(raw.messages)}`);
  const blocker = new pg.Client({ connectionString: t.databaseUrl });
  await blocker.connect();
  await blocker.query('begin');
  await blocker.query(`lock table ${table} in access exclusive mode`);
  raw.send(JSON.stringify({ id, type: 'subscribe', payload: { query } }));
  await eventually(async () => {
    const [row] = await t.sql<{ n: string }>("select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'");
    return Number(row.n) === 1;
  });
  return {
    raw,
    token: customer.token,
    release: async () => void (await blocker.query('commit')),
    end: () => blocker.end().catch(() => undefined),
  };
}
