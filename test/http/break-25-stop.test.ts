import net from 'node:net';
import pg from 'pg';
import { compiledGateway } from '../support/build.js';
import { within10s } from '../support/freeze.js';
import { createMigratedDatabase, HIGH_RATE_LIMITS, TEST_JWT_SECRET, TEST_SQL_APPLICATION } from '../support/gateway.js';
import { printed, spawnGateway, stopReport } from '../support/processes.js';
import { adjustBeans, adjustmentLoad, gatewayUrl, replayedLedger, tokenFor } from '../support/signal-load.js';

interface Raw {
  socket: net.Socket;
  text(): string;
  error(): string | undefined;
  closed: Promise<void>;
}

async function raw(port: number): Promise<Raw> {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  let text = '';
  let error: string | undefined;
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  socket.on('error', (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  // a client with nothing more to send closes its side when the gateway closes its own
  socket.once('end', () => socket.end());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return { socket, text: () => text, error: () => error, closed };
}

const statuses = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3})[^]*?"code":"([A-Z_]+)"/g)].map((m) => `${m[1]} ${m[2]}`);
const post = (body: string) => `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

/**
 * break-25: hostile clients around a stop of the compiled gateway: a slowloris of 1,000 silent
 * connections, two pipelined requests sent after the stop, an upload that never ends, and the stop
 * signalled three times (SIGTERM, SIGTERM, SIGINT). Every wait is on an event or a log line.
 */
describe('a stop with hostile clients (break-25)', () => {
  let build: string;
  beforeAll(async () => {
    build = await compiledGateway();
  }, 600_000);

  it('1,000 silent connections, pipelined late requests and an endless upload: each answered 503 SHUTTING_DOWN or closed cleanly; SIGTERM twice and SIGINT; exit 0, "stopped"', async () => {
    const db = await createMigratedDatabase();
    const gateway = spawnGateway(build, { DATABASE_URL: db.url, SEED_DEMO: 'false', JWT_SECRET: TEST_JWT_SECRET, JOBS_ENABLED: 'false', SHUTDOWN_DRAIN_DELAY_MS: '0' });
    const all: Raw[] = [];
    try {
      await gateway.until(/"msg":"gateway ready"/, 120_000);
      const port = Number(new URL(gatewayUrl(gateway)).port);
      const silent: Raw[] = [];
      for (let i = 0; i < 1000; i++) silent.push(await raw(port));
      all.push(...silent);
      const pipelined = await raw(port);
      // Two uploads that never end (chunked), started before the stop: one sends as fast as it can
      // until it is answered 413 past BODY_LIMIT_BYTES (what it sent is still arriving); the other
      // sends a little at a client's pace, within the limit, for as long as the gateway reads.
      const fast = await raw(port);
      const slow = await raw(port);
      all.push(pipelined, fast, slow);
      const head = 'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
      const endless = (client: Raw, chunk: string, paced: boolean) => {
        let sending = true;
        const stop = () => void (sending = false);
        client.socket.once('end', stop);
        client.socket.once('close', stop);
        client.socket.write(head);
        if (paced) {
          const pace = setInterval(() => (sending && !client.socket.destroyed ? client.socket.write(chunk) : clearInterval(pace)), 20);
          return stop;
        }
        const pump = () => {
          while (sending && !client.socket.destroyed && !client.socket.writableEnded) if (!client.socket.write(chunk)) return void client.socket.once('drain', pump);
        };
        pump();
        return stop;
      };

      // the fast one stops sending once its answer starts to come (RFC 9112 §9.6: a client sending a
      // body watches for an error answer and stops); what it sent is still arriving
      fast.socket.once('data', endless(fast, `400\r\n${'a'.repeat(0x400)}\r\n`, false));
      await within10s(new Promise<void>((resolve) => fast.socket.on('data', () => fast.text().includes('PAYLOAD_TOO_LARGE') && resolve())), 'the 413');
      endless(slow, '4\r\naaaa\r\n', true);
      // the gateway has accepted every connection above once a later one is answered
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      const stopping = printed(gateway, 'shutting down: finishing in-flight requests');

      process.kill(gateway.child.pid!, 'SIGTERM');
      await within10s(stopping, 'the stop begun');
      process.kill(gateway.child.pid!, 'SIGTERM');
      pipelined.socket.write(post('{"query":"{ __typename }"}') + post('{"query":"{ __typename }"}'));
      process.kill(gateway.child.pid!, 'SIGINT');
      await within10s(Promise.all(all.map((c) => c.closed)), 'every connection closed');
      const code = await within10s(gateway.exited, 'the gateway exited');
      const { stopped, errors } = stopReport(gateway, code);

      expect({
        silent: { answered: silent.filter((c) => c.text() !== '').length, errors: [...new Set(silent.map((c) => c.error()).filter(Boolean))] },
        pipelined: { answers: statuses(pipelined.text()).slice(0, 1), error: pipelined.error() },
        fast: { answers: statuses(fast.text()), error: fast.error() },
        slow: { answers: statuses(slow.text()), error: slow.error() },
        exit: { code, stopped, errors },
      }).toEqual({
        silent: { answered: 0, errors: [] },
        pipelined: { answers: ['503 SHUTTING_DOWN'], error: undefined },
        fast: { answers: ['413 PAYLOAD_TOO_LARGE'], error: undefined },
        slow: { answers: ['503 SHUTTING_DOWN'], error: undefined },
        exit: { code: 0, stopped: true, errors: [] },
      });
    } finally {
      for (const client of all) client.socket.destroy();
      if (gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
      await db.drop();
    }
  }, 240_000);

  it('points adjusted by four clients while 1,000 silent connections are open, then SIGTERM, SIGTERM, SIGINT: exit 0, "stopped", every key one entry, balances equal their ledgers', async () => {
    const db = await createMigratedDatabase();
    const env = { SEED_DEMO: 'true', JWT_SECRET: TEST_JWT_SECRET, JOBS_ENABLED: 'true', JOB_POLL_MS: '100', SHUTDOWN_DRAIN_DELAY_MS: '0', ...HIGH_RATE_LIMITS };
    let gateway = spawnGateway(build, { ...env, DATABASE_URL: db.url });
    const admin = new pg.Client({ connectionString: db.url, application_name: TEST_SQL_APPLICATION });
    await admin.connect();
    const silent: Raw[] = [];
    try {
      await gateway.until(/"msg":"gateway ready"/, 120_000);
      const url = gatewayUrl(gateway);
      const port = Number(new URL(url).port);
      const op = await tokenFor('staff-olivia', 'operator');
      expect(await adjustBeans(url, op, 'cust-alice', 100_000, 'b25-seed', 'seed')).toBe(true);
      for (let i = 0; i < 1000; i++) silent.push(await raw(port));
      const load = adjustmentLoad(() => url, op, 'b25');
      // the load is under way once the ledger holds some of its entries
      for (;;) {
        const { rows } = await admin.query<{ n: number }>(`select count(*)::int as n from ledger_entry where reason = 'b3'`);
        if (rows[0].n >= 20) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      const stopping = printed(gateway, 'shutting down: finishing in-flight requests');
      process.kill(gateway.child.pid!, 'SIGTERM');
      await within10s(stopping, 'the stop begun');
      process.kill(gateway.child.pid!, 'SIGTERM');
      process.kill(gateway.child.pid!, 'SIGINT');
      const code = await within10s(gateway.exited, 'the gateway exited');
      await load.stop();
      await within10s(Promise.all(silent.map((c) => c.closed)), 'every silent connection closed');
      const { stopped, errors } = stopReport(gateway, code);
      gateway = spawnGateway(build, { ...env, DATABASE_URL: db.url });
      await gateway.until(/"msg":"gateway ready"/, 120_000);
      const ledger = await replayedLedger(gatewayUrl(gateway), op, load.keys, admin);
      expect({
        exit: { code, stopped, errors },
        silent: { answered: silent.filter((c) => c.text() !== '').length, errors: [...new Set(silent.map((c) => c.error()).filter(Boolean))] },
        ...ledger,
      }).toEqual({ exit: { code: 0, stopped: true, errors: [] }, silent: { answered: 0, errors: [] }, refused: 0, entries: load.keys.length, violations: [] });
    } finally {
      for (const client of silent) client.socket.destroy();
      if (gateway.child.exitCode === null) gateway.child.kill('SIGTERM');
      await gateway.exited;
      await admin.end();
      await db.drop();
    }
  }, 300_000);
});
