/**
 * jit-48's open question: the request pool's sessions run `set jit = off` (src/db/orm.ts,
 * `setUpSession`); did the long aggregates the gateway sends profit from PostgreSQL's JIT on a very
 * large program? This bench seeds one (set-based SQL, `generate_series`), then times the gateway's
 * own analytics statements with JIT on (`set jit = on`, the server's `jit_*_above_cost`) and off
 * (the session as `setUpSession` leaves it), in alternating rounds, and prints medians, on ÷ off,
 * and from `explain (analyze, format json)` each statement's plan cost, JIT section and slowest node.
 * It asserts no time.
 *
 * What it runs, through the gateway's functions on an ORM of its own (`openOrm`: the gateway's
 * pool with its session set-up and its named prepared statements, db/prepared.ts), one ORM with a
 * pool of one per mode, the "on" one's session then given `set jit = on`:
 *   - `programStats` (analytics.service.ts) for a day, a month and a year ending now;
 *   - `topOffers` (first 5) for the same windows;
 *   - `tierMix` (no window: the ladder now);
 *   - the expiry/release jobs' search for due accounts (`writeDownDueAccounts` with a stop signal
 *     already given: it sends its one search statement and writes nothing).
 * The text and parameters each sends are captured at pg's `Client.prototype.query` (the exact
 * statement), and EXPLAIN ANALYZE runs them on a separate connection: the custom plan (the values
 * bound to an unnamed statement: what a connection's first five runs of the named statement get)
 * and, when the gateway's connection went over to the generic plan, that one too (PREPARE, and
 * plan_cache_mode forced for the EXECUTE). With jit = on it is run only when the plan's cost passes
 * jit_above_cost (below, no JIT: the same as off). EXPLAIN ANALYZE's own timing overhead makes its
 * execution times differ from the timed runs'; the ratios come from the timed runs only.
 *
 * The program: BENCH_ANALYTICS_MEMBERS customers (default 200,000), each with a point account,
 * joined over the last 800 days; sales over the last 730 days (BENCH_ANALYTICS_SALES a year of
 * membership, default 12, times an exponential activity: a few heavy members, many light ones), each
 * a sales_transaction and a pending credit (the economy rule's 14 pending days), 2 % returned
 * within the pending window (credit cancelled); credits released by the job into EARN entries
 * (actor system, expiring 365 days later), a staff ADJUST for one member in 200; purchases of
 * offers spending a block of 5-8 consecutive credits (SPEND entries with their allocations, an
 * offer_purchase and its issued offer, 70 % redeemed at a till, 1 in 250 redeemed through a staff
 * replacement), EXPIRE entries with their allocations for what was left when credits expired; a
 * campaign offer for every third member. Jobs as if they last ran a minute (release) and 15
 * minutes (expiry) ago, so a little is due and not written down (`ledger_due`). Balances, pending
 * and lifetime points equal the ledger (checked after seeding). Allocations take a block's own
 * credits oldest first, not the account's oldest credits (no analytics statement reads them);
 * outbox events, audit entries and event streams of the history are not written.
 *
 * Phases: right after seeding with no statistics (autovacuum is off on the scratch database's
 * tables so that nothing analyses them behind the bench; BENCH_ANALYTICS_UNANALYSED_ROUNDS, 0 to
 * skip), then after `vacuum analyze` (BENCH_ANALYTICS_ROUNDS). Each round runs every statement
 * once per mode, the order of the modes alternating round by round; one warm-up run per mode
 * first, not counted.
 *
 *   npm run build && DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node dist/bench/analytics-jit.js
 *   BENCH_ANALYTICS_MEMBERS=1000000 DATABASE_URL=… node dist/bench/analytics-jit.js --keep
 *   DATABASE_URL=… node dist/bench/analytics-jit.js --reuse   (a database kept by --keep, same size: no seeding)
 *
 * DATABASE_URL names a PostgreSQL server (with LLVM: `pg_jit_available()`) and a database on it
 * to connect to for `create database` and `drop database` only (the embedded PostgreSQL has no
 * JIT, so it is refused rather than started). The scratch database is BENCH_ANALYTICS_DATABASE
 * (default analytics_jit_bench), dropped at the end unless --keep. BENCH_ANALYTICS_STATEMENTS
 * (default `programStats,topOffers,tierMix,dueAccounts`) picks statements. No server setting is
 * changed: only session settings (the seeding session's, the EXPLAIN connection's) and the
 * scratch tables' autovacuum.
 */
