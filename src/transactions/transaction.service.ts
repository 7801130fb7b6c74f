import { fitsDigits, minorDigits } from '../domain/currency.js';
import { offsetMinutesOf } from '../domain/instant.js';
import { countShardOf } from '../rules/rule.service.js';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { actorOf, type Ctx, type PartnerCaller } from '../context.js';
import type { RawBuilder } from 'kysely';
import { castColumn, columnsOf, db, type EntityRow, type Selected } from '../db/schema.js';
import { anyOf, idList, query, queryOne, sql } from '../db/sql.js';
import { refuse, UserErrorCode, UserErrorException } from '../domain/refusals.js';
import { noteReplay } from '../idempotency/replays.js';
import { claimIdempotencyKey, completeKeySql, replayOf, requestFingerprint, reused } from '../idempotency/idempotency.service.js';
import { priceFinerThanMoney } from '../graphql/validation.js';
import { recordEvent } from '../events/outbox.service.js';
import { enqueueJobSql, wakeWorkers } from '../jobs/queue.js';
import { partnerStillHolds, refuseIfRevoked } from '../partners/partner.service.js';
import { LedgerSource } from '../points/ledger-entry.entity.js';
import { lockAccounts, notBeforeWrites, reverseCredits, settleAccount } from '../points/ledger.service.js';
import { cancelPending } from '../points/pending.service.js';
import { lockOffersToVoid, normalizeOfferCode, RedeemedForThisSale, redeemIssuedOffer, saleRedeemedByYou, unusedLockNotice, voidLockedOffers } from '../wallet/redemption.service.js';
import { recordWalletChanges } from '../wallet/wallet.service.js';
import type { OfferVersionRow } from '../offers/offer.service.js';
import { applicability, fromMinor, notApplicableMessage, saleTotal, termsOf, toMinor } from './pricing.js';
import { PendingCredit } from '../points/pending-credit.entity.js';
import { recomputeTier } from '../tiers/tier.service.js';
import { AwardKind, SalesTransaction, TransactionAward, TransactionStatus, type SaleLine } from './transaction.entity.js';
import { byCurrency, type CurrencyPoints, type ReversedPoints } from '../points/currency-points.js';
import { instantOf } from '../domain/instant.js';

/**
 * The job kind a sale's processing is enqueued under (payload `{ transactionId }`), read by
 * `processTransactionJob`. Named apart from `PROCESS_TRANSACTION_IN_CENTS` because what the sale's
 * row means changed under the old name: since money-12 (Migration20261201121000) its amounts are in
 * its money's minor units (`money_scale`), and a worker of a build from before (d4ae9bd, the
 * README's rolling-upgrade base) claiming the job read them as cents: a ¥1,000 sale earned 10
 * points, 1,000 KWD 10,000 instead of 1,000, for good (break35-instances). Workers claim only kinds
 * they have a handler for, so the old ones leave these jobs to this build's.
 */
export const PROCESS_TRANSACTION = 'transaction.process.minor-units';
/**
 * The kind builds before break35-instances enqueue a sale's processing under: still handled, by the
 * same handler (it reads `money_scale`, which a build from before money-12 leaves at its default 2,
 * the cents it stored), so the sales an older instance takes during a rolling upgrade, and jobs
 * queued before it, are processed.
 */
export const PROCESS_TRANSACTION_IN_CENTS = 'transaction.process';

/** A sale as the API shows it: every `sales_transaction` column but the basket's lockId and the reversal's reason. */
export type TransactionRow = Omit<EntityRow<SalesTransaction>, 'lockId' | 'reversalReason'>;

const TRANSACTION_HEAD = columnsOf(SalesTransaction, 't', [
  'id', 'partnerId', 'externalId', 'customerId', 'channel', 'locationId', 'occurredAt', 'occurredOffsetMinutes', 'moneyCurrency', 'lines', 'moneyScale', 'status', 'failureReason',
]);
const TRANSACTION_TOTAL = castColumn(SalesTransaction, 't', 'total', 'text');
const TRANSACTION_DISCOUNT = castColumn(SalesTransaction, 't', 'discount', 'text');
const TRANSACTION_TAIL = columnsOf(SalesTransaction, 't', ['pointsAwarded', 'receivedAt', 'processedAt', 'reversedAt', 'offersNotAwarded', 'lockNotice']);
const TRANSACTION_COLUMNS: RawBuilder<TransactionRow> = sql<
  Selected<typeof TRANSACTION_HEAD> & Selected<typeof TRANSACTION_TOTAL> & Selected<typeof TRANSACTION_DISCOUNT> & Selected<typeof TRANSACTION_TAIL>
>`${TRANSACTION_HEAD}, ${TRANSACTION_TOTAL}, ${TRANSACTION_DISCOUNT}, ${TRANSACTION_TAIL}`;

