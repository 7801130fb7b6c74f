import type { MikroORM } from '@mikro-orm/postgresql';
import pino from 'pino';
import type { Clock } from '../src/clock.js';
import type { Config } from '../src/config.js';
import type { Ctx } from '../src/context.js';
import { upsertCustomer } from '../src/customers/customer.service.js';
import { OfferBenefitKind } from '../src/offers/offer.entity.js';
import { createOffer, type OfferContent } from '../src/offers/offer.service.js';
import { LedgerEntryKind, LedgerSource } from '../src/points/ledger-entry.entity.js';
import { postEntry } from '../src/points/ledger.service.js';
import { createCurrency } from '../src/points/points.service.js';
import { addListing, createRewardStore } from '../src/stores/store.service.js';
import { createTier } from '../src/tiers/tier.service.js';
import { gatewaySchema } from '../src/graphql/schema.js';
import { createPartner } from '../src/partners/partner.service.js';
import { contractPartnerManifest } from '../src/persisted/contract.js';
import { partnerClient, registerManifest } from '../src/persisted/persisted.service.js';
import { createCampaign, setEconomyRule } from '../src/rules/rule.service.js';
import { query, sql } from '../src/db/sql.js';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { documentChecks } from '../src/graphql/document-rules.js';
import { ensureDatabase, type RunningPostgres } from '../src/db/embedded.js';
import { migrate, openOrm } from '../src/db/orm.js';
import { toGlobalId } from '../src/graphql/ids.js';
import { signToken } from '../src/http/auth.js';
import { contractOperation } from './operations.js';

export const BENCH = {
  currency: 'BENCH',
  customer: 'bench-customer',
  listingsInStore: 60,
  balance: 5_000_000,
  /** One listing costs more than the balance, so `affordable`/`pointsMissing` are not all the same. */
  unaffordablePrice: 9_000_000,
  /**
   * Other members with a history in the currency (`seedMembersHistory`): the ledger's statistics.
   * `BENCH_MEMBERS` (0 for none, as before issue 12's third session).
   */
  members: Math.max(0, Number(process.env.BENCH_MEMBERS ?? 2_000) || 0),
} as const;

/**
 * The gateway's environment in a benchmark: production mode, the run's JWT secret and database,
 * a pool of `poolMax`, warnings only, and the rate limiter off (a counter upsert per request,
 * issue 8): neither the floor nor PostGraphile has one, and the load is one customer sending
 * thousands of requests a minute.
 */
export function benchGatewayEnv(jwtSecret: string, databaseUrl: string, poolMax: number): Record<string, string> {
  return {
    NODE_ENV: 'production',
    JWT_SECRET: jwtSecret,
    DATABASE_URL: databaseUrl,
    DB_POOL_MAX: String(poolMax),
    LOG_LEVEL: 'warn',
    RATE_LIMIT_CUSTOMER: '0',
    RATE_LIMIT_ANONYMOUS: '0',
    RATE_LIMIT_STAFF: '0',
    RATE_LIMIT_PARTNER: '0',
    RATE_LIMIT_WS_CONNECT: '0',
  };
}

export interface BenchProgram {
  storeId: number;
  /** The page of 20 the read benchmark asks for, in sort order. */
  storeListingIds: number[];
  /** Unlimited stock, no per-customer limit, cheap: the purchase benchmark buys it again and again. */
  purchaseListingId: number;
  purchasePrice: number;
  customerId: number;
}

const benefits: OfferContent['benefit'][] = [
  { kind: OfferBenefitKind.FREE_ITEM, freeSku: 'MUFFIN', categories: ['COFFEE'], maxDiscount: '3.50' },
  { kind: OfferBenefitKind.PERCENT_OFF, percentOff: 20, categories: ['PASTRY'], maxDiscount: '5.00' },
  { kind: OfferBenefitKind.AMOUNT_OFF, amountOff: '2.00' },
  { kind: OfferBenefitKind.PERCENT_OFF, percentOff: 12.5 },
];

