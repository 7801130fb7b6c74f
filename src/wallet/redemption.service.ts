import { noteReplay } from '../idempotency/replays.js';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import type { Ctx, PartnerCaller } from '../context.js';
import { CustomerStatus } from '../customers/customer.entity.js';
import { customerStatusNow } from '../customers/status-lock.js';
import type { RawBuilder } from 'kysely';
import { columnsOf, type EntityRow, type Selected } from '../db/schema.js';
import { idList, query, queryOne, sql } from '../db/sql.js';
import { refuse, UserErrorCode, UserErrorException } from '../domain/refusals.js';
import { partnerStillHolds, refuseIfRevoked } from '../partners/partner.service.js';
import { INVISIBLE_MARKS } from '../domain/text.js';
import { recordEvents } from '../events/outbox.service.js';
import type { OfferVersion } from '../offers/offer.entity.js';
import { offerVersionColumns, offerVersionFrom, unpayableReason, type OfferVersionColumns, type OfferVersionRow } from '../offers/offer.service.js';
import { isIsoCurrency } from '../domain/currency.js';
import { currencyFits, hasMoneyValue, matchesAny, NOT_APPLICABLE_MESSAGE, notApplicableMessage } from '../transactions/pricing.js';
import { IssuedOffer, IssuedOfferStatus } from './issued-offer.entity.js';
import { issuedColumns, issuedStatusAt, recordWalletChange, recordWalletChanges, walletEvent, type IssuedOfferRow } from './wallet.service.js';
import { instantOf } from '../domain/instant.js';

/**
 * The wallet at the till: a partner's basket locks an issued offer, redeems it (at most once, ever)
 * or releases it. Every operation takes the offer's row lock (`FOR UPDATE`) and decides on the
 * status as it is at `now` (`issued_offer_status_at`: a lock past its expiry reads ISSUED, an offer
 * past its expiry EXPIRED; a sale's redemption judges the offer's expiry at the sale's own moment
 * instead: tillStatusAt), so concurrent tills queue on the row and the second one sees what the
 * first committed. A lock that ran out is kept in the release record when it is cleared
 * (recordRunOutLock), so its basket is told so, and when. Refusals throw `UserErrorException` and
 * so roll the caller's transaction back.
 */

export const LOCK_TTL_SECONDS = { default: 300, min: 10, max: 3600 } as const;

const LIVE: readonly IssuedOfferStatus[] = [IssuedOfferStatus.ISSUED, IssuedOfferStatus.LOCKED];

/**
 * The row as the till sees it: the status at `now`, who holds its lock (`issued_offer` columns),
 * and two values computed beside them.
 */
type TillRow = IssuedOfferRow &
  Pick<EntityRow<IssuedOffer>, 'lockId' | 'lockPartnerId'> & {
    /**
     * A SUSPENDED or CLOSED customer's offers cannot be used at a till: the status read under the
     * customer's status lock (customerStatusNow), so a suspension committed while the till waited
     * for the offer's row is seen, and a later one waits for the till's transaction.
     */
    customerActive: boolean;
    /** The channels the offer's version may be used in (empty: any). */
    offerChannels: EntityRow<OfferVersion>['channels'];
    /** The version's benefit kind, amount off and maximum discount: whether its benefit has a money value, and whether it fits the sale's money. */
    offerBenefitKind: EntityRow<OfferVersion>['benefitKind'];
    offerAmountOff: EntityRow<OfferVersion>['amountOff'];
    offerMaxDiscount: EntityRow<OfferVersion>['maxDiscount'];
  } & RanOutLock;

/**
 * The last lock on an issued offer that ended by running out rather than by a release or a
 * redemption (ranOutLockColumns), as of `now`: its basket, partner and end; all null when none.
 */
interface RanOutLock {
  ranOutLockId: string | null;
  ranOutLockPartnerId: number | null;
  lockRanOutAt: Date | null;
}

/**
 * RanOutLock of `issued_offer io` at `now`: a lock the row still holds but that ran out (not swept
 * yet), else the one the release record keeps as run out (`released_lock_ran_out`: swept, or
 * cleared by a redemption, a void or another basket's lock). The same answer whether or not the
 * sweep ran (SPEC §4, Time).
 */
function ranOutLockColumns(now: Date): RawBuilder<RanOutLock> {
  const ranOut = lockRanOutBy(now);
  return sql`case when ${ranOut} then io.lock_id when io.released_lock_ran_out then io.released_lock_id end as "ranOutLockId",
             case when ${ranOut} then io.lock_partner_id when io.released_lock_ran_out then io.released_lock_partner_id end as "ranOutLockPartnerId",
             case when ${ranOut} then io.lock_expires_at when io.released_lock_ran_out then io.lock_released_at end as "lockRanOutAt"`;
}

/**
 * How the asking basket's (partner's `lockId`'s) last lock on the offer ended, of all baskets'
 * (`issued_offer_lock_end`, till-24; the row's record keeps only the code's last lock): `basketRanOutAt`
 * when it ran out (the row's own lock, run out and not yet swept, or the one kept), `basketReleasedAt`
 * when its till released it; both null when neither, or when no lockId was sent.
 */
interface BasketLockEnd {
  basketRanOutAt: Date | null;
  basketReleasedAt: Date | null;
}

/** The asking basket: the partner and the `lockId` its request named (null: none). */
interface Basket {
  partnerId: number;
  lockId: string | null;
}

/**
 * BasketLockEnd of `issued_offer io` at `now` for `basket`, as columns (read by basketLockEndOf only). The row's own columns come
 * first: its lock (the basket's, run out, or live: no end yet) and its release record when that
 * record is the basket's (the trigger copies exactly that record to `issued_offer_lock_end`); the
 * table is read only for an older lock of the basket. In a statement that waited for the row's lock
 * (`for update of io`), PostgreSQL reads the row as the transaction it waited for committed it, but
 * the table as it was before the wait: read first, the table missed the row the sweep's or another
 * basket's clearing of this basket's run-out lock had just written, and a late sale made under that
 * lock was told it ran out, a basket locking again "Another basket holds this offer." without when
 * its lock ran out (break-24; till-23 read the row's record and told both truly).
 */
function basketLockEndColumns(now: Date, basket: Basket): RawBuilder<BasketLockEnd> {
  const kept = (ranOut: boolean) =>
    sql`(select e.ended_at from issued_offer_lock_end e
          where e.issued_offer_id = io.id and e.partner_id = ${basket.partnerId} and e.lock_id = ${basket.lockId} and e.ran_out = ${ranOut})`;
  const holdsRow = sql`(io.status = 'LOCKED' and io.lock_partner_id = ${basket.partnerId} and io.lock_id = ${basket.lockId})`;
  const own = sql`(${lockRanOutBy(now)} and io.lock_partner_id = ${basket.partnerId} and io.lock_id = ${basket.lockId})`;
  const recorded = sql`(io.released_lock_partner_id = ${basket.partnerId} and io.released_lock_id = ${basket.lockId} and io.lock_released_at is not null)`;
  return sql`case when ${own} then io.lock_expires_at when ${holdsRow} then null
                  when ${recorded} then case when io.released_lock_ran_out then io.lock_released_at end else ${kept(true)} end as "basketRanOutAt",
             case when ${holdsRow} then null when ${recorded} then case when not io.released_lock_ran_out then io.lock_released_at end else ${kept(false)} end as "basketReleasedAt"`;
}