/** Sales by id (any order; unknown ids are left out), for the `transaction` loader. */
export async function transactionsByIds(em: SqlEntityManager, ids: readonly number[]): Promise<TransactionRow[]> {
  return query(em, sql<TransactionRow>`select ${TRANSACTION_COLUMNS} from sales_transaction t where t.id = any(${idList(ids)})`);
}

/** A partner's sale by its id; staff (partnerId null) see any partner's, the newest first. */
export async function transactionByExternalId(em: SqlEntityManager, externalId: string, partnerId: number | null): Promise<TransactionRow | undefined> {
  return queryOne(
    em,
    sql<TransactionRow>`select ${TRANSACTION_COLUMNS} from sales_transaction t
         where t.external_id = ${externalId} and (${partnerId}::bigint is null or t.partner_id = ${partnerId})
         order by t.id desc limit 1`,
  );
}

/** What a sale earned, as the API shows it: `transaction_award` columns, and whether it is pending or reversed now. */
export type AwardRow = Selected<typeof AWARD_COLUMNS> & { pending: boolean; reversed: boolean };

const AWARD_COLUMNS = columnsOf(TransactionAward, 'a', ['id', 'transactionId', 'kind', 'points', 'currencyCode', 'issuedOfferId', 'rule']);

/**
 * The awards of each of `transactionIds`' sales (any order of sales; unknown ids have none), each
 * sale's in the order they were made, as of `now`: `pending` while the award's pending credit is
 * neither cancelled (the sale returned) nor due (its `available_at` still to come). Due is read
 * from the time, not from the write-down (`released_at`), so an award is no longer pending from
 * the second its points are spendable, whether or not a job has released them (SPEC §4;
 * pending-18: it said pending until the write-down, and for a returned sale for ever). One
 * statement for the sales whose fields are resolved together (the `awards` loader), which both
 * SalesTransaction.awards and SalesTransaction.pointsByCurrency read (money-25).
 */
export async function awardsOfTransactions(em: SqlEntityManager, transactionIds: readonly number[], now: Date): Promise<AwardRow[]> {
  return query<AwardRow>(
    em,
    sql`select ${AWARD_COLUMNS},
               (p.id is not null and p.released_at is null and p.cancelled_at is null and p.available_at > ${now}) as pending,
               a.reversed_at is not null as reversed
          from transaction_award a left join pending_credit p on p.id = a.pending_credit_id
         where a.transaction_id = any(${idList(transactionIds)}) order by a.transaction_id, a.id`,
  );
}

/**
 * What a sale earned per point currency (SalesTransaction.pointsByCurrency, money-24), from its
 * awards (`awards`, in the order made: awardsOfTransactions): its points awards (kind POINTS)
 * added up per currency, in the order each currency was first awarded; empty before it is
 * processed and for a sale that earned no points. Like pointsAwarded, a return does not change it
 * (the awards show `reversed`). Derived, not read again: the awards are the request's one read of
 * the sale's `transaction_award` rows (money-25; it was a second statement over them).
 */
export function pointsByCurrencyOf(awards: readonly AwardRow[]): CurrencyPoints[] {
  return byCurrency(awards.flatMap((a) => (a.kind === AwardKind.POINTS && a.currencyCode != null ? [{ currency: a.currencyCode, points: a.points }] : [])));
}

/** An issued offer applied to a sale at the till (a `transaction_offer` row): the sale's id and the issued offer's. */
export interface AppliedOfferRow {
  transactionId: number;
  issuedOfferId: number;
}

/**
 * The issued offers applied to each of `transactionIds`' sales (any order of sales; unknown ids
 * and sales without offers have none), each sale's by issued offer id ascending, in one statement
 * whatever the number of sales: the `appliedOffers` loader's read (SalesTransaction.offersApplied
 * read them per sale, one statement each, n1-28).
 */
export async function appliedOffersOf(em: SqlEntityManager, transactionIds: readonly number[]): Promise<AppliedOfferRow[]> {
  return db(em)
    .selectFrom('TransactionOffer')
    .select(['transaction as transactionId', 'issuedOffer as issuedOfferId'])
    .where('transaction', '=', anyOf(transactionIds))
    .orderBy('transaction')
    .orderBy('issuedOffer')
    .execute();
}

export interface SubmitData {
  externalId: string;
  customerExternalId: string;
  channel?: string | null;
  locationId?: string | null;
  occurredAt: Date;
  currency: string;
  lines: { sku: string; category?: string | null; quantity: number; unitPrice: string }[];
  offerCodes?: string[] | null;
  lockId?: string | null;
}

/**
 * How far in the future a till's clock may be before a sale is refused. A sale within it is taken,
 * and its rules read it as having happened when it reached us (see processTransaction).
 */
