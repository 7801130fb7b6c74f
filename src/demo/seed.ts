import type { MikroORM } from '@mikro-orm/postgresql';
import pino from 'pino';
import { ActivityKind } from '../activities/activity.entity.js';
import { setActivityRule } from '../activities/activity.service.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Ctx } from '../context.js';
import { upsertCustomer } from '../customers/customer.service.js';
import { createGiftList } from '../gifts/gift.service.js';
import { OfferBenefitKind } from '../offers/offer.entity.js';
import { createOffer } from '../offers/offer.service.js';
import { LedgerEntryKind, LedgerSource } from '../points/ledger-entry.entity.js';
import { postEntry } from '../points/ledger.service.js';
import { createCurrency } from '../points/points.service.js';
import { addListing, createRewardStore } from '../stores/store.service.js';
import { createTier } from '../tiers/tier.service.js';
import { createHmac } from 'node:crypto';
import { documentChecks, documentLimitsNamed } from '../graphql/document-rules.js';
import { gatewaySchema } from '../graphql/schema.js';
import { createPartner, hashApiKey, partnerByApiKey, PARTNER_SCOPES } from '../partners/partner.service.js';
import { recordAudit } from '../audit/audit.service.js';
import { contractPartnerManifest } from '../persisted/contract.js';
import { partnerClient, registerOwnManifest } from '../persisted/persisted.service.js';
import { createCampaign, setEconomyRule } from '../rules/rule.service.js';
import { LIFT_REQUEST_TIMEOUTS } from '../db/orm.js';
import { query, sql } from '../db/sql.js';

export const DEMO = {
  currency: 'BEANS',
  customers: { alice: 'cust-alice', bob: 'cust-bob', carol: 'cust-carol' },
  staff: { operator: 'staff-olivia', analyst: 'staff-arthur' },
} as const;

/**
 * The demo POS partner's API key, derived from the JWT secret so that every start can print it
 * while the database keeps only its hash, as for any partner. Development only, like the tokens.
 */
export function demoPartnerKey(config: Config): string {
  return `rg_${createHmac('sha256', config.jwtSecret).update('demo-pos-partner').digest('base64url').slice(0, 32)}`;
}

/** The staff id the seed acts as: its writes, the demo POS partner among them, are `staff:seed`'s. */
const SEED_STAFF_ID = 'seed';
/** The seed's actor in the audit log and on what it registers (money-24: its manifest was registered as `seed`), as a staff caller's (`actorOf`). */
/** The actor the seed writes as (audit entries, the demo POS partner's `created_by`). */
const SEED_ACTOR = `staff:${SEED_STAFF_ID}`;
/** The demo POS partner's name, as the seed creates it. */
const DEMO_PARTNER_NAME = 'Demo POS';

/**
 * Gives the demo POS partner the key `demoPartnerKey(config)` derives from this start's JWT_SECRET,
 * when the database holds another (a DATA_DIR seeded under another secret: the README's steps set
 * JWT_SECRET in .env after a first start). Before (newcomer-16), only the first seed stored a key,
 * so every later start printed a key the gateway refused "Unknown or revoked API key.", the
 * demo manifest was no longer registered for it, and the key derived from the development secret,
 * which is in the source, kept working. The demo partner is the one the seed created (created by
 * `staff:seed`, named DEMO_PARTNER_NAME: a real partner a staff id `seed` made, before the demo was
 * tried on a program's database, was taken for it and given the demo key: break37e); a revoked one
 * stays revoked. Records `rekeyDemoPartner` in the audit log.
 */
async function rekeyDemoPartner(tx: Parameters<typeof query>[0], config: Config, now: Date): Promise<void> {
  const key = demoPartnerKey(config);
  const seed = SEED_ACTOR;
  const rekeyed = await query(
    tx,
    sql<{ id: number }>`update partner set key_hash = ${hashApiKey(key)}, key_prefix = ${key.slice(0, 9)}
        where id = (select min(id) from partner where created_by = ${seed} and name = ${DEMO_PARTNER_NAME}) and revoked_at is null and key_hash <> ${hashApiKey(key)}
        returning id`,
  );
  for (const { id } of rekeyed) {
    await recordAudit(tx, { actor: seed, action: 'rekeyDemoPartner', target: `Partner:${id}`, reason: 'JWT_SECRET changed: the demo key is derived from it', at: now });
  }
}

/**
 * Puts the client contract's partner operations (schema/partner-manifest.json) on the demo POS's
 * list, so it runs those and nothing else. At every start, also on a database seeded before
 * manifests existed; registering them again changes nothing.
 */