/**
 * BasketLockEnd of the offer of `code` for `basket` at `now`, in a statement of its own, asked after
 * the caller's statement took the offer's row lock (both nulls for an unknown code). Not a column of
 * that locking statement: one that waited for the row reads the row as committed by the last writer
 * but `issued_offer_lock_end` as it was before its wait, and with two writers queued ahead (one
 * recording this basket's run-out lock, the next displacing that record from the row: another
 * basket's takeover or release) neither read saw the basket's lock, so its till was told "This
 * basket holds no lock on this offer." or "Another basket holds this offer." without when its own
 * lock ran out (break2-25; till-25's one read brought it back to the release, the lock and the
 * redemption had it since till-24). This statement's snapshot is taken after the row lock, so it
 * sees every end committed before, and nobody can change the row until the caller commits.
 */
async function basketLockEndOf(em: SqlEntityManager, code: string, basket: Basket, now: Date): Promise<BasketLockEnd> {
  const row = await queryOne<BasketLockEnd>(
    em,
    sql<BasketLockEnd>`select ${basketLockEndColumns(now, basket)} from issued_offer io where io.code = ${normalizeOfferCode(code)}`,
  );
  return row ?? { basketRanOutAt: null, basketReleasedAt: null };
}

/** What a void or a sweep reads of an issued offer (the status as of `now`). */
type WalletKey = Pick<IssuedOfferRow, 'id' | 'customerId'>;

/**
 * Codes as a person types them: any case, with or without dashes or spaces, and Crockford's
 * look-alikes (O for 0, I and L for 1) read as the digits they stand for. Characters that show
 * nothing (`INVISIBLE_MARKS`: a zero-width space or BOM a scanner or a copy-paste adds) are left out
 * as spaces are (edges-11): a code is read, never stored from what was sent, and no two codes
 * differ by one, so reading past them cannot make one code another.
 */
export function normalizeOfferCode(input: string): string {
  const compact = input.replace(INVISIBLE_MARKS, '').toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  return compact.length === 12 ? `${compact.slice(0, 4)}-${compact.slice(4, 8)}-${compact.slice(8)}` : compact;
}

// One answer for unknown, foreign, expired, redeemed and voided codes and those of a customer who is
// not ACTIVE, so a code cannot be probed (docs/decisions.md, "One answer for dead codes"). It names
// those kinds and what a cashier can check, all at once (newcomer-23: "cannot be redeemed." alone
// left a till with a mistyped code nothing to do).
const notRedeemable = () =>
  refuse(
    UserErrorCode.OFFER_NOT_REDEEMABLE,
    "This offer code cannot be redeemed: it is unknown, used, expired or voided, or not the customer's to use. Check it was typed as the member's wallet shows it.",
    ['input', 'code'],
  );
/**
 * LOCK_HELD on `["input","lockId"]`. `named` false: the request named no lockId at all and the lock
 * is its own partner's (a sale or redemption whose till forgot to send the basket's), which
 * "Another basket" misread as someone else's lock; the message then says to send the lockId the
 * code was locked with (newcomer-19). Another partner's till is told "Another basket" with or
 * without a lockId (break-19). Either way it says nothing of who holds the lock, only when the
 * lock ends (`until`, the row's lock end as of the read; the member's wallet shows it too as
 * `lockExpiresAt`), so a cashier knows whether to wait (newcomer-36: "Another basket holds this
 * offer." left them nothing to do). A lock is cut at the offer's own expiry: one that ends with the
 * offer is said so, not as a code free again after it (break37c: the cashier was told to wait for
 * a code that would be expired then).
 */
const lockHeld = (row: Pick<TillRow, 'lockExpiresAt' | 'expiresAt'>, named = true) => {
  const { end, withTheOffer } = heldUntil(row);
  return refuse(
    UserErrorCode.LOCK_HELD,
    named
      ? withTheOffer
        ? `Another basket holds this offer${end}, when the offer itself expires: it cannot be used here unless that basket releases it first.`
        : `Another basket holds this offer${end}: it can be locked or redeemed once that lock ends, unless that basket redeems it or renews the lock first.`
      : `A basket holds this offer locked${end} and this request names no lockId: send the lockId it was locked with (LockOffer).`,
    ['input', 'lockId'],
  );
};

/** " until <ISO>" of the row's lock end as of the read ('' when none), and whether it is the offer's own expiry (a lock never outlives its offer). */
function heldUntil(row: Pick<TillRow, 'lockExpiresAt' | 'expiresAt'>): { end: string; withTheOffer: boolean } {
  if (!row.lockExpiresAt) return { end: '', withTheOffer: false };
  const until = instantOf(row.lockExpiresAt).getTime();
  return { end: ` until ${new Date(until).toISOString()}`, withTheOffer: row.expiresAt !== null && until >= instantOf(row.expiresAt).getTime() };
}

/**
 * LOCK_HELD for a till whose basket `lockId` had locked the code and whose lock ran out before
 * another basket took it (`end`: basketLockEndOf, read after the row's lock): "The lock of basket … ran out at <ISO>. Another
 * basket holds this offer now." (till-23: "Another basket holds this offer." read as a lock never
 * taken). Only to that basket's partner; anyone else gets `lockHeld`.
 */
function lockHeldOf(row: TillRow, end: BasketLockEnd, partnerId: number, lockId: string | null): UserErrorException {
  const ranOutAt = end.basketRanOutAt;
  if (lockId !== null && ranOutAt !== null) {
    const { end: until, withTheOffer } = heldUntil(row);
    return refuse(UserErrorCode.LOCK_HELD, `${lockRanOut(lockId, ranOutAt)} Another basket holds this offer now${until}${withTheOffer ? ', when the offer itself expires' : ''}.`, ['input', 'lockId']);
  }
  return lockHeld(row, lockId !== null || row.lockPartnerId !== partnerId);
}

/** When the lock of `partnerId`'s basket `lockId` on `row` ran out, if the row's RanOutLock is that basket's; else null. */
function ranOutAtOf(row: RanOutLock, partnerId: number, lockId: string): Date | null {
  return row.ranOutLockId === lockId && row.ranOutLockPartnerId === partnerId ? row.lockRanOutAt : null;
}

const LOCK_HOLDER_COLUMNS = columnsOf(IssuedOffer, 'io', ['lockId', 'lockPartnerId']);

/**
 * An issued offer's status (of `io`) for a till's use of it: its lock as of `now`, its expiry as of
 * `validAt` (at or before `now`), the moment the use is about. A sale carries its own moment
 * (submitTransaction: its `occurredAt`, no later than when it reached us), so an offer presented at
 * the till before its end and reported late is live for it, and one presented after its end is
 * EXPIRED, whenever the sale arrives (till-23; the request's clock misjudged both). An offer past
 * its end that the sweep already wrote EXPIRED reads live too, so the answer does not depend on
 * whether the sweep ran (SPEC §4, Time). Such an offer, live only at `validAt`, may have been ended
 * otherwise since its end: the redemption asks `takenBackSinceItsEnd` before it uses it. Only an
 * offer the member had at `validAt` (issued at or before it): a sale dated before the offer was
 * issued is judged at `now`, so a backdated sale cannot revive an offer past its end (break-23).
 * With `validAt` = `now`, exactly `issued_offer_status_at` at `now`.
 */