const FUTURE_TOLERANCE_MS = 24 * 3_600_000;

/**
 * Accepts a sale from a till: stores it, redeems the offers it names (locked ones with `lockId`,
 * issued ones at once) and enqueues its processing, in one transaction, answering RECEIVED.
 * (partner, externalId) is the sale's idempotency key: a repeat of the same sale, also one sent at
 * the same moment (it waits on the first's key), answers the stored sale and changes nothing; the
 * same externalId for a different sale (customer, lines, amounts, offers, …: `saleFingerprint`) is
 * refused with IDEMPOTENCY_KEY_REUSED and writes nothing.
 */
export async function submitTransaction(ctx: Ctx, partner: PartnerCaller, d: SubmitData): Promise<TransactionRow> {
  const now = ctx.clock.now();
  if (d.occurredAt.getTime() > now.getTime() + FUTURE_TOLERANCE_MS) {
    throw refuse(UserErrorCode.INVALID, "occurredAt is more than a day ahead of the gateway's clock.", ['input', 'occurredAt']);
  }
  // In minor units of the sale's money (cents, fils, yen). A price finer than them ("480.50" yen)
  // is no sale's now, but may be a retry of one taken before money-12: refused only once the key
  // says it is not (`retriedFromBeforeTheUpgrade`, upgrade-12).
  const digits = minorDigits(d.currency);
  const finer = priceFinerThanMoney(d.lines, d.currency);
  const lines: SaleLine[] = finer ? [] : d.lines.map((l, i) => {
    const unitPrice = toMinor(l.unitPrice, digits);
    if (unitPrice < 0) throw refuse(UserErrorCode.INVALID, 'unitPrice cannot be negative.', ['input', 'lines', String(i), 'unitPrice']);
    return { sku: l.sku, category: l.category ?? null, quantity: l.quantity, unitPrice };
  });
  const scope = `sale:partner:${partner.partnerId}`;
  let enqueued = false;
  const sale = await ctx.em.transactional(async (em) => {
    if (finer) {
      const earlier = await retriedFromBeforeTheUpgrade(em, scope, d, digits, finer);
      noteReplay(ctx);
      return earlier;
    }
    const fingerprint = saleFingerprint(d, lines);
    const inCents = centsFingerprint(d, digits);
    const claim = await claimIdempotencyKey<{ transactionId: number }>(em, scope, d.externalId, fingerprint, now, { field: ['input', 'externalId'] }, inCents);
    if (claim.replay) {
      const [stored] = await transactionsByIds(em, [claim.result.transactionId]);
      // A stored fingerprint's prices are minor units of the stored sale's scale: cents for a sale
      // taken before money-12, the money's own since. So a match stands only when this request
      // means the same in that scale: ¥480 sent now is not ¥48,000 taken since the upgrade (its
      // cents match), and ¥48,000 sent now is not ¥480 taken before it in cents (its yen match,
      // 48000 either way; break-12f). A price of 0 is the same in both.
      const matchedInCents = claim.former || inCents.includes(fingerprint);
      const stands = stored.moneyScale === digits ? !claim.former : stored.moneyScale === 2 && matchedInCents;
      if (!stands) throw reused({ field: ['input', 'externalId'] });
      noteReplay(ctx);
      return stored;
    }
    // A new sale only: a repeat of one taken within the bound is answered with it, however late.
    if (d.occurredAt.getTime() < now.getTime() - ctx.config.saleMaxAgeDays * 86_400_000) {
      throw refuse(UserErrorCode.INVALID, `occurredAt is more than ${ctx.config.saleMaxAgeDays} days ago: too late to send this sale.`, ['input', 'occurredAt']);
    }
    // One round trip: the sale stored, its processing enqueued and the key's answer recorded (the
    // key's row is the claim's, an earlier statement: a statement's CTEs do not see each other's
    // rows). Every statement costs the gateway and PostgreSQL CPU of its own (issue 12, bench:till).
    const answer = sql`jsonb_build_object('transactionId', sale.id)`;
    const head = await queryOne<{ enqueued: boolean } & TransactionRow>(
      em,
      sql`with sale as (
            insert into sales_transaction as t (partner_id, external_id, customer_id, channel, location_id, occurred_at, occurred_offset_minutes,
                                                money_currency, lines, money_scale, lock_id, status, total, discount, received_at)
            select ${partner.partnerId}, ${d.externalId}, c.id, ${d.channel ?? null}, ${d.locationId ?? null}, ${d.occurredAt}, ${offsetMinutesOf(d.occurredAt)}, ${d.currency},
                   ${JSON.stringify(lines)}::jsonb, ${digits}, ${d.lockId ?? null}, 'RECEIVED', ${fromMinor(saleTotal(lines), digits)}::numeric,
                   ${fromMinor(0, digits)}::numeric, ${now}
              from customer c where c.external_id = ${d.customerExternalId} and ${partnerStillHolds(partner.partnerId)}
            on conflict (partner_id, external_id) do nothing
            returning ${TRANSACTION_COLUMNS}
          ), job as (${enqueueJobSql(PROCESS_TRANSACTION, answer, sql`sale`, { runAt: now, maxAttempts: 5 })}),
          answered as (${completeKeySql(scope, d.externalId, answer, sql`sale`)})
          select exists (select 1 from job) as enqueued, sale.* from sale`,
    );
    if (!head) {
      await refuseIfRevoked(em, partner.partnerId);
      // A sale stored before its key was recorded (sales from before fingerprints): answered as it
      // is, and that answer recorded with the key this request claimed, or every later repeat would
      // find the key with no answer (an internal error instead of the sale).
      const existing = await transactionByExternalId(em, d.externalId, partner.partnerId);
      if (existing) {
        await query(em, completeKeySql(scope, d.externalId, sql`jsonb_build_object('transactionId', ${existing.id}::bigint)`));
        return existing;
      }
      throw refuse(UserErrorCode.NOT_FOUND, 'No customer with this externalId.', ['input', 'customerExternalId']);
    }
    const { enqueued: wasEnqueued, ...row } = head;
    const inserted = row as TransactionRow;
    enqueued = wasEnqueued;
    const applied = await applyOffers(em, partner, d, inserted, lines, now);
    return applied ? { ...inserted, ...applied } : inserted;
  });
  // After the commit, outside it: see wakeWorkers.
  if (enqueued) wakeWorkers(ctx.em, PROCESS_TRANSACTION, (error) => ctx.log.warn({ err: error }, 'job wake-up not sent; workers will poll'));
  return sale;
}

