/**
 * Quick figures for trusted documents (not a test): `npm run build && node dist/bench/persisted.js`.
 * 1. how long registering the contract's partner manifest takes (fresh, then again: no change);
 * 2. latency of the same query sent by id (a partner's persisted operation; APQ by hash) and in
 *    full (the text, by staff), sequential requests interleaved in rounds on one gateway.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { documentChecks } from '../src/graphql/document-rules.js';
import { ensureDatabase, startEmbeddedPostgres } from '../src/db/embedded.js';
import { migrate, openOrm } from '../src/db/orm.js';
import { gatewaySchema } from '../src/graphql/schema.js';
import { signToken } from '../src/http/auth.js';
import { startGateway } from '../src/http/server.js';
import { createPartner, PARTNER_SCOPES } from '../src/partners/partner.service.js';
import { contractPartnerManifest } from '../src/persisted/contract.js';
import { partnerClient, registerManifest } from '../src/persisted/persisted.service.js';
import { upsertCustomer } from '../src/customers/customer.service.js';
import type { Ctx } from '../src/context.js';

const ROUNDS = 5;
const PER_ROUND = Number(process.env.BENCH_REQUESTS ?? 400);

const dir = await mkdtemp(path.join(os.tmpdir(), 'rg-bench-pq-'));
const pgServer = await startEmbeddedPostgres(dir);
try {
  await ensureDatabase(pgServer.adminUrl, 'bench');
  const url = pgServer.urlFor('bench');
  const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'bench-secret-that-is-long-enough-for-hs256!!', DATABASE_URL: url });
  const orm = await openOrm({ url, poolMax: 10 });
  await migrate(orm);
  const log = pino({ level: 'silent' });
  const caller = { kind: 'staff' as const, staffId: 'bench', role: 'operator' as const };
  const em = orm.em.fork();
  const ctx: Ctx = { em, caller, clock: systemClock, config, log };
  const schema = await gatewaySchema();
  const manifest = await contractPartnerManifest();

  // 1. registration
  const times: number[] = [];
  const repeats: number[] = [];
  let apiKey = '';
  for (let i = 0; i < 5; i++) {
    const created = await createPartner(ctx, { name: `bench-${i}`, scopes: [...PARTNER_SCOPES] });
    apiKey = created.apiKey;
    let started = performance.now();
    const first = await registerManifest(orm.em.fork(), { schema, client: partnerClient(created.partner.id), manifest, actor: 'bench', now: new Date(), checks: documentChecks(config) });
    times.push(performance.now() - started);
    started = performance.now();
    const again = await registerManifest(orm.em.fork(), { schema, client: partnerClient(created.partner.id), manifest, actor: 'bench', now: new Date(), checks: documentChecks(config) });
    repeats.push(performance.now() - started);
    if (first.count !== manifest.operations.length || again.count !== 0) throw new Error('unexpected counts');
  }
  const ms = (xs: number[]) => `median ${median(xs).toFixed(1)} ms (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})`;
  console.log(`register the contract partner manifest (${manifest.operations.length} operations), 5 runs: first ${ms(times)}; again (no change) ${ms(repeats)}`);

  // 2. latency
  const gateway = await startGateway({ config, orm, databaseUrl: url, clock: systemClock, log }, 0, '127.0.0.1');
  await upsertCustomer(ctx, { externalId: 'bench-alice', name: 'Alice' });
  const op = manifest.operations.find((o) => o.name === 'CustomerByExternalId')!;
  const staff = await signToken(config, { sub: 'bench', role: 'operator' });
  const variables = { externalId: 'bench-alice' };
  const send = async (headers: Record<string, string>, body: unknown) => {
    const res = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const json = (await res.json()) as { errors?: unknown };
    if (json.errors) throw new Error(JSON.stringify(json.errors));
  };
  const persistedQuery = { version: 1, sha256Hash: op.id };
  const kinds: Record<string, () => Promise<void>> = {
    'partner, by id (persisted)': () => send({ 'x-api-key': apiKey }, { extensions: { persistedQuery }, variables }),
    'staff, by APQ hash': () => send({ authorization: `Bearer ${staff}` }, { extensions: { persistedQuery }, variables }),
    'staff, the full text': () => send({ authorization: `Bearer ${staff}` }, { query: op.body, variables }),
  };
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
  for (const run of Object.values(kinds)) for (let i = 0; i < 100; i++) await run(); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of Object.entries(kinds)) {
      for (let i = 0; i < PER_ROUND; i++) {
        const started = performance.now();
        await run();
        samples[name].push(performance.now() - started);
      }
    }
  }
  const base = median(samples['staff, the full text']);
  for (const [name, xs] of Object.entries(samples)) {
    console.log(`${name.padEnd(28)} ${xs.length} requests: median ${median(xs).toFixed(3)} ms, p95 ${quantile(xs, 0.95).toFixed(3)} ms (${(median(xs) / base).toFixed(2)}× the full text)`);
  }
  await gateway.close();
  await orm.close(true);
} finally {
  await pgServer.stop();
  await rm(dir, { recursive: true, force: true });
}

function quantile(xs: number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
function median(xs: number[]): number {
  return quantile(xs, 0.5);
}
