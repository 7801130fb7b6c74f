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
      const offer = await createOffer(ctx, {
        name: `Bench offer ${i}`,
        description: `Offer number ${i} of the benchmark store, with a description of ordinary length for a mobile card.`,
        imageUrl: `https://example.com/offers/bench-${i}.png`,
        terms: `Terms of offer ${i}: one per visit, not with other offers, while stocks last.`,
        benefit: benefits[i % benefits.length],
        validDays: 30,
      });
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
    await postEntry(tx, {
      customerId: customer.id,
      currency: BENCH.currency,
      amount: BENCH.balance,
      kind: LedgerEntryKind.EARN,
      source: LedgerSource.SEED,
      reason: 'Benchmark balance',
      actor: 'system',
      qualifying: true,
      now,
    });

    return {
      storeId: store.id,
      storeListingIds,
      purchaseListingId: purchaseListing.id,
      purchasePrice,
      customerId: customer.id,
    };
  });
}