async function registerDemoManifest(tx: Parameters<typeof query>[0], config: Config, now: Date, warn?: (message: string) => void): Promise<void> {
  const partner = await partnerByApiKey(tx, demoPartnerKey(config));
  if (!partner) return;
  const { overLimits } = await registerOwnManifest(tx, { schema: await gatewaySchema(), client: partnerClient(partner.id), manifest: await contractPartnerManifest(), actor: SEED_ACTOR, now, checks: documentChecks(config) });
  if (overLimits) {
    warn?.(
      `The client contract's partner operations (the demo POS's) exceed this gateway's document limits (${documentLimitsNamed(config)}): ${overLimits} ` +
        'The demo POS is refused QUERY_TOO_COMPLEX on them; raise the limit named to at least what it found for them to work.',
    );
  }
}

/**
 * The demo coffee program: one currency, two tiers, two stores with different eligibility, five
 * offers, two gift lists, activity rules, an economy rule and two campaigns, a POS partner and three
 * customers with balances. Runs once per
 * database: a transaction-level advisory lock and the BEANS currency make a second run (or two
 * instances at once) a no-op.
 *
 * Start-up work, not a request: its transaction lifts the request pool's statement bounds
 * (`LIFT_REQUEST_TIMEOUTS`) before it waits for the lock, so an instance starting while another
 * seeds waits for it however long that takes, and a slow machine's seed is not cut at
 * DB_STATEMENT_TIMEOUT_MS (both failed the start with "canceling statement due to statement
 * timeout"; docs/decisions.md, "start-up-bounds"). `warn`: told when the contract's partner
 * operations exceed this gateway's document limits (registered still: registerOwnManifest).
 */
