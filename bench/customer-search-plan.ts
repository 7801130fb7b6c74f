/**
 * customer-search-40: how PostgreSQL plans staff's customer search (`customers(search:)`) on a
 * table of BENCH_CUSTOMERS customers (default 50,000): the gateway's own statement text and
 * parameters (`searchStatementOf`), EXPLAIN ANALYZE of a custom plan (planned for the values, as an
 * unnamed statement is) and of the generic plan a named prepared statement may settle on
 * (db/prepared.ts), for a few searches. It prints the plans' nodes and asserts nothing; the numbers
 * are rows and buffers, not times. docs/decisions.md, "customer-search-40", holds a run.
 *
 *   npm run bench:search-plan
 *   BENCH_CUSTOMERS=200000 BENCH_SEARCHES='c-4999,smith1234,zz' npm run bench:search-plan
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { searchStatementOf, searchTermOf } from '../src/customers/customer-search.js';
import { startEmbeddedPostgres } from '../src/db/embedded.js';
import { migrate, openOrm } from '../src/db/orm.js';

const customers = Number(process.env.BENCH_CUSTOMERS ?? 50_000);
const searches = (process.env.BENCH_SEARCHES ?? 'member123,c-4999,smith1234,ann smith12,zz').split(',');

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rg-bench-search-'));
  const postgres = await startEmbeddedPostgres(dataDir);
  try {
    const admin = new pg.Client({ connectionString: postgres.adminUrl });
    await admin.connect();
    await admin.query('create database search_plan');
    await admin.end();
    const url = postgres.urlFor('search_plan');
    const orm = await openOrm({ url, poolMax: 2 });
    try {
      await migrate(orm);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      // Names "Ann Smith1" … "Eve Thomas<n>", emails member<i>@example.com, ids c-<i>.
      await client.query(
        `insert into customer (external_id, email, name)
         select 'c-' || i, 'member' || i || '@example.com',
                (array['Ann','Bob','Carol','Dee','Eve'])[1 + i % 5] || ' ' || (array['Smith','Jones','Brown','Taylor','Wilson','Evans','Thomas'])[1 + i % 7] || i
         from generate_series(1, $1::int) i`,
        [customers],
      );
      await client.query('analyze customer');
      console.log(`customer search plans — PostgreSQL ${(await client.query('show server_version')).rows[0].server_version}, ${customers} customers`);
      const kysely = orm.em.fork().getKysely();
      for (const [n, search] of searches.entries()) {
        const { term, problem } = searchTermOf(search);
        if (problem !== undefined) throw new Error(`${JSON.stringify(search)}: ${problem}`);
        const { sql, parameters } = searchStatementOf(kysely, term, { kind: 'CustomerSearch', limit: 20, after: null });
        await client.query(`prepare search_${n} as ${sql}`);
        const values = parameters.map((p) => client.escapeLiteral(String(p))).join(', ');
        for (const mode of ['force_custom_plan', 'force_generic_plan']) {
          await client.query(`set plan_cache_mode = ${mode}`);
          const plan = await client.query<{ 'QUERY PLAN': string }>(`explain (analyze, costs off, timing off, summary off, buffers) execute search_${n}(${values})`);
          // the nodes, their rows and buffers; the conditions repeat the statement and are left out
          const lines = plan.rows.map((r) => r['QUERY PLAN']).filter((line) => !/^\s*(Sort Key|Filter|Recheck Cond|Index Cond|Index Searches|Planning)/.test(line));
          console.log(`\n${JSON.stringify(search)} (${mode.replace(/^force_|_plan$/g, '')} plan)\n${lines.join('\n')}`);
        }
      }
      await client.end();
    } finally {
      await orm.close(true);
    }
  } finally {
    await postgres.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