function tillStatusAt(now: Date, validAt: Date): RawBuilder<string> {
  if (validAt.getTime() >= now.getTime()) return issuedStatusAt(now);
  return sql`(case when io.status in ('ISSUED', 'LOCKED', 'EXPIRED') and io.expires_at > ${validAt}::timestamptz and io.expires_at <= ${now}::timestamptz
                        and io.created_at <= ${validAt}::timestamptz
                   then ${issuedStatusAt(now, { status: sql`case when io.status = 'EXPIRED' then 'ISSUED' else io.status end`, expiresAt: sql`null` })}
                   else ${issuedStatusAt(now)} end)`;
}

/**
 * Whether an offer past its end, read live for a sale dated before it (tillStatusAt), was ended
 * otherwise since: a staff replacement of it exists (the customer has it again), or a returned sale
 * took it back (an offer it awarded, or one that offer's replacements stand for, up the
 * `replaces` chain: written EXPIRED, not VOIDED, by a return past its end, voidLockedOffers). A
 * statement of its own, asked under the offer's row lock: a return or a replacement that committed
 * while the sale waited for the row is seen (its snapshot is taken after the lock; the statement
 * that waited reads the new row but sees other tables as they were before the wait: a late sale
 * sent with the return redeemed the returned sale's offer). Asked only for such a late sale.
 */
async function takenBackSinceItsEnd(em: SqlEntityManager, issuedOfferId: number): Promise<boolean> {
  const row = await queryOne<{ takenBack: boolean }>(
    em,
    sql`select exists (select 1 from issued_offer r where r.replaces_id = ${issuedOfferId})
            or exists (with recursive up(id, replaces_id) as (
                         select io.id, io.replaces_id from issued_offer io where io.id = ${issuedOfferId}
                         union all select o.id, o.replaces_id from issued_offer o join up on o.id = up.replaces_id)
                       select 1 from transaction_award w where w.issued_offer_id in (select id from up) and w.reversed_at is not null) as "takenBack"`,
  );
  return row?.takenBack ?? false;
}

/**
 * What a till's lock, release or redemption reads: of `io`, joined to its version as `ov` (one
 * join, not a subquery per column), with the status as of `now` or, for a sale's redemption, its
 * expiry as of the sale's moment `validAt` (tillStatusAt). Row columns only: how the asking basket's
 * last lock ended is read after the row's lock (basketLockEndOf), never in the statement that waits
 * for it.
 */
const tillColumns = (now: Date, validAt: Date = now): RawBuilder<TillRow> =>
  sql`${issuedColumns(now, tillStatusAt(now, validAt))}, ${LOCK_HOLDER_COLUMNS},
      ${customerStatusNow(sql`io.customer_id`)} is not distinct from ${CustomerStatus.ACTIVE}::text as "customerActive",
      ov.channels as "offerChannels", ov.benefit_kind as "offerBenefitKind", ov.amount_off::text as "offerAmountOff", ov.max_discount::text as "offerMaxDiscount",
      ${ranOutLockColumns(now)}`;

/**
 * An offer restricted to channels is refused (OFFER_NOT_APPLICABLE, nothing changes) when the till
 * names another channel. A till that names none is not checked here; the sale it submits is.
 */
function checkChannel(row: TillRow, channel: string | null | undefined): void {
  if (channel != null && row.offerChannels.length > 0 && !matchesAny(channel, row.offerChannels)) {
    throw refuse(UserErrorCode.OFFER_NOT_APPLICABLE, NOT_APPLICABLE_MESSAGE.CHANNEL, ['input', 'channel']);
  }
}

/**
 * An offer whose benefit has a money value (an amount off, a maximum discount) is refused
 * (OFFER_NOT_APPLICABLE, nothing changes):
 * - on `input.currency` when the till names a sale currency other than the offer's money, or one
 *   its amounts are finer than (2.50 off in yen: `currencyFits`);
 * - on `input.code` when the till names none and no till could apply it in its own money: its
 *   `moneyCurrency` unknown, not an ISO 4217 currency in use, or one its amounts are finer than
 *   (data from before money-12; what `unpayableOffers` lists for staff, in its words:
 *   `unpayableReason`). Such a till applies the discount itself in the offer's `moneyCurrency`, and
 *   the purchase and the gift claim already refuse to issue such an offer (offsale-12c).
 * `saleChecks`: a sale's own redemption (submitTransaction), whose `applicability` checks the
 * money against the sale's currency after every code is redeemed; nothing is checked here then.
 */
function checkCurrency(row: TillRow, currency: string | null | undefined, saleChecks = false): void {
  if (saleChecks) return;
  const terms = { kind: row.offerBenefitKind, amountOff: row.offerAmountOff, maxDiscount: row.offerMaxDiscount, moneyCurrency: row.moneyCurrency };
  if (currency != null) {
    if (!currencyFits(terms, currency)) throw refuse(UserErrorCode.OFFER_NOT_APPLICABLE, notApplicableMessage('CURRENCY', terms, currency), ['input', 'currency']);
    return;
  }
  if (hasMoneyValue(terms) && (row.moneyCurrency === null || !isIsoCurrency(row.moneyCurrency) || !currencyFits(terms, row.moneyCurrency))) {
    const reason = unpayableReason({ money: row.moneyCurrency, amountOff: row.offerAmountOff, maxDiscount: row.offerMaxDiscount });
    throw refuse(UserErrorCode.OFFER_NOT_APPLICABLE, `${reason.message} It cannot be used; staff can replace it.`, ['input', 'code']);
  }
}

/** A live lock held by this partner's basket `lockId`. */
function holds(row: TillRow, partnerId: number, lockId: string | null): boolean {
  return row.status === IssuedOfferStatus.LOCKED && lockId !== null && row.lockId === lockId && row.lockPartnerId === partnerId;
}

/** A TillRow as a till's lock or release reads it (lockRowByCode): with whether this partner's till redeemed the code, and that sale's reference (null for anyone else's). */
type LockedTillRow = TillRow & { redeemedByMe: boolean; myRedemptionRef: string | null };

/**
 * What a till's lock or release of `code` reads for `partnerId`, in the statement that takes the
 * offer's row lock (`for update of io`); undefined for an unknown code. Its partner's own
 * redemption is read here (the row's columns, read as committed by any writer the statement waited
 * for: till-25); how the asking basket's last lock ended is not (a table, read as before the wait:
 * basketLockEndOf, break2-25). Every refusal then runs this statement and basketLockEndOf whatever
 * the code is (unknown, foreign, redeemed, locked elsewhere; break-19's rule).
 */
