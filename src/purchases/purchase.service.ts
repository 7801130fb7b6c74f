import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { actorOf, type Ctx, type CustomerCaller } from '../context.js';
import { CustomerStatus } from '../customers/customer.entity.js';
import { columnsOf, db, type EntityRow, type Selected } from '../db/schema.js';
import { anyOf, query, queryOne, sql } from '../db/sql.js';
import { refuse, UserErrorCode } from '../domain/refusals.js';
import { claimIdempotencyKey, completeIdempotencyKey, requestFingerprint } from '../idempotency/idempotency.service.js';
import { offerVersionColumns, offerVersionFrom, type OfferVersionColumns, type OfferVersionRow } from '../offers/offer.service.js';
import { LedgerEntryKind, LedgerSource } from '../points/ledger-entry.entity.js';
import { postEntry } from '../points/ledger.service.js';
import { customerQualifies, listingOnShow, storeOpen } from '../stores/store.service.js';
import { IssuedOfferSource } from '../wallet/issued-offer.entity.js';
import { issueOffer, type IssuedOfferRow } from '../wallet/wallet.service.js';
import { OfferPurchase } from './purchase.entity.js';

/** A purchase as the API shows it: every column of `offer_purchase` but the idempotency key. */
export type PurchaseRow = Pick<EntityRow<OfferPurchase>, (typeof PURCHASE_KEYS)[number]>;

const PURCHASE_KEYS = ['id', 'customerId', 'listingId', 'pointsPaid', 'issuedOfferId', 'ledgerEntryId', 'status', 'createdAt'] as const;

export interface BalanceSnapshot {
  accountId: number;
  customerId: number;
  currencyCode: string;
  available: number;
  pending: number;
  lifetimeEarned: number;
}

/** What a purchase answers, stored with its idempotency key so a repeat answers the same. */
export interface PurchaseOutcome {
  purchaseId: number;
  balance: BalanceSnapshot;
}

/** The rows a fresh purchase wrote, so its answer needs no more reads (a replay has none). */
export interface PurchaseRows {
  purchase: PurchaseRow;
  issued: IssuedOfferRow;
  offer: OfferVersionRow;
}

/**
 * Buys a listing with points, whole or not at all, in one transaction:
 * claim the idempotency key → check the listing is on show and the customer eligible → debit the
 * points (oldest-expiring credits first) → count the purchase against the per-customer limit →
 * take one from stock → issue the offer (current version, its expiry) → record the purchase and
 * the events. Row locks are always taken in that order (account, per-customer count, listing), so
 * concurrent purchases queue rather than deadlock, and the busiest lock (the listing's stock) is
 * held for the shortest time. Any refusal rolls everything back and frees the key.
 */