export async function seedDemo(orm: MikroORM, config: Config, clock: Clock, warn?: (message: string) => void): Promise<boolean> {
  const em = orm.em.fork();
  return em.transactional(async (tx) => {
    await query(tx, sql`select ${sql.raw(LIFT_REQUEST_TIMEOUTS)}`);
    await query(tx, sql`select pg_advisory_xact_lock(hashtext('reward-gateway-demo-seed'))`);
    const [exists] = await query(tx, sql`select 1 from point_currency where code = ${DEMO.currency}`);
    if (exists) {
      await rekeyDemoPartner(tx, config, clock.now());
      await registerDemoManifest(tx, config, clock.now(), warn);
      return false;
    }
    const caller = { kind: 'staff' as const, staffId: SEED_STAFF_ID, role: 'operator' as const };
    // Services open their own (nested) transactions on ctx.em; here they join this one.
    const ctx: Ctx = { em: tx, caller, clock, config, log: pino({ level: 'silent' }) };
    const now = clock.now();

    await createCurrency(ctx, { code: DEMO.currency, name: 'Beans', expiryDays: 365, pointValue: '0.01', moneyCurrency: 'EUR' });
    await createTier(ctx, { currency: DEMO.currency, code: 'GREEN', name: 'Green', rank: 1, threshold: 0 });
    await createTier(ctx, { currency: DEMO.currency, code: 'GOLD', name: 'Gold', rank: 2, threshold: 1000, windowDays: 365, multiplier: 1.5 });

    const muffin = await createOffer(ctx, {
      name: 'Buy 1 coffee, get a free muffin',
      description: 'Any hot coffee with a blueberry or chocolate muffin on the house.',
      imageUrl: 'https://example.com/offers/coffee-muffin.png',
      terms: 'One muffin per coffee bought. Not with other offers.',
      benefit: { kind: OfferBenefitKind.FREE_ITEM, freeSku: 'MUFFIN', categories: ['COFFEE'], maxDiscount: '3.50' },
      validDays: 30,
    });
    const pastry = await createOffer(ctx, {
      name: '20% off any pastry',
      benefit: { kind: OfferBenefitKind.PERCENT_OFF, percentOff: 20, categories: ['PASTRY'], maxDiscount: '5.00' },
      validDays: 14,
    });
    const twoOff = await createOffer(ctx, { name: '€2 off your order', benefit: { kind: OfferBenefitKind.AMOUNT_OFF, amountOff: '2.00' }, validDays: 30 });
    const latte = await createOffer(ctx, {
      name: 'Free large latte',
      benefit: { kind: OfferBenefitKind.FREE_ITEM, freeSku: 'LATTE-L' },
      validDays: 30,
    });
    const cup = await createOffer(ctx, {
      name: 'Bean & Leaf reusable cup',
      description: 'Limited edition ceramic cup.',
      benefit: { kind: OfferBenefitKind.FREE_ITEM, freeSku: 'CUP-LTD' },
      validDays: 60,
    });

    const everyday = await createRewardStore(ctx, { code: 'everyday', name: 'Everyday rewards', currency: DEMO.currency });
    const gold = await createRewardStore(ctx, {
      code: 'gold-lounge',
      name: 'Gold lounge',
      currency: DEMO.currency,
      eligibility: { tiers: ['GOLD'] },
    });
    await addListing(ctx, { storeId: everyday.id, offerId: muffin.offerId, priceInPoints: 150, sortOrder: 1 });
    await addListing(ctx, { storeId: everyday.id, offerId: pastry.offerId, priceInPoints: 100, sortOrder: 2 });
    await addListing(ctx, { storeId: everyday.id, offerId: twoOff.offerId, priceInPoints: 200, sortOrder: 3, perCustomerLimit: 5 });
    await addListing(ctx, { storeId: gold.id, offerId: latte.offerId, priceInPoints: 300, sortOrder: 1 });
    await addListing(ctx, { storeId: gold.id, offerId: cup.offerId, priceInPoints: 800, sortOrder: 2, stock: 50, perCustomerLimit: 1 });

    await createGiftList(ctx, { currency: DEMO.currency, name: 'Every 100 beans', threshold: 100, offerIds: [pastry.offerId, twoOff.offerId] });
    await createGiftList(ctx, { currency: DEMO.currency, name: 'At 1000 beans', threshold: 1000, offerIds: [latte.offerId, cup.offerId], maxClaims: 1 });
    await setActivityRule(ctx, { currency: DEMO.currency, kind: ActivityKind.SIGN_UP, points: 50, capPerPeriod: 1 });
    await setActivityRule(ctx, { currency: DEMO.currency, kind: ActivityKind.REVIEW, points: 20, capPerPeriod: 3, periodDays: 30 });
    await setActivityRule(ctx, { currency: DEMO.currency, kind: ActivityKind.BIRTHDAY, points: 100 });
    await setEconomyRule(ctx, {
      currency: DEMO.currency,
      pointsPerUnit: '10',
      categoryMultipliers: [{ category: 'PASTRY', multiplier: 2 }],
      excludedSkus: ['GIFT-CARD'],
    });
    // From the oldest sale the gateway accepts (SALE_MAX_AGE_DAYS back), so a backdated demo sale
    // earns the campaigns rather than nothing (and does not use up the first-visit treat for nothing).
    const since = new Date(now.getTime() - (config.saleMaxAgeDays + 1) * 86_400_000);
    const year = new Date(Date.UTC(now.getUTCFullYear() + 1, 0, 1));
    await createCampaign(ctx, {
      name: 'Coffee bonus',
      currency: DEMO.currency,
      startsAt: since,
      endsAt: year,
      conditions: { categories: ['COFFEE'], minSpend: '3.00' },
      outcome: { bonusPoints: 25 },
      limits: { perCustomer: 10 },
    });
    await createCampaign(ctx, {
      name: 'First visit treat',
      currency: DEMO.currency,
      startsAt: since,
      endsAt: year,
      conditions: { firstPurchase: true },
      outcome: { offerId: pastry.offerId },
    });
    await createPartner(ctx, { name: DEMO_PARTNER_NAME, scopes: [...PARTNER_SCOPES] }, demoPartnerKey(config));
    await registerDemoManifest(tx, config, now, warn);

    const customers = [
      { externalId: DEMO.customers.alice, name: 'Alice Martin', email: 'alice@example.com', birthDate: '1990-04-12', segments: ['students'], earned: 420 },
      { externalId: DEMO.customers.bob, name: 'Bob Okafor', email: 'bob@example.com', birthDate: '1985-11-30', segments: ['regulars'], earned: 1200 },
      { externalId: DEMO.customers.carol, name: 'Carol Nguyen', email: 'carol@example.com', birthDate: null, segments: [], earned: 0 },
    ];
    for (const { earned, ...profile } of customers) {
      const customer = await upsertCustomer(ctx, profile);
      if (earned > 0) {
        await postEntry(tx, {
          customerId: customer.id,
          currency: DEMO.currency,
          amount: earned,
          kind: LedgerEntryKind.EARN,
          source: LedgerSource.SEED,
          reason: 'Welcome to the demo program',
          actor: 'system',
          qualifying: true,
          now,
        });
      }
    }
    return true;
  });
}