async function lockRowByCode(em: SqlEntityManager, code: string, partnerId: number, now: Date): Promise<LockedTillRow | undefined> {
  const mine = sql<boolean>`(io.status = 'REDEEMED' and io.redeemed_by_partner_id = ${partnerId})`;
  return queryOne(
    em,
    sql<LockedTillRow>`select ${tillColumns(now)}, ${mine} as "redeemedByMe", case when ${mine} then io.redemption_ref end as "myRedemptionRef"
                         from issued_offer io join offer_version ov on ov.id = io.offer_version_id
                        where io.code = ${normalizeOfferCode(code)} for update of io`,
  );
}

const WALLET_KEY_COLUMNS = columnsOf(IssuedOffer, 'io', ['id', 'customerId']);

/** The SET list that clears an issued offer's lock columns, nothing more (a release by its holder, which records itself). */
const LOCK_CLEARED = sql`lock_id = null, lock_partner_id = null, lock_expires_at = null`;

/** Of `issued_offer io`: its lock ran out by `now` but the row still holds it (stored LOCKED, not yet swept). */
const lockRanOutBy = (now: Date) => sql<boolean>`(io.status = 'LOCKED' and io.lock_expires_at <= ${now}::timestamptz)`;

/**
 * The SET list that keeps a lock that ran out (`ranOut`: lockRanOutBy) in the release record (`released_lock_*`, with
 * `released_lock_ran_out` and its end as `lock_released_at`) before the lock's columns are cleared
 * or overwritten, and keeps the record as it is otherwise. `also`: a further case (a condition and
 * the record's values then, as `[condition, lockId, partnerId, at, ranOut]`) tried after it (lockOffer's own
 * basket). Right-hand sides read the row before the update, so it goes in the same SET list as the
 * lock's new values (till-23: a lock cleared by the sweep after it ran out left nothing, and its
 * till's later release or redemption was told "no lock").
 */
function recordRunOutLock(ranOut: RawBuilder<boolean>, also?: [RawBuilder<boolean>, RawBuilder<unknown>, RawBuilder<unknown>, RawBuilder<unknown>, RawBuilder<unknown>]): RawBuilder<unknown> {
  const otherwise = (i: 1 | 2 | 3 | 4, kept: RawBuilder<unknown>) => (also ? sql`when ${also[0]} then ${also[i]} else ${kept}` : sql`else ${kept}`);
  return sql`released_lock_id = case when ${ranOut} then io.lock_id ${otherwise(1, sql`io.released_lock_id`)} end,
             released_lock_partner_id = case when ${ranOut} then io.lock_partner_id ${otherwise(2, sql`io.released_lock_partner_id`)} end,
             lock_released_at = case when ${ranOut} then io.lock_expires_at ${otherwise(3, sql`io.lock_released_at`)} end,
             released_lock_ran_out = case when ${ranOut} then true ${otherwise(4, sql`io.released_lock_ran_out`)} end`;
}

/**
 * The SET list that clears an issued offer's lock (a redemption, a void, the sweep, a revoked
 * partner's locks) as of `now`, a lock that had run out kept in the release record first
 * (recordRunOutLock).
 */
export const clearLock = (now: Date) => sql`${recordRunOutLock(lockRanOutBy(now))}, ${LOCK_CLEARED}`;

export interface LockRequest {
  code: string;
  lockId: string;
  ttlSeconds?: number | null;
  /** The channel of the sale being rung up, when the till says (checked against the offer's channels). */
  channel?: string | null;
  /** The ISO 4217 money of the sale being rung up, when the till says (see checkCurrency). */
  currency?: string | null;
}

/**
 * Holds an ISSUED offer for one basket of this partner for `ttlSeconds`. The same basket locking
 * again renews the lock (it then ends `ttlSeconds` from now); another basket gets LOCK_HELD. A lock
 * never outlives the offer itself. A lock of the basket whose release is recorded (released_lock_*)
 * clears that record: a later repeat release is about this lock, not the released one (break4-22).
 */
export async function lockOffer(ctx: Ctx, partner: PartnerCaller, request: LockRequest): Promise<IssuedOfferRow> {
  const now = ctx.clock.now();
  const until = new Date(now.getTime() + (request.ttlSeconds ?? LOCK_TTL_SECONDS.default) * 1000);
  return ctx.em.transactional(async (em) => {
    const basket = { partnerId: partner.partnerId, lockId: request.lockId };
    const row = await lockRowByCode(em, request.code, partner.partnerId, now);
    const dead = !row || !LIVE.includes(row.status) || !row.customerActive;
    if (dead || (row.status === IssuedOfferStatus.LOCKED && !holds(row, partner.partnerId, request.lockId))) {
      // Every refusal, an unknown code's too, reads the basket's lock end after the row's lock
      // (basketLockEndOf; LOCK_HELD tells its basket when its own lock ran out), so all run the same
      // statements: a statement asked only when the code exists told any partner which codes exist
      // by its time (break-19).
      const end = await basketLockEndOf(em, request.code, basket, now);
      // A till ringing up a code it redeemed itself (the customer shows a used QR code again) is told
      // so, as redeemOffer tells it; anyone else gets the unknown-code answer (newcomer-19).
      if (row?.redeemedByMe) throw alreadyRedeemedByYou(row.redeemedAt!, row.myRedemptionRef, 'A redeemed code cannot be locked again.');
      if (dead) throw notRedeemable();
      throw lockHeldOf(row, end, partner.partnerId, request.lockId);
    }
    const renewing = row.status === IssuedOfferStatus.LOCKED;
    checkChannel(row, request.channel);
    checkCurrency(row, request.currency);
    // This basket's lock, taken again, is no longer the one it released (break4-22): its record of
    // that release (released_lock_*, replay-22) is cleared, so a release once this lock ran out
    // is not told "already released … at" the earlier time. Another basket's record stays.
    // Another basket's lock that ran out and is taken over here is recorded first (till-23), as the
    // sweep would have: its till's later release is told it ran out, and when. This basket's own
    // run-out lock is not: it holds a new one now. Its row among every basket's last locks
    // (issued_offer_lock_end, till-24) goes too, in the same statement.
    const releasedHere = sql<boolean>`(io.released_lock_partner_id = ${partner.partnerId} and io.released_lock_id = ${request.lockId})`;
    const othersRanOut = sql<boolean>`(${lockRanOutBy(now)} and not (io.lock_partner_id = ${partner.partnerId} and io.lock_id = ${request.lockId}))`;
    const [locked] = await query(
      em,
      sql<IssuedOfferRow>`with forgotten as (
             delete from issued_offer_lock_end where issued_offer_id = ${row.id} and partner_id = ${partner.partnerId} and lock_id = ${request.lockId}
           )
           update issued_offer io
             set status = 'LOCKED', lock_id = ${request.lockId}, lock_partner_id = ${partner.partnerId},
                 lock_expires_at = least(greatest(${now}::timestamptz, io.updated_at) + (${until}::timestamptz - ${now}::timestamptz), io.expires_at),
                 ${recordRunOutLock(othersRanOut, [releasedHere, sql`null`, sql`null`, sql`null`, sql`false`])},
                 updated_at = greatest(io.updated_at, ${now})
           where io.id = ${row.id} and ${partnerStillHolds(partner.partnerId)}
          returning ${issuedColumns(now)}`,
    );
    if (!locked) await refuseIfRevoked(em, partner.partnerId);
    await recordWalletChange(em, row.customerId, renewing ? 'LOCK_EXTENDED' : 'LOCKED', row.id, now);
    return locked;
  });
}

