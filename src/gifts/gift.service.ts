import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.service.js';
import { actorOf, type Ctx, type CustomerCaller } from '../context.js';
import { CustomerStatus } from '../customers/customer.entity.js';
import { customerStatusNow } from '../customers/status-lock.js';
import { byDefault, columnsOf, db, type EntityRow, type Selected } from '../db/schema.js';
import { anyOf, idList, query, queryOne, sql } from '../db/sql.js';
import { balanceOfEntryAccount } from '../points/points.service.js';
import { firstDuplicate } from '../domain/lists.js';
import { refuse, UserErrorCode } from '../domain/refusals.js';
import { howOften, named } from '../domain/text.js';
import { noteReplay } from '../idempotency/replays.js';
import { answeringOutlivedKeys, claimIdempotencyKey, completeIdempotencyKey, createOnce, keyOutlived, requestFingerprint, reused, type EarlierByKey } from '../idempotency/idempotency.service.js';
import { amountsFitMoneySql, offerVersionColumns, offerVersionFrom, refuseAmountsFinerThanMoney, versionFitsMoney, type OfferVersionColumns, type OfferVersionRow } from '../offers/offer.service.js';
import { PointCurrency } from '../points/currency.entity.js';
import { LedgerEntryKind, LedgerSource } from '../points/ledger-entry.entity.js';
import { postEntry, type Posted } from '../points/ledger.service.js';
import { IssuedOfferSource } from '../wallet/issued-offer.entity.js';
import { endedBy, issueOffer } from '../wallet/wallet.service.js';
import { GiftList, GiftListOption } from './gift-list.entity.js';
import { instantOf } from '../domain/instant.js';

/** Where a customer stands with a list: what the app shows beside it. */
export interface GiftProgress {
  unlocked: boolean;
  claimableCount: number;
  pointsToNext: number | null;
  claimedByMe: number;
}

/**
 * A gift list: its `gift_list` columns but `createdBy`, the viewing customer's progress (null when
 * staff read the list on its own) and its options.
 */
export type GiftListRow = Pick<EntityRow<GiftList>, (typeof GIFT_LIST_KEYS)[number]> &
  Nullable<GiftProgress> & {
    /** Offers that can be picked now, at their current version, in the list's order (for a customer: those payable in the list's money). */
    options: OfferVersionRow[];
  };

const GIFT_LIST_KEYS = ['id', 'currencyCode', 'name', 'threshold', 'maxClaims', 'createdAt'] as const;
const GIFT_LIST_COLUMNS = columnsOf(GiftList, 'g', GIFT_LIST_KEYS);

type Nullable<T> = { [K in keyof T]: T[K] | null };

const NO_PROGRESS: Nullable<GiftProgress> = { unlocked: null, claimableCount: null, pointsToNext: null, claimedByMe: null };

/**
 * A list is unlocked while the balance reaches the threshold. The balance pays for
 * floor(available / threshold) claims, capped by what is left of `maxClaims`; `pointsToNext` is
 * what one claim more than that would still need, null when `maxClaims` allows no more.
 */
export function giftProgress(list: { threshold: number; maxClaims: number | null }, available: number, claimed: number): GiftProgress {
  const left = list.maxClaims == null ? Number.POSITIVE_INFINITY : Math.max(0, list.maxClaims - claimed);
  const claimableCount = Math.min(Math.floor(available / list.threshold), left);
  const pointsToNext = claimableCount + 1 > left ? null : (claimableCount + 1) * list.threshold - available;
  return { unlocked: available >= list.threshold, claimableCount, pointsToNext, claimedByMe: claimed };
}

const OPTION_LIST_COLUMN = columnsOf(GiftListOption, 'o', ['giftListId']);

/** An option can be picked while its offer's current version has not passed its fixed end. */
const optionOnShow = (now: Date) => sql`(ov.valid_until is null or ov.valid_until > ${now})`;

/** A list as `giftListRows` reads it: the viewing customer (null: staff), the list's columns, and the customer's available balance and claims so far (null for staff). */
type ListRow = { viewerId: number | null } & Selected<typeof GIFT_LIST_COLUMNS> & { available: number | null; claimed: number | null };

/**
 * Gift lists by id (or all of them), lowest threshold first, with their options, once per viewer:
 * with `customerIds`, one array per customer in that order (duplicates allowed), each with that
 * customer's progress on each list from their balance as of `now` (`point_account_at`); with
 * null, staff's view, one array without anyone's progress. Two statements, whatever the number of
 * lists and of customers (n1-28: Customer.giftLists read them per customer of a list).
 */