export async function purchaseOffer(
  ctx: Ctx,
  customer: CustomerCaller,
  listingId: number,
  idempotencyKey: string,
): Promise<PurchaseOutcome & { rows?: PurchaseRows }> {
  const now = ctx.clock.now();
  const scope = `purchase:${customer.customerId}`;
  return ctx.em.transactional(async (em) => {
    const claim = await claimIdempotencyKey<PurchaseOutcome>(em, scope, idempotencyKey, requestFingerprint({ listingId }), now);
    if (claim.replay) return claim.result;
    // After the replay: a purchase that went through still answers the same once the account is suspended.
    if (customer.status !== CustomerStatus.ACTIVE) {
      throw refuse(UserErrorCode.NOT_ELIGIBLE, 'This account cannot buy offers right now.');
    }

    const listing = await queryOne<Record<string, unknown> & OfferVersionColumns<'offer.'>>(
      em,
      sql`select l.id, l.price_in_points as price, l.per_customer_limit as "perCustomerLimit", l.stock_remaining as "stockRemaining",
                 s.currency_code as currency, ${listingOnShow(now)} and ${storeOpen(now)} as "onShow",
                 ${customerQualifies(customer, now)} as eligible, ${offerVersionColumns('offer.')}
            from listing l
            join reward_store s on s.id = l.store_id
            join offer o on o.id = l.offer_id
            join offer_version ov on ov.id = o.current_version_id
           where l.id = ${listingId}`,
    );
    if (!listing || !listing.onShow) {
      throw refuse(UserErrorCode.OFFER_UNAVAILABLE, 'This offer is not on sale.', ['input', 'listingId']);
    }
    if (!listing.eligible) {
      throw refuse(UserErrorCode.NOT_ELIGIBLE, 'This store is not open to you.', ['input', 'listingId']);
    }
    if (listing.stockRemaining === 0) {
      // Answer a sold-out listing without queueing on its row lock; the locked update below decides races.
      throw refuse(UserErrorCode.OUT_OF_STOCK, 'This offer is sold out.', ['input', 'listingId']);
    }
    const price = listing.price as number;
    const currency = listing.currency as string;
    const offer = offerVersionFrom(listing, 'offer.');

    const debit = await postEntry(em, {
      customerId: customer.customerId,
      currency,
      amount: -price,
      kind: LedgerEntryKind.SPEND,
      source: LedgerSource.PURCHASE,
      reason: offer.name,
      actor: actorOf(ctx.caller),
      now,
    });

    if (listing.perCustomerLimit != null) {
      const counted = await queryOne(
        em,
        sql`insert into listing_purchase_count as c (listing_id, customer_id, purchased) values (${listingId}, ${customer.customerId}, 1)
            on conflict (listing_id, customer_id) do update set purchased = c.purchased + 1 where c.purchased < ${listing.perCustomerLimit}
            returning purchased`,
      );
      if (!counted) throw refuse(UserErrorCode.LIMIT_REACHED, `You can buy this offer at most ${listing.perCustomerLimit} times.`, ['input', 'listingId']);
    } else {
      await query(
        em,
        sql`insert into listing_purchase_count as c (listing_id, customer_id, purchased) values (${listingId}, ${customer.customerId}, 1)
            on conflict (listing_id, customer_id) do update set purchased = c.purchased + 1`,
      );
    }

    if (listing.stockRemaining != null) {
      const taken = await queryOne(
        em,
        sql`update listing set stock_remaining = stock_remaining - 1 where id = ${listingId} and stock_remaining > 0 returning stock_remaining`,
      );
      if (!taken) throw refuse(UserErrorCode.OUT_OF_STOCK, 'This offer is sold out.', ['input', 'listingId']);
    }

    const issued = await issueOffer(em, { customerId: customer.customerId, offer, source: IssuedOfferSource.PURCHASE, now });
    const [purchase] = await query<Selected<typeof PURCHASE_COLUMNS>>(
      em,
      sql`insert into offer_purchase (customer_id, listing_id, points_paid, ledger_entry_id, issued_offer_id, idempotency_key, status, created_at)
          values (${customer.customerId}, ${listingId}, ${price}, ${debit.entryId}, ${issued.id}, ${idempotencyKey}, 'COMPLETED', ${now})
          returning ${PURCHASE_COLUMNS}`,
    );
    const outcome: PurchaseOutcome = { purchaseId: purchase.id, balance: debit.balance };
    await completeIdempotencyKey(em, scope, idempotencyKey, outcome);
    return { ...outcome, rows: { purchase, issued, offer } };
  });
}

const PURCHASE_COLUMNS = columnsOf(OfferPurchase, '', PURCHASE_KEYS);

/** Purchases by id (any order; unknown ids are left out), for the `purchase` loader. */
export async function purchasesByIds(em: SqlEntityManager, ids: readonly number[]): Promise<PurchaseRow[]> {
  return db(em)
    .selectFrom('OfferPurchase')
    .select(['id', 'customer as customerId', 'listing as listingId', 'pointsPaid', 'issuedOffer as issuedOfferId', 'ledgerEntry as ledgerEntryId', 'status', 'createdAt'])
    .where('id', '=', anyOf(ids))
    .execute();
}
