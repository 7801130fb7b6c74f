import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.service.js';
import { actorOf, type Ctx } from '../context.js';
import { db } from '../db/schema.js';
import { query, queryOne, sql } from '../db/sql.js';
import { amountFitsMoney, decimalsOf, isIsoCurrency } from '../domain/currency.js';
import { refuse, UserErrorCode } from '../domain/refusals.js';
import { noteReplay } from '../idempotency/replays.js';
import { claimIdempotencyKey, completeIdempotencyKey, requestFingerprint } from '../idempotency/idempotency.service.js';
import { currentOffersByIds, offerVersionColumns, offerVersionFrom, type OfferVersionColumns, type OfferVersionRow } from '../offers/offer.service.js';
import { amountsFit, hasMoneyValue } from '../transactions/pricing.js';
import { IssuedOfferSource, IssuedOfferStatus } from './issued-offer.entity.js';
import { clearLock } from './redemption.service.js';
import { endedBy, issueOffer, issuedColumns, recordWalletChange, type IssuedOfferRow } from './wallet.service.js';
import { instantOf } from '../domain/instant.js';

/** What a replacement answers, stored with its idempotency key so a repeat answers the same. */
export interface ReplacementOutcome {
  replacedId: number;
  issuedOfferId: number;
}

export interface ReplacementRequest {
  issuedOfferId: number;
  reason: string;
  idempotencyKey: string;
  /** Replace a live (ISSUED or LOCKED) offer no till can apply in its money, voiding it (upgrade-12); absent or false: only a used-up one. */
  unusable?: boolean | null;
  /**
   * With `unusable`: the money (ISO 4217) of the program an offer with no recorded money was issued
   * in, as staff establish it; the replacement is issued in it (offsale-12b). Must equal the
   * offer's money when that is recorded.
   */
  moneyCurrency?: string | null;
}

/**
 * Whether an offer version's benefit can be applied in `money` (the issued offer's
 * `moneyCurrency`): it has no money value, or its amounts are whole minor units of that money
 * (`amountsFit`; "2.50" off is no amount of yen). A money value in no known money (null), or in
 * one no till names (not an ISO 4217 currency in use, as `isIsoCurrency`: tills name only those;
 * break-12i), fits none.
 */
function payableIn(version: OfferVersionRow, money: string | null): boolean {
  const benefit = { kind: version.benefitKind, amountOff: version.amountOff, maxDiscount: version.maxDiscount };
  return !hasMoneyValue(benefit) || (money !== null && isIsoCurrency(money) && amountsFit(benefit, money));
}

/**
 * The money a replacement is issued in: the original's (`recorded`), or, when that was never
 * recorded (null) or is no money a till names (not an ISO 4217 currency in use: a program once
 * configured with DEM; break-12i), the one the request names (`moneyCurrency`, only with
 * `unusable`). INVALID on `["input", "moneyCurrency"]` when the request names a money without
 * `unusable`, or one other than a recorded ISO money. The recorded money when the request names
 * none (unpayable then refuses an offer with a money value in no till's money).
 */
function moneyOfReplacement(recorded: string | null, request: ReplacementRequest): string | null {
  const named = request.moneyCurrency ?? null;
  if (named === null) return recorded;
  if (!request.unusable) throw refuse(UserErrorCode.INVALID, 'moneyCurrency is named only with unusable: true.', ['input', 'moneyCurrency']);
  if (recorded !== null && isIsoCurrency(recorded) && recorded !== named) {
    throw refuse(UserErrorCode.INVALID, `This offer's money is ${recorded}, recorded when it was issued; it is not replaced in ${named}.`, ['input', 'moneyCurrency']);
  }
  return named;
}