/** The `i`th offer of a benchmark store: ordinary lengths of text for a mobile card, the benefits in turn. */
function storeOffer(prefix: 'bench' | 'fleet', storeName: string, i: number): OfferContent {
  return {
    name: `${prefix === 'bench' ? 'Bench' : 'Fleet'} offer ${i}`,
    description: `Offer number ${i} of the ${storeName}, with a description of ordinary length for a mobile card.`,
    imageUrl: `https://example.com/offers/${prefix}-${i}.png`,
    terms: `Terms of offer ${i}: one per visit, not with other offers, while stocks last.`,
    benefit: benefits[i % benefits.length],
    validDays: 30,
  };
}

/**
 * The benchmark's program, written through the gateway's own services (as the demo seed does):
 * a currency, one tier, a store of 60 listings (with stock, per-customer limits, one unaffordable
 * price), a second store with one cheap unlimited listing for the purchase benchmark, and one
 * customer with a large balance; and, in bulk SQL, `BENCH.members` other members' history
 * (`seedMembersHistory`). `members`: how many (default `BENCH.members`; test/bench/answers.test.ts
 * seeds none, for a database made in a second).
 */
export async function seedBenchProgram(orm: MikroORM, config: Config, clock: Clock, { members = BENCH.members }: { members?: number } = {}): Promise<BenchProgram> {
  return orm.em.fork().transactional(async (tx) => {
    const caller = { kind: 'staff' as const, staffId: 'bench', role: 'operator' as const };
    const ctx: Ctx = { em: tx, caller, clock, config, log: pino({ level: 'silent' }) };
    const now = clock.now();

    await createCurrency(ctx, { code: BENCH.currency, name: 'Bench beans', expiryDays: 365, pointValue: '0.01', moneyCurrency: 'EUR' });
    await createTier(ctx, { currency: BENCH.currency, code: 'BENCH_GREEN', name: 'Green', rank: 1, threshold: 0 });
    const store = await createRewardStore(ctx, { code: 'bench-store', name: 'Bench rewards', currency: BENCH.currency });
    const purchaseStore = await createRewardStore(ctx, { code: 'bench-purchases', name: 'Bench purchases', currency: BENCH.currency });

    const storeListingIds: number[] = [];
    for (let i = 1; i <= BENCH.listingsInStore; i++) {
      const offer = await createOffer(ctx, storeOffer('bench', 'benchmark store', i));
      const listing = await addListing(ctx, {
        storeId: store.id,
        offerId: offer.offerId,
        priceInPoints: i === 7 ? BENCH.unaffordablePrice : 100 + 25 * i,
        stock: i % 3 === 0 ? 1_000 + i : null,
        perCustomerLimit: i % 4 === 0 ? 5 : null,
        sortOrder: i,
      });
      storeListingIds.push(listing.id);
    }

    const cheap = await createOffer(ctx, {
      name: 'Bench espresso shot',
      description: 'An extra shot in any drink.',
      imageUrl: 'https://example.com/offers/bench-shot.png',
      terms: 'One per drink.',
      benefit: { kind: OfferBenefitKind.FREE_ITEM, freeSku: 'SHOT' },
      validDays: 30,
    });
    const purchasePrice = 10;
    const purchaseListing = await addListing(ctx, { storeId: purchaseStore.id, offerId: cheap.offerId, priceInPoints: purchasePrice, sortOrder: 1 });

    const customer = await upsertCustomer(ctx, { externalId: BENCH.customer, name: 'Bench Customer', email: 'bench@example.com', segments: ['bench'] });
    await grantBenchPoints(tx, customer.id, BENCH.currency, BENCH.balance, now);
    if (members > 0) await seedMembersHistory(tx, BENCH.currency, members, now);

    return {
      storeId: store.id,
      storeListingIds,
      purchaseListingId: purchaseListing.id,
      purchasePrice,
      customerId: customer.id,
    };
  });
}

/** What bench/till.ts and bench/mixed.ts load the instances with (`seedFleetProgram`). */
export interface FleetProgram {
  currency: string;
  /** The store whose first page (20 listings) the members read, and whose listings they buy. */
  storeId: number;
  /** Every listing of the store: affordable, no per-customer limit, stock that outlasts the run. */
  listingIds: number[];
  /** Customers' externalIds (token subjects, and the till's customerExternalId). */
  customers: string[];
  /** Points each customer starts with. */
  balance: number;
  /** The till's API key (scopes transactions:write and transactions:read). */
  apiKey: string;
  /** Stock each listing with stock starts with (the others are unlimited). */
  stock: number;
}

