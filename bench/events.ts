/**
 * Event delivery benchmark (issue 10), not part of `npm test`: `npm run bench:events`
 * (see bench/README.md, "Event delivery").
 *
 * On a fresh database (the PostgreSQL at EVENTS_BENCH_ADMIN_URL, default the local one on
 * 127.0.0.1:5432) it measures, against gateway processes of its own (bench/events-server.ts):
 * 1. purchases per second with 16 concurrent buyers (each its own customer, each with a
 *    subscriber listening), relay on (EVENT_FANOUT=postgres) vs off, in alternating rounds;
 * 2. N idle subscribers (BENCH_SUBSCRIBERS, 10 sockets per customer) on one instance, and split
 *    over two: server heap per idle subscriber (after full GCs), then events delivered per second
 *    and the delay from commit to delivery (p50/p99) at a steady rate and in a burst.
 * It prints figures and ratios, and never asserts a time.
 */
import { fork, type ChildProcess } from 'node:child_process';
import WebSocket from 'ws';
import path from 'node:path';
import pg from 'pg';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { migrate, openOrm } from '../src/db/orm.js';
import { upsertCustomer } from '../src/customers/customer.service.js';
import { Loaders } from '../src/graphql/loaders.js';
import { toGlobalId } from '../src/graphql/ids.js';
import { signToken } from '../src/http/auth.js';
import { LedgerEntryKind, LedgerSource } from '../src/points/ledger-entry.entity.js';
import { postEntry } from '../src/points/ledger.service.js';
import pino from 'pino';
import { BENCH, seedBenchProgram } from './seed.js';
import type { FromEventsServer, ToEventsServer } from './events-server.js';

const here = import.meta.dirname;
const ADMIN_URL = process.env.EVENTS_BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const JWT_SECRET = 'bench-secret-that-is-long-enough-for-hs256!!';
const BUYERS = Number(process.env.BENCH_BUYERS ?? 16);
const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const PURCHASE = `mutation PurchaseOffer($listingId: ID!, $idempotencyKey: String!) {
  purchaseOffer(input: { listingId: $listingId, idempotencyKey: $idempotencyKey }) {
    purchase { id pointsPaid issuedOffer { id code status expiresAt offer { id name version } } }
    balance { currency { code } available }
    userErrors { code field message }
  }
}`;