import { performance } from 'node:perf_hooks';
import type { MikroORM, SqlEntityManager } from '@mikro-orm/postgresql';
import pg from 'pg';
import pino from 'pino';
import { programStats, tierMix, topOffers } from '../src/analytics/analytics.service.js';
import type { Clock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import type { Ctx } from '../src/context.js';
import { migrate, openOrm } from '../src/db/orm.js';
import { sql } from '../src/db/sql.js';
import { OfferBenefitKind } from '../src/offers/offer.entity.js';
import { createOffer } from '../src/offers/offer.service.js';
import { createPartner } from '../src/partners/partner.service.js';
import { WRITE_DOWN_BATCH, writeDownDueAccounts } from '../src/points/expiry.service.js';
import { createCurrency } from '../src/points/points.service.js';
import { setEconomyRule } from '../src/rules/rule.service.js';
import { addListing, createRewardStore } from '../src/stores/store.service.js';
import { createTier } from '../src/tiers/tier.service.js';

const CURRENCY = 'BIG';
const DAY_MS = 86_400_000;

function positiveInt(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}, got ${JSON.stringify(raw)}`);
  return value;
}

const settings = {
  members: positiveInt('BENCH_ANALYTICS_MEMBERS', 200_000),
  sales: positiveInt('BENCH_ANALYTICS_SALES', 12),
  rounds: positiveInt('BENCH_ANALYTICS_ROUNDS', 5),
  unanalysedRounds: positiveInt('BENCH_ANALYTICS_UNANALYSED_ROUNDS', 2, 0),
  database: process.env.BENCH_ANALYTICS_DATABASE?.trim() || 'analytics_jit_bench',
  statements: (process.env.BENCH_ANALYTICS_STATEMENTS ?? 'programStats,topOffers,tierMix,dueAccounts').split(',').map((s) => s.trim()).filter(Boolean),
  keep: process.argv.includes('--keep'),
  reuse: process.argv.includes('--reuse'),
};

/** A run slower than this (ms, the slower mode's warm-up) gets at most 3 rounds in a phase, and past VERY_SLOW_MS at most 2. */
const SLOW_MS = 20_000;
const VERY_SLOW_MS = 60_000;

// ---------------------------------------------------------------------------------------------
// The statements the gateway sends, captured where every pooled connection sends them

interface Sent {
  text: string;
  values: unknown[];
}

let capturing: Sent[] | null = null;
{
  type QueryFn = (this: pg.Client, ...args: unknown[]) => unknown;
  const proto = pg.Client.prototype as unknown as { query: QueryFn };
  const original = proto.query;
  // db/prepared.ts sends each parameterised statement as `{ name, text, values, rowMode }` through
  // the prototype's method, looked up at each call; one planned on every run as (text, values).
  proto.query = function (this: pg.Client, ...args: unknown[]) {
    const config = args[0] as { name?: unknown; text?: unknown; values?: unknown } | string | null;
    if (capturing && config && typeof config === 'object' && typeof config.name === 'string' && typeof config.text === 'string') {
      capturing.push({ text: config.text, values: Array.isArray(config.values) ? [...config.values] : [] });
    } else if (capturing && typeof config === 'string' && Array.isArray(args[1]) && args[1].length > 0) {
      // a statement planned on every run (PLAN_EACH_RUN, db/prepared.ts) goes unnamed
      capturing.push({ text: config, values: [...(args[1] as unknown[])] });
    }
    return original.apply(this, args);
  };
}

// ---------------------------------------------------------------------------------------------
// Seeding

interface Catalog {
  partnerId: number;
  listingIds: number[];
}

/** The program's catalog through the gateway's own services: currency, ladder, economy rule, stores, offers, a till. */
async function seedCatalog(orm: MikroORM, databaseUrl: string, at: Date): Promise<Catalog> {
  const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'analytics-jit-bench-secret-long-enough-for-hs256', DATABASE_URL: databaseUrl });
  const clock: Clock = { now: () => at };
  return orm.em.fork().transactional(async (tx) => {
    const caller = { kind: 'staff' as const, staffId: 'bench', role: 'operator' as const };
    const ctx: Ctx = { em: tx, caller, clock, config, log: pino({ level: 'silent' }) };
    await createCurrency(ctx, { code: CURRENCY, name: 'Big beans', expiryDays: 365, pointValue: '0.01', moneyCurrency: 'EUR' });
    await setEconomyRule(ctx, { currency: CURRENCY, pointsPerUnit: '1', pendingDays: 14 });
    const ladder: [string, number][] = [
      ['GREEN', 0],
      ['SILVER', 1_000],
      ['GOLD', 3_000],
      ['PLATINUM', 8_000],
    ];
    for (const [rank, [code, threshold]] of ladder.entries()) {
      await createTier(ctx, { currency: CURRENCY, code: `BIG_${code}`, name: code, rank: rank + 1, threshold, windowDays: 365 });
    }
    const stores = [
      await createRewardStore(ctx, { code: 'big-rewards', name: 'Big rewards', currency: CURRENCY }),
      await createRewardStore(ctx, { code: 'big-partners', name: 'Big partner rewards', currency: CURRENCY }),
    ];
    const benefits = [
      { kind: OfferBenefitKind.FREE_ITEM, freeSku: 'MUFFIN', categories: ['COFFEE'], maxDiscount: '3.50' },
      { kind: OfferBenefitKind.PERCENT_OFF, percentOff: 20, categories: ['PASTRY'], maxDiscount: '5.00' },
      { kind: OfferBenefitKind.AMOUNT_OFF, amountOff: '2.00' },
      { kind: OfferBenefitKind.PERCENT_OFF, percentOff: 12.5 },
    ];
    const listingIds: number[] = [];
    for (let i = 1; i <= 48; i++) {
      const offer = await createOffer(ctx, {
        name: `Big offer ${i}`,
        description: `Offer number ${i} of the big program, with a description of ordinary length for a mobile card.`,
        imageUrl: `https://example.com/offers/big-${i}.png`,
        terms: `Terms of offer ${i}: one per visit, not with other offers.`,
        benefit: benefits[i % benefits.length],
        validDays: 30,
      });
      const listing = await addListing(ctx, { storeId: stores[i <= 40 ? 0 : 1].id, offerId: offer.offerId, priceInPoints: 50 * (1 + (i % 12)), sortOrder: i });
      listingIds.push(listing.id);
    }
    const { partner } = await createPartner(ctx, { name: 'Big till', scopes: ['transactions:write', 'transactions:read'] });
    return { partnerId: partner.id, listingIds };
  });
}

/** The scratch tables the bulk seed fills: autovacuum off on them (reset at the end when the database is kept). */
const BULK_TABLES = ['customer', 'point_account', 'sales_transaction', 'pending_credit', 'ledger_entry', 'ledger_allocation', 'issued_offer', 'offer_purchase'];

/**
 * The members' history in set-based SQL on one session (`client`), as the module's comment says.
 * `now`: the instant every statement is then asked about. Ids are given explicitly (each table's
 * largest + a row number in time order), and the sequences set after.
 */
