/** THROWAWAY (fifth session): the page's statements on one connection, serially; time per run, and plans. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { ensureDatabase, startEmbeddedPostgres } from '../src/db/embedded.js';
import { migrate, openOrm } from '../src/db/orm.js';
import { CUSTOMER, LISTINGS, STORE } from './floor-statements.js';
import { ALL, MERGED, MERGED_FIRST, MERGED_ID, MERGED_UNION, TRIVIAL, CUSTOMER_SLIM, once, STORE_ONCE, LISTINGS_ONCE, MERGED_VB, STORE_BARE } from './floor-variants.js';
import { BENCH, benchGatewayEnv, seedBenchProgram } from './seed.js';

once(STORE.text, LISTINGS.text);
const dir = await mkdtemp(path.join(os.tmpdir(), 'rg-exp-'));
const postgres = await startEmbeddedPostgres(dir);
try {
  await ensureDatabase(postgres.adminUrl, 'exp');
  const url = postgres.urlFor('exp');
  const config = loadConfig(benchGatewayEnv('x'.repeat(40), url, 4));
  const orm = await openOrm({ url, poolMax: 4 });
  await migrate(orm);
  const program = await seedBenchProgram(orm, config, systemClock);
  await orm.close(true);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  client.on('error', () => {});
  await client.query('vacuum analyze');
  const customer = (await client.query({ ...CUSTOMER, values: [BENCH.customer] })).rows[0];
  const storeId = program.storeId;
  const variants: Record<string, () => Promise<unknown>> = {
    '3': async () => {
      const now = new Date();
      await client.query({ ...CUSTOMER, values: [BENCH.customer] });
      await client.query({ ...STORE, values: [storeId, now, now, customer.id, now, customer.segments, now, customer.id, now, customer.id] });
      await client.query({ ...LISTINGS, values: [now, customer.id, customer.id, storeId, null, null, null, now, now, now, 21] });
    },
    '2': async () => {
      const now = new Date();
      await client.query({ ...CUSTOMER, values: [BENCH.customer] });
      await client.query({ ...MERGED, values: [now, customer.id, customer.segments, storeId, null, null, 21] });
    },
    '1': async () => {
      await client.query({ ...ALL, values: [BENCH.customer, new Date(), storeId, null, null, 21] });
    },
    store: async () => {
      const now = new Date();
      await client.query({ ...STORE, values: [storeId, now, now, customer.id, now, customer.segments, now, customer.id, now, customer.id] });
    },
    listings: async () => {
      const now = new Date();
      await client.query({ ...LISTINGS, values: [now, customer.id, customer.id, storeId, null, null, null, now, now, now, 21] });
    },
    mergedFirst: async () => {
      await client.query({ ...MERGED_FIRST, values: [new Date(), customer.id, customer.segments, storeId, null, null, 21] });
    },
    mergedId: async () => {
      await client.query({ ...MERGED_ID, values: [new Date(), customer.id, customer.segments, storeId, null, null, 21] });
    },
    mergedUnion: async () => {
      await client.query({ ...MERGED_UNION, values: [new Date(), customer.id, customer.segments, storeId, null, null, 21] });
    },
    '2u': async () => {
      const now = new Date();
      await client.query({ ...CUSTOMER, values: [BENCH.customer] });
      await client.query({ ...MERGED_UNION, values: [now, customer.id, customer.segments, storeId, null, null, 21] });
    },
    '3s': async () => {
      const now = new Date();
      await client.query({ ...CUSTOMER_SLIM, values: [BENCH.customer] });
      await client.query({ ...STORE, values: [storeId, now, now, customer.id, now, customer.segments, now, customer.id, now, customer.id] });
      await client.query({ ...LISTINGS, values: [now, customer.id, customer.id, storeId, null, null, null, now, now, now, 21] });
    },
    '2s': async () => {
      const now = new Date();
      await client.query({ ...CUSTOMER_SLIM, values: [BENCH.customer] });
      await client.query({ ...MERGED, values: [now, customer.id, customer.segments, storeId, null, null, 21] });
    },
    customer: async () => {
      await client.query({ ...CUSTOMER, values: [BENCH.customer] });
    },
    customerSlim: async () => {
      await client.query({ ...CUSTOMER_SLIM, values: [BENCH.customer] });
    },
    '3d': async () => {
      const now = new Date();
      await client.query({ ...CUSTOMER, values: [BENCH.customer] });
      await client.query({ ...STORE_ONCE, values: [storeId, now, customer.id, customer.segments] });
      await client.query({ ...LISTINGS_ONCE, values: [now, customer.id, storeId, null, null, 21] });
    },
    '2vb': async () => {
      const now = new Date();
      await client.query({ ...CUSTOMER, values: [BENCH.customer] });
      await client.query({ ...MERGED_VB, values: [now, customer.id, customer.segments, storeId, null, null, 21] });
    },
    mergedVb: async () => {
      await client.query({ ...MERGED_VB, values: [new Date(), customer.id, customer.segments, storeId, null, null, 21] });
    },
    storeBare: async () => {
      const now = new Date();
      await client.query({ ...STORE_BARE, values: [storeId, now, now, customer.segments] });
    },
    trivial: async () => {
      await client.query({ ...TRIVIAL, values: [1] });
    },
    merged: async () => {
      await client.query({ ...MERGED, values: [new Date(), customer.id, customer.segments, storeId, null, null, 21] });
    },
  };
  const backendPid = (await client.query('select pg_backend_pid() as pid')).rows[0].pid;
  const backendCpu = () => {
    const rest = readFileSync(`/proc/${backendPid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(rest[11]) + Number(rest[12]);
  };
  const N = Number(process.env.N ?? 2000);
  for (const [name, run] of Object.entries(variants)) for (let i = 0; i < 200; i++) await run();
  for (let round = 0; round < Number(process.env.ROUNDS ?? 3); round++) {
    const line: string[] = [];
    for (const [name, run] of Object.entries(variants).filter(([n]) => !process.env.ONLY || process.env.ONLY.split(',').includes(n))) {
      const t0 = performance.now();
      const pg0 = backendCpu();
      const n0 = process.cpuUsage();
      for (let i = 0; i < N; i++) await run();
      const n1 = process.cpuUsage(n0);
      const pgUs = ((backendCpu() - pg0) * 1e6) / 100 / N;
      line.push(`${name} ${((performance.now() - t0) / N * 1000).toFixed(0)} µs wall, PG ${pgUs.toFixed(0)} µs, node ${((n1.user + n1.system) / N).toFixed(0)} µs`);
    }
    console.log(`round ${round + 1}: ${line.join(', ')}`);
  }
  console.log((await client.query('select (select count(*) from listing_purchase_count)::int as lpc, (select count(*) from listing)::int as listings, (select count(*) from offer_purchase)::int as purchases')).rows);
  await client.query('set plan_cache_mode = force_generic_plan');
  await client.query(`prepare gl as ${LISTINGS.text}`);
  for (let i = 0; i < 3; i++) await client.query(`execute gl(now(), ${customer.id}, ${customer.id}, ${storeId}, null, null, null, now(), now(), now(), 21)`);
  const gp = await client.query(`explain (analyze, costs off) execute gl(now(), ${customer.id}, ${customer.id}, ${storeId}, null, null, null, now(), now(), now(), 21)`);
  console.log(gp.rows.map((r) => r['QUERY PLAN']).filter((l: string) => !l.includes('never executed')).join('\n'));
  await client.query('reset plan_cache_mode');
  const { rows } = await client.query(`select name, generic_plans, custom_plans from pg_prepared_statements order by name`);
  console.log(rows);
  await client.query('set plan_cache_mode = force_generic_plan');
  for (const [label, text, values] of [
    ['merged', MERGED.text, [new Date(), customer.id, customer.segments, storeId, null, null, 21]],
    ['store', STORE.text, [storeId, new Date(), new Date(), customer.id, new Date(), customer.segments, new Date(), customer.id, new Date(), customer.id]],
    ['listings', LISTINGS.text, [new Date(), customer.id, customer.id, storeId, null, null, null, new Date(), new Date(), new Date(), 21]],
  ] as const) {
    void values;
    const plan = await client.query({ text: `explain (generic_plan, costs off) ${text}` });
    console.log(`--- ${label}\n${plan.rows.map((r) => r['QUERY PLAN']).join('\n')}`);
  }
  await client.end();
} catch (e) {
  console.error('FAILED', e);
} finally {
  await postgres.stop();
  await rm(dir, { recursive: true, force: true });
}