/** A gateway in its own process, so the load generator does not share its event loop. */
export class GatewayProcess {
  url = '';
  private waiting: ((m: FromEventsServer) => void) | undefined;
  private output = '';
  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: FromEventsServer) => this.waiting?.(m));
    child.stdout?.on('data', (c) => (this.output = (this.output + c).slice(-4000)));
    child.stderr?.on('data', (c) => (this.output = (this.output + c).slice(-4000)));
  }

  /** `script`: another build's events-server.js (the baseline's, see BENCH_BASELINE). */
  static async start(env: Record<string, string>, script = path.join(here, 'events-server.js')): Promise<GatewayProcess> {
    const child = fork(script, [], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      execArgv: ['--expose-gc', '--max-old-space-size=4096'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const server = new GatewayProcess(child);
    const ready = await server.ask(undefined, 60_000);
    if (ready.type !== 'ready') throw new Error(`gateway failed: ${JSON.stringify(ready)}\n${server.output}`);
    server.url = ready.url;
    return server;
  }

  ask(message: ToEventsServer | undefined, timeoutMs = 60_000): Promise<FromEventsServer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from the gateway process\n${this.output}`)), timeoutMs);
      this.waiting = (m) => {
        clearTimeout(timer);
        this.waiting = undefined;
        resolve(m);
      };
      if (message) this.child.send(message);
    });
  }

  async heap(): Promise<{ heapUsed: number; rss: number; subscribers: number }> {
    const m = await this.ask({ type: 'heap' });
    if (m.type !== 'heap') throw new Error('unexpected answer');
    return m;
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send({ type: 'stop' });
    await exited;
  }
}

export interface BenchDatabase {
  url: string;
  listingId: string;
  buyers: { externalId: string; customerId: number; token: string }[];
  drop(): Promise<void>;
}

/** A fresh database, migrated and seeded (the read benchmark's program plus `buyers` customers with large balances). */
export async function benchDatabase(buyerCount: number): Promise<BenchDatabase> {
  const name = `rg_bench_events_${process.pid}_n`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET, DATABASE_URL: url.toString() });
  const orm = await openOrm({ url: url.toString(), poolMax: 4 });
  await migrate(orm);
  const program = await seedBenchProgram(orm, config, systemClock);
  const buyers: BenchDatabase['buyers'] = [];
  await orm.em.fork().transactional(async (tx) => {
    const caller = { kind: 'staff' as const, staffId: 'bench', role: 'operator' as const };
    const ctx = { em: tx, caller, clock: systemClock, config, log: pino({ level: 'silent' }), loaders: new Loaders(tx, caller, systemClock, config) };
    for (let i = 0; i < buyerCount; i++) {
      const externalId = `bench-buyer-${i}`;
      const customer = await upsertCustomer(ctx, { externalId, name: `Buyer ${i}` });
      await postEntry(tx, { customerId: customer.id, currency: BENCH.currency, amount: BENCH.balance, kind: LedgerEntryKind.EARN, source: LedgerSource.SEED, reason: 'Benchmark balance', actor: 'system', qualifying: true, now: systemClock.now() });
      buyers.push({ externalId, customerId: customer.id, token: await signToken(config, { sub: externalId }, 86_400) });
    }
  });
  await orm.close(true);
  return {
    url: url.toString(),
    listingId: toGlobalId('Listing', program.purchaseListingId),
    buyers,
    drop: async () => {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export function gatewayEnv(db: BenchDatabase, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'production',
    JWT_SECRET,
    DATABASE_URL: db.url,
    DB_POOL_MAX: '20',
    JOBS_ENABLED: 'false',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_CUSTOMER: '0',
    RATE_LIMIT_PARTNER: '0',
    RATE_LIMIT_STAFF: '0',
    RATE_LIMIT_ANONYMOUS: '0',
    RATE_LIMIT_WS_CONNECT: '0',
    ...extra,
  };
}

let keySeq = 0;
/** Purchases per second with every buyer buying in a loop for `seconds`. */
export async function purchaseRound(url: string, db: BenchDatabase, seconds: number): Promise<{ perSecond: number; failed: number }> {
  const until = Date.now() + seconds * 1000;
  let done = 0;
  let failed = 0;
  const started = Date.now();
  await Promise.all(
    db.buyers.map(async (buyer) => {
      while (Date.now() < until) {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${buyer.token}` },
          body: JSON.stringify({ query: PURCHASE, variables: { listingId: db.listingId, idempotencyKey: `bench-${process.pid}-${++keySeq}` } }),
        });
        const body = (await res.json()) as { data?: { purchaseOffer?: { purchase?: unknown } }; errors?: unknown };
        if (body.data?.purchaseOffer?.purchase) done++;
        else failed++;
      }
    }),
  );
  return { perSecond: done / ((Date.now() - started) / 1000), failed };
}

/** Turns the old design's per-row NOTIFY trigger off or on (no-op when the table has none). */
async function setNotifyTrigger(db: BenchDatabase, on: boolean): Promise<void> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  const { rows } = await c.query(`select 1 from pg_trigger where tgname = 'outbox_event_notify'`);
  if (rows.length) await c.query(`alter table outbox_event ${on ? 'enable' : 'disable'} trigger outbox_event_notify`);
  await c.end();
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);

/**
 * The code before this change, to compare in the same run (same load on a shared machine):
 * BENCH_BASELINE=<dist of a build of the base commit with bench/events*.ts and a setup-db.js that
 * prints its seeded database> (bench/README.md says how it was made).
 */