async function seedHistory(client: pg.Client, catalog: Catalog, now: Date): Promise<Record<string, number>> {
  const q = async (text: string, values: unknown[] = []) => client.query(text, values);
  // session settings only: no foreign-key triggers (the ids are built from the rows they name; the
  // checks below), no waiting for the WAL, room to sort and hash
  await q(`set session_replication_role = replica; set synchronous_commit = off; set work_mem = '256MB'; set maintenance_work_mem = '512MB'; set jit = off`);
  for (const table of BULK_TABLES) await q(`alter table ${table} set (autovacuum_enabled = false, toast.autovacuum_enabled = false)`);
  const base = async (table: string) => Number((await q(`select coalesce(max(id), 0)::bigint as id from ${table}`)).rows[0].id);
  const T = now.toISOString();
  const releasedBy = new Date(now.getTime() - 60_000).toISOString(); // the release job's last run
  const expiredBy = new Date(now.getTime() - 15 * 60_000).toISOString(); // the expiry job's last run

  await q(`select setseed(0.48)`);
  // members: join day (0-800 days ago), activity (exponential, mean 1), sales span (at most 730 days)
  await q(
    `create unlogged table ajb_account as
     select n, $2::bigint + n as customer_id, $3::bigint + n as account_id, joined_days_ago, activity, least(joined_days_ago, 730) as span_days
       from (select g as n, floor(random() * 800)::int as joined_days_ago, -ln(1 - random()) as activity from generate_series(1, $1::int) g) m`,
    [settings.members, await base('customer'), await base('point_account')],
  );
  // sales: amounts in cents; 2 % returned within 10 days (inside the 14 pending days)
  await q(
    `create unlogged table ajb_sale as
     select ($2::bigint + row_number() over (order by t.received_at, t.account_id))::bigint as id, t.*,
            case when t.r_return < 0.02 and t.return_at <= $1::timestamptz - interval '1 minute' then t.return_at end as reversal_at
       from (select x.*, x.occurred_at + interval '1 second' * (1 + 29 * random()) as received_at,
                    x.occurred_at + interval '24 hours' * 14 as available_at,
                    random() as r_return, x.occurred_at + interval '1 second' * (3600 + floor(random() * 9 * 86400)) as return_at
               from (select a.account_id, a.customer_id,
                            $1::timestamptz - interval '1 minute' - interval '1 second' * floor(random() * a.span_days * 86400) as occurred_at,
                            round(300 + 5000 * random() + 12000 * random() ^ 4)::bigint as total_cents
                       from ajb_account a cross join lateral generate_series(1, round(a.activity * $3::int * a.span_days / 365.0)::int) s) x) t`,
    [T, await base('sales_transaction'), settings.sales],
  );
  await q(
    `create unlogged table ajb_pending as
     select ($2::bigint + row_number() over (order by s.received_at, s.id))::bigint as id, s.id as sale_id, s.account_id, s.customer_id,
            (s.total_cents / 100)::bigint as amount, s.available_at, s.received_at + interval '1 second' as created_at, s.reversal_at as cancelled_at,
            (s.reversal_at is null and s.available_at <= $1::timestamptz) as released
       from ajb_sale s where s.total_cents >= 100`,
    [releasedBy, await base('pending_credit')],
  );
  // credits: released sale earns, and a staff ADJUST for one member in 200; k: the account's credits in time order
  await q(
    `create unlogged table ajb_credit as
     select c.*, row_number() over (partition by c.account_id order by c.at, c.pending_id) as k, 5 + c.customer_id % 4 as block_size
       from (select p.account_id, p.customer_id, p.id as pending_id, p.amount, p.available_at as at, 'EARN'::text as kind, 'TRANSACTION'::text as source_type,
                    p.sale_id::text as source_id, 'economy:${CURRENCY}'::text as reason, 'system'::text as actor, true as qualifying
               from ajb_pending p where p.released
             union all
             select a.account_id, a.customer_id, null, 100, $1::timestamptz - interval '2 minutes' - interval '1 second' * floor(random() * a.span_days * 86400),
                    'ADJUST', 'STAFF', null, 'Goodwill', 'staff:ops', false
               from ajb_account a where a.n % 200 = 0) c`,
    [T],
  );
  // purchases: 65 % of the complete blocks of 5-8 credits are spent after their last credit, before their first expires
  await q(
    `create unlogged table ajb_spend as
     select ($2::bigint + row_number() over (order by s.at, s.account_id))::bigint as purchase_id, s.*,
            ($3::bigint[])[1 + floor(s.r_listing ^ 2 * array_length($3::bigint[], 1))::int] as listing_id
       from (select b.*, greatest(10, floor(b.total * (0.5 + 0.5 * random()) / 10) * 10)::bigint as price,
                    b.last_at + interval '1 second' * (60 + floor(random() * 20 * 86400)) as at, random() as r_spend, random() as r_listing
               from (select account_id, customer_id, (k - 1) / block_size as block, count(*) as credits, max(block_size) as block_size,
                            sum(amount) as total, min(at) as first_at, max(at) as last_at
                       from ajb_credit group by account_id, customer_id, (k - 1) / block_size) b
              where b.credits = b.block_size) s
      where s.r_spend < 0.65 and s.at <= $1::timestamptz - interval '1 minute' and s.at < s.first_at + interval '24 hours' * 365`,
    [T, await base('offer_purchase'), catalog.listingIds],
  );
  // what each credit gave to its block's purchase (oldest first), and whether the expiry job took the rest
  await q(
    `create unlogged table ajb_credit_use as
     select u.*, (u.expires_at <= $1::timestamptz and u.amount > u.spent) as expired
       from (select c.*, c.at + interval '24 hours' * 365 as expires_at, sp.purchase_id,
                    coalesce(least(c.amount, greatest(0, sp.price - (sum(c.amount) over w - c.amount))), 0)::bigint as spent
               from ajb_credit c left join ajb_spend sp on sp.account_id = c.account_id and sp.block = (c.k - 1) / c.block_size
             window w as (partition by c.account_id, (c.k - 1) / c.block_size order by c.k)) u`,
    [expiredBy],
  );
  // the ledger: credits, spends, expiries; ids in time order
  await q(
    `create unlogged table ajb_entry as
     select ($1::bigint + row_number() over (order by e.created_at, e.ord, e.account_id, e.k))::bigint as id, e.*
       from (select account_id, customer_id, amount, kind, source_type, source_id, reason, actor, expires_at,
                    case when expired then 0 else amount - spent end as remaining, qualifying, at as created_at, 0 as ord, k, null::bigint as purchase_id, pending_id
               from ajb_credit_use
             union all
             select account_id, customer_id, -price, 'SPEND', 'PURCHASE', purchase_id::text, 'Big offer', 'customer:' || customer_id, null, 0, false, at, 1, null, purchase_id, null
               from ajb_spend
             union all
             select account_id, customer_id, -(amount - spent), 'EXPIRE', 'EXPIRY', null, 'Points expired', 'system', null, 0, false, expires_at, 2, k, null, null
               from ajb_credit_use where expired) e`,
    [await base('ledger_entry')],
  );
  // wallet items: purchases (70 % redeemed within their 30 days; 1 in 250 of those through a staff
  // replacement, the purchased item VOIDED), and a campaign offer for every third member (40 % redeemed)
  await q(
    `create unlogged table ajb_listing as
     select l.id as listing_id, ov.id as version_id,
            case when ov.benefit_kind = 'AMOUNT_OFF' or ov.max_discount is not null then ov.money_digits_needed end as digits,
            row_number() over (order by l.id) as i
       from listing l join offer o on o.id = l.offer_id join offer_version ov on ov.id = o.current_version_id where l.id = any($1::bigint[])`,
    [catalog.listingIds],
  );
  await q(
    `create unlogged table ajb_item as
     select ($2::bigint + row_number() over (order by x.created_at, x.ord, x.ref))::bigint as id, x.*
       from (select y.*, case when y.planned_redeem <= $1::timestamptz - interval '1 minute' then y.planned_redeem end as redeemed_at
               from (select sp.purchase_id as ref, 0 as ord, sp.customer_id, l.version_id, l.digits, 'PURCHASE'::text as source, sp.purchase_id::text as source_id,
                            sp.at as created_at, sp.at + interval '24 hours' * 30 as expires_at,
                            case when random() < 0.7 then sp.at + interval '1 second' * (60 + floor(random() * 29 * 86400)) end as planned_redeem,
                            sp.purchase_id % 250 = 0 as replaced
                       from ajb_spend sp join ajb_listing l on l.listing_id = sp.listing_id
                     union all
                     select a.n, 1, a.customer_id, l.version_id, l.digits, 'CAMPAIGN', 'welcome', c.at, c.at + interval '24 hours' * 30,
                            case when random() < 0.4 then c.at + interval '1 second' * (60 + floor(random() * 29 * 86400)) end, false
                       from ajb_account a
                       cross join lateral (select $1::timestamptz - interval '2 minutes' - interval '1 second' * floor(random() * a.span_days * 86400) as at,
                                                  1 + floor(random() * (select count(*) from ajb_listing))::int as i) c
                       join ajb_listing l on l.i = c.i
                      where a.n % 3 = 0) y) x`,
    [T, await base('issued_offer')],
  );

  const counts: Record<string, number> = {};
  const insert = async (table: string, text: string, values: unknown[] = []) => {
    const started = performance.now();
    const result = await q(text, values);
    counts[table] = (counts[table] ?? 0) + (result.rowCount ?? 0);
    console.log(`  ${table}: ${result.rowCount} rows (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  };
  await insert(
    'customer',
    `insert into customer (id, external_id, name, email, status, created_at, updated_at)
     select customer_id, 'ajb-' || n, 'Member ' || n, 'member' || n || '@example.com',
            case when n % 50 = 0 then 'CLOSED' when n % 97 = 0 then 'SUSPENDED' else 'ACTIVE' end,
            $1::timestamptz - interval '24 hours' * joined_days_ago - interval '1 hour', $1::timestamptz
       from ajb_account order by customer_id`,
    [T],
  );
  await insert(
    'point_account',
    `insert into point_account (id, customer_id, currency_code, available, pending, lifetime_earned, version, created_at, updated_at)
     select a.account_id, a.customer_id, '${CURRENCY}', coalesce(e.available, 0), coalesce(p.pending, 0), coalesce(e.lifetime, 0), coalesce(e.entries, 0),
            $1::timestamptz - interval '24 hours' * a.joined_days_ago - interval '1 hour', greatest(e.last_at, p.last_at, $1::timestamptz - interval '24 hours' * a.joined_days_ago)
       from ajb_account a
       left join (select account_id, sum(amount) as available, sum(amount) filter (where qualifying) as lifetime, count(*) as entries, max(created_at) as last_at
                    from ajb_entry group by account_id) e on e.account_id = a.account_id
       left join (select account_id, sum(amount) filter (where not released and cancelled_at is null) as pending, max(created_at) as last_at
                    from ajb_pending group by account_id) p on p.account_id = a.account_id
      order by a.account_id`,
    [T],
  );
  await insert(
    'sales_transaction',
    `insert into sales_transaction (id, partner_id, external_id, customer_id, channel, location_id, occurred_at, money_currency, lines, status,
                                    total, discount, points_awarded, received_at, processed_at, reversed_at, reversal_reason, money_scale)
     select s.id, $1::bigint, 'ajb-sale-' || s.id, s.customer_id, 'STORE', 'store-' || (s.customer_id % 60), s.occurred_at, 'EUR',
            jsonb_build_array(jsonb_build_object('sku', 'SKU-' || (s.id % 400), 'category', 'COFFEE', 'quantity', 1, 'unitPrice', s.total_cents)),
            case when s.reversal_at is null then 'PROCESSED' else 'REVERSED' end, s.total_cents, 0, s.total_cents / 100,
            s.received_at, s.received_at + interval '1 second', s.reversal_at, case when s.reversal_at is not null then 'Returned' end, 2
       from ajb_sale s order by s.id`,
    [catalog.partnerId],
  );
  await insert(
    'ledger_entry',
    `insert into ledger_entry (id, account_id, customer_id, amount, kind, source_type, source_id, reason, actor, balance_after, expires_at, remaining, qualifying, created_at)
     select id, account_id, customer_id, amount, kind, source_type, source_id, reason, actor,
            sum(amount) over (partition by account_id order by id), expires_at, remaining, qualifying, created_at
       from ajb_entry order by id`,
  );
  await insert(
    'pending_credit',
    `insert into pending_credit (id, account_id, customer_id, amount, kind, source_type, source_id, reason, qualifying, available_at, released_at, ledger_entry_id, cancelled_at, created_at)
     select p.id, p.account_id, p.customer_id, p.amount, 'EARN', 'TRANSACTION', p.sale_id::text, 'economy:${CURRENCY}', true, p.available_at,
            case when p.released then p.available_at end, e.id, p.cancelled_at, p.created_at
       from ajb_pending p left join ajb_entry e on e.pending_id = p.id and e.ord = 0
      order by p.id`,
  );
  await insert(
    'ledger_allocation',
    `insert into ledger_allocation (account_id, customer_id, debit_id, credit_id, amount)
     select a.account_id, a.customer_id, a.debit_id, a.credit_id, a.amount
       from (select c.account_id, c.customer_id, d.id as debit_id, ce.id as credit_id, c.spent as amount
               from ajb_credit_use c join ajb_entry ce on ce.account_id = c.account_id and ce.k = c.k and ce.ord = 0
               join ajb_entry d on d.purchase_id = c.purchase_id
              where c.spent > 0
             union all
             select c.account_id, c.customer_id, x.id, ce.id, c.amount - c.spent
               from ajb_credit_use c join ajb_entry ce on ce.account_id = c.account_id and ce.k = c.k and ce.ord = 0
               join ajb_entry x on x.account_id = c.account_id and x.k = c.k and x.ord = 2
              where c.expired) a
      order by a.debit_id, a.credit_id`,
  );
  await insert(
    'issued_offer',
    `insert into issued_offer (id, code, customer_id, offer_version_id, source, source_id, status, expires_at, redeemed_at, created_at, updated_at,
                               redeemed_by_partner_id, money_currency, money_digits_needed)
     select i.id, 'AJB-' || i.id, i.customer_id, i.version_id, i.source, i.source_id,
            case when i.redeemed_at is not null and i.replaced then 'VOIDED' when i.redeemed_at is not null then 'REDEEMED'
                 when i.expires_at <= $1::timestamptz then 'EXPIRED' else 'ISSUED' end,
            i.expires_at, case when not i.replaced then i.redeemed_at end, i.created_at,
            coalesce(i.redeemed_at, least(i.expires_at, $1::timestamptz)),
            case when i.redeemed_at is not null and not i.replaced then $2::bigint end, 'EUR', i.digits
       from ajb_item i order by i.id`,
    [T, catalog.partnerId],
  );
  await insert(
    'issued_offer',
    `insert into issued_offer (id, code, customer_id, offer_version_id, source, source_id, status, expires_at, redeemed_at, created_at, updated_at,
                               redeemed_by_partner_id, money_currency, money_digits_needed, replaces_id)
     select (select max(id) from issued_offer) + row_number() over (order by i.id), 'AJB-R' || i.id, i.customer_id, i.version_id, 'STAFF', null, 'REDEEMED',
            i.expires_at, i.redeemed_at, i.created_at + (i.redeemed_at - i.created_at) / 2, i.redeemed_at, $1::bigint, 'EUR', i.digits, i.id
       from ajb_item i where i.replaced and i.redeemed_at is not null order by i.id`,
    [catalog.partnerId],
  );
  await insert(
    'offer_purchase',
    `insert into offer_purchase (id, customer_id, listing_id, points_paid, ledger_entry_id, issued_offer_id, idempotency_key, status, created_at)
     select sp.purchase_id, sp.customer_id, sp.listing_id, sp.price, e.id, i.id, 'ajb-' || sp.purchase_id, 'COMPLETED', sp.at
       from ajb_spend sp join ajb_entry e on e.purchase_id = sp.purchase_id join ajb_item i on i.ref = sp.purchase_id and i.ord = 0
      order by sp.purchase_id`,
  );
  for (const table of BULK_TABLES) {
    await q(`select setval(pg_get_serial_sequence('${table}', 'id'), (select max(id) from ${table}))`);
  }
  await q(`set session_replication_role = origin`);
  // the ledger is the truth: every balance, pending amount and lifetime figure equals it
  const off = await q(
    `select count(*)::int as accounts from point_account a
       left join (select account_id, sum(amount) as total, sum(amount) filter (where qualifying) as lifetime from ledger_entry group by account_id) e on e.account_id = a.id
       left join (select account_id, sum(amount) as pending from pending_credit where released_at is null and cancelled_at is null group by account_id) p on p.account_id = a.id
      where a.currency_code = $1 and (a.available <> coalesce(e.total, 0) or a.lifetime_earned <> coalesce(e.lifetime, 0) or a.pending <> coalesce(p.pending, 0))`,
    [CURRENCY],
  );
  if (off.rows[0].accounts !== 0) throw new Error(`seed: ${off.rows[0].accounts} accounts differ from their ledger`);
  const orphans = await q(
    `select (select count(*) from ledger_entry e where not exists (select 1 from point_account a where a.id = e.account_id))
          + (select count(*) from ledger_allocation l where not exists (select 1 from ledger_entry e where e.id = l.credit_id))
          + (select count(*) from offer_purchase p where not exists (select 1 from issued_offer i where i.id = p.issued_offer_id))
          + (select count(*) from pending_credit p where p.released_at is not null and p.ledger_entry_id is null) as n`,
  );
  if (Number(orphans.rows[0].n) !== 0) throw new Error(`seed: ${orphans.rows[0].n} rows refer to rows that do not exist`);
  for (const table of ['ajb_item', 'ajb_listing', 'ajb_entry', 'ajb_credit_use', 'ajb_spend', 'ajb_credit', 'ajb_pending', 'ajb_sale', 'ajb_account']) await q(`drop table ${table}`);
  await q(`create table ajb_seed (members int not null, sales int not null, now_at timestamptz not null, counts jsonb not null)`);
  await q(`insert into ajb_seed values ($1, $2, $3, $4)`, [settings.members, settings.sales, T, JSON.stringify(counts)]);
  return counts;
}

// ---------------------------------------------------------------------------------------------
// Measuring

type Mode = 'on' | 'off';
const MODES: Mode[] = ['on', 'off'];

interface Case {
  statement: string;
  window: string;
  run(em: SqlEntityManager): Promise<unknown>;
}

function casesOf(now: Date): Case[] {
  const windows: [string, number][] = [
    ['day', 1],
    ['month', 30],
    ['year', 365],
  ];
  const stopped = new AbortController();
  stopped.abort();
  const all: Case[] = [];
  for (const [window, days] of windows) {
    const from = new Date(now.getTime() - days * DAY_MS);
    all.push({ statement: 'programStats', window, run: (em) => programStats(em, CURRENCY, from, now, now) });
  }
  for (const [window, days] of windows) {
    const from = new Date(now.getTime() - days * DAY_MS);
    all.push({ statement: 'topOffers', window, run: (em) => topOffers(em, CURRENCY, from, now, 5) });
  }
  all.push({ statement: 'tierMix', window: 'now', run: (em) => tierMix(em, CURRENCY, now) });
  // the expiry and release jobs' search (one statement; the stop signal, already given, ends the run before any write-down)
  all.push({ statement: 'dueAccounts', window: 'now', run: (em) => writeDownDueAccounts(em, now, WRITE_DOWN_BATCH, stopped.signal) });
  return all.filter((c) => settings.statements.includes(c.statement));
}

interface PreparedState {
  jit: string;
  pid: number;
  plans: Map<string, { generic: number; custom: number }>;
}

/** The ORM connection's jit setting, backend and plan counts of its prepared statements (one statement without parameters: not itself prepared). */
async function preparedState(orm: MikroORM): Promise<PreparedState> {
  const { rows } = await sql<{ jit: string; pid: number; statement: string | null; generic: number | null; custom: number | null }>`
    select current_setting('jit') as jit, pg_backend_pid() as pid, p.statement, p.generic_plans::int as generic, p.custom_plans::int as custom
      from (select 1) one left join pg_prepared_statements p on p.name like 'rg\\_%'`.execute(orm.em.fork().getKysely());
  const plans = new Map<string, { generic: number; custom: number }>();
  for (const row of rows) if (row.statement !== null) plans.set(row.statement, { generic: row.generic ?? 0, custom: row.custom ?? 0 });
  return { jit: rows[0].jit, pid: rows[0].pid, plans };
}

interface Sample {
  ms: number;
  plan: 'custom' | 'generic' | '?';
}

interface CaseResult {
  phase: string;
  c: Case;
  sent?: Sent;
  warmup: Record<Mode, number>;
  samples: Record<Mode, Sample[]>;
  explain: Record<string, Explained>;
}

/** One run of `c` on `orm`'s connection: wall time (ms) and the plan the connection used (from its prepared statement's counts). */
async function timedRun(orm: MikroORM, mode: Mode, c: Case, result: CaseResult): Promise<Sample> {
  const before = await preparedState(orm);
  if (before.jit !== mode) throw new Error(`the ${mode} ORM's session has jit = ${before.jit}`);
  const sent: Sent[] = [];
  capturing = sent;
  const started = performance.now();
  try {
    await c.run(orm.em.fork());
  } finally {
    capturing = null;
  }
  const ms = performance.now() - started;
  if (sent.length !== 1) throw new Error(`${c.statement}: expected one statement, the gateway sent ${sent.length}`);
  result.sent ??= sent[0];
  if (result.sent.text !== sent[0].text) throw new Error(`${c.statement}: the statement's text changed between runs`);
  const after = await preparedState(orm);
  if (after.pid !== before.pid) throw new Error(`the ${mode} ORM changed connections`);
  const was = before.plans.get(sent[0].text) ?? { generic: 0, custom: 0 };
  const now = after.plans.get(sent[0].text) ?? { generic: 0, custom: 0 };
  const plan = now.generic > was.generic ? 'generic' : now.custom > was.custom ? 'custom' : '?';
  return { ms, plan };
}

/** An ORM as the gateway opens it (pool of one, jit = off from setUpSession); for `on`, its session then gets `set jit = on`. */
async function modeOrm(url: string, mode: Mode): Promise<MikroORM> {
  const orm = await openOrm({ url, poolMax: 1 });
  if (mode === 'on') await sql`set jit = on`.execute(orm.em.fork().getKysely());
  const state = await preparedState(orm);
  if (state.jit !== mode) throw new Error(`could not set jit = ${mode} (it is ${state.jit})`);
  return orm;
}

// EXPLAIN

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Alias?: string;
  'CTE Name'?: string;
  'Function Name'?: string;
  'Parent Relationship'?: string;
  'Subplan Name'?: string;
  'Total Cost': number;
  'Plan Rows': number;
  'Actual Total Time'?: number;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

interface ExplainJson {
  Plan: PlanNode;
  'Planning Time': number;
  'Execution Time': number;
  JIT?: {
    Functions: number;
    Options: Record<string, boolean>;
    Timing: { Generation: number; Inlining: number; Optimization: number; Emission: number; Total: number };
  };
}

interface Explained {
  /** jit = on not run: the plan's cost is at most jit_above_cost, so it would run as with jit = off. */
  skipped?: boolean;
  cost: number;
  planningMs: number;
  executionMs: number;
  jit: ExplainJson['JIT'] | null;
  worst: string;
}

function literal(client: pg.Client, value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return client.escapeLiteral(value.toISOString());
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'string') return client.escapeLiteral(value);
  if (Array.isArray(value)) return client.escapeLiteral(`{${value.map((v) => JSON.stringify(String(v))).join(',')}}`);
  throw new Error(`no literal for ${typeof value}`);
}

/** The node with the most time of its own (its total × loops less its children's), as `Type on relation: ms (rows)`, and the two CTEs that took longest. */
function worstNode(plan: PlanNode): string {
  const timeOf = (node: PlanNode) => (node['Actual Total Time'] ?? 0) * (node['Actual Loops'] ?? 1);
  // a CTE Scan's time includes running its CTE (a subplan of its own, "CTE <name>") as it reads it
  const ctes = new Map<string, number>();
  const collect = (node: PlanNode) => {
    if (node['Subplan Name']?.startsWith('CTE ')) ctes.set(node['Subplan Name'].slice(4), timeOf(node));
    for (const child of node.Plans ?? []) collect(child);
  };
  collect(plan);
  let worst: { node: PlanNode; ms: number } | null = null;
  const visit = (node: PlanNode) => {
    const children = (node.Plans ?? []).reduce((sum, child) => sum + timeOf(child), 0);
    const own = Math.max(0, timeOf(node) - children - (node['Node Type'] === 'CTE Scan' ? (ctes.get(node['CTE Name'] ?? '') ?? 0) : 0));
    if (!worst || own > worst.ms) worst = { node, ms: own };
    for (const child of node.Plans ?? []) visit(child);
  };
  visit(plan);
  const { node, ms } = worst!;
  // the CTEs by the time spent in them (inclusive: a CTE reading another counts its time too)
  const heaviest = [...ctes.entries()].sort((a, b) => b[1] - a[1]).slice(0, 2);
  const inCtes = heaviest.length ? `; heaviest CTEs: ${heaviest.map(([name, t]) => `${name} ${t.toFixed(0)} ms`).join(', ')}` : '';
  const on = node['Relation Name'] ? ` on ${node['Relation Name']}${node.Alias && node.Alias !== node['Relation Name'] ? ` ${node.Alias}` : ''}` : node['CTE Name'] ? ` on CTE ${node['CTE Name']}` : node['Function Name'] ? ` of ${node['Function Name']}()` : '';
  return `${node['Node Type']}${on}: ${ms.toFixed(0)} ms own, ${node['Actual Rows']} rows × ${node['Actual Loops']} loops${inCtes}`;
}

/**
 * EXPLAIN (ANALYZE when `analyze`) of `sent` with jit = `mode`: its custom plan as an unnamed
 * statement with the values bound (planned for them, as a connection's first five runs of the
 * gateway's named statement are), or its generic plan through PREPARE with plan_cache_mode forced
 * for the EXECUTE (which forces it for PL/pgSQL's statements inside too: only statements the
 * gateway's connection ran generic get this). plan_cache_mode is not forced for the custom plan:
 * forcing it made tierMix ten times slower (customer_tier_at's statements replanned at every call).
 */
async function explain(client: pg.Client, sent: Sent, mode: Mode, plan: 'custom' | 'generic', analyze: boolean): Promise<Explained> {
  const options = analyze ? 'analyze, format json' : 'format json';
  await client.query(`set jit = ${mode}`);
  let json: ExplainJson;
  if (plan === 'custom') {
    const { rows } = await client.query<{ 'QUERY PLAN': ExplainJson[] }>(`explain (${options}) ${sent.text}`, sent.values);
    [json] = rows[0]['QUERY PLAN'];
  } else {
    await client.query(`prepare ajb_statement as ${sent.text}`);
    try {
      await client.query(`set plan_cache_mode = force_generic_plan`);
      const values = sent.values.map((v) => literal(client, v)).join(', ');
      const { rows } = await client.query<{ 'QUERY PLAN': ExplainJson[] }>(`explain (${options}) execute ajb_statement(${values})`);
      [json] = rows[0]['QUERY PLAN'];
    } finally {
      await client.query(`reset plan_cache_mode; deallocate ajb_statement`);
    }
  }
  return {
    cost: json.Plan['Total Cost'],
    planningMs: json['Planning Time'] ?? NaN,
    executionMs: json['Execution Time'] ?? NaN,
    jit: json.JIT ?? null,
    worst: analyze ? worstNode(json.Plan) : '',
  };
}

// ---------------------------------------------------------------------------------------------

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));