/** The refusal of a replacement whose offer (issued and current version) cannot be paid in `money`. */
function unpayable(version: OfferVersionRow, money: string | null) {
  if (money === null || !isIsoCurrency(money)) {
    const known = money === null ? 'is not known' : `is recorded as ${money}, which is not an ISO 4217 currency in use`;
    return refuse(UserErrorCode.INVALID, `This offer's money ${known}, so no till could apply a replacement either: name the money of the program it was issued in (moneyCurrency).`, ['input', 'issuedOfferId']);
  }
  const [name, amount] = version.amountOff !== null && !amountFitsMoney(version.amountOff, money) ? ['amountOff', version.amountOff] : ['maxDiscount', version.maxDiscount];
  return refuse(
    UserErrorCode.INVALID,
    `This offer's ${name} ${amount} is finer than ${money} can be paid in (it has ${decimalsOf(money)}), in the version issued and in its current one: edit the offer to an amount of ${money} first.`,
    ['input', 'issuedOfferId'],
  );
}

/** The sale that redeemed an offer after its end (a late sale, till-23), as `lateSaleStanding` reads it. */
interface LateUse {
  externalId: string;
  /** The sale's moment, min(occurredAt, receivedAt): before the offer's end. */
  madeAt: Date;
  expiresAt: Date;
}

/**
 * The sale that redeemed issued offer `issuedOfferId` at or after the offer's end (only a late sale
 * can: its offers are judged at its own moment, till-23; an end is exclusive, so at its very instant
 * the offer reads EXPIRED and only a late sale redeems it: till-25, `>` let a replacement through
 * beside such a sale), while that sale stands (RECEIVED or PROCESSED); undefined when the offer is
 * not REDEEMED, was redeemed before its end, or its sale FAILED or was returned (the use went for
 * nothing: the case replacements are for). Read after the offer's row lock, so a late sale that
 * committed while the replacement waited is seen (till-24). A plain read of the sale's status, not a
 * lock: a processing that will fail holds the sale's row until it rolls back, and FAILED is then
 * written by a transaction of its own (failTransaction), so the replacement is refused until that
 * commits and issued after (till-25, driven with the failure held and with many at once).
 */
async function lateSaleStanding(em: SqlEntityManager, issuedOfferId: number): Promise<LateUse | undefined> {
  return queryOne(
    em,
    sql<LateUse>`select s.external_id as "externalId", least(s.occurred_at, s.received_at) as "madeAt", io.expires_at as "expiresAt"
          from issued_offer io join transaction_offer t on t.issued_offer_id = io.id join sales_transaction s on s.id = t.transaction_id
         where io.id = ${issuedOfferId} and io.status = 'REDEEMED' and io.redeemed_at >= io.expires_at and s.status in ('RECEIVED', 'PROCESSED')`,
  );
}

/**
 * INVALID on `["input", "issuedOfferId"]` for a replacement of an offer a late sale redeemed: staff
 * saw it EXPIRED (the sweep wrote it, or its end passed) and the till had used it before its end;
 * replacing it would give the member the discount twice (break-23).
 */
function usedByLateSale(use: LateUse) {
  return refuse(
    UserErrorCode.INVALID,
    `This offer was redeemed in sale ${JSON.stringify(use.externalId)}, made at ${instantOf(use.madeAt).toISOString()} before the offer's end at ${instantOf(use.expiresAt).toISOString()} and reported after it: the member had its use, so nothing was replaced.`,
    ['input', 'issuedOfferId'],
  );
}