/**
 * Gives a locked offer back (ISSUED). Anything but a live lock of this basket is LOCK_NOT_HELD on
 * `["input","lockId"]`: "This basket holds no lock on this offer.", or, to the partner whose till
 * redeemed the code, when and for which sale (a till releasing the basket's codes after the sale
 * redeemed them read "no lock" as a lock lost to someone: polish-22), or, to the partner whose
 * basket `lockId` released the code's last released lock, that it did and when (a release sent
 * again after a lost answer: replay-22; the release records `released_lock_*`), or, to the partner
 * whose basket `lockId` held the code's last lock and let it run out, that it ran out and when
 * (basketLockEndColumns, till-23, till-24: it read "no lock"). Any other partner still gets the
 * first sentence whatever the code is, so it learns nothing it could not before (releaseRefused,
 * from the one statement every refusal runs).
 */
export async function releaseOffer(ctx: Ctx, partner: PartnerCaller, request: { code: string; lockId: string }): Promise<IssuedOfferRow> {
  const now = ctx.clock.now();
  return ctx.em.transactional(async (em) => {
    const row = await lockRowByCode(em, request.code, partner.partnerId, now);
    // Whatever else is true of the code (unknown, locked by another, redeemed), this basket does not hold it.
    // Answered from the row read under its lock and the basket's lock end read after it
    // (basketLockEndOf, break2-25): every refusal, an unknown code's too, runs those two statements,
    // so their time tells no partner which codes exist (break-19).
    if (!row || !holds(row, partner.partnerId, request.lockId)) {
      throw releaseRefused(row, await basketLockEndOf(em, request.code, { partnerId: partner.partnerId, lockId: request.lockId }, now), request.lockId);
    }
    // The lock released is kept (released_lock_*, replay-22): a repeat of this release says so.
    const [released] = await query(
      em,
      sql<IssuedOfferRow>`update issued_offer io set status = 'ISSUED', released_lock_id = io.lock_id, released_lock_partner_id = io.lock_partner_id,
                                 lock_released_at = greatest(io.updated_at, ${now}), released_lock_ran_out = false, ${LOCK_CLEARED}, updated_at = greatest(io.updated_at, ${now})
                           where io.id = ${row.id} and ${partnerStillHolds(partner.partnerId)} returning ${issuedColumns(now)}`,
    );
    if (!released) await refuseIfRevoked(em, partner.partnerId);
    await recordWalletChange(em, row.customerId, 'RELEASED', row.id, now);
    return released;
  });
}

export interface RedemptionRequest {
  code: string;
  /** The basket redeeming it: required when the offer is locked (and then must be the holder). */
  lockId: string | null;
  /** When set, the offer must be this customer's (else OFFER_NOT_REDEEMABLE). */
  customerId: number | null;
  partnerId: number;
  /** The partner's reference of the sale (its transaction externalId). */
  transactionRef: string | null;
  /** The sale's channel, when the till says (checked against the offer's channels). */
  channel?: string | null;
  /** The sale's ISO 4217 money, when the till says (see checkCurrency). */
  currency?: string | null;
  /**
   * A sale's own redemption: its `applicability` checks the offer's money against the sale's (see
   * checkCurrency); an offer this partner already redeemed for this very sale (RedeemOffer with the
   * sale's externalId as `transactionExternalId`, then the sale naming the code) is answered as it
   * was redeemed, not refused; and no WALLET_CHANGED is recorded: the sale records one for all its
   * codes once every code's row is locked (`recordWalletChanges`). A sale that took the customer's
   * event stream after its first code and then waited for its second deadlocked with a till's lock,
   * redemption or return holding that second code and waiting for the stream (break35, till).
   */
  saleChecks?: boolean;
  now: Date;
  /**
   * The moment the redemption is about, at or before `now`: the offer's expiry is judged then, its
   * lock at `now` (tillStatusAt). A sale's own moment (min(occurredAt, now)); default `now`.
   */
  validAt?: Date;
}

/**
 * Redeems an issued offer in the caller's transaction, at most once ever: the row lock serialises
 * concurrent redemptions and the second one finds it REDEEMED. An ISSUED offer is redeemed at once
 * (whatever `lockId` says: an expired lock reads as ISSUED, so the basket that held it may still
 * redeem it if no other basket took it since); a LOCKED one only by the partner's basket holding
 * it (LOCK_HELD otherwise: lockHeldOf). Unknown, foreign, expired (at `validAt`: tillStatusAt),
 * voided and redeemed offers are OFFER_NOT_REDEEMABLE. `redeemedAt` is when the gateway recorded
 * it, also for a sale dated earlier (its `occurredAt` is on the sale). Strict: a repeat is refused, never answered as a success (a sale applying
 * a code twice must not get the discount twice); the redeemOffer mutation adds its replay on top.
 */
export async function redeemIssuedOffer(em: SqlEntityManager, r: RedemptionRequest): Promise<IssuedOfferRow & { offer: OfferVersionRow; unusedLock: UnusedLock; redeemedEarlier: boolean }> {
  const forThisSale = r.saleChecks === true && r.transactionRef !== null;
  const row = await queryOne(
    em,
    sql<TillRow & OfferVersionColumns<'offer.'> & { redeemedForThisSale: boolean }>`select ${tillColumns(r.now, r.validAt)}, ${offerVersionColumns('offer.')},
           (${forThisSale} and io.status = 'REDEEMED' and io.redeemed_by_partner_id = ${r.partnerId} and io.redemption_ref = ${r.transactionRef}) as "redeemedForThisSale"
          from issued_offer io join offer_version ov on ov.id = io.offer_version_id
         where io.code = ${normalizeOfferCode(r.code)}
           for update of io`,
  );
  if (!row || (r.customerId !== null && row.customerId !== r.customerId) || !row.customerActive) throw notRedeemable();
  // Redeemed by this partner's till for this sale, the sale now naming the offers it applied: the
  // offer applies to it as redeemed then (SPEC §1 step 4, "or it is redeemed immediately").
  if (row.redeemedForThisSale) {
    try {
      checkCurrency(row, r.currency, r.saleChecks);
    } catch (error) {
      throw error instanceof UserErrorException ? new RedeemedForThisSale(error) : error;
    }
    const { redeemedForThisSale: _, ...redeemed } = row;
    return { ...redeemed, offer: offerVersionFrom(row, 'offer.'), unusedLock: null, redeemedEarlier: true };
  }
  if (!LIVE.includes(row.status)) throw notRedeemable();
  const liveOnlyAtItsDate = r.validAt !== undefined && row.expiresAt !== null && instantOf(row.expiresAt).getTime() <= r.now.getTime();
  if (liveOnlyAtItsDate && (await takenBackSinceItsEnd(em, row.id))) throw notRedeemable();
  // "Names no lockId" only to the partner whose basket holds it: another partner's till never had
  // that lockId, and being sent for it read as a lock of its own forgotten (break-19).
  const basket = { partnerId: r.partnerId, lockId: r.lockId };
  if (row.status === IssuedOfferStatus.LOCKED && !holds(row, r.partnerId, r.lockId)) throw lockHeldOf(row, await basketLockEndOf(em, r.code, basket, r.now), r.partnerId, r.lockId);
  checkChannel(row, r.channel);
  checkCurrency(row, r.currency, r.saleChecks);
  // Read before the update clears the lock, and only when unusedLockOf asks it (a late sale naming a basket).
  const end = r.lockId !== null && row.status === IssuedOfferStatus.ISSUED && r.validAt !== undefined ? await basketLockEndOf(em, r.code, basket, r.now) : null;
  const [redeemed] = await query(
    em,
    sql<IssuedOfferRow>`update issued_offer io
           set status = 'REDEEMED', redeemed_at = greatest(${r.now}, io.updated_at), redeemed_by_partner_id = ${r.partnerId},
               redemption_ref = ${r.transactionRef}, ${clearLock(r.now)}, updated_at = greatest(io.updated_at, ${r.now})
         where io.id = ${row.id} and io.status in ('ISSUED', 'LOCKED', 'EXPIRED') and ${partnerStillHolds(r.partnerId)}
        returning ${issuedColumns(r.now)}`,
  );
  if (!redeemed) await refuseIfRevoked(em, r.partnerId);
  // Unreachable under the row lock, which it was read live under (stored EXPIRED: only one live at
  // the sale's moment, tillStatusAt); never redeem twice regardless.
  if (!redeemed) throw notRedeemable();
  if (!r.saleChecks) await recordWalletChange(em, row.customerId, 'REDEEMED', row.id, r.now);
  return { ...redeemed, offer: offerVersionFrom(row, 'offer.'), unusedLock: unusedLockOf(row, end, r), redeemedEarlier: false };
}