/**
 * A program for loads of many customers at once, written through the gateway's own services:
 * a currency (EUR money) with an economy rule (1 point per euro) and an always-on bonus campaign
 * (5 points a sale, no budget: every sale counts on it, on its customer's shard of the count
 * (`campaign_count`), as a real program's sales do), one tier, a store of `listings` affordable listings with no per-customer limit
 * (every other one with stock of `stock`, the rest unlimited), `customers` customers with
 * `balance` points each, and a till (a partner) with the contract's partner operations registered
 * on its list, as an operator does.
 */
export async function seedFleetProgram(
  orm: MikroORM,
  config: Config,
  clock: Clock,
  options: { customers: number; listings: number; balance: number; stock: number },
): Promise<FleetProgram> {
  const currency = 'FLEET';
  return orm.em.fork().transactional(async (tx) => {
    const caller = { kind: 'staff' as const, staffId: 'bench', role: 'operator' as const };
    const ctx: Ctx = { em: tx, caller, clock, config, log: pino({ level: 'silent' }) };
    const now = clock.now();
    await createCurrency(ctx, { code: currency, name: 'Fleet beans', expiryDays: 365, pointValue: '0.01', moneyCurrency: 'EUR' });
    await createTier(ctx, { currency, code: 'FLEET_GREEN', name: 'Green', rank: 1, threshold: 0 });
    await setEconomyRule(ctx, { currency, pointsPerUnit: '1' });
    await createCampaign(ctx, {
      name: 'Always a bonus',
      currency,
      startsAt: new Date(now.getTime() - 86_400_000),
      endsAt: new Date(now.getTime() + 30 * 86_400_000),
      outcome: { bonusPoints: 5 },
    });
    const store = await createRewardStore(ctx, { code: 'fleet-store', name: 'Fleet rewards', currency });
    const listingIds: number[] = [];
    for (let i = 1; i <= options.listings; i++) {
      const offer = await createOffer(ctx, storeOffer('fleet', 'fleet store', i));
      const listing = await addListing(ctx, { storeId: store.id, offerId: offer.offerId, priceInPoints: 10 + i, stock: i % 2 === 0 ? options.stock : null, sortOrder: i });
      listingIds.push(listing.id);
    }
    const customers: string[] = [];
    for (let i = 0; i < options.customers; i++) {
      const customer = await upsertCustomer(ctx, { externalId: `fleet-${i}`, name: `Fleet member ${i}`, email: `fleet-${i}@example.com` });
      await grantBenchPoints(tx, customer.id, currency, options.balance, now);
      customers.push(customer.externalId);
    }
    const { partner, apiKey } = await createPartner(ctx, { name: 'Fleet till', scopes: ['transactions:write', 'transactions:read'] });
    await registerManifest(tx, { schema: await gatewaySchema(), client: partnerClient(partner.id), manifest: await contractPartnerManifest(), actor: 'bench', now, checks: documentChecks(config) });
    return { currency, storeId: store.id, listingIds, customers, balance: options.balance, apiKey, stock: options.stock };
  });
}

/** A bench customer's starting points: one qualifying EARN of `points` in `currency`, by the system. */
function grantBenchPoints(em: Parameters<typeof postEntry>[0], customerId: number, currency: string, points: number, now: Date) {
  return postEntry(em, { customerId, currency, amount: points, kind: LedgerEntryKind.EARN, source: LedgerSource.SEED, reason: 'Benchmark balance', actor: 'system', qualifying: true, now });
}

/**
 * Earns and spends of one member, in the order they happened: `[kind, amount, days ago, the
 * earn (by position) a spend consumes]`. Earns of 100, each of the first five spent in two
 * purchases of 50 a day later; the last five still open. Balance 500, lifetime 1,000, every
 * credit expiring 365 days after it was earned (none due yet).
 */
