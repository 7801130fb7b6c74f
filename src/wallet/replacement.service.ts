import { recordAudit } from '../audit/audit.service.js';
import { actorOf, type Ctx } from '../context.js';
import { db } from '../db/schema.js';
import { queryOne, sql } from '../db/sql.js';
import { refuse, UserErrorCode } from '../domain/refusals.js';
import { claimIdempotencyKey, completeIdempotencyKey, requestFingerprint } from '../idempotency/idempotency.service.js';
import { offerVersionColumns, offerVersionFrom, type OfferVersionColumns } from '../offers/offer.service.js';
import { IssuedOfferSource, IssuedOfferStatus } from './issued-offer.entity.js';
import { expiryOf, issueOffer, issuedColumns, type IssuedOfferRow } from './wallet.service.js';

/** What a replacement answers, stored with its idempotency key so a repeat answers the same. */
export interface ReplacementOutcome {
  replacedId: number;
  issuedOfferId: number;
}

export interface ReplacementRequest {
  issuedOfferId: number;
  reason: string;
  idempotencyKey: string;
}

/**
 * Staff (operators) give a customer an offer again after it was used up for nothing, e.g. redeemed
 * for a sale that then FAILED: a redemption the till was told about is final (SPEC §5.4), so the
 * remedy is a new wallet item, never un-redeeming the old one. In one transaction: claim the key
 * (scope: the operator) → lock the original → refuse it while it is still usable (ISSUED or LOCKED
 * as of now: INVALID) or when it was replaced already (ALREADY_EXISTS) → issue the same offer
 * version to the same customer (source STAFF), valid as if issued now (OFFER_UNAVAILABLE when that
 * is already past, e.g. the version's `validUntil`; INVALID when the sale that awarded it, or the
 * offer it replaces, was returned: the offer went back with it) → audit entry with the reason. A repeat with
 * the key answers the same replacement; the key with another offer or reason is IDEMPOTENCY_KEY_REUSED.
 */
export async function issueReplacementOffer(ctx: Ctx, request: ReplacementRequest): Promise<ReplacementOutcome> {
  const now = ctx.clock.now();
  const actor = actorOf(ctx.caller);
  const scope = `replace-offer:${actor}`;
  return ctx.em.transactional(async (em) => {
    // What the request means: the offer and the reason (kept in the audit log), as adjustPoints
    // compares its reason; the key with another reason is IDEMPOTENCY_KEY_REUSED, not a replay.
    const fingerprint = requestFingerprint({ issuedOfferId: request.issuedOfferId, reason: request.reason });
    const claim = await claimIdempotencyKey<ReplacementOutcome>(em, scope, request.idempotencyKey, fingerprint, now);
    if (claim.replay) return claim.result;
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
    if (original.status === IssuedOfferStatus.ISSUED || original.status === IssuedOfferStatus.LOCKED) {
      throw refuse(UserErrorCode.INVALID, 'This offer can still be used; only a used-up offer can be replaced.', ['input', 'issuedOfferId']);
    }
    const replaced = await db(em).selectFrom('IssuedOffer').select('id').where('replaces', '=', original.id).executeTakeFirst();
    if (replaced) throw refuse(UserErrorCode.ALREADY_EXISTS, 'This offer was already replaced.', ['input', 'issuedOfferId']);
    const offer = offerVersionFrom(original, 'offer.');
    // Dated no earlier than the original's last write, which may have committed while this waited
    // for its row (a redemption, a void): the replacement is not issued before what it replaces
    // was used up, and is valid its days from then (dates-12c, as edges-12b for the ledger).
    const at = new Date(Math.max(now.getTime(), new Date(original.updatedAt).getTime()));
    const expiresAt = expiryOf(offer, at);
    if (expiresAt && expiresAt.getTime() <= at.getTime()) {
      throw refuse(UserErrorCode.OFFER_UNAVAILABLE, 'This offer can no longer be issued.', ['input', 'issuedOfferId']);
    }
    const issued = await issueOffer(em, {
      customerId: original.customerId,
      offer,
      source: IssuedOfferSource.STAFF,
      sourceId: `IssuedOffer:${original.id}`,
      // The same offer in the same program: its amounts stay in the money they were in.
      moneyCurrency: original.moneyCurrency,
      replaces: original.id,
      now: at,
    });
    await recordAudit(em, {
      actor,
      action: 'issueReplacementOffer',
      target: `IssuedOffer:${original.id}`,
      reason: request.reason,
      details: { replacement: `IssuedOffer:${issued.id}`, status: original.status },
      at,
    });
    const outcome: ReplacementOutcome = { replacedId: original.id, issuedOfferId: issued.id };
    await completeIdempotencyKey(em, scope, request.idempotencyKey, outcome);
    return outcome;
  });
}
