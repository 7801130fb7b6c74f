import { readFileSync } from 'node:fs';
import { SubmitTransactionDocument, TransactionStatusDocument } from '../generated/graphql.js';
import { ok, startTestGateway, TEST_SQL_APPLICATION, type TestGateway } from '../support/gateway.js';
import { adjust, createCustomer, createPartner, earningProgram, eventually, unique } from '../support/program.js';
import { collect, openSocket, waitFor, type TestSocket } from '../support/ws.js';

/**
 * The gateway's connections to PostgreSQL keep alive (edges-11): the job runner's LISTEN
 * connection, the event relay's and the pools' had no TCP keepalive, so one whose server vanished
 * without closing it was never noticed while idle (the LISTEN connection is always idle). Whether
 * a socket keeps alive is read where the kernel shows it: `/proc/net/tcp`'s timer column is 2 for
 * an idle socket with a keepalive timer, 0 for one without. And a LISTEN connection ended from the
 * server's side (pg_terminate_backend) is opened again, keepalive and all, and events flow again.
 */

const RELAY = 'reward-gateway event relay';
const WAKE_UPS = 'reward-gateway job wake-ups';

/** The kernel's timer of the TCP socket bound to local `port` (`/proc/net/tcp`, `tcp6`): 0 none, 1 retransmit, 2 keepalive. */
function timerOf(port: number): number | undefined {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length > 5 && fields[1].endsWith(`:${hex}`) && fields[3] === '01') return Number.parseInt(fields[5].split(':')[0], 16);
    }
  }
  return undefined;
}

describe("the gateway's connections to PostgreSQL keep alive", () => {
  let t: TestGateway;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    // a ten-minute poll: only a wake-up through the LISTEN connection gets a sale processed in time
    t = await startTestGateway({}, { jobs: 'background', jobPollMs: 600_000 });
  });
  afterAll(async () => {
    for (const s of sockets) await s.dispose();
    await t.close();
  });

  /** The gateway's backends of this database by application_name, with the client ports their sockets have here. */
  const backends = () =>
    t.sql<{ pid: number; name: string; port: number }>(
      `select pid, application_name as name, client_port as port from pg_stat_activity
        where datname = current_database() and backend_type = 'client backend' and application_name <> $1 and pid <> pg_backend_pid()`,
      [TEST_SQL_APPLICATION],
    );

  /** Whether the socket on `port` shows a keepalive timer (an idle moment is caught within a few samples). */
  const keepsAlive = async (port: number) => {
    for (let i = 0; i < 20; i++) {
      if (timerOf(port) === 2) return true;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return false;
  };

  it('the LISTEN connections (relay, job wake-ups) and the pool connections all keep alive', async () => {
    // requests open the pools' connections (the ORM's and the rate limiter's)
    await createCustomer(t, (await earningProgram(t, 'KA')).currency);
    const found = await backends();
    expect(found.map((b) => b.name)).toEqual(expect.arrayContaining([RELAY, WAKE_UPS]));
    expect(found.every((b) => b.port > 0)).toBe(true); // over TCP, so /proc/net/tcp shows them
    const checked = await Promise.all(found.map(async (b) => ({ name: b.name || '(pool)', keepsAlive: await keepsAlive(b.port) })));
    expect(checked).toEqual(found.map((b) => ({ name: b.name || '(pool)', keepsAlive: true })));
  });

  it('a LISTEN connection terminated by the server is opened again, keeping alive, and events and wake-ups flow again', async () => {
    const { money, currency } = await earningProgram(t, 'KB');
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    const customer = await createCustomer(t, currency);
    const socket = openSocket(t.url, customer.token);
    sockets.push(socket);
    const listening = t.gateway.events.listenerCount();
    const balances = collect<{ balanceChanged: { available: number } }>(socket.client, `subscription { balanceChanged { available } }`);
    await waitFor(() => t.gateway.events.listenerCount() > listening, 15_000, 'the subscription');
    await adjust(t, customer.externalId, currency, 1);
    expect((await balances.until(1))[0].data!.balanceChanged.available).toBe(1);

    const before = await backends();
    const old = before.filter((b) => b.name === RELAY || b.name === WAKE_UPS);
    expect(old).toHaveLength(2);
    await t.sql(`select pg_terminate_backend(pid) from pg_stat_activity where pid = any($1)`, [old.map((b) => b.pid)]);
    const again = await eventually(async () => {
      const now = (await backends()).filter((b) => (b.name === RELAY || b.name === WAKE_UPS) && !old.some((o) => o.pid === b.pid));
      return now.length === 2 ? now : null;
    }, 15_000);
    for (const b of again) expect({ name: b.name, keepsAlive: await keepsAlive(b.port) }).toEqual({ name: b.name, keepsAlive: true });

    // events reach the subscriber through the new relay connection
    await adjust(t, customer.externalId, currency, 2);
    expect((await balances.until(2))[1].data!.balanceChanged.available).toBe(3);
    // and a sale is processed on a wake-up, not the ten-minute poll
    const externalId = unique('sale');
    const input = { externalId, customerExternalId: customer.externalId, occurredAt: t.clock.now().toISOString(), currency: money, lines: [{ sku: 'A', quantity: 1, unitPrice: '1.00' }] };
    ok(await t.gql(SubmitTransactionDocument, { input }, till.credential));
    await eventually(async () => ok(await t.gql(TransactionStatusDocument, { externalId }, till.credential)).transaction?.status === 'PROCESSED', 15_000);
  });
});