async function giftListRows(em: SqlEntityManager, filter: { ids: readonly number[] | null; customerIds: readonly number[] | null; now: Date }): Promise<GiftListRow[][]> {
  const { ids, customerIds, now } = filter;
  const viewers: (number | null)[] = customerIds === null ? [null] : [...new Set(customerIds)];
  const lists = await query<ListRow>(
    em,
    sql`select u.customer_id as "viewerId", ${GIFT_LIST_COLUMNS},
               case when u.customer_id is not null then coalesce((select n.available from point_account_at(a.id, ${now}) n), 0) end as available,
               case when u.customer_id is not null then coalesce(n.claimed, 0) end as claimed
          from unnest(${sql.val(viewers)}::bigint[]) as u(customer_id)
          cross join gift_list g
          left join point_account a on a.customer_id = u.customer_id and a.currency_code = g.currency_code
          left join gift_claim_count n on n.gift_list_id = g.id and n.customer_id = u.customer_id
         where (${ids === null}::boolean or g.id = any(${idList(ids ?? [])}))
         order by g.threshold, g.id`,
  );
  if (lists.length === 0) return (customerIds ?? [null]).map(() => []);
  // A customer is not offered what the claim would refuse: an option whose offer cannot be paid in
  // the list's money (OFFER_UNAVAILABLE, offsale-12; offsale-12b). Staff see it. The same options
  // for every customer: what they may pick does not depend on who they are, only their progress does.
  const options = await query<OfferVersionRow & Selected<typeof OPTION_LIST_COLUMN>>(
    em,
    sql`select ${OPTION_LIST_COLUMN}, ${offerVersionColumns()}
          from gift_list_option o
          join offer f on f.id = o.offer_id
          join offer_version ov on ov.id = f.current_version_id
          join gift_list g on g.id = o.gift_list_id
          join point_currency pc on pc.code = g.currency_code
         where o.gift_list_id = any(${idList([...new Set(lists.map((l) => l.id))])}) and ${optionOnShow(now)}
           and (${customerIds === null}::boolean or ${amountsFitMoneySql(sql`pc.money_currency`)})
         order by o.gift_list_id, o.position`,
  );
  const optionsOf = new Map<number, typeof options>();
  for (const option of options) {
    const of = optionsOf.get(option.giftListId);
    if (of) of.push(option);
    else optionsOf.set(option.giftListId, [option]);
  }
  const byViewer = new Map<number | null, GiftListRow[]>(viewers.map((v) => [v, []]));
  for (const { viewerId, available, claimed, ...list } of lists) {
    byViewer.get(viewerId)!.push({
      ...list,
      ...(available == null || claimed == null ? NO_PROGRESS : giftProgress(list, available, claimed)),
      options: [...(optionsOf.get(list.id) ?? [])],
    });
  }
  return (customerIds ?? [null]).map((viewer) => byViewer.get(viewer)!);
}

/** The lists a customer can pick from (lists with no option on show, or none payable in the list's money, are left out), with their progress. */
export async function giftListsFor(em: SqlEntityManager, customerId: number, now: Date, ids: readonly number[] | null = null): Promise<GiftListRow[]> {
  return (await giftListsOfCustomers(em, [customerId], now, ids))[0];
}

/**
 * giftListsFor of several customers at once, one array per id of `customerIds` in its order (an
 * unknown id gets every list at a balance of 0 and no claims, as giftListsFor answers it): the
 * `giftLists` loader's read, two statements for any number of customers (n1-28).
 */
export async function giftListsOfCustomers(em: SqlEntityManager, customerIds: readonly number[], now: Date, ids: readonly number[] | null = null): Promise<GiftListRow[][]> {
  return (await giftListRows(em, { ids, customerIds, now })).map((lists) => lists.filter((list) => list.options.length > 0));
}

/** Staff: lists as configured, without anyone's progress. */
export async function giftListsById(em: SqlEntityManager, ids: readonly number[] | null, now: Date): Promise<GiftListRow[]> {
  return (await giftListRows(em, { ids, customerIds: null, now }))[0];
}

export interface CreateGiftListData {
  currency: string;
  name: string;
  threshold: number;
  /** Offer ids, in the order the options are shown. */
  offerIds: number[];
  maxClaims?: number | null;
}

/**
 * Staff: a new list of `data.offerIds` (each an offer, named by any of its ids), audit-logged.
 * Refusals (nothing written): NOT_FOUND for an unknown currency or offer; INVALID on
 * `["input","offerIds",j]` when option j names the same offer as an earlier one (literally, or one
 * by a version's id and one by the offer's), since a list showing one offer twice is a mistake in
 * its configuration (docs/decisions.md, "The input edge"). With `idempotencyKey` (the staff
 * member's own; see createOnce): the same key and list again (offers compared as resolved, in
 * their order) answer the same list, as it is now, and create nothing; another list under it is
 * IDEMPOTENCY_KEY_REUSED.
 */