async function measurePhase(phase: string, url: string, now: Date, rounds: number, jitAboveCost: number): Promise<CaseResult[]> {
  console.log(`\n== ${phase}: ${rounds} rounds, modes alternating ==`);
  const orms: Record<Mode, MikroORM> = { on: await modeOrm(url, 'on'), off: await modeOrm(url, 'off') };
  const results: CaseResult[] = [];
  try {
    for (const c of casesOf(now)) {
      const result: CaseResult = { phase, c, warmup: { on: 0, off: 0 }, samples: { on: [], off: [] }, explain: {} };
      results.push(result);
      for (const mode of MODES) result.warmup[mode] = (await timedRun(orms[mode], mode, c, result)).ms;
      const slowest = Math.max(result.warmup.on, result.warmup.off);
      const n = slowest > VERY_SLOW_MS ? Math.min(rounds, 2) : slowest > SLOW_MS ? Math.min(rounds, 3) : rounds;
      for (let round = 0; round < n; round++) {
        for (const mode of round % 2 === 0 ? MODES : [...MODES].reverse()) result.samples[mode].push(await timedRun(orms[mode], mode, c, result));
      }
      const line = MODES.map((mode) => `${mode} ${result.samples[mode].map((s) => `${fmt(s.ms)}${s.plan === 'generic' ? 'g' : ''}`).join(' ')}`).join(' | ');
      console.log(`${c.statement} ${c.window}: warm-up on ${fmt(result.warmup.on)} off ${fmt(result.warmup.off)} ms; ${line} (g: generic plan)`);
    }
  } finally {
    await orms.on.close(true);
    await orms.off.close(true);
  }
  // EXPLAIN on a connection of its own: the custom plan always, the generic one where the gateway's connection used it
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const result of results) {
      const plans: ('custom' | 'generic')[] = ['custom'];
      if (MODES.some((mode) => result.samples[mode].some((s) => s.plan === 'generic'))) plans.push('generic');
      for (const plan of plans) {
        const off = await explain(client, result.sent!, 'off', plan, true);
        // JIT is used exactly when the plan's cost passes jit_above_cost: below it, jit = on runs the same code as off (not run again)
        const planned = await explain(client, result.sent!, 'on', plan, false);
        const on = planned.cost > jitAboveCost ? await explain(client, result.sent!, 'on', plan, true) : { ...off, jit: null, skipped: true };
        result.explain[`${plan}/off`] = off;
        result.explain[`${plan}/on`] = on;
        console.log(
          `explain ${result.c.statement} ${result.c.window} (${plan} plan): cost ${planned.cost.toFixed(0)}; execution on ${on.skipped ? '(not run: cost ≤ jit_above_cost, no JIT)' : `${fmt(on.executionMs)} ms`}, off ${fmt(off.executionMs)} ms; ${jitText(on.jit)}; slowest node (off): ${off.worst}`,
        );
      }
    }
  } finally {
    await client.end();
  }
  return results;
}

