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

export const BENCH = {
  currency: 'BENCH',
  customer: 'bench-customer',
  listingsInStore: 60,
  balance: 5_000_000,
  /** One listing costs more than the balance, so `affordable`/`pointsMissing` are not all the same. */
  unaffordablePrice: 9_000_000,
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
 * customer with a large balance.
 */
export async function seedBenchProgram(orm: MikroORM, config: Config, clock: Clock): Promise<BenchProgram> {
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
 * (5 points a sale, no budget: every sale takes the campaign's row lock, the contention a real
 * program has), one tier, a store of `listings` affordable listings with no per-customer limit
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
    await registerManifest(tx, { schema: await gatewaySchema(), client: partnerClient(partner.id), manifest: await contractPartnerManifest(), actor: 'bench', now });
    return { currency, storeId: store.id, listingIds, customers, balance: options.balance, apiKey, stock: options.stock };
  });
}

/** A bench customer's starting points: one qualifying EARN of `points` in `currency`, by the system. */
function grantBenchPoints(em: Parameters<typeof postEntry>[0], customerId: number, currency: string, points: number, now: Date) {
  return postEntry(em, { customerId, currency, amount: points, kind: LedgerEntryKind.EARN, source: LedgerSource.SEED, reason: 'Benchmark balance', actor: 'system', qualifying: true, now });
}