/**
 * What a sale means, for comparing a repeat of its externalId: the customer, channel, location,
 * the instant it occurred (in any UTC offset: a repeat is answered as the first, whose offset
 * decided its weekday), the money currency, the lines in order with prices in minor units of
 * that money ("4.0" and "4.00" are the same price; the key still reads `unitPriceCents`, so the
 * fingerprints of sales in two-decimal moneys stored before money-12 are unchanged), the offer codes as the till reads them (any order, repeats once) and
 * the basket's lockId.
 */
function saleFingerprint(d: SubmitData, lines: SaleLine[]): string {
  return requestFingerprint({
    customerExternalId: d.customerExternalId,
    channel: d.channel,
    locationId: d.locationId,
    occurredAt: d.occurredAt,
    currency: d.currency,
    lines: lines.map((l) => ({ sku: l.sku, category: l.category, quantity: l.quantity, unitPriceCents: l.unitPrice })),
    offerCodes: [...new Set((d.offerCodes ?? []).map(normalizeOfferCode))].sort(),
    lockId: d.lockId,
  });
}

/**
 * The fingerprint the gateway before money-12 stored for this sale, when it differs from
 * `saleFingerprint`: then every price was cents (`toCents`, at most two decimals) whatever the
 * money, so a JPY or KWD sale sent before the upgrade and retried after it (its minor units are
 * yen or fils now) is still the same sale (hostile pass 12d). Empty for a two-decimal money (the
 * same fingerprint) and for a price with a digit past the cent, which that gateway could not take.
 */
function centsFingerprint(d: SubmitData, digits: number): string[] {
  if (digits === 2 || d.lines.some((l) => !fitsDigits(l.unitPrice, 2))) return [];
  const lines = d.lines.map((l) => ({ sku: l.sku, category: l.category ?? null, quantity: l.quantity, unitPrice: toMinor(l.unitPrice, 2) }));
  return [saleFingerprint(d, lines)];
}

/**
 * The sale a request whose price is finer than its money (`priceFinerThanMoney`: "480.50" yen,
 * "1.2345" KWD) stands for: before money-12 every price was cents, so "480.50" yen was a sale
 * (48050 cents), and a till that sent it just before the upgrade retries it just after. When the
 * key holds a sale stored in cents (`money_scale` 2) whose fingerprint is this request's in cents
 * (`centsFingerprint`), that sale is the answer, as for every retry (nothing written); otherwise
 * `finer` is thrown (BAD_USER_INPUT on the line's `unitPrice`): no new sale takes such a price, and
 * a sale taken since the upgrade under the key is not this request either. Read only: the key is
 * not claimed (the sale it may name committed before the upgrade).
 */
