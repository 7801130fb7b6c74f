/**
 * Memory per idle subscription and per request in flight (`npm run build && node dist/bench/memory.js`).
 *
 * The gateway runs in a child process with `--expose-gc` (bench/gateway-server.ts, as `npm run
 * bench` runs it); every figure is taken after a full collection there, as the difference from the
 * figure before, divided by the count:
 *
 * 1. idle subscriptions: BENCH_SUBSCRIPTIONS (1000) graphql-ws clients, one WebSocket each, each
 *    subscribed to the contract's BalanceChanged as the bench customer; then one purchase must
 *    reach every one of them (so they were live), and after they close the memory must come back;
 * 2. requests in flight: the `listing` table is locked from another session, BENCH_IN_FLIGHT (200)
 *    page requests are sent and held (20 waiting in PostgreSQL, the rest for a pooled connection),
 *    then the lock is released and every answer checked.
 *
 * Heap is V8's (JS objects); RSS adds buffers, sockets and the allocator's slack, and moves in
 * pages, so per-item RSS is rougher.
 */
import { fork } from 'node:child_process';
import { GATEWAY_NODE_FLAGS } from './node-flags.js';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type Client } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { ensureDatabase, startEmbeddedPostgres } from '../src/db/embedded.js';
import { migrate, openOrm } from '../src/db/orm.js';
import { toGlobalId } from '../src/graphql/ids.js';
import { signToken } from '../src/http/auth.js';
import type { FromChild, ToChild } from './child.js';
import { contractOperation } from './operations.js';
import { BENCH, benchGatewayEnv, seedBenchProgram } from './seed.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SUBSCRIPTIONS = Number(process.env.BENCH_SUBSCRIPTIONS ?? 1000);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 200);
const POOL = 20;
type Memory = Extract<FromChild, { type: 'memory' }>;

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'reward-gateway-memory-'));
  const postgres = await startEmbeddedPostgres(dir);
  let child: ReturnType<typeof fork> | undefined;
  const clients: Client[] = [];
  try {
    await ensureDatabase(postgres.adminUrl, 'memory');
    const databaseUrl = postgres.urlFor('memory');
    // Every subscription is one customer's own socket: allow them all (the per-caller default is 10).
    const env = { ...benchGatewayEnv(`bench-${randomBytes(24).toString('hex')}`, databaseUrl, POOL), WS_MAX_SOCKETS_PER_CALLER: String(Math.min(100_000, SUBSCRIPTIONS + 10)) };
    const config = loadConfig(env);
    const orm = await openOrm({ url: databaseUrl, poolMax: 4 });
    const program = await migrate(orm).then(() => seedBenchProgram(orm, config, systemClock));
    await orm.close(true);
    const token = await signToken(config, { sub: BENCH.customer });

    child = fork(path.join(here, 'gateway-server.js'), [], { env: { PATH: process.env.PATH ?? '', ...env }, execArgv: ['--expose-gc', ...GATEWAY_NODE_FLAGS], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ask = <T extends FromChild['type']>(type: T, message?: ToChild) =>
      new Promise<Extract<FromChild, { type: T }>>((resolve, reject) => {
        const on = (m: FromChild) => {
          if (m.type === 'failed') reject(new Error(m.message));
          if (m.type !== type) return;
          child!.off('message', on);
          resolve(m as Extract<FromChild, { type: T }>);
        };
        child!.on('message', on);
        if (message) child!.send(message);
      });
    const { url } = await ask('ready');
    const memory = async (): Promise<Memory> => {
      await ask('memory', { type: 'memory' });
      return ask('memory', { type: 'memory' }); // twice: the first collection can leave work for the second
    };

    const page = JSON.stringify({ query: contractOperation('RewardStoreOffers'), variables: { storeId: toGlobalId('RewardStore', program.storeId), first: 20 } });
    const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    const postPage = () =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end(page);
      });
    const purchase = (key: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: contractOperation('PurchaseOffer'), variables: { listingId: toGlobalId('Listing', program.purchaseListingId), idempotencyKey: key } }),
      }).then((r) => r.json() as Promise<{ data?: { purchaseOffer: { userErrors: unknown[] } } }>);

    // Warm: the first requests and the first subscription build what every later one shares.
    let expected = await postPage();
    for (let i = 0; i < 200; i++) if ((await postPage()).body !== expected.body) throw new Error('the page changed during warm-up');
    const subscribe = () =>
      new Promise<{ client: Client; received: () => number }>((resolve, reject) => {
        let received = 0;
        const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, lazy: false, retryAttempts: 0 });
        client.on('connected', () => resolve({ client, received: () => received }));
        client.on('closed', (event) => reject(new Error(`connection closed: ${JSON.stringify(event)}`)));
        client.subscribe({ query: contractOperation('BalanceChanged') }, { next: () => void received++, error: reject, complete: () => undefined });
      });
    const warm = await subscribe();
    await warm.client.dispose();

    // 1. Idle subscriptions.
    const before = await memory();
    const subscribed: { client: Client; received: () => number }[] = [];
    for (let i = 0; i < SUBSCRIPTIONS; i += 50) {
      subscribed.push(...(await Promise.all(Array.from({ length: Math.min(50, SUBSCRIPTIONS - i) }, subscribe))));
    }
    clients.push(...subscribed.map((s) => s.client));
    await sleep(1_000); // the subscribe messages that followed each connection
    const withSubscriptions = await memory();
    const bought = await purchase(`memory-${randomBytes(4).toString('hex')}`);
    if (bought.data?.purchaseOffer.userErrors.length !== 0) throw new Error(`the purchase failed: ${JSON.stringify(bought)}`);
    const deadline = Date.now() + 30_000;
    while (subscribed.some((s) => s.received() < 1) && Date.now() < deadline) await sleep(100);
    const reached = subscribed.filter((s) => s.received() >= 1).length;
    await Promise.all(subscribed.map((s) => s.client.dispose()));
    clients.length = 0;
    await sleep(3_000);
    const afterSubscriptions = await memory();
    // One more event for that customer: a subscription whose client left while it waited for an
    // event ends only when the next one comes (see the note printed below).
    await purchase(`memory-${randomBytes(4).toString('hex')}`);
    await sleep(2_000);
    const afterNextEvent = await memory();

    // 2. Requests in flight: held behind a lock on the listings.
    const locker = new pg.Client({ connectionString: databaseUrl });
    await locker.connect();
    expected = await postPage(); // the purchase changed the balance the page shows
    const beforeRequests = await memory();
    await locker.query('begin');
    await locker.query('lock table listing in access exclusive mode');
    const pending = Array.from({ length: IN_FLIGHT }, postPage);
    const waitingDeadline = Date.now() + 30_000;
    let waiting = 0;
    while (Date.now() < waitingDeadline) {
      const { rows } = await locker.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database() and pid <> pg_backend_pid()`,
      );
      waiting = rows[0].n;
      if (waiting >= Math.min(POOL, IN_FLIGHT)) break;
      await sleep(100);
    }
    await sleep(1_000); // the rest queue for a pooled connection
    const withRequests = await memory();
    await locker.query('commit');
    const answers = await Promise.all(pending);
    await locker.end();
    const wrong = answers.filter((a) => a.status !== 200 || a.body !== expected.body).length;
    const afterRequests = await memory();

    const per = (a: Memory, b: Memory, n: number, key: 'heapUsed' | 'rss' | 'external') => kb((b[key] - a[key]) / n);
    console.log(`Reward Gateway memory — node ${process.version}; gateway process with --expose-gc (collected: ${withSubscriptions.collected}), figures after a full GC`);
    console.log(
      `idle subscriptions: ${SUBSCRIPTIONS} graphql-ws connections × 1 BalanceChanged, as one customer; one purchase reached ${reached} of them\n` +
        `  per subscription (own connection): heap ${per(before, withSubscriptions, SUBSCRIPTIONS, 'heapUsed')}, external ${per(before, withSubscriptions, SUBSCRIPTIONS, 'external')}, RSS ${per(before, withSubscriptions, SUBSCRIPTIONS, 'rss')}\n` +
        `  heap ${mb(before.heapUsed)} → ${mb(withSubscriptions.heapUsed)} → ${mb(afterSubscriptions.heapUsed)} after the clients closed → ${mb(afterNextEvent.heapUsed)} after one more event for that customer; ` +
        `RSS ${mb(before.rss)} → ${mb(withSubscriptions.rss)} → ${mb(afterSubscriptions.rss)} → ${mb(afterNextEvent.rss)}`,
    );
    console.log(
      `requests in flight: ${IN_FLIGHT} page requests held (${waiting} waiting on the lock in PostgreSQL, the rest for one of ${POOL} pooled connections); ${IN_FLIGHT - wrong} of ${IN_FLIGHT} answered the checked page\n` +
        `  per request in flight: heap ${per(beforeRequests, withRequests, IN_FLIGHT, 'heapUsed')}, external ${per(beforeRequests, withRequests, IN_FLIGHT, 'external')}, RSS ${per(beforeRequests, withRequests, IN_FLIGHT, 'rss')}\n` +
        `  heap ${mb(beforeRequests.heapUsed)} → ${mb(withRequests.heapUsed)} → ${mb(afterRequests.heapUsed)} after they finished; RSS ${mb(beforeRequests.rss)} → ${mb(withRequests.rss)} → ${mb(afterRequests.rss)}`,
    );
    if (reached !== SUBSCRIPTIONS || wrong) throw new Error('some subscriptions or requests did not get their answer');
  } finally {
    await Promise.allSettled(clients.map((c) => c.dispose()));
    if (child && child.exitCode === null) {
      child.send({ type: 'stop' } satisfies ToChild);
      await new Promise((resolve) => child!.once('exit', resolve));
    }
    await postgres.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`memory bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