/**
 * Staff (operators) give a customer an offer again after it was used up for nothing, e.g. redeemed
 * for a sale that then FAILED: a redemption the till was told about is final (SPEC §5.4), so the
 * remedy is a new wallet item, never un-redeeming the old one. In one transaction: claim the key
 * (scope: the operator) → lock the original → refuse it when it was replaced already (ALREADY_EXISTS,
 * before any other refusal: also the answer to a resend whose key expired, retain-14) or while it is
 * still usable (ISSUED or LOCKED as of now: INVALID), or when a late sale that stands redeemed it
 * after its end (INVALID naming the sale: `lateSaleStanding`, till-24) → issue the same offer
 * version to the same customer (source STAFF), valid as if issued now (OFFER_UNAVAILABLE when that
 * is already past, e.g. the version's `validUntil`; INVALID when the sale that awarded it, or the
 * offer it replaces, was returned: the offer went back with it) → audit entry with the reason. A repeat with
 * the key answers the same replacement; the key with another offer, reason or `unusable` is IDEMPOTENCY_KEY_REUSED.
 *
 * An offer no till can apply in its money (`payableIn`: "2.50" off issued in a yen program before
 * money-12, OFFER_NOT_APPLICABLE reason CURRENCY at every till) is remedied here too (upgrade-12):
 * - with `unusable`, while it is ISSUED or LOCKED: it is VOIDED (its WALLET_CHANGED event) in the
 *   same transaction as the replacement is issued, under its row lock, so a till redeeming it at the
 *   same moment either went first (then it is no longer live: INVALID, nothing replaced, the
 *   customer had its use) or finds it VOIDED (OFFER_NOT_REDEEMABLE): never both. INVALID when the
 *   offer can be applied in its money (`unusable` is a claim checked, not a way to swap offers);
 * - whether live or used up, the replacement is then the offer's current version (staff edit the
 *   offer to a payable amount first), not the version issued, which would be as unusable; INVALID
 *   when the current one cannot be paid in that money either (`unpayable`), or when its money is
 *   not known and the request does not name it (`moneyCurrency`, offsale-12b: the replacement is
 *   then in the money staff name, recorded in the audit entry; moneyOfReplacement).
 */