async function retriedFromBeforeTheUpgrade(em: SqlEntityManager, scope: string, d: SubmitData, digits: number, finer: Error): Promise<TransactionRow> {
  const [inCents] = centsFingerprint(d, digits);
  if (inCents === undefined) throw finer;
  let answer: { transactionId: number } | null;
  try {
    answer = await replayOf<{ transactionId: number } | null>(em, scope, d.externalId, inCents);
  } catch (error) {
    if (error instanceof UserErrorException) throw finer;
    throw error;
  }
  const [stored] = answer ? await transactionsByIds(em, [answer.transactionId]) : [];
  if (stored?.moneyScale !== 2) throw finer;
  return stored;
}

/**
 * A sale's OFFER_NOT_APPLICABLE: why the offer does not apply (`why`, the sentence RedeemOffer and
 * LockOffer give), then what the till does about it. The refusal rolls the whole sale back, codes
 * included, so the sale's externalId is free and the offer still ISSUED (newcomer-36: a POS
 * developer told only "does not apply to anything in this basket" could not tell whether the sale
 * was kept or could be sent again) — unless the till redeemed the code for this sale before
 * (`redeemedEarlier`: RedeemOffer naming it, which checks no basket), whose offer stays REDEEMED
 * whatever the sale does (break37c): then it says so, and that staff can replace it.
 */
const notApplicableToSale = (why: string, redeemedEarlier: boolean) =>
  redeemedEarlier
    ? `${why} Nothing was recorded, but your till already redeemed this code for this sale (RedeemOffer), so the offer stays used: send the sale again without this code (the same externalId) to record it; staff can give the member a replacement (issueReplacementOffer).`
    : `${why} Nothing was recorded and the offer stays in the member's wallet: send the sale again without this code (the same externalId) to record it.`;

/**
 * Redeems the offers a sale names and checks that each applies to its basket, in the sale's
 * transaction: any refusal rolls the whole sale back and the offers stay as they were. Each offer's
 * expiry is judged at the sale's moment, min(occurredAt, now) as its processing reads it
 * (`occurredAtOf`), its lock at `now` (tillStatusAt, till-23): an offer presented before its end
 * and reported late is redeemed; one presented after its end is OFFER_NOT_REDEEMABLE. Stores and
 * answers, when the sale names offers (else null): `discount`, what they take off (a decimal string
 * in the sale's money's ISO 4217 decimals, "2.80"), and `lockNotice`, what the sale's payload says
 * of a `lockId` no basket's lock used for some of its codes (each such code as the till sent it,
 * with RedeemOffer's sentence: `unusedLockNotice`), or null. Codes are
 * redeemed in a fixed order (so two sales naming the same offers cannot deadlock on their rows),
 * their WALLET_CHANGED events recorded once all are locked (a till or a return holding a later code
 * takes the customer's event stream after it: break35, till), then priced in the order processing applies them (by issued offer id), so the discount checked
 * here is the one the processor takes. Refusals name the code as the till sent it
 * (`['input', 'offerCodes', i]`): OFFER_NOT_REDEEMABLE, LOCK_HELD, or OFFER_NOT_APPLICABLE when
 * the offer's channels, money (an amount off or a maximum discount in another money than the
 * sale's), SKUs, categories or amount do not fit the basket (see `applicability`). A code this
 * partner's till redeemed for this very sale (RedeemOffer with its externalId) applies as redeemed
 * then; one it redeemed otherwise is refused with when and for which sale (saleRedeemedByYou).
 */