/**
 * A sale's refusal of a code its till redeemed for it earlier (RedeemOffer naming the sale): the
 * offer is REDEEMED whatever the sale does, so what the till is told must not say the offer is the
 * member's still (break37c). `refusal` as any other code's.
 */
export class RedeemedForThisSale extends UserErrorException {
  constructor(readonly refusal: UserErrorException) {
    super(refusal.code, refusal.message, refusal.field);
  }
}

/**
 * Why a `lockId` sent with a redemption was not used: the code was not locked as of `now`, so it was
 * redeemed as an unlocked code is (at once, whatever `lockId` says: "Redeeming", docs/decisions.md).
 * `EXPIRED`: this partner's basket `lockId` had locked it and the lock had run out at `ranOutAt`,
 * the code's last lock (RanOutLock: whether or not the sweep cleared it since, till-23; a lock the
 * sweep cleared read NOT_LOCKED before), and had run out by the sale's moment (`validAt`);
 * `NOT_LOCKED`: no lock of that basket (never locked, released, or another lock since); null: no
 * lockId was sent, or the lock was the one redeemed under, or it held at a late sale's moment and
 * ran out only before the sale arrived (till-24: "ran out" then read as a lock that failed the sale).
 */
export type UnusedLock = { kind: 'EXPIRED'; ranOutAt: Date } | { kind: 'NOT_LOCKED' } | null;

function unusedLockOf(row: TillRow, end: BasketLockEnd | null, r: RedemptionRequest): UnusedLock {
  if (r.lockId === null || row.status !== IssuedOfferStatus.ISSUED) return null;
  // A late sale made while its basket's lock held (the lock ran out only before the sale reached
  // us, whatever baskets took the code since) was served by that lock: nothing to tell, as for a
  // sale under its live lock (till-24). `end`: basketLockEndOf, read for such a sale only.
  if (r.validAt !== undefined && end?.basketRanOutAt != null && r.validAt.getTime() < instantOf(end.basketRanOutAt).getTime()) return null;
  // "No other basket had taken the code" only when this basket's lock is the code's last one.
  const ranOutAt = ranOutAtOf(row, r.partnerId, r.lockId);
  return ranOutAt !== null ? { kind: 'EXPIRED', ranOutAt } : { kind: 'NOT_LOCKED' };
}

/** "The lock of basket "<lockId>" on this offer code ran out at <ISO instant>.": what a till is told of its own basket's lock that ran out (till-23). */
function lockRanOut(lockId: string, at: Date | string): string {
  return `The lock of basket ${JSON.stringify(lockId)} on this offer code ran out at ${instantOf(at).toISOString()}.`;
}

/**
 * What redeemOffer tells a till whose `lockId` was not used (polish-22): the redemption stands, and
 * the till learns its basket held no lock, so a LockOffer that failed unseen or a lock that ran out
 * during a slow checkout is not taken for a held one. Only of this partner's own basket: another
 * partner's lock, run out, is NOT_LOCKED, as a code never locked.
 */
export function unusedLockNotice(unused: UnusedLock, lockId: string): string | null {
  if (unused?.kind === 'EXPIRED') return `${lockRanOut(lockId, unused.ranOutAt)} No other basket had taken the code, so it was redeemed as an unlocked code is.`;
  if (unused?.kind === 'NOT_LOCKED') return `No basket held a lock on this code, so lockId ${JSON.stringify(lockId)} was not used: an unlocked code is redeemed at once, whatever lockId is sent.`;
  return null;
}

/**
 * The redeemOffer mutation: `redeemIssuedOffer` for any customer's offer, with `notice` saying when
 * the `lockId` sent was not used (`unusedLockNotice`; null otherwise). A till that retries after
 * a lost answer (same partner, same transactionExternalId) gets the first redemption back instead of
 * OFFER_NOT_REDEEMABLE: the offer is not redeemed again, the till just learns that it was.
 */
export async function redeemOffer(
  ctx: Ctx,
  partner: PartnerCaller,
  request: { code: string; lockId?: string | null; transactionExternalId?: string | null; channel?: string | null; currency?: string | null },
): Promise<{ issuedOffer: IssuedOfferRow; notice: string | null }> {
  const now = ctx.clock.now();
  const transactionRef = request.transactionExternalId ?? null;
  return ctx.em.transactional(async (em) => {
    try {
      const { unusedLock, redeemedEarlier: _, ...issuedOffer } = await redeemIssuedOffer(em, {
        code: request.code,
        lockId: request.lockId ?? null,
        customerId: null,
        partnerId: partner.partnerId,
        transactionRef,
        channel: request.channel,
        currency: request.currency,
        now,
      });
      const notice = unusedLockNotice(unusedLock, request.lockId ?? '');
      // Kept for a repeat of this redemption (the replay below): the row, REDEEMED now, no longer shows it.
      if (notice !== null) await query(em, sql`update issued_offer set redemption_notice = ${notice} where id = ${issuedOffer.id}`);
      return { issuedOffer, notice };
    } catch (error) {
      if (error instanceof UserErrorException && error.code === UserErrorCode.OFFER_NOT_REDEEMABLE) {
        const mine = await redeemedByPartner(em, partner.partnerId, request.code, now);
        if (mine) {
          const { redemptionRef, redemptionNotice, ...row } = mine;
          if (transactionRef !== null && redemptionRef === transactionRef) {
            noteReplay(ctx);
            return { issuedOffer: row, notice: redemptionNotice };
          }
          throw alreadyRedeemedByYou(row.redeemedAt!, redemptionRef);
        }
      }
      throw error;
    }
  });
}