function jitText(jit: ExplainJson['JIT'] | null): string {
  if (!jit) return 'no JIT';
  const t = jit.Timing;
  const options = Object.entries(jit.Options)
    .filter(([, on]) => on)
    .map(([name]) => name.toLowerCase())
    .join('+');
  return `JIT ${jit.Functions} fns (${options}): gen ${fmt(t.Generation)} inl ${fmt(t.Inlining)} opt ${fmt(t.Optimization)} emit ${fmt(t.Emission)} = ${fmt(t.Total)} ms`;
}

function printTable(results: CaseResult[], members: number): void {
  const header = ['phase', 'statement', 'window', 'members', 'on ms', 'off ms', 'on÷off', 'n', 'plans on/off', 'cost', 'JIT (explain, jit on)', 'explain exec on/off ms', 'slowest node (jit off)'];
  const rows = results.map((r) => {
    const on = median(r.samples.on.map((s) => s.ms));
    const off = median(r.samples.off.map((s) => s.ms));
    const kinds = (mode: Mode) => {
      const g = r.samples[mode].filter((s) => s.plan === 'generic').length;
      return g === 0 ? 'c' : g === r.samples[mode].length ? 'g' : `${r.samples[mode].length - g}c+${g}g`;
    };
    const explained = Object.keys(r.explain)
      .filter((k) => k.endsWith('/on'))
      .map((k) => k.split('/')[0]);
    const per = (f: (plan: string) => string) => explained.map((plan) => (explained.length > 1 ? `${plan[0]}: ${f(plan)}` : f(plan))).join('; ');
    return [
      r.phase,
      r.c.statement,
      r.c.window,
      String(members),
      fmt(on),
      fmt(off),
      (on / off).toFixed(2),
      String(r.samples.on.length),
      `${kinds('on')}/${kinds('off')}`,
      per((plan) => r.explain[`${plan}/on`].cost.toFixed(0)),
      per((plan) => (r.explain[`${plan}/on`].skipped ? 'no JIT (cost ≤ jit_above_cost)' : jitText(r.explain[`${plan}/on`].jit))),
      per((plan) => `${r.explain[`${plan}/on`].skipped ? '–' : fmt(r.explain[`${plan}/on`].executionMs)}/${fmt(r.explain[`${plan}/off`].executionMs)}`),
      per((plan) => r.explain[`${plan}/off`].worst),
    ];
  });
  console.log(`\n| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  console.log(
    "\non/off ms: medians of the gateway function's wall time (pg round trip included), warm-up not counted; n: samples per mode; plans: c custom, g generic, as the gateway's connection planned them (?: sent unnamed, planned on every run: PLAN_EACH_RUN); cost and EXPLAIN: c: custom plan, g: generic plan; explain exec on: – when the cost is at most jit_above_cost (no JIT, so as off); slowest node: its own time (less its children's and its CTE's), summed over loops and parallel workers",
  );
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL?.trim();
  if (!databaseUrl) {
    console.error(
      'DATABASE_URL is required: a PostgreSQL server with JIT (LLVM), e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/test; the scratch database is created on it. The embedded PostgreSQL has no JIT, so this bench does not start one.',
    );
    process.exit(2);
  }
  const adminUrl = new URL(databaseUrl);
  const adminDatabase = decodeURIComponent(adminUrl.pathname.replace(/^\//, '')) || 'postgres';
  if (!/^[a-z_][a-z0-9_]*$/.test(settings.database)) throw new Error(`BENCH_ANALYTICS_DATABASE must be a plain lower-case name, got ${settings.database}`);
  if (settings.database === adminDatabase || settings.database === 'test') throw new Error(`the scratch database must not be ${settings.database}`);
  const scratchUrl = new URL(databaseUrl);
  scratchUrl.pathname = `/${settings.database}`;
  const url = scratchUrl.toString();

  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  const exists = (await admin.query('select 1 from pg_database where datname = $1', [settings.database])).rowCount === 1;
  let dropAtEnd = !settings.keep;
  const dropScratch = async () => {
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    await c.query(`drop database if exists ${settings.database} with (force)`);
    await c.end();
  };
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (interrupted) return;
      interrupted = true;
      console.error(`\n${signal}: ${dropAtEnd ? `dropping ${settings.database}` : `keeping ${settings.database}`}`);
      (dropAtEnd ? dropScratch() : Promise.resolve()).finally(() => process.exit(130));
    });
  }
  try {
    let reused = false;
    if (settings.reuse && exists) {
      reused = true;
    } else {
      await admin.query(`drop database if exists ${settings.database} with (force)`);
      await admin.query(`create database ${settings.database}`);
    }
    await admin.end();

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const show = async (name: string) => (await client.query(`select current_setting('${name}') as v`)).rows[0].v as string;
    const jitAvailable = (await client.query('select pg_jit_available() as ok')).rows[0].ok as boolean;
    console.log(`PostgreSQL ${await show('server_version')} at ${adminUrl.host}; pg_jit_available() = ${jitAvailable}`);
    if (!jitAvailable) {
      console.log('JIT is not available on this server (no LLVM): nothing to measure.');
      await client.end();
      return;
    }
    const serverSettings = ['jit', 'jit_above_cost', 'jit_inline_above_cost', 'jit_optimize_above_cost', 'max_parallel_workers_per_gather', 'work_mem', 'shared_buffers', 'effective_cache_size', 'random_page_cost'];
    const shown: string[] = [];
    for (const name of serverSettings) shown.push(`${name}=${await show(name)}`);
    console.log(`server settings: ${shown.join(', ')}`);
    const jitAboveCost = Number(await show('jit_above_cost'));

    let now: Date;
    let counts: Record<string, number>;
    let seedSeconds = 0;
    if (reused) {
      const info = (await client.query('select members, sales, now_at, counts from ajb_seed')).rows[0] as { members: number; sales: number; now_at: Date; counts: Record<string, number> } | undefined;
      if (!info || info.members !== settings.members || info.sales !== settings.sales) {
        throw new Error(`--reuse: ${settings.database} holds ${info ? `${info.members} members, ${info.sales} sales` : 'no finished seed'}, not ${settings.members}/${settings.sales}; run without --reuse`);
      }
      now = info.now_at;
      counts = info.counts;
      console.log(`reusing ${settings.database}: ${info.members} members seeded for ${now.toISOString()}`);
    } else {
      now = new Date(Math.floor(Date.now() / 1000) * 1000);
      const started = performance.now();
      const orm = await openOrm({ url, poolMax: 2 });
      let catalog: Catalog;
      try {
        await migrate(orm);
        catalog = await seedCatalog(orm, url, new Date(now.getTime() - 800 * DAY_MS - 2 * 3_600_000));
      } finally {
        await orm.close(true);
      }
      console.log(`seeding ${settings.members} members (BENCH_ANALYTICS_SALES=${settings.sales}) for now = ${now.toISOString()}`);
      counts = await seedHistory(client, catalog, now);
      seedSeconds = (performance.now() - started) / 1000;
      console.log(`seeded in ${seedSeconds.toFixed(0)} s (migrations and catalog included)`);
    }
    const size = (await client.query(`select pg_size_pretty(pg_database_size(current_database())) as size`)).rows[0].size as string;
    console.log(`rows: ${Object.entries(counts).map(([t, n]) => `${t} ${n}`).join(', ')}; database ${size}`);

    const results: CaseResult[] = [];
    if (!reused && settings.unanalysedRounds > 0) results.push(...(await measurePhase('no analyze', url, now, settings.unanalysedRounds, jitAboveCost)));
    const started = performance.now();
    await client.query(`set maintenance_work_mem = '512MB'`);
    await client.query('vacuum (analyze)');
    console.log(`\nvacuum (analyze): ${((performance.now() - started) / 1000).toFixed(0)} s`);
    results.push(...(await measurePhase('analyzed', url, now, settings.rounds, jitAboveCost)));
    if (settings.keep) for (const table of BULK_TABLES) await client.query(`alter table ${table} reset (autovacuum_enabled, toast.autovacuum_enabled)`);
    await client.end();

    console.log(`\nseeded: ${settings.members} members, ${Object.entries(counts).map(([t, n]) => `${t} ${n}`).join(', ')}${seedSeconds ? `; seeding ${seedSeconds.toFixed(0)} s` : ' (reused)'}`);
    printTable(results, settings.members);
  } finally {
    if (dropAtEnd && !interrupted) {
      await dropScratch();
      console.log(`\ndropped ${settings.database}`);
    } else if (!interrupted) {
      console.log(`\nkept ${settings.database} (--keep): drop it with \`drop database ${settings.database}\``);
    }
    dropAtEnd = false;
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