export async function createGiftList(ctx: Ctx, data: CreateGiftListData, idempotencyKey?: string | null, reason: string | null = null): Promise<GiftListRow> {
  const now = ctx.clock.now();
  const actor = actorOf(ctx.caller);
  return ctx.em.transactional(async (em) => {
    const { result } = await createOnce(ctx, em, `create-gift-list:${actor}`, idempotencyKey, () => requestFingerprint({ ...data }), now, () => insertGiftList(em, data, { actor, reason }, now));
    return (await giftListsById(em, [result.id], now))[0];
  });
}

/** createGiftList's effect: its checks against the program, the list, its options and its audit entry. */
async function insertGiftList(em: SqlEntityManager, data: CreateGiftListData, { actor, reason }: { actor: string; reason: string | null }, now: Date): Promise<{ id: number }> {
  const offerIds = data.offerIds;
  const currency = await db(em).selectFrom('PointCurrency').select(['code', 'moneyCurrency']).where('code', '=', data.currency).executeTakeFirst();
  if (!currency) throw refuse(UserErrorCode.NOT_FOUND, `No currency ${named(data.currency)}.`, ['input', 'currency']);
  const found = await db(em).selectFrom('Offer').select('id').where('id', '=', anyOf(offerIds)).where('currentVersion', 'is not', null).execute();
  const known = new Set(found.map((o) => o.id));
  const missing = data.offerIds.findIndex((id) => !known.has(id));
  if (missing >= 0) throw refuse(UserErrorCode.NOT_FOUND, 'No such offer.', ['input', 'offerIds', String(missing)]);
  const repeat = firstDuplicate(offerIds);
  if (repeat) {
    throw refuse(
      UserErrorCode.INVALID,
      `offerIds[${repeat.again}] names the same offer as offerIds[${repeat.first}]: list each offer once.`,
      ['input', 'offerIds', String(repeat.again)],
    );
  }
  await refuseAmountsFinerThanMoney(em, offerIds, currency.moneyCurrency, (i) => ['input', 'offerIds', String(i)]);

  const list = await db(em)
    .insertInto('GiftList')
    .values({ id: byDefault, currency: data.currency, name: data.name, threshold: data.threshold, maxClaims: data.maxClaims ?? null, createdBy: actor, createdAt: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  await query(
    em,
    sql`insert into gift_list_option (gift_list_id, offer_id, position)
        select ${list.id}, offer_id, position - 1 from unnest(${idList(offerIds)}) with ordinality as t(offer_id, position)`,
  );
  await recordAudit(em, { actor, action: 'createGiftList', target: `GiftList:${list.id}`, reason, details: { ...data, offerIds }, at: now });
  return { id: list.id };
}

const CLAIMED_LIST_COLUMNS = columnsOf(GiftList, 'g', ['id', 'name', 'threshold', 'maxClaims', 'currencyCode']);

/**
 * What `claimGift` reads of a list: its columns, whether the offer is one of its options and on
 * show, the customer's claims so far (null: none yet), and the option's offer (its fields null
 * when the offer is not on the list: `onList` is checked first). Read as one row even when no list
 * has the id (then its columns are null: `id` is checked after `keyHeld`, break2-21).
 */
type ClaimedList = Selected<typeof CLAIMED_LIST_COLUMNS> &
  Selected<typeof CLAIMED_LIST_MONEY> & { onList: boolean; onShow: boolean; claimed: number | null; keyHeld: boolean; customerStatus: string | null } & OfferVersionColumns<'offer.'>;
/** The money of the list's program: the money currency of the offers claimed from it. */
const CLAIMED_LIST_MONEY = columnsOf(PointCurrency, 'pc', ['moneyCurrency']);

/**
 * What a claim answers, stored with its idempotency key so a repeat answers the same: `balance` is
 * the balance right after the claim, `afterEntryId` naming its ledger entry (BalanceRow) so what
 * else the balance reads is read as of it too; a claim past its record's retention
 * (`earlierClaim`) answers the balance as of now, without it.
 */
export interface GiftClaimOutcome {
  claimId: number;
  giftListId: number;
  issuedOfferId: number;
  balance: Posted['balance'] & { afterEntryId?: number };
}

/**
 * Claims one option of a gift list, whole or not at all, in one transaction: claim the
 * idempotency key → check the list and the option → spend `threshold` points (oldest-expiring
 * first) → count the claim against `maxClaims` → issue the offer (current version) → record the
 * claim. Locks in the order of purchases (key, the customer's status lock shared, account, counter), so concurrent claims queue
 * rather than deadlock. Any refusal rolls everything back and frees the key. NOT_ELIGIBLE when the
 * customer is not ACTIVE, as read under the status lock (customerStatusNow), not at authentication,
 * and only for a new claim: a repeat of a key whose claim committed answers that claim whatever the
 * status is now (SPEC §3, hostile-19).
 * A key whose record was purged (past IDEMPOTENCY_RETENTION_HOURS) is answered by the claim that
 * holds it (`earlierClaim`, edges-21): the same claim and offer, the balance as of now;
 * IDEMPOTENCY_KEY_REUSED when that claim was of another list or option. Nothing written either way.
 */
export async function claimGift(ctx: Ctx, customer: CustomerCaller, giftListId: number, offerId: number, idempotencyKey: string): Promise<GiftClaimOutcome> {
  const notActive = () => refuse(UserErrorCode.NOT_ELIGIBLE, 'This account cannot claim gifts right now.');
  // The status is checked after the key (below, under the status lock), never before it: a claim
  // that went through answers the same when retried after a suspension, as a purchase does
  // (hostile-19: the retry was NOT_ELIGIBLE, so the app showed a claim that had spent the points as
  // refused).
  const now = ctx.clock.now();
  const scope = `gift:${customer.customerId}`;
  // A key whose record was purged is a new request; the claim it made keeps the key and answers it
  // (retain-13, edges-21).
  const earlier = () => earlierClaim(ctx, customer.customerId, giftListId, offerId, idempotencyKey);
  return answeringOutlivedKeys('gift_claim_customer_id_idempotency_key_unique', 'gift claim', () => ctx.em.transactional(async (em) => {
    const claim = await claimIdempotencyKey<GiftClaimOutcome>(em, scope, idempotencyKey, requestFingerprint({ giftListId, offerId }), now);
    if (claim.replay) {
      noteReplay(ctx);
      return claim.result.balance.afterEntryId ? claim.result : { ...claim.result, balance: { ...claim.result.balance, afterEntryId: await claimEntryId(em, claim.result.claimId) } };
    }

    // One row whether or not the list exists (see keyHeld below).
    const list = (await queryOne(
      em,
      sql<ClaimedList>`select ${CLAIMED_LIST_COLUMNS}, ${CLAIMED_LIST_MONEY},
                 (o.offer_id is not null) as "onList", ${optionOnShow(now)} as "onShow",
                 (select n.claimed from gift_claim_count n where n.gift_list_id = g.id and n.customer_id = ${customer.customerId}) as claimed,
                 exists (select 1 from gift_claim k where k.customer_id = ${customer.customerId} and k.idempotency_key = ${idempotencyKey}) as "keyHeld",
                 ${customerStatusNow(customer.customerId)} as "customerStatus", ${offerVersionColumns('offer.')}
            from (select 1) one
            left join gift_list g on g.id = ${giftListId}
            left join point_currency pc on pc.code = g.currency_code
            left join gift_list_option o on o.gift_list_id = g.id and o.offer_id = ${offerId}
            left join offer f on f.id = o.offer_id
            left join offer_version ov on ov.id = f.current_version_id`,
    ))!;
    // A key claimed afresh that a claim holds (its record purged): that claim answers
    // (answeringOutlivedKeys, edges-21), before any refusal of what it changed (a used-up list) or
    // of what it names (a list that is not there: the key's own claim tells it is another request,
    // as within the window; break2-21).
    if (list.keyHeld) throw reused(keyOutlived('gift claim'));
    if (list.id == null) throw refuse(UserErrorCode.NOT_FOUND, 'No such gift list.', ['input', 'giftListId']);
    // The status as of now, under the status lock (before the account's): a suspension committed
    // since the request was authenticated refuses the claim; one that comes later waits for it.
    if (list.customerStatus !== CustomerStatus.ACTIVE) throw notActive();
    if (!list.onList) throw refuse(UserErrorCode.NOT_FOUND, 'This offer is not an option of this gift list.', ['input', 'optionId']);
    if (!list.onShow) throw refuse(UserErrorCode.OFFER_UNAVAILABLE, 'This offer can no longer be picked.', ['input', 'optionId']);
    const maxClaims = list.maxClaims;
    const limitReached = () => refuse(UserErrorCode.LIMIT_REACHED, `You can claim from this list at most ${howOften(maxClaims ?? 0)}.`, ['input', 'giftListId']);
    // Answer a used-up list without spending first; the locked upsert below decides races.
    if (maxClaims != null && (list.claimed ?? 0) >= maxClaims) throw limitReached();

    const threshold = list.threshold;
    const offer = offerVersionFrom(list, 'offer.');
    // A list kept from before money-12 may offer "2.50 off" in yen: no till could apply it, so it is
    // not issued for points (offsale-12). Nothing spent; staff edit the offer (start-up log).
    if (!versionFitsMoney(offer, list.moneyCurrency)) {
      throw refuse(UserErrorCode.OFFER_UNAVAILABLE, "This offer cannot be picked now: its amount cannot be applied in this program's money. No points were taken.", ['input', 'optionId']);
    }
    const source = `GiftList:${giftListId}`;
    const debit = await postEntry(em, {
      customerId: customer.customerId,
      currency: list.currencyCode,
      amount: -threshold,
      kind: LedgerEntryKind.SPEND,
      source: LedgerSource.GIFT,
      sourceId: source,
      reason: `${list.name}: ${offer.name}`,
      actor: actorOf(ctx.caller),
      now,
      refusalField: ['input', 'giftListId'],
    });

    const counted = await queryOne(
      em,
      sql`insert into gift_claim_count as n (gift_list_id, customer_id, claimed) values (${giftListId}, ${customer.customerId}, 1)
          on conflict (gift_list_id, customer_id) do update set claimed = n.claimed + 1
          where ${maxClaims}::int is null or n.claimed < ${maxClaims}
          returning claimed`,
    );
    if (!counted) throw limitReached();

    // One date for the claim: its ledger entry's (never before a write that committed on the
    // account while the claim waited for it), for the wallet item, its validity and the claim row.
    // The option is on show at that date too: an offer that ended while the claim waited for the
    // account is not issued already EXPIRED for the points (hostile-19; `onShow` read `now`).
    const at = instantOf(debit.createdAt);
    if (endedBy(offer, at)) throw refuse(UserErrorCode.OFFER_UNAVAILABLE, 'This offer can no longer be picked.', ['input', 'optionId']);
    const issued = await issueOffer(em, {
      customerId: customer.customerId,
      offer,
      source: IssuedOfferSource.GIFT,
      sourceId: source,
      moneyCurrency: list.moneyCurrency,
      now: at,
    });
    const [row] = await query<{ id: number }>(
      em,
      sql`insert into gift_claim (customer_id, gift_list_id, offer_id, points_paid, ledger_entry_id, issued_offer_id, idempotency_key, created_at)
          values (${customer.customerId}, ${giftListId}, ${offerId}, ${threshold}, ${debit.entryId}, ${issued.id}, ${idempotencyKey}, ${at})
          returning id`,
    );
    const outcome: GiftClaimOutcome = { claimId: row.id, giftListId, issuedOfferId: issued.id, balance: { ...debit.balance, afterEntryId: debit.entryId } };
    await completeIdempotencyKey(em, scope, idempotencyKey, outcome);
    return outcome;
  }), earlier);
}

/** The ledger entry of claim `claimId`: for an answer stored before answers named it (GiftClaimOutcome). */
async function claimEntryId(em: SqlEntityManager, claimId: number): Promise<number> {
  const row = await queryOne<{ id: number }>(em, sql`select ledger_entry_id as id from gift_claim where id = ${claimId}`);
  return row!.id;
}

/**
 * The claim of `customerId` that holds `idempotencyKey` (see answeringOutlivedKeys): its answer when
 * it took `offerId` from `giftListId` (the claim and its issued offer as they are now, the balance
 * as of now: the balance right after it is no longer kept), 'different' when it was another pick.
 */
async function earlierClaim(ctx: Ctx, customerId: number, giftListId: number, offerId: number, idempotencyKey: string): Promise<EarlierByKey<GiftClaimOutcome>> {
  const [row] = await query(
    ctx.em,
    sql<{ id: number; giftListId: number; offerId: number; issuedOfferId: number; ledgerEntryId: number }>`select id, gift_list_id as "giftListId", offer_id as "offerId",
                 issued_offer_id as "issuedOfferId", ledger_entry_id as "ledgerEntryId"
            from gift_claim where customer_id = ${customerId} and idempotency_key = ${idempotencyKey}`,
  );
  if (!row) return undefined;
  if (row.giftListId !== giftListId || row.offerId !== offerId) return 'different';
  const balance = await balanceOfEntryAccount(ctx.em, row.ledgerEntryId, ctx.clock.now());
  noteReplay(ctx);
  return { claimId: row.id, giftListId, issuedOfferId: row.issuedOfferId, balance };
}