/**
 * LOCK_NOT_HELD on `["input","lockId"]` for a release whose basket holds no live lock on the code
 * (`row`: the code as lockRowByCode read it for this partner; undefined: no such code; `end`: how
 * its basket `lockId`'s last lock ended, basketLockEndOf). Said of this partner's own use of the code only, whatever other baskets locked since
 * (till-24): that its till redeemed it, when and for which sale; else that the basket's last lock
 * ran out (basketRanOutAt), or was released by its till (basketReleasedAt), and when; else "This
 * basket holds no lock on this offer.", which is all any other partner is told of any code.
 */
function releaseRefused(row: LockedTillRow | undefined, end: BasketLockEnd, lockId: string): UserErrorException {
  if (row?.redeemedByMe) {
    return refuse(UserErrorCode.LOCK_NOT_HELD, `${redeemedByYou(row.redeemedAt!, row.myRedemptionRef)} A redeemed code holds no lock: there is nothing to release.`, ['input', 'lockId']);
  }
  if (end.basketRanOutAt) return refuse(UserErrorCode.LOCK_NOT_HELD, `${lockRanOut(lockId, end.basketRanOutAt)} There is no lock left to release.`, ['input', 'lockId']);
  if (end.basketReleasedAt) {
    return refuse(
      UserErrorCode.LOCK_NOT_HELD,
      `Basket ${JSON.stringify(lockId)} already released its lock on this offer code at ${instantOf(end.basketReleasedAt).toISOString()}: there is no lock left to release.`,
      ['input', 'lockId'],
    );
  }
  return refuse(UserErrorCode.LOCK_NOT_HELD, 'This basket holds no lock on this offer.', ['input', 'lockId']);
}

/**
 * The offer of `code` as this partner redeemed it (with the sale's reference it gave and the notice
 * its RedeemOffer answer gave, `redemption_notice`), or undefined when it is not REDEEMED by this
 * partner: what redeemOffer answers a till's repeat from.
 */
function redeemedByPartner(
  em: SqlEntityManager,
  partnerId: number,
  code: string,
  now: Date,
): Promise<(IssuedOfferRow & { redemptionRef: string | null; redemptionNotice: string | null }) | undefined> {
  return queryOne(
    em,
    sql<IssuedOfferRow & { redemptionRef: string | null; redemptionNotice: string | null }>`select ${issuedColumns(now)}, io.redemption_ref as "redemptionRef", io.redemption_notice as "redemptionNotice" from issued_offer io
         where io.code = ${normalizeOfferCode(code)} and io.status = 'REDEEMED' and io.redeemed_by_partner_id = ${partnerId}`,
  );
}

/**
 * A till that redeems again a code it redeemed itself, without the first sale's
 * transactionExternalId (so no replay answers it), is told so: OFFER_NOT_REDEEMABLE on
 * `["input","code"]` as before, with a sentence giving when it redeemed it and how a retry gets the
 * first answer, instead of "cannot be redeemed", which read as an unknown or foreign code (newcomer-12).
 * `next` replaces that last sentence where a retry is not what was sent (a lock of the redeemed
 * code: newcomer-19). Only the partner that redeemed it is told (redeemOffer asks
 * redeemedByPartner, lockOffer lockRowByCode's `redeemedByMe`): to anyone else the code stays indistinguishable from an unknown one, so
 * codes cannot be probed.
 */
function alreadyRedeemedByYou(redeemedAt: Date | string, ref: string | null, next = 'It is not redeemed twice; a retry that names the same transactionExternalId gets the first answer.') {
  return refuse(UserErrorCode.OFFER_NOT_REDEEMABLE, `${redeemedByYou(redeemedAt, ref)} ${next}`, ['input', 'code']);
}

/**
 * What a sale naming `code` is told when the code is not redeemable and this partner's till
 * redeemed it (for another sale than `saleRef`, the sale's externalId, or with no
 * transactionExternalId): OFFER_NOT_REDEEMABLE on `field`
 * with redeemedByYou's sentence, as RedeemOffer and LockOffer tell it (break35, till: it was told
 * the unknown-code sentence, to check the code was typed right); null when another partner
 * redeemed it or it is not redeemed, whose refusal stays the one answer for dead codes. Asked on
 * every such refusal, so its time tells no partner which codes exist.
 */
export async function saleRedeemedByYou(em: SqlEntityManager, partnerId: number, code: string, saleRef: string, now: Date, field: string[]): Promise<UserErrorException | null> {
  const mine = await redeemedByPartner(em, partnerId, code, now);
  // Redeemed for this very sale and still refused: the sale names another customer, or one no
  // longer ACTIVE (redeemIssuedOffer); "send the sale without this code" would store it at full
  // price for the wrong member, or hide why (break35b): the one answer for dead codes, which says
  // "not the customer's to use".
  if (!mine || mine.redemptionRef === saleRef) return null;
  return refuse(UserErrorCode.OFFER_NOT_REDEEMABLE, `${redeemedByYou(mine.redeemedAt!, mine.redemptionRef)} An offer is redeemed once: send the sale without this code.`, field);
}

/**
 * "Your till already redeemed this offer code at <ISO instant>, for the sale "<ref>"." (or "with
 * RedeemOffer naming no sale (no transactionExternalId)"): what the redeeming partner
 * alone is told of its own redemption (redeemOffer, lockOffer, releaseOffer).
 */
function redeemedByYou(redeemedAt: Date | string, ref: string | null): string {
  // The sale by its reference alone: a sale's own refusal named RedeemOffer's field, where the
  // sale's is `externalId` (newcomer-36); RedeemOffer's field is named only when it was not sent.
  const sale = ref === null ? 'with RedeemOffer naming no sale (no transactionExternalId)' : `for the sale ${JSON.stringify(ref)}`;
  return `Your till already redeemed this offer code at ${instantOf(redeemedAt).toISOString()}, ${sale}.`;
}

/** An issued offer as `lockOffersToVoid` locked it: its key and its status as of the `now` it was locked at (voidLockedOffers reads it again at its own). */
export type VoidableOffer = WalletKey & Pick<IssuedOfferRow, 'status'>;

/**
 * Locks the issued offers a reversed sale awarded and the staff replacements standing in for them
 * (`replaces`, followed down the chain: an awarded offer that expired or was used up for nothing
 * and was given again), unknown ids left out, and reads their status as of `now`, for
 * `voidLockedOffers` later in the same transaction. In code order, as a till's sale naming several
 * takes them (applyOffers sorts its codes; codes are ASCII, so JS and the "C" collation agree): in
 * id order a return deadlocked with a sale naming two of them. The caller holds the sale's row
 * lock, which a replacement of an offer it awarded takes first (`issueReplacementOffer`), so the
 * chain read here is complete and none is added before the return commits (hostile 12b: the
 * replacement stayed live after the return).
 */
