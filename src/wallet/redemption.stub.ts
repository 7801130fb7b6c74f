// Stand-in for the wallet's redemption service being written on the issue4-wallet branch; the
// merge replaces it with that module (same signatures).
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { idList, query, queryOne, sql } from '../db/sql.js';
import { recordEvent } from '../events/outbox.service.js';
import { refuse, UserErrorCode } from '../graphql/errors.js';
import { offerVersionsByIds, type OfferVersionRow } from '../offers/offer.service.js';
import { issuedOffersByIds, type IssuedOfferRow } from './wallet.service.js';

export async function redeemIssuedOffer(
  em: SqlEntityManager,
  r: { code: string; lockId: string | null; customerId: number | null; partnerId: number; transactionRef: string | null; now: Date },
): Promise<IssuedOfferRow & { offer: OfferVersionRow }> {
  const row = await queryOne<{ id: number; customer_id: number; status: string; lock_id: string | null }>(
    em,
    sql`select id, customer_id, issued_offer_status_at(status, lock_expires_at, expires_at, ${r.now}) as status, lock_id
          from issued_offer where code = ${r.code} for update`,
  );
  if (!row || (r.customerId !== null && row.customer_id !== r.customerId) || !['ISSUED', 'LOCKED'].includes(row.status)) {
    throw refuse(UserErrorCode.OFFER_NOT_REDEEMABLE, `Offer ${r.code} cannot be redeemed.`);
  }
  if (row.status === 'LOCKED' && row.lock_id !== r.lockId) throw refuse(UserErrorCode.LOCK_HELD, `Offer ${r.code} is locked for another basket.`);
  await query(em, sql`update issued_offer set status = 'REDEEMED', redeemed_at = ${r.now}, lock_id = null, lock_expires_at = null, updated_at = ${r.now} where id = ${row.id}`);
  await recordEvent(em, 'WALLET_CHANGED', row.customer_id, { change: 'REDEEMED', issuedOfferId: row.id }, r.now);
  const [issued] = await issuedOffersByIds(em, [row.id], r.now);
  const [offer] = await offerVersionsByIds(em, [issued.offerVersionId]);
  return { ...issued, offer };
}

export async function voidIssuedOffers(em: SqlEntityManager, ids: number[], now: Date): Promise<{ voided: number[]; alreadyRedeemed: number[] }> {
  const voided = await query<{ id: number; customer_id: number }>(
    em,
    sql`update issued_offer set status = 'VOIDED', lock_id = null, lock_expires_at = null, updated_at = ${now}
         where id = any(${idList(ids)}) and status in ('ISSUED', 'LOCKED') returning id, customer_id`,
  );
  for (const v of voided) await recordEvent(em, 'WALLET_CHANGED', v.customer_id, { change: 'VOIDED', issuedOfferId: v.id }, now);
  const done = new Set(voided.map((v) => v.id));
  return { voided: [...done], alreadyRedeemed: ids.filter((id) => !done.has(id)) };
}