const BASELINE = process.env.BENCH_BASELINE;

async function baselineDatabase(): Promise<BenchDatabase> {
  const { execFile } = await import('node:child_process');
  const out = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, [path.join(BASELINE!, 'bench/setup-db.js')], { env: { ...process.env, BENCH_BUYERS: String(BUYERS) } }, (e, stdout) => (e ? reject(e) : resolve(stdout))),
  );
  const db = JSON.parse(out.trim().split('\n').at(-1)!) as Omit<BenchDatabase, 'drop'>;
  const name = new URL(db.url).pathname.slice(1);
  return {
    ...db,
    drop: async () => {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

type Variant = { name: string; db: BenchDatabase; relay: boolean; script?: string };

async function purchaseBench(db: BenchDatabase): Promise<void> {
  const baseline = BASELINE ? await baselineDatabase() : undefined;
  const variants: Variant[] = [
    { name: 'this code, relay on ', db, relay: true },
    { name: 'this code, relay off', db, relay: false },
    ...(baseline
      ? [
          { name: 'before,    relay on ', db: baseline, relay: true, script: path.join(BASELINE!, 'bench/events-server.js') },
          { name: 'before,    relay off', db: baseline, relay: false, script: path.join(BASELINE!, 'bench/events-server.js') },
        ]
      : []),
  ];
  console.log(`\n## Purchases, ${db.buyers.length} concurrent buyers (each with a subscriber), ${ROUNDS} rounds of ${ROUND_SECONDS} s per variant, order rotated each round`);
  console.log('  (relay off: this code EVENT_FANOUT=off; before: its NOTIFY trigger disabled)');
  const results = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const order = variants.map((_, i) => variants[(i + round) % variants.length]);
      for (const v of order) {
        await setNotifyTrigger(v.db, v.relay);
        const server = await GatewayProcess.start(gatewayEnv(v.db, { EVENT_FANOUT: v.relay ? 'postgres' : 'off' }), v.script);
        // every buyer has an app listening to its balance: with the relay on, each purchase is delivered
        const listeners = await Promise.all(v.db.buyers.map((b) => RawSubscriber.open(server.url, b.token, () => undefined)));
        await purchaseRound(server.url, v.db, 1.5); // warm-up
        const r = await purchaseRound(server.url, v.db, ROUND_SECONDS);
        listeners.forEach((l) => l.close());
        await server.stop();
        results.get(v.name)!.push(r.perSecond);
        console.log(`  round ${round + 1} ${v.name}: ${fmt(r.perSecond)} purchases/s${r.failed ? ` (${r.failed} failed)` : ''}`);
      }
    }
  } finally {
    if (baseline) await setNotifyTrigger(baseline, true);
    await baseline?.drop();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const m = (name: string) => median(results.get(name)!);
  console.log(`  medians: ${variants.map((v) => `${v.name.trim()} ${fmt(m(v.name))}/s`).join('; ')}`);
  console.log(`  this code: relay on/off ${fmt(m(variants[0].name) / m(variants[1].name), 2)}`);
  if (baseline) {
    console.log(`  before: relay on/off ${fmt(m(variants[2].name) / m(variants[3].name), 2)}`);
    console.log(`  relay on, this code / before: ${fmt(m(variants[0].name) / m(variants[2].name), 2)}`);
  }
}

/**
 * A subscriber as thin as the protocol allows (graphql-transport-ws by hand on `ws`), so ten
 * thousand of them fit in the benchmark process: `onEvent` gets each balance event's `available`.
 */
class RawSubscriber {
  private constructor(private readonly socket: WebSocket) {}

  static open(url: string, token: string, onEvent: (available: number) => void, query = 'subscription { balanceChanged { available } }'): Promise<RawSubscriber> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws', { perMessageDeflate: false });
      socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string; payload?: { data?: { balanceChanged?: { available: number } } } };
        if (message.type === 'connection_ack') {
          socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
          resolve(new RawSubscriber(socket));
        } else if (message.type === 'next' && message.payload?.data?.balanceChanged) {
          onEvent(message.payload.data.balanceChanged.available);
        } else if (message.type === 'ping') {
          socket.send(JSON.stringify({ type: 'pong' }));
        }
      });
      socket.on('error', reject);
      socket.on('close', (code, reason) => reject(new Error(`closed ${code} ${reason}`)));
    });
  }

  close(): void {
    this.socket.terminate();
  }
}

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 10_000);
const PER_CUSTOMER = 10;
const STEADY_RATE = Number(process.env.BENCH_EVENT_RATE ?? 100);
const STEADY_SECONDS = Number(process.env.BENCH_EVENT_SECONDS ?? 10);
const BURST = Number(process.env.BENCH_BURST ?? 2_000);

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