export async function issueReplacementOffer(ctx: Ctx, request: ReplacementRequest): Promise<ReplacementOutcome> {
  const now = ctx.clock.now();
  const actor = actorOf(ctx.caller);
  const scope = `replace-offer:${actor}`;
  return ctx.em.transactional(async (em) => {
    // What the request means: the offer and the reason (kept in the audit log), as adjustPoints
    // compares its reason; the key with another reason is IDEMPOTENCY_KEY_REUSED, not a replay.
    // (`unusable` only when set, so keys stored before it mean what they meant.)
    const fingerprint = requestFingerprint({
      issuedOfferId: request.issuedOfferId,
      reason: request.reason,
      ...(request.unusable ? { unusable: true } : {}),
      ...(request.moneyCurrency ? { moneyCurrency: request.moneyCurrency } : {}),
    });
    const claim = await claimIdempotencyKey<ReplacementOutcome>(em, scope, request.idempotencyKey, fingerprint, now);
    if (claim.replay) {
      noteReplay(ctx);
      return claim.result;
    }
    // The sale that awarded the offer (or the offer it replaces, up the chain), locked before the
    // offer as a return locks it (sale, then its offers): a return waiting here voids the
    // replacement this issues; one that went first leaves an offer taken back with its sale, which
    // is not given again (hostile 12b: the replacement stayed live after the return).
    const awardedBy = await queryOne<{ reversed: boolean }>(
      em,
      sql`with recursive up(id, replaces_id) as (
            select id, replaces_id from issued_offer where id = ${request.issuedOfferId}
            union all select io.id, io.replaces_id from issued_offer io join up on io.id = up.replaces_id
          )
          select s.status = 'REVERSED' as reversed from sales_transaction s join transaction_award w on w.transaction_id = s.id
           where w.issued_offer_id in (select id from up) order by s.id for share of s`,
    );
    if (awardedBy?.reversed) {
      throw refuse(UserErrorCode.INVALID, 'The sale that awarded this offer was returned: the offer went back with it.', ['input', 'issuedOfferId']);
    }
    const original = await queryOne(
      em,
      sql<IssuedOfferRow & OfferVersionColumns<'offer.'> & { updatedAt: Date }>`select ${issuedColumns(now)}, io.updated_at as "updatedAt", ${offerVersionColumns('offer.')}
            from issued_offer io join offer_version ov on ov.id = io.offer_version_id
           where io.id = ${request.issuedOfferId} for update of io`,
    );
    if (!original) throw refuse(UserErrorCode.NOT_FOUND, 'No such issued offer.', ['input', 'issuedOfferId']);
    // Replaced already: said first, before what the offer's state would refuse. A resend of an
    // `unusable` replacement whose key has expired (retain-13) finds its own offer VOIDED, and was
    // told "no longer an unusable live offer: nothing was replaced", which was false (retain-14).
    // Read under the original's row lock, which every replacement of it takes first.
    // Named by its code (edges-28: "already replaced" left the operator to find which offer replaced it).
    const replaced = await db(em).selectFrom('IssuedOffer').select(['id', 'code']).where('replaces', '=', original.id).executeTakeFirst();
    if (replaced) throw refuse(UserErrorCode.ALREADY_EXISTS, `This offer was already replaced, by the offer with code ${replaced.code}.`, ['input', 'issuedOfferId']);
    const lateUse = await lateSaleStanding(em, original.id);
    if (lateUse) throw usedByLateSale(lateUse);
    const issuedAs = offerVersionFrom(original, 'offer.');
    const payable = payableIn(issuedAs, original.moneyCurrency);
    const live = original.status === IssuedOfferStatus.ISSUED || original.status === IssuedOfferStatus.LOCKED;
    if (live && !request.unusable) {
      throw refuse(
        UserErrorCode.INVALID,
        payable
          ? 'This offer can still be used; only a used-up offer can be replaced.'
          : `This offer is still ${original.status}: to replace it because no till can apply it in its money, send unusable: true (it is then voided).`,
        ['input', 'issuedOfferId'],
      );
    }
    if (request.unusable && !live) {
      throw refuse(UserErrorCode.INVALID, `This offer is ${original.status} now (used or ended meanwhile), no longer an unusable live offer: nothing was replaced.`, ['input', 'issuedOfferId']);
    }
    if (request.unusable && payable) {
      throw refuse(UserErrorCode.INVALID, `This offer can be applied in ${original.moneyCurrency ?? 'any money'}; it is not unusable.`, ['input', 'issuedOfferId']);
    }
    // The money the replacement is in: the offer's, or for one never recorded, the one staff name.
    const money = moneyOfReplacement(original.moneyCurrency, request);
    // An offer that cannot be paid in its money is replaced by its current version, if that can.
    const offer = payableIn(issuedAs, money) ? issuedAs : (await currentOffersByIds(em, [issuedAs.offerId]))[0];
    if (!payableIn(offer, money)) throw unpayable(issuedAs, money);
    // Dated no earlier than the original's last write, which may have committed while this waited
    // for its row (a redemption, a void): the replacement is not issued before what it replaces
    // was used up, and is valid its days from then (dates-12c, as edges-12b for the ledger).
    const at = new Date(Math.max(now.getTime(), instantOf(original.updatedAt).getTime()));
    if (endedBy(offer, at)) {
      throw refuse(UserErrorCode.OFFER_UNAVAILABLE, 'This offer can no longer be issued.', ['input', 'issuedOfferId']);
    }
    if (live) {
      // Voided before the replacement is issued, in this transaction: the two are never both live.
      await query(em, sql`update issued_offer io set status = 'VOIDED', ${clearLock(at)}, updated_at = greatest(io.updated_at, ${at}) where io.id = ${original.id}`);
      await recordWalletChange(em, original.customerId, 'VOIDED', original.id, at);
    }
    const issued = await issueOffer(em, {
      customerId: original.customerId,
      offer,
      source: IssuedOfferSource.STAFF,
      sourceId: `IssuedOffer:${original.id}`,
      // The same offer in the same program: its amounts stay in the money they were in (named by staff when it was never recorded).
      moneyCurrency: money,
      replaces: original.id,
      now: at,
    });
    await recordAudit(em, {
      actor,
      action: 'issueReplacementOffer',
      target: `IssuedOffer:${original.id}`,
      customerId: original.customerId,
      reason: request.reason,
      details: {
        replacement: `IssuedOffer:${issued.id}`,
        status: original.status,
        ...(live ? { voided: true } : {}),
        ...(offer.versionId !== issuedAs.versionId ? { version: offer.version, versionIssued: issuedAs.version } : {}),
        ...(money !== original.moneyCurrency ? { moneyCurrency: money } : {}),
      },
      at,
    });
    const outcome: ReplacementOutcome = { replacedId: original.id, issuedOfferId: issued.id };
    await completeIdempotencyKey(em, scope, request.idempotencyKey, outcome);
    return outcome;
  });
}