export async function lockOffersToVoid(em: SqlEntityManager, issuedOfferIds: number[], now: Date): Promise<VoidableOffer[]> {
  if (issuedOfferIds.length === 0) return [];
  return query(
    em,
    sql<VoidableOffer>`with recursive chain(id) as (
            select unnest(${idList(issuedOfferIds)}::bigint[])
            union select r.id from issued_offer r join chain on r.replaces_id = chain.id
          )
          select ${WALLET_KEY_COLUMNS}, ${issuedStatusAt(now)} as status
            from issued_offer io where io.id in (select id from chain) order by io.code collate "C" for update of io`,
  );
}

/**
 * Voids offers the caller locked (`lockOffersToVoid`): a reversed sale takes back what it awarded,
 * in the caller's transaction. Those ISSUED or LOCKED as of `now` (the reversal's final date, which
 * may be later than the lock's: the accounts' locks move it past the writes it waited for) become
 * VOIDED, each with its WALLET_CHANGED event; REDEEMED ones are reported and left alone; expired
 * and already voided ones are neither. An offer live at the lock's date and ended by `now` is not
 * voided (edges-21: it was VOIDED at a date past its end) but written down EXPIRED here, with the
 * EXPIRED event the wallet sweep would have written (break-22): left ISSUED or LOCKED, a till's
 * redemption begun before the end and waiting for the row behind this return decided at its own
 * earlier clock and redeemed an offer of the returned sale after the return had committed. The
 * rows are locked, so only time can change their status in between, and only from live to EXPIRED
 * (or a lock run out to ISSUED, still live). One already ended at the lock's date but still stored
 * ISSUED or LOCKED (the wallet sweep had not run) is written down EXPIRED here too, for the same
 * till (review-22: its redemption, sent before the end and held until the return committed,
 * redeemed the returned sale's offer). One statement for the rows and one for their events
 * (edges-12).
 */
export async function voidLockedOffers(em: SqlEntityManager, rows: VoidableOffer[], now: Date): Promise<{ voided: number[]; alreadyRedeemed: number[] }> {
  // Expired ones too: one read EXPIRED at the lock's date may still be stored live (no sweep yet),
  // and a till's redemption sent before its end reads it live at its own clock (review-22); the
  // update writes only rows stored live, so one stored EXPIRED gets no second event.
  const candidates = rows.filter((r) => LIVE.includes(r.status) || r.status === IssuedOfferStatus.EXPIRED);
  let voided: VoidableOffer[] = [];
  if (candidates.length) {
    const written = await query<{ id: number; status: string }>(
      em,
      sql`update issued_offer io
             set status = case when ${issuedStatusAt(now)} in ('ISSUED', 'LOCKED') then 'VOIDED' else 'EXPIRED' end,
                 ${clearLock(now)}, updated_at = greatest(io.updated_at, ${now})
           where io.id = any(${idList(candidates.map((r) => r.id))}) and io.status in ('ISSUED', 'LOCKED')
          returning io.id, io.status`,
    );
    const statusOf = new Map(written.map((r) => [Number(r.id), r.status]));
    // In the rows' order (code order), as their events were written before.
    const changed = candidates.filter((r) => statusOf.has(Number(r.id)));
    voided = changed.filter((r) => statusOf.get(Number(r.id)) === IssuedOfferStatus.VOIDED);
    await recordEvents(
      em,
      'WALLET_CHANGED',
      changed.map((r) => walletEvent(r, statusOf.get(Number(r.id)) === IssuedOfferStatus.VOIDED ? 'VOIDED' : 'EXPIRED')),
      now,
    );
  }
  return { voided: voided.map((r) => r.id), alreadyRedeemed: rows.filter((r) => r.status === IssuedOfferStatus.REDEEMED).map((r) => r.id) };
}


/**
 * Gives back the offers a revoked partner's baskets still hold (ISSUED, lock cleared, a
 * WALLET_CHANGED "RELEASED" each), in a transaction of its own that the caller runs after the
 * revocation committed: from then on the partner can neither redeem nor release them
 * (partnerStillHolds), so until each lock ran out (up to LOCK_TTL_SECONDS.max) no till could use
 * the offer and the customer's app showed it LOCKED (hostile-19). Locks already past their expiry
 * read ISSUED anyway and are left to the sweep. Rows are taken in code order, as a sale naming
 * several takes them, so this never deadlocks with one; a till's write of the revoked partner still
 * in flight holds its row until it fails, and is then waited for, not skipped. Answers how many.
 */
export async function releaseLocksOfRevoked(em: SqlEntityManager, partnerId: number, now: Date): Promise<number> {
  return em.transactional(async (tx) => {
    const released = await query<Selected<typeof WALLET_KEY_COLUMNS>>(
      tx,
      sql`update issued_offer io set status = 'ISSUED', ${clearLock(now)}, updated_at = greatest(io.updated_at, ${now})
           where io.id in (select id from issued_offer
                            where status = 'LOCKED' and lock_expires_at > ${now} and lock_partner_id = ${partnerId}
                            order by code collate "C" for update)
             and io.status = 'LOCKED' and io.lock_partner_id = ${partnerId}
          returning ${WALLET_KEY_COLUMNS}`,
    );
    await recordWalletChanges(tx, released, 'RELEASED', now);
    return released.length;
  });
}

/** Rows one sweep writes per kind; a full batch enqueues the next sweep at once. */
export const SWEEP_BATCH = 1000;

/**
 * Writes down what readers already see through `issued_offer_status_at`: offers past their expiry
 * become EXPIRED, then locks past theirs go back to ISSUED, each with its WALLET_CHANGED event.
 * Rows a till holds right now are skipped (`SKIP LOCKED`) and left to the next sweep.
 */
export async function sweepWallet(em: SqlEntityManager, now: Date, batch = SWEEP_BATCH): Promise<{ expired: number; locksExpired: number }> {
  const expired = await query<Selected<typeof WALLET_KEY_COLUMNS>>(
    em,
    sql`update issued_offer io set status = 'EXPIRED', ${clearLock(now)}, updated_at = ${now}
         where io.id in (select id from issued_offer
                          where status in ('ISSUED', 'LOCKED') and expires_at is not null and expires_at <= ${now}
                          order by expires_at limit ${batch} for update skip locked)
        returning ${WALLET_KEY_COLUMNS}`,
  );
  const locksExpired = await query<Selected<typeof WALLET_KEY_COLUMNS>>(
    em,
    sql`update issued_offer io set status = 'ISSUED', ${clearLock(now)}, updated_at = ${now}
         where io.id in (select id from issued_offer
                          where status = 'LOCKED' and lock_expires_at <= ${now} and (expires_at is null or expires_at > ${now})
                          order by lock_expires_at limit ${batch} for update skip locked)
        returning ${WALLET_KEY_COLUMNS}`,
  );
  await recordEvents(em, 'WALLET_CHANGED', [...expired.map((r) => walletEvent(r, 'EXPIRED')), ...locksExpired.map((r) => walletEvent(r, 'LOCK_EXPIRED'))], now);
  return { expired: expired.length, locksExpired: locksExpired.length };
}