/** Customers that only listen, written straight to the table, with tokens. */
async function listeners(db: BenchDatabase, count: number): Promise<{ id: number; token: string }[]> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  const { rows } = await c.query<{ id: string; external_id: string }>(
    `insert into customer (external_id, name) select 'bench-listener-' || g, 'Listener' from generate_series(1, $1::int) g returning id, external_id`,
    [count],
  );
  await c.end();
  const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET, DATABASE_URL: db.url });
  return Promise.all(rows.map(async (r) => ({ id: Number(r.id), token: await signToken(config, { sub: r.external_id }, 86_400) })));
}

/**
 * Opens `SUBSCRIBERS` subscribers spread over `instances` gateway processes and measures heap per
 * idle subscriber, then delivery: events written as transactions do (one outbox row per commit),
 * each to one customer and so to that customer's 10 subscribers; the delay of each delivery is
 * taken from the moment its commit returned to the writer.
 */
async function subscriberBench(db: BenchDatabase, instances: number): Promise<void> {
  console.log(`\n## ${SUBSCRIBERS} idle subscribers (${PER_CUSTOMER} per customer) on ${instances} instance${instances > 1 ? 's' : ''}`);
  const customers = await listeners(db, Math.ceil(SUBSCRIBERS / PER_CUSTOMER));
  const servers = await Promise.all(Array.from({ length: instances }, () => GatewayProcess.start(gatewayEnv(db, { EVENT_FANOUT: 'postgres', DB_POOL_MAX: '10' }))));
  const heapBefore = await Promise.all(servers.map((s) => s.heap()));
  const sentAt = new Map<number, number>();
  const delays: number[] = [];
  let delivered = 0;
  const onEvent = (available: number) => {
    delivered++;
    const t0 = sentAt.get(available);
    if (t0 !== undefined) delays.push(performance.now() - t0);
  };
  const subscribers: RawSubscriber[] = [];
  const opening = Date.now();
  for (let i = 0; i < SUBSCRIBERS; i += 200) {
    const batch = Array.from({ length: Math.min(200, SUBSCRIBERS - i) }, (_, j) => i + j);
    subscribers.push(...(await Promise.all(batch.map((k) => RawSubscriber.open(servers[k % instances].url, customers[Math.floor(k / PER_CUSTOMER)].token, onEvent)))));
  }
  for (;;) {
    const heaps = await Promise.all(servers.map((s) => s.heap()));
    if (heaps.reduce((n, h) => n + h.subscribers, 0) >= SUBSCRIBERS) {
      const heapGrowth = heaps.reduce((n, h, i) => n + h.heapUsed - heapBefore[i].heapUsed, 0);
      const rssGrowth = heaps.reduce((n, h, i) => n + h.rss - heapBefore[i].rss, 0);
      console.log(`  connected and subscribed in ${((Date.now() - opening) / 1000).toFixed(1)} s`);
      console.log(`  server heap per idle subscriber (socket + subscription, after full GC): ${fmt(heapGrowth / SUBSCRIBERS / 1024)} kB; RSS per subscriber ${fmt(rssGrowth / SUBSCRIBERS / 1024)} kB; RSS ${heaps.map((h) => `${fmt(h.rss / 1024 / 1024, 0)} MB`).join(' + ')}`);
      break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  const writer = new pg.Client({ connectionString: db.url });
  await writer.connect();
  let seq = 0;
  const commit = async (count: number) => {
    const ids = Array.from({ length: count }, () => ++seq);
    const targets = ids.map((k) => customers[k % customers.length].id);
    const t0 = performance.now();
    await writer.query(
      `insert into outbox_event (topic, customer_id, payload)
       select 'BALANCE_CHANGED', c, jsonb_build_object('currency', 'BENCH', 'available', k, 'pending', 0, 'lifetimeEarned', k) from unnest($1::bigint[], $2::int[]) as u(c, k)`,
      [targets, ids],
    );
    const done = performance.now();
    for (const k of ids) sentAt.set(k, done);
    return done - t0;
  };

  // steady: STEADY_RATE commits per second, one event each
  delays.length = 0;
  delivered = 0;
  const started = performance.now();
  for (let i = 0; i < STEADY_RATE * STEADY_SECONDS; i++) {
    await commit(1);
    const due = started + ((i + 1) * 1000) / STEADY_RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const expected = STEADY_RATE * STEADY_SECONDS * PER_CUSTOMER;
  const deadline = performance.now() + 30_000;
  while (delivered < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const steady = [...delays].sort((a, b) => a - b);
  console.log(
    `  steady ${STEADY_RATE} commits/s for ${STEADY_SECONDS} s: ${delivered}/${expected} deliveries, commit→delivery p50 ${fmt(percentile(steady, 50))} ms, p99 ${fmt(percentile(steady, 99))} ms, max ${fmt(steady.at(-1) ?? NaN)} ms`,
  );

  // burst: BURST events in commits of 50, as fast as the writer goes
  delays.length = 0;
  delivered = 0;
  const burstStart = performance.now();
  for (let i = 0; i < BURST; i += 50) await commit(Math.min(50, BURST - i));
  const burstExpected = BURST * PER_CUSTOMER;
  const burstDeadline = performance.now() + 60_000;
  while (delivered < burstExpected && performance.now() < burstDeadline) await new Promise((r) => setTimeout(r, 20));
  const burstSeconds = (performance.now() - burstStart) / 1000;
  const burst = [...delays].sort((a, b) => a - b);
  console.log(
    `  burst of ${BURST} events: ${delivered}/${burstExpected} deliveries in ${fmt(burstSeconds, 2)} s = ${fmt(delivered / burstSeconds, 0)} deliveries/s, p50 ${fmt(percentile(burst, 50))} ms, p99 ${fmt(percentile(burst, 99))} ms`,
  );

  await writer.end();
  subscribers.forEach((s) => s.close());
  await Promise.all(servers.map((s) => s.stop()));
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  await c.query(`delete from outbox_event where customer_id in (select id from customer where external_id like 'bench-listener-%')`);
  await c.query(`delete from event_stream where customer_id in (select id from customer where external_id like 'bench-listener-%')`).catch(() => undefined);
  await c.query(`delete from customer where external_id like 'bench-listener-%'`);
  await c.end();
}

async function main(): Promise<void> {
  const os = await import('node:os');
  const sections = (process.env.BENCH_SECTIONS ?? 'purchases,subscribers').split(',');
  console.log(`# Event delivery benchmark (load average ${os.loadavg()[0].toFixed(2)} at start, ${os.cpus().length} CPUs)`);
  const db = await benchDatabase(BUYERS);
  try {
    if (sections.includes('purchases')) await purchaseBench(db);
    if (sections.includes('subscribers')) for (const n of (process.env.BENCH_INSTANCES ?? '1,2').split(',').map(Number)) await subscriberBench(db, n);
  } finally {
    await db.drop();
  }
  console.log(`\n(load average ${os.loadavg()[0].toFixed(2)} at the end)`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(here, 'events.js')) {
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