const MEMBER_HISTORY: [kind: 'EARN' | 'SPEND', amount: number, daysAgo: number, consumes: number | null][] = [];
for (let j = 1; j <= 10; j++) {
  MEMBER_HISTORY.push(['EARN', 100, 300 - 25 * j, null]);
  if (j <= 5) {
    const earn = MEMBER_HISTORY.length;
    MEMBER_HISTORY.push(['SPEND', -50, 299 - 25 * j, earn], ['SPEND', -50, 299 - 25 * j, earn]);
  }
}

/**
 * Other members' history in `currency`, in bulk SQL (the gateway's services would take minutes):
 * `members` customers, each with an account and the ledger of MEMBER_HISTORY (entries,
 * allocations, balance equal to the sum of the ledger) and an idempotency record per purchase.
 *
 * Why: PostgreSQL plans the gateway's prepared statements from the tables' statistics, and the
 * bench analyses right after seeding. With the bench customer's single entry as the whole ledger,
 * the purchase's debit statement got generic plans for a one-row `ledger_entry` (sequential scans
 * of the whole ledger, rescanned per row) that grow slower with every purchase of the run (issue
 * 12, "where a purchase's time goes"); a database in use has other members' history and index
 * plans. 2,000 members give 40,000 entries: about what a program of that size has after a year.
 */
async function seedMembersHistory(em: Parameters<typeof postEntry>[0], currency: string, members: number, now: Date): Promise<void> {
  const h = MEMBER_HISTORY;
  await query(
    em,
    sql`insert into customer (external_id, name, email, created_at, updated_at)
        select 'bench-member-' || g, 'Member ' || g, 'member-' || g || '@example.com', ${now}::timestamptz - interval '400 days', ${now}
          from generate_series(1, ${members}::int) g`,
  );
  await query(
    em,
    sql`insert into point_account (customer_id, currency_code, available, lifetime_earned, created_at, updated_at)
        select c.id, ${currency}, ${h.reduce((sum, [, amount]) => sum + amount, 0)}, ${h.filter(([kind]) => kind === 'EARN').reduce((sum, [, amount]) => sum + amount, 0)},
               c.created_at, ${now}
          from customer c where c.external_id like 'bench-member-%' order by c.id`,
  );
  // The history by position n (1…), a spend's `consumes` naming the earn's n; `source_id` keeps n for the allocations.
  await query(
    em,
    sql`insert into ledger_entry (account_id, customer_id, amount, kind, source_type, source_id, reason, actor, balance_after, expires_at, remaining, qualifying, created_at)
        select a.id, a.customer_id, t.amount, t.kind, case t.kind when 'EARN' then 'SEED' else 'PURCHASE' end, 'history-' || t.n,
               case t.kind when 'EARN' then 'Member history' else 'Bench offer' end, 'system',
               sum(t.amount) over (partition by a.id order by t.n),
               case t.kind when 'EARN' then ${now}::timestamptz - make_interval(days => t.days_ago) + interval '365 days' end,
               case when t.kind = 'EARN' and not exists (select 1 from unnest(${h.map(([, , , c]) => c)}::int[]) u(c) where u.c = t.n) then t.amount else 0 end,
               t.kind = 'EARN', ${now}::timestamptz - make_interval(days => t.days_ago)
          from point_account a
          cross join unnest(${h.map(([k]) => k)}::text[], ${h.map(([, amount]) => amount)}::bigint[], ${h.map(([, , d]) => d)}::int[]) with ordinality as t(kind, amount, days_ago, n)
         where a.currency_code = ${currency} and a.customer_id in (select id from customer where external_id like 'bench-member-%')
         order by a.id, t.n`,
  );
  await query(
    em,
    sql`insert into ledger_allocation (account_id, customer_id, debit_id, credit_id, amount)
        select d.account_id, d.customer_id, d.id, c.id, -d.amount
          from unnest(${h.map(([, , , c]) => c)}::int[]) with ordinality as t(consumes, n)
          join ledger_entry d on d.source_id = 'history-' || t.n and d.kind = 'SPEND'
          join ledger_entry c on c.account_id = d.account_id and c.source_id = 'history-' || t.consumes
         where t.consumes is not null
         order by d.id`,
  );
  await query(
    em,
    sql`insert into idempotency_record (scope, key, fingerprint, result, created_at)
        select 'purchase:' || d.customer_id, d.source_id, 'history', jsonb_build_object('purchaseId', d.id), d.created_at
          from ledger_entry d where d.kind = 'SPEND' and d.source_id like 'history-%'`,
  );
  const [off] = await query<{ accounts: number }>(
    em,
    sql`select count(*)::int as accounts from point_account a
         where a.currency_code = ${currency}
           and (a.available <> (select coalesce(sum(e.amount), 0) from ledger_entry e where e.account_id = a.id)
             or a.available <> (select coalesce(sum(e.remaining), 0) from ledger_entry e where e.account_id = a.id))`,
  );
  if (off.accounts !== 0) throw new Error(`seeded history: ${off.accounts} accounts whose balance is not the sum of their ledger`);
}

