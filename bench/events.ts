/**
 * Event delivery benchmark (issue 10), not part of `npm test`: `npm run bench:events`.
 *
 * On a fresh database (the PostgreSQL at EVENTS_BENCH_ADMIN_URL, default the local one on
 * 127.0.0.1:5432) it measures, against gateway processes of its own (bench/events-server.ts):
 * 1. purchases per second with 16 concurrent buyers (each its own customer), relay on vs off,
 *    in alternating rounds;
 * (further sections are added by the subscriber measurements below).
 * It prints figures and ratios, and never asserts a time.
 */
import { fork, type ChildProcess } from 'node:child_process';
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

  static async start(env: Record<string, string>): Promise<GatewayProcess> {
    const child = fork(path.join(here, 'events-server.js'), [], {
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
  const name = `rg_bench_events_${process.pid}`;
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

async function purchaseBench(db: BenchDatabase): Promise<void> {
  console.log(`\n## Purchases, ${db.buyers.length} concurrent buyers, ${ROUNDS} rounds of ${ROUND_SECONDS} s per mode (alternating)`);
  const results: Record<'on' | 'off', number[]> = { on: [], off: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of round % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
      await setNotifyTrigger(db, mode === 'on');
      const server = await GatewayProcess.start(gatewayEnv(db, { EVENT_RELAY: mode }));
      await purchaseRound(server.url, db, 1.5); // warm-up
      const r = await purchaseRound(server.url, db, ROUND_SECONDS);
      await server.stop();
      results[mode].push(r.perSecond);
      console.log(`  round ${round + 1} relay ${mode}: ${fmt(r.perSecond)} purchases/s${r.failed ? ` (${r.failed} failed)` : ''}`);
    }
  }
  await setNotifyTrigger(db, true);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`  median: relay on ${fmt(median(results.on))}/s, relay off ${fmt(median(results.off))}/s, on/off ${fmt(median(results.on) / median(results.off), 2)}`);
}

async function main(): Promise<void> {
  const load = (await import('node:os')).loadavg()[0];
  console.log(`# Event delivery benchmark (load average ${load.toFixed(2)} at start, ${(await import('node:os')).cpus().length} CPUs)`);
  const db = await benchDatabase(BUYERS);
  try {
    await purchaseBench(db);
  } finally {
    await db.drop();
  }
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
