/**
 * unpayableOffers' page statement at a wallet of 300,000 live items, 500 of them no till can apply
 * (offsale-12c): the statement before (every live item joined to its version and tested) against
 * the one reading `issued_offer_unpayable_idx`, on the same database, alternated. Server-side
 * execution time from `explain (analyze, timing off)` and the client's round trip, medians:
 *   npm run build && flock /work/wt/bench.lock node dist/bench/unpayable-page.js
 * Not a test: it prints figures and ratios only.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isoCurrencyCodes } from '../src/domain/currency.js';
import { ensureDatabase, startEmbeddedPostgres } from '../src/db/embedded.js';
import { migrate, openOrm } from '../src/db/orm.js';
import { query, sql } from '../src/db/sql.js';
import { amountsFitMoneySql, unpayableOffersPageSql } from '../src/offers/offer.service.js';

const WALLET = Number(process.env.WALLET ?? 300_000);
const UNPAYABLE = Number(process.env.UNPAYABLE ?? 500);
const ROUNDS = Number(process.env.ROUNDS ?? 60);

const dir = await mkdtemp(path.join(os.tmpdir(), 'rg-unpayable-'));
const pg = await startEmbeddedPostgres(dir);
await ensureDatabase(pg.adminUrl, 'bench');
const orm = await openOrm({ url: pg.urlFor('bench'), poolMax: 2 });
try {
  await migrate(orm);
  const em = orm.em.fork();
  await query(em, sql`insert into point_currency (code, name, point_value, money_currency) values ('BENCH', 'b', 1, 'JPY')`);
  await query(em, sql`insert into customer (external_id) select 'c' || g from generate_series(1, 1000) g`);
  await query(em, sql`insert into offer (id) values (1), (2)`);
  await query(em, sql`insert into offer_version (offer_id, version, name, benefit_kind, amount_off) values (1, 1, 'yen', 'AMOUNT_OFF', 200), (2, 1, 'cents', 'AMOUNT_OFF', 2.50)`);
  await query(em, sql`update offer set current_version_id = id`);
  await query(
    em,
    sql`insert into issued_offer (code, customer_id, offer_version_id, source, money_currency, expires_at)
        select 'B-' || g, (select min(id) from customer) + g % 1000, case when g % ${Math.floor(WALLET / UNPAYABLE)} = 0 then 2 else 1 end, 'PURCHASE', 'JPY', now() + interval '30 days'
          from generate_series(1, ${WALLET}::int) g`,
  );
  await query(em, sql`analyze issued_offer`);
  await query(em, sql`analyze offer_version`);

  const now = new Date();
  // The statement as offsale-12b wrote it (its wallet branch; the holders' part was empty here).
  const before = (limit: number) =>
    sql`select * from (
          select 4 as rank, 'issuedOffer' as holder, io.id as "holderId", null as currency, io.money_currency as money, ov.offer_id as "offerId", ov.id as "versionId", ov.version, ov.amount_off::text as "amountOff", ov.max_discount::text as "maxDiscount"
            from issued_offer io join offer_version ov on ov.id = io.offer_version_id
           where io.status in ('ISSUED', 'LOCKED') and (io.expires_at is null or io.expires_at > ${now})
             and (ov.benefit_kind = 'AMOUNT_OFF' or ov.max_discount is not null)
             and (io.money_currency is null or not io.money_currency = any(${isoCurrencyCodes()}::text[]) or not ${amountsFitMoneySql(sql`io.money_currency`)})
        ) u order by u.rank, u."holderId", u."versionId" limit ${limit}`;
  const after = (limit: number) => unpayableOffersPageSql(now, limit, null);
  const rowsBefore = (await query(em, before(101))).length;
  const rowsAfter = (await query(em, after(101))).length;

  if (process.env.PLANS) {
    for (const statement of [before, after]) {
      const plan = await query<{ 'QUERY PLAN': string }>(em, sql`explain (analyze, buffers, timing off) ${statement(101)}`);
      console.log(plan.map((r) => r['QUERY PLAN']).join('\n'));
    }
  }
  const serverMs = { before: [] as number[], after: [] as number[] };
  const clientMs = { before: [] as number[], after: [] as number[] };
  for (let i = 0; i < ROUNDS; i++) {
    for (const [name, statement] of [['before', before], ['after', after]] as const) {
      const [{ 'QUERY PLAN': [plan] }] = await query<{ 'QUERY PLAN': { 'Execution Time': number }[] }>(em, sql`explain (analyze, timing off, format json) ${statement(101)}`);
      serverMs[name].push(plan['Execution Time']);
      const t0 = process.hrtime.bigint();
      await query(em, statement(101));
      clientMs[name].push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)];
  console.log(`wallet ${WALLET} live items, ${UNPAYABLE} unpayable; page of 101; ${ROUNDS} alternated rounds; rows before ${rowsBefore}, after ${rowsAfter}`);
  for (const [label, m] of [['PostgreSQL execution', serverMs], ['client round trip', clientMs]] as const) {
    console.log(
      `${label}: median before ${median(m.before).toFixed(3)} ms, after ${median(m.after).toFixed(3)} ms (×${(median(m.after) / median(m.before)).toFixed(4)}); p90 ${p90(m.before).toFixed(3)} vs ${p90(m.after).toFixed(3)} ms`,
    );
  }
} finally {
  await orm.close();
  await pg.stop();
  await rm(dir, { recursive: true, force: true });
}