/** What `seedPageDatabase` made: the gateway's environment and config, the program, and a signed-in page request. */
export interface PageDatabase {
  env: Record<string, string>;
  config: Config;
  program: BenchProgram;
  /** The bench customer's headers (JSON, a bearer token). */
  headers: Record<string, string>;
  /** The contract's RewardStoreOffers for the first 20 listings of the bench store, as a POST body. */
  pageBody: string;
}

/**
 * The page benchmarks' database on `postgres` (bench/instructions.ts, bench/gc.ts): `reward_bench`,
 * migrated, seeded by `seedBenchProgram`, `vacuum analyze`d; the gateway's environment for it (a
 * fresh JWT secret, a pool of 20, and `extraEnv`).
 */
export async function seedPageDatabase(postgres: RunningPostgres, extraEnv: Record<string, string> = {}): Promise<PageDatabase> {
  await ensureDatabase(postgres.adminUrl, 'reward_bench');
  const databaseUrl = postgres.urlFor('reward_bench');
  const env = { ...benchGatewayEnv(`bench-${randomBytes(24).toString('hex')}`, databaseUrl, 20), ...extraEnv };
  const config = loadConfig(env);
  const orm = await openOrm({ url: databaseUrl, poolMax: 4 });
  let program;
  try {
    await migrate(orm);
    program = await seedBenchProgram(orm, config, systemClock);
  } finally {
    await orm.close(true);
  }
  const admin = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  await admin.query('vacuum analyze');
  await admin.end();
  const token = await signToken(config, { sub: BENCH.customer });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  const pageBody = JSON.stringify({ query: contractOperation('RewardStoreOffers'), variables: { storeId: toGlobalId('RewardStore', program.storeId), first: 20 } });
  return { env, config, program, headers, pageBody };
}

/**
 * The same data as `npm run bench` before the page is read: three listings bought by the customer
 * (once, twice, three times) through the gateway at `gatewayUrl`; then the gateway's page, checked
 * to be a page, and each of `others`' pages checked to be byte-identical to it. Returns the page.
 * Throws on a refused purchase or a page that differs.
 */
export async function purchasesThenPage(db: PageDatabase, gatewayUrl: string, others: readonly { label: string; url: string }[]): Promise<string> {
  const post = async (url: string, body: string) => {
    const response = await fetch(url, { method: 'POST', headers: db.headers, body });
    return { status: response.status, text: await response.text() };
  };
  const purchaseOffer = contractOperation('PurchaseOffer');
  for (const [index, times] of [[0, 1], [2, 2], [3, 3]] as const) {
    for (let i = 0; i < times; i++) {
      const variables = { listingId: toGlobalId('Listing', db.program.storeListingIds[index]), idempotencyKey: `setup-${index}-${i}` };
      const answer = await post(gatewayUrl, JSON.stringify({ query: purchaseOffer, variables }));
      if (answer.status !== 200 || answer.text.includes('"errors"') || !answer.text.includes('"userErrors":[]')) throw new Error(`setup purchase: ${answer.text}`);
    }
  }
  const expected = await post(gatewayUrl, db.pageBody);
  if (expected.status !== 200 || !expected.text.includes('"listings"')) throw new Error(`the gateway's page: ${expected.text.slice(0, 500)}`);
  for (const other of others) {
    if ((await post(other.url, db.pageBody)).text !== expected.text) throw new Error(`${other.label}'s page is not byte-identical to the gateway's`);
  }
  return expected.text;
}