async function applyOffers(em: SqlEntityManager, partner: PartnerCaller, d: SubmitData, sale: TransactionRow, lines: SaleLine[], now: Date): Promise<{ discount: string; lockNotice: string | null } | null> {
  const sent = (d.offerCodes ?? []).map(normalizeOfferCode);
  const field = (code: string) => ['input', 'offerCodes', String(sent.indexOf(code))];
  const validAt = new Date(Math.min(d.occurredAt.getTime(), now.getTime()));
  const redeemed: { id: number; customerId: number; code: string; moneyCurrency: string | null; offer: OfferVersionRow; redeemedEarlier: boolean }[] = [];
  const notices: string[] = [];
  for (const code of [...new Set(sent)].sort()) {
    try {
      const r = await redeemIssuedOffer(em, {
        code,
        lockId: d.lockId ?? null,
        customerId: sale.customerId,
        partnerId: partner.partnerId,
        transactionRef: d.externalId,
        saleChecks: true,
        now,
        validAt,
      });
      redeemed.push(r);
      const notice = unusedLockNotice(r.unusedLock, d.lockId ?? '');
      if (notice !== null) notices.push(`Offer code ${JSON.stringify(d.offerCodes![sent.indexOf(code)])}: ${notice}`);
    } catch (error) {
      if (error instanceof UserErrorException && error.code === UserErrorCode.OFFER_NOT_REDEEMABLE) {
        throw (await saleRedeemedByYou(em, partner.partnerId, code, d.externalId, now, field(code))) ?? refuse(error.code, error.message, field(code));
      }
      if (error instanceof UserErrorException) {
        const message = error.code === UserErrorCode.OFFER_NOT_APPLICABLE ? notApplicableToSale(error.message, error instanceof RedeemedForThisSale) : error.message;
        throw refuse(error.code, message, field(code));
      }
      throw error;
    }
  }
  if (redeemed.length === 0) return null;
  // Their WALLET_CHANGED events once every code's row is locked (see RedemptionRequest.saleChecks).
  await recordWalletChanges(em, redeemed.filter((r) => !r.redeemedEarlier), 'REDEEMED', now);
  redeemed.sort((a, b) => a.id - b.id);
  const terms = redeemed.map((r) => termsOf(r.offer, r.moneyCurrency));
  const { priced, refused } = applicability(lines, { channel: d.channel ?? null, currency: d.currency }, terms);
  const first = refused.findIndex((reason) => reason !== null);
  if (first >= 0) {
    throw refuse(UserErrorCode.OFFER_NOT_APPLICABLE, notApplicableToSale(notApplicableMessage(refused[first]!, terms[first], d.currency), redeemed[first].redeemedEarlier), field(redeemed[first].code));
  }
  // One statement: each offer's share, and the sale's discount and lock notice, kept with the sale
  // from now on (its repeats answer them; a sale that then fails or is returned unprocessed still
  // says what its offers took off: break31b). Processing prices it again, the same way.
  const digits = minorDigits(d.currency);
  const lockNotice = notices.length ? notices.join(' ') : null;
  const discount = fromMinor(priced.discount, digits);
  await query(
    em,
    sql`with offers as (
          insert into transaction_offer (transaction_id, issued_offer_id, discount)
          values ${sql.join(redeemed.map((r, i) => sql`(${sale.id}, ${r.id}, ${fromMinor(priced.perOffer[i], digits)}::numeric)`))}
        )
        update sales_transaction set discount = ${discount}::numeric, lock_notice = ${lockNotice} where id = ${sale.id}`,
  );
  return { discount, lockNotice };
}

export interface ReversalOutcome {
  transaction: TransactionRow;
  /** All currencies added up (deprecated in the API: see reversedByCurrency). */
  pointsReversed: number;
  /** All currencies added up (deprecated in the API: see reversedByCurrency). */
  pointsOwed: number;
  /** Per point currency, in the order the sale's awards were made. */
  reversedByCurrency: ReversedPoints[];
  offersKept: number[];
}

const REVERSED_SALE_COLUMNS = columnsOf(SalesTransaction, '', ['id', 'status', 'customerId', 'processedAt', 'reversedAt', 'failureReason']);
const REVERSED_AWARD_COLUMNS = columnsOf(TransactionAward, '', [
  'id', 'kind', 'points', 'currencyCode', 'ledgerEntryId', 'pendingCreditId', 'issuedOfferId', 'campaignId',
]);
const PENDING_ENTRY_COLUMN = columnsOf(PendingCredit, '', ['ledgerEntryId']);

/**
 * What a return of a sale already reversed is told (ALREADY_REVERSED on ["input","externalId"]):
 * when it was reversed, so a till retrying after a lost answer can tell its own return from an
 * earlier one (replay-22; "This sale was already reversed." before). Only the sale's partner reads
 * it: a return names the sale by the partner's own externalId.
 */
function alreadyReversedMessage(reversedAt: Date | string | null | undefined): string {
  return reversedAt ? `This sale was already reversed at ${instantOf(reversedAt).toISOString()}: nothing more is taken back.` : 'This sale was already reversed.';
}

/**
 * What a return of a FAILED sale is told (INVALID on ["input","externalId"]), naming the failure:
 * its processing failed, so it earned and awarded nothing and there is nothing to take back
 * (noticed-40: it was marked REVERSED with a `sale.reversed` of nothing, its FAILED lost to the
 * till and to partners mirroring it). The offers it redeemed stay REDEEMED either way (failTransaction).
 */
function failedSaleMessage(failureReason: string | null): string {
  const why = failureReason ? ` (${JSON.stringify(failureReason)})` : '';
  return `This sale failed${why}: it earned and awarded nothing, so there is nothing to take back. It stays FAILED.`;
}

/**
 * Undoes exactly what a sale earned and awarded, once: each points award's own credit reversed by
 * reference (pending ones not yet due cancelled; spent ones owed, expired ones gone: see
 * reverseCredits), awarded offers and staff replacements of them voided unless already redeemed
 * (those are reported in `offersKept`, issued offer ids in code order),
 * campaign budgets given back. A sale not processed yet (RECEIVED) is simply marked REVERSED, and its
 * processing then does nothing. Either way it records a TRANSACTION_REVERSED event (webhooks'
 * `sale.reversed`) in the return's transaction. Offers the customer used on the sale stay redeemed. Refusals:
 * NOT_FOUND (no sale of this partner with `externalId`), ALREADY_REVERSED (saying when:
 * alreadyReversedMessage), INVALID for a FAILED sale (it earned nothing; it stays FAILED:
 * failedSaleMessage); CredentialRevoked
 * (UNAUTHENTICATED) when the partner's key was revoked before the return's last write, which then
 * rolls back whole (edges-12).
 */
export async function reverseTransaction(ctx: Ctx, partner: PartnerCaller, externalId: string, reason: string | null): Promise<ReversalOutcome> {
  // Read before the locks below, which may be waited for: the return is dated no earlier than what
  // committed meanwhile (the sale's processing, every write of its accounts; see notBeforeWrites).
  let now = ctx.clock.now();
  const actor = actorOf(ctx.caller);
  return ctx.em.transactional(async (em) => {
    const sale = await queryOne<Selected<typeof REVERSED_SALE_COLUMNS>>(
      em,
      sql`select ${REVERSED_SALE_COLUMNS} from sales_transaction where partner_id = ${partner.partnerId} and external_id = ${externalId} for update`,
    );
    if (!sale) throw refuse(UserErrorCode.NOT_FOUND, 'No sale with this externalId.', ['input', 'externalId']);
    if (sale.status === TransactionStatus.REVERSED) throw refuse(UserErrorCode.ALREADY_REVERSED, alreadyReversedMessage(sale.reversedAt), ['input', 'externalId']);
    if (sale.status === TransactionStatus.FAILED) throw refuse(UserErrorCode.INVALID, failedSaleMessage(sale.failureReason), ['input', 'externalId']);
    if (sale.processedAt) now = notBeforeWrites(now, [{ updatedAt: sale.processedAt }]);
    const offersKept: number[] = [];
    const awards = await query<Selected<typeof REVERSED_AWARD_COLUMNS>>(
      em,
      sql`select ${REVERSED_AWARD_COLUMNS}
            from transaction_award where transaction_id = ${sale.id} and reversed_at is null order by id for update`,
    );
    // The offers it awarded, before anything else: a till redeeming, locking or releasing one, or
    // applying it to a sale, takes the offer's row and then the customer's event stream (its
    // WALLET_CHANGED), so a return that took the stream first (reversing the points) and the offer
    // after deadlocked with it, and one of the two failed with an internal error. In code order
    // (lockOffersToVoid); voided after the accounts' locks (below), on these rows.
    const offerIds = awards.flatMap((a) => (a.kind === AwardKind.OFFER && a.issuedOfferId !== null ? [a.issuedOfferId] : []));
    const offersToVoid = await lockOffersToVoid(em, offerIds, now);
    // Locks in processing's order (src/transactions/processor.ts), so the two cannot deadlock:
    // campaigns with a budget (by id) before accounts, the counts of campaigns without one (their
    // customer's shard, by campaign id: CampaignCount) after them.
    const campaignIds = [...new Set(awards.map((a) => a.campaignId).filter((id): id is number => id !== null))];
    const budgeted = new Set(
      campaignIds.length
        ? (await query<{ id: number }>(em, sql`select id from campaign where id = any(${idList(campaignIds)}) and budget_points is not null order by id for update`)).map((c) => c.id)
        : [],
    );
    // Every account the reversal writes, before its first event (see lockAccount), each locked and
    // written down once: under the locks nothing more falls due at the same moment, so the awards
    // below are undone on these rows (edges-12: each award locked and wrote down its account
    // twice more, five locks and four write-downs for a sale of two credits).
    const accounts = await lockAccounts(em, sale.customerId, awards.flatMap((a) => (a.kind === AwardKind.POINTS ? [a.currencyCode!] : [])), now);
    now = notBeforeWrites(now, accounts.values());
    for (const account of accounts.values()) await settleAccount(em, account, now);
    const givenBack = new Map<number, number>();
    const perCurrency = new Map<string, ReversedPoints>();
    const reversedOf = (currency: string) => perCurrency.get(currency) ?? perCurrency.set(currency, { currency, reversed: 0, owed: 0 }).get(currency)!;
    for (const a of awards) {
      if (a.kind === AwardKind.POINTS) {
        // By reference: the award's own credit (or its pending credit, released by the write-down
        // above if its day has come) is what is undone — never other points in its place. The tier
        // is placed once, after every award is undone (below), as processing placed it once after
        // every credit.
        const cancelled = a.pendingCreditId !== null && (await cancelPending(em, a.pendingCreditId, now));
        if (!cancelled) {
          const entryId =
            a.ledgerEntryId ??
            (await queryOne<Selected<typeof PENDING_ENTRY_COLUMN>>(em, sql`select ${PENDING_ENTRY_COLUMN} from pending_credit where id = ${a.pendingCreditId}`))
              ?.ledgerEntryId ??
            null;
          const result = await reverseCredits(em, accounts.get(a.currencyCode!)!, {
            entryIds: entryId === null ? [] : [entryId],
            source: LedgerSource.TRANSACTION,
            sourceId: String(sale.id),
            reason: reason ? `Sale reversed: ${reason}` : 'Sale reversed',
            actor,
            now,
          });
          // Points of the award that had expired were not taken back: they were gone already.
          const reversed = reversedOf(a.currencyCode!);
          reversed.owed += result.owed;
          reversed.reversed += result.taken + result.owed;
          // A campaign gets back what the return took back (taken or owed): points of its award
          // that expired stand as awarded, or its budget paid them out twice (break34-edges).
          if (a.campaignId !== null) givenBack.set(a.campaignId, (givenBack.get(a.campaignId) ?? 0) + result.taken + result.owed);
        } else {
          reversedOf(a.currencyCode!).reversed += a.points;
          if (a.campaignId !== null) givenBack.set(a.campaignId, (givenBack.get(a.campaignId) ?? 0) + a.points);
        }
      }
    }
    // Every offer it awarded, and the replacements standing in for them, at once: each voided, or
    // kept and reported when already redeemed (edges-12b: a redeemed replacement was kept but not
    // reported, as only the awarded ids were).
    const { alreadyRedeemed } = await voidLockedOffers(em, offersToVoid, now);
    offersKept.push(...alreadyRedeemed);
    // One TIER_CHANGED for the return, from the tier before it to the tier after it: the tiers
    // between two of its awards were never visible outside this transaction.
    if (awards.some((a) => a.kind === AwardKind.POINTS)) await recomputeTier(em, sale.customerId, now);
    const back = [...givenBack].sort(([a], [b]) => a - b);
    for (const [campaignId, points] of back.filter(([id]) => budgeted.has(id))) {
      await query(em, sql`update campaign set points_awarded = greatest(points_awarded - ${points}, 0) where id = ${campaignId}`);
    }
    // Campaigns without a budget: off the shard the sale counted on (its customer's), in one statement.
    const unbudgeted = back.filter(([id]) => !budgeted.has(id));
    if (unbudgeted.length) {
      await query(
        em,
        sql`insert into campaign_count as k (campaign_id, shard, points)
            select u.id, ${countShardOf(sale.customerId)}, -u.points from unnest(${unbudgeted.map(([id]) => id)}::bigint[], ${unbudgeted.map(([, p]) => p)}::bigint[]) as u(id, points)
             order by u.id
            on conflict (campaign_id, shard) do update set points = k.points + excluded.points`,
      );
    }
    await db(em).updateTable('TransactionAward').set({ reversedAt: now }).where('transaction', '=', sale.id).where('reversedAt', 'is', null).execute();
    // The return's own write, last, after every lock it waited for: it commits only if the till's
    // key still holds (partnerStillHolds), so a return in flight when its key is revoked (held at
    // an account, a campaign, an offer) is refused whole once revokePartner has answered (edges-12).
    // It answers the sale as it leaves it (edges-12: the sale was read again after this).
    const [transaction] = await query<TransactionRow>(
      em,
      sql`update sales_transaction t set status = 'REVERSED', reversed_at = ${now}, reversal_reason = ${reason}
           where t.id = ${sale.id} and ${partnerStillHolds(partner.partnerId)} returning ${TRANSACTION_COLUMNS}`,
    );
    if (!transaction) {
      await refuseIfRevoked(em, partner.partnerId);
      throw new Error(`sale ${sale.id} could not be marked REVERSED under its row lock`);
    }
    // The return's own event (webhooks-24: `sale.reversed`), in this transaction as every event is:
    // sent if and only if the return commits, once, since a second return of the sale is refused
    // (ALREADY_REVERSED) under the sale's row lock above. Before, a partner mirroring points had the
    // sale's `sale.processed` and one `balance.changed` per award, and no word of the return itself.
    const reversedByCurrency = [...perCurrency.values()];
    // The deprecated mixed sums, all currencies added up (derived, not kept beside the per-currency totals).
    const pointsReversed = reversedByCurrency.reduce((sum, r) => sum + r.reversed, 0);
    const pointsOwed = reversedByCurrency.reduce((sum, r) => sum + r.owed, 0);
    await recordEvent(em, 'TRANSACTION_REVERSED', sale.customerId, { transactionId: sale.id, pointsReversed, pointsOwed, reversedByCurrency, reason }, now);
    return { transaction, pointsReversed, pointsOwed, reversedByCurrency, offersKept };
  });
}
