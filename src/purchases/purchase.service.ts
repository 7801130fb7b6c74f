import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { actorOf, type Ctx, type CustomerCaller } from '../context.js';
import type { CustomerCheck } from '../customers/customer-check.js';
import { CustomerStatus } from '../customers/customer.entity.js';
import { customerStatusNow } from '../customers/status-lock.js';
import { columnsOf, db, fromPrefixed, prefixedColumnsOf, renamedKeys, type EntityRow, type PrefixedRow } from '../db/schema.js';
import type { QueryExecutorProvider, RawBuilder } from 'kysely';
import { anyOf, query, queryOne, sql, statement } from '../db/sql.js';
import { statementRefusal } from '../db/refusal.js';
import { CredentialRevoked, refuse, UserErrorCode } from '../domain/refusals.js';
import { howOften } from '../domain/text.js';
import { noteReplay } from '../idempotency/replays.js';
import { answeringOutlivedKeys, claimKeySql, completeKeySql, keyOutlived, replayOf, requestFingerprint, reused, type EarlierByKey } from '../idempotency/idempotency.service.js';
import { amountsFitMoneySql, offerVersionColumns, offerVersionFrom, type OfferVersionColumns, type OfferVersionRow } from '../offers/offer.service.js';
import { PointAccount } from '../points/account.entity.js';
import { PointCurrency } from '../points/currency.entity.js';
import { LedgerEntryKind, LedgerSource } from '../points/ledger-entry.entity.js';
import { ACCOUNT_KEYS, debit, debitStatement, insufficientPoints, lockAccount, notBeforeWrites, type DebitExtension } from '../points/ledger.service.js';
import { balanceOfEntryAccount, CURRENCY_KEYS, type CurrencyRow } from '../points/points.service.js';
import { customerQualifies, listingOnShow, storeOpen } from '../stores/store.service.js';
import { recomputeTier } from '../tiers/tier.service.js';
import { IssuedOffer, IssuedOfferSource } from '../wallet/issued-offer.entity.js';
import { expirySql, issueOfferSql, newOfferCode, type IssuedOfferRow } from '../wallet/wallet.service.js';
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

/**
 * What a purchase answers, stored with its idempotency key so a repeat answers the same: `balance`
 * is the balance right after the purchase, except with `balanceAsOfNow` (never stored), the answer
 * to a key past its record's retention (`earlierPurchase`), whose balance is read as of now.
 */
export interface PurchaseOutcome {
  purchaseId: number;
  balance: BalanceSnapshot;
  balanceAsOfNow?: true;
}

/** The rows a fresh purchase wrote, so its answer needs no more reads (a replay has none). */
export interface PurchaseRows {
  purchase: PurchaseRow;
  issued: IssuedOfferRow;
  offer: OfferVersionRow;
  currency: CurrencyRow;
}

/**
 * Buys a listing with points, whole or not at all. Usually one statement that is its own
 * transaction (`purchaseAlone`: one round trip, issue 12); when that statement finds it cannot
 * decide alone (another writer changed the account since its snapshot, points are due for a
 * write-down, the customer has no account in the currency) or the customer is not ACTIVE, the
 * transaction of two statements (`purchaseInTransaction`). Both answer the same, refuse the same
 * (see purchaseInTransaction for the refusals and their order) and take row locks in the same
 * order.
 *
 * `check`: the request's pending check of the signed-in customer (CustomerCheck), when
 * authentication left it to the request (`customer.status` is then undefined). The one statement
 * settles it (issue 12, ninth session): it reads the customer's row by id and external id, and for
 * a customer missing or CLOSED writes nothing, claims no key and throws CredentialRevoked, having
 * settled the check false, so the server answers the 401 authentication gives; anything else it
 * decides settles it true. A statement that fails otherwise leaves it to the server.
 *
 * A key whose record was purged (older than IDEMPOTENCY_RETENTION_HOURS) is answered by the
 * purchase it bought, which keeps it as its own key (`earlierPurchase`, edges-21): the same purchase
 * and offer, the balance as of now; IDEMPOTENCY_KEY_REUSED when that purchase was of another
 * listing. Nothing is written either way.
 */
export async function purchaseOffer(
  ctx: Ctx,
  customer: CustomerCaller,
  listingId: number,
  idempotencyKey: string,
  check?: CustomerCheck,
  expectedPrice: number | null = null,
): Promise<PurchaseOutcome & { rows?: PurchaseRows }> {
  return answeringOutlivedKeys(
    PURCHASE_KEY_CONSTRAINT,
    'purchase',
    async () => {
      if (customer.status === CustomerStatus.ACTIVE || check) {
        const alone = await purchaseAlone(ctx, customer, listingId, idempotencyKey, check, expectedPrice);
        if (alone) return alone;
      }
      return purchaseInTransaction(ctx, customer, listingId, idempotencyKey, expectedPrice);
    },
    () => earlierPurchase(ctx, customer.customerId, listingId, idempotencyKey),
  );
}

/**
 * The purchase of `customerId` that holds `idempotencyKey` (see answeringOutlivedKeys): its answer
 * when it bought `listingId` (the purchase and its issued offer as they are now, the balance as of
 * now: the balance right after it is no longer kept), 'different' when it bought another listing.
 */
async function earlierPurchase(ctx: Ctx, customerId: number, listingId: number, idempotencyKey: string): Promise<EarlierByKey<PurchaseOutcome>> {
  const [row] = await query(
    ctx.em,
    sql<{ id: number; listingId: number; ledgerEntryId: number }>`select id, listing_id as "listingId", ledger_entry_id as "ledgerEntryId"
          from offer_purchase where customer_id = ${customerId} and idempotency_key = ${idempotencyKey}`,
  );
  if (!row) return undefined;
  if (row.listingId !== listingId) return 'different';
  const balance = await balanceOfEntryAccount(ctx.em, row.ledgerEntryId, ctx.clock.now());
  noteReplay(ctx);
  return { purchaseId: row.id, balance, balanceAsOfNow: true };
}

/**
 * The purchase as one statement that is its own transaction (no BEGIN or COMMIT: PostgreSQL
 * commits it as it ends, or rolls all of it back when it raises): one round trip. Null when the
 * statement cannot decide alone (it raised RETRY, having written nothing): the caller runs
 * purchaseInTransaction. A repeat of a committed key reads the stored answer (replayOf), as the
 * transaction does. Refusals as purchaseInTransaction's, in its order. See PURCHASE_ALONE.
 */
async function purchaseAlone(
  ctx: Ctx,
  customer: CustomerCaller,
  listingId: number,
  idempotencyKey: string,
  check?: CustomerCheck,
  expectedPrice: number | null = null,
): Promise<(PurchaseOutcome & { rows?: PurchaseRows }) | null> {
  const { scope, fingerprint } = keyOf(customer.customerId, listingId);
  let row: PurchaseAloneRow | undefined;
  try {
    const externalId = check ? check.externalId : null;
    [row] = await PURCHASE_ALONE.run(ctx.em, ...purchaseAloneArguments(customer.customerId, externalId, listingId, idempotencyKey, ctx.clock.now(), actorOf(ctx.caller), expectedPrice));
  } catch (error) {
    const refused = statementRefusal(error);
    if (!refused) throw error;
    if (refused.reason === SIGNED_OUT) {
      check?.observe(false);
      throw new CredentialRevoked(SIGNED_OUT_MESSAGE);
    }
    // Any other reason comes after the customer's row was found active.
    check?.observe(true);
    if (refused.reason === RETRY) return null;
    if (refused.reason === KEY_HELD) throw reused(OUTLIVED);
    // No listing of that id: the statement had no row to take the detail from, and sends none.
    const detail = (refused.detail ? JSON.parse(refused.detail) : {}) as { currency?: string; limit?: number | null; missing?: number; price?: number };
    if (refused.reason === UserErrorCode.INSUFFICIENT_POINTS) throw insufficientPoints(detail.currency!, detail.missing!, ON_LISTING);
    if (refused.reason === NOT_ACTIVE) throw notActive();
    if (refused.reason === UNPAYABLE) throw unpayable();
    if (refused.reason in PURCHASE_REFUSALS) throw purchaseRefusal(refused.reason as keyof typeof PURCHASE_REFUSALS, detail);
    throw new Error(`purchase of listing ${listingId} by customer ${customer.customerId}: ${refused.reason}`);
  }
  check?.observe(true);
  if (!row!.claimed) {
    const replay = await replayOf<PurchaseOutcome>(ctx.em, scope, idempotencyKey, fingerprint, {}, OUTLIVED);
    noteReplay(ctx);
    return replay;
  }
  const purchase = fromPrefixed(OfferPurchase, row!, PURCHASE_KEYS, 'purchase.');
  const issued: IssuedOfferRow = fromPrefixed(IssuedOffer, row as Partial<PrefixedRow<IssuedOffer, IssuedKey, 'issued.'>>, ISSUED_KEYS, 'issued.');
  const offer = offerVersionFrom(row!, 'offer.');
  const currency = fromPrefixed(PointCurrency, row!, CURRENCY_KEYS, 'currency.');
  const balance: BalanceSnapshot = {
    accountId: row!.accountId!,
    customerId: customer.customerId,
    currencyCode: currency.code,
    available: row!.balanceAfter!,
    pending: row!.pending!,
    lifetimeEarned: row!.lifetimeEarned!,
  };
  return { purchaseId: purchase.id, balance, rows: { purchase, issued, offer, currency } };
}

/** `offer_purchase`'s unique (customer, idempotency key): a purchase keeps its key for ever. */
const PURCHASE_KEY_CONSTRAINT = 'offer_purchase_customer_id_idempotency_key_unique';
/** A resend whose record is gone while its purchase holds the key (see purchaseOffer). */
const OUTLIVED = keyOutlived('purchase');

/** A purchase's idempotency scope (per customer) and the fingerprint of what it asks (the listing), as both paths claim its key with. */
function keyOf(customerId: number, listingId: number): { scope: string; fingerprint: string } {
  return { scope: `purchase:${customerId}`, fingerprint: requestFingerprint({ listingId }) };
}

/** PURCHASE_ALONE's arguments for one purchase (a fresh offer code each call): what purchaseAlone and purchaseAloneSql send. */
function purchaseAloneArguments(
  customerId: number,
  externalId: string | null,
  listingId: number,
  idempotencyKey: string,
  now: Date,
  actor: string,
  expectedPrice: number | null,
): Parameters<typeof PURCHASE_ALONE.run> extends [unknown, ...infer A] ? A : never {
  const { scope, fingerprint } = keyOf(customerId, listingId);
  return [customerId, externalId, listingId, scope, idempotencyKey, fingerprint, now, newOfferCode(), actor, expectedPrice];
}

/**
 * The purchase's one statement as purchaseAlone sends it, for a process that sends it on a `pg`
 * client of its own: the benchmark's floor for the purchase (bench/floor-server.ts), which must
 * send the gateway's very statement, built by this code rather than copied. `kysely`: any Kysely
 * of the PostgreSQL dialect without plugins (it only compiles the text, once; see Statement.bind).
 * For `customerId` (an ACTIVE customer's `customer.id`: purchaseOffer runs this statement only for
 * one), `externalId` (the token's subject, for the statement to check the customer itself, as
 * the gateway's folded CustomerCheck does: it then raises SIGNED_OUT for a missing or CLOSED
 * customer; null when the caller already read the customer), `listingId` (`listing.id`), the
 * request's idempotency key, `now` and `actor` (`actorOf` the caller: `customer:<id>`), it
 * returns `text` (the same string object on every call) and `values`, its `$n` parameters, a
 * fresh offer code among them.
 *
 * The statement is its own transaction (no BEGIN or COMMIT). Its one row is PurchaseAloneRow:
 * `claimed` false for a repeat of a committed key, whose answer purchaseAlone then reads
 * (replayOf); else the purchase (`purchase.*`), the issued offer (`issued.*`), the offer version
 * (`offer.*`), the currency (`currency.*`) and the balance after (`balanceAfter`, `pending`,
 * `lifetimeEarned`). It writes nothing and raises `raise_refusal`'s error (SQLSTATE RG001, read
 * with `statementRefusal`) when it refuses (a UserErrorCode as the reason, or NOT_ACTIVE) or
 * cannot decide alone (RETRY: purchaseOffer then runs purchaseInTransaction).
 */
export function purchaseAloneSql(
  kysely: QueryExecutorProvider,
  customerId: number,
  externalId: string | null,
  listingId: number,
  idempotencyKey: string,
  now: Date,
  actor: string,
  expectedPrice: number | null = null,
): { text: string; values: unknown[] } {
  const { sql: text, parameters } = PURCHASE_ALONE.bind(kysely, ...purchaseAloneArguments(customerId, externalId, listingId, idempotencyKey, now, actor, expectedPrice));
  return { text, values: parameters };
}

/** What PURCHASE_ALONE raises when it cannot decide alone (see purchaseAlone). */
const RETRY = 'RETRY';
/**
 * What PURCHASE_ALONE raises, before any other refusal, when a purchase of the customer holds the
 * key it claimed afresh (its record purged past retention): answered from that purchase
 * (answeringOutlivedKeys, edges-21), not refused for what the first purchase changed.
 */
const KEY_HELD = 'KEY_HELD';
/** The purchase of `customerId` holding `key` (`offer_purchase`'s unique key), as a subquery. */
const purchaseHoldingKey = (customerId: number, key: string) =>
  sql`select 1 from offer_purchase kp where kp.customer_id = ${customerId} and kp.idempotency_key = ${key}`;
/** What PURCHASE_ALONE raises when the customer, read under the status lock, is not ACTIVE. */
const NOT_ACTIVE = 'NOT_ACTIVE';
/**
 * What PURCHASE_ALONE raises, before anything else and having claimed nothing, when it checks the
 * signed-in customer (a pending CustomerCheck) and finds no customer row of that id and external id
 * that is not CLOSED: what authentication refuses (http/auth.ts, `inactiveCustomer`, whose message
 * this is).
 */
const SIGNED_OUT = 'SIGNED_OUT';
const SIGNED_OUT_MESSAGE = 'No active customer for this token.';
/**
 * What PURCHASE_ALONE raises when the listing's offer, as its current version reads, has an amount
 * finer than the store's money can be paid in ("2.50" off in a yen store, listed before money-12
 * took such listings out): `unpayable`, nothing written (offsale-12).
 */
const UNPAYABLE = 'UNPAYABLE';
/**
 * The purchase of a listing whose offer no till in the store's money could apply (its current
 * version's `amountOff` or `maxDiscount` finer than that money: `amountsFitMoneySql`): OFFER_UNAVAILABLE,
 * nothing written, no points taken. Only data from before money-12 holds such a listing (addListing
 * and updateOffer refuse to make one since); staff find them in the start-up log
 * (`logOffersNoTillCanApply`) and edit the offer to an amount of that money, which puts it back on sale.
 */
const unpayable = () =>
  refuse(
    UserErrorCode.OFFER_UNAVAILABLE,
    "This offer cannot be bought now: its amount cannot be applied in this store's money. No points were taken.",
    ['input', 'listingId'],
  );
/** A purchase by a customer who is not ACTIVE (SUSPENDED; CLOSED ones are not authenticated). */
const notActive = () => refuse(UserErrorCode.NOT_ELIGIBLE, 'This account cannot buy offers right now.');

/** Where the purchase's refusals point: the listing bought. */
const ON_LISTING = ['input', 'listingId'];

/** The purchase's refusals by code, as both paths answer them (INSUFFICIENT_POINTS is the ledger's). */
const PURCHASE_REFUSALS = {
  [UserErrorCode.OFFER_UNAVAILABLE]: () => refuse(UserErrorCode.OFFER_UNAVAILABLE, 'This offer is not on sale.', ['input', 'listingId']),
  [UserErrorCode.NOT_ELIGIBLE]: () => refuse(UserErrorCode.NOT_ELIGIBLE, 'This store is not open to you.', ['input', 'listingId']),
  [UserErrorCode.OUT_OF_STOCK]: () => refuse(UserErrorCode.OUT_OF_STOCK, 'This offer is sold out.', ['input', 'listingId']),
  [UserErrorCode.LIMIT_REACHED]: ({ limit }: RefusalDetail) => refuse(UserErrorCode.LIMIT_REACHED, `You can buy this offer at most ${howOften(limit ?? 0)}.`, ['input', 'listingId']),
  [UserErrorCode.PRICE_CHANGED]: ({ price, currency }: RefusalDetail) =>
    refuse(UserErrorCode.PRICE_CHANGED, `The price of this offer changed: it is now ${price} ${currency}. Nothing was spent; buy it again at the new price if you still want it.`, ['input', 'expectedPriceInPoints']),
};

/** What a refusal's message names: the listing's per-customer limit (LIMIT_REACHED), its price now and its currency (PRICE_CHANGED). */
type RefusalDetail = { limit?: number | null; price?: number; currency?: string };

/** A purchase refusal, with what its message names (RefusalDetail). */
function purchaseRefusal(code: keyof typeof PURCHASE_REFUSALS, detail: RefusalDetail = {}) {
  return PURCHASE_REFUSALS[code](detail);
}

/**
 * purchaseInTransaction's two statements as one, run as its own transaction. On the statement's
 * snapshot, in this order (each CTE reads the one before it, so PostgreSQL runs them in turn):
 *
 * - `h`: the listing (on show, open to the customer, stock, price, limit), its offer's current
 *   version, the currency, the customer's account as the snapshot
 *   has it (no lock yet) and the purchase's id, taken from its sequence now;
 * - `v`: whether the signed-in customer may be served at all, when the request left that to this
 *   statement (`externalId` not null: a pending CustomerCheck): a customer row of that id and
 *   external id that is not CLOSED, as authentication checks it. When not, the key is not claimed
 *   (so nothing below writes), and the last column raises SIGNED_OUT before any other reason;
 * - `claim`: the idempotency key, storing the answer at once (the purchase id; the balance: the
 *   snapshot's account less the price, which is what the debit leaves, since it is written only
 *   when the account is the snapshot's). A committed key: no row, and nothing below writes (the
 *   caller answers with replayOf); a key in flight: waited for here, before any other lock;
 * - `st`: the customer's status, read under the status lock taken shared (customerStatusNow: a
 *   snapshot of its own, after the lock), before the account's lock, as awards take it;
 * - `checked`: what the snapshot refuses, in the transaction path's order (NOT_ACTIVE for a
 *   customer `st` did not read ACTIVE, OFFER_UNAVAILABLE, UNPAYABLE for an offer whose current
 *   version no till in the store's money could apply, NOT_ELIGIBLE, OUT_OF_STOCK), and RETRY
 *   without an account (the transaction creates it) or with one last written after `now` (the
 *   purchase would be dated at that write, past the `now` this statement reads the listing and
 *   what is due at: the transaction reads them at the purchase's date, hostile-19);
 * - `locked`: the account's row lock. FOR UPDATE returns the row's latest committed version: when
 *   its `version` is not the snapshot's, another writer changed it since (every write of the
 *   account's ledger bumps it under this lock), and RETRY. When it is, nothing of the account
 *   changed since the snapshot, so the debit's reads (open credits, what is due) are current, as
 *   they are in the transaction's statement taken after the lock;
 * - the listing's row lock when it has stock, seeing its latest version (a removal committed
 *   meanwhile: OFFER_UNAVAILABLE), as purchaseWrites' precondition does;
 * - the ledger's debit (debitStatement: RETRY when points are due, for the transaction's
 *   write-down), then the per-customer count, the stock, the issued offer and the purchase, as
 *   purchaseWrites (with their events). Every row it writes is dated as its ledger entry is
 *   (`a.updated_at`: `now`, or the account's latest write when one committed while it waited), the
 *   offer's expiry counted from that date; the listing's window and eligibility are checked at `now`.
 *
 * The last column calls raise_refusal with the outcome when the key was claimed but something
 * refused (INSUFFICIENT_POINTS, LIMIT_REACHED, OUT_OF_STOCK after the debit, …): the error rolls
 * back the whole statement, the claim included; its detail carries the currency and the limit for
 * the message. Locks come in purchaseInTransaction's order: key, status (shared), account, listing, count.
 */
const PURCHASE_ALONE = statement(
  (customerId: number, externalId: string | null, listingId: number, scope: string, key: string, fingerprint: string, now: Date, code: string, actor: string, expectedPrice: number | null) => {
    const viewer = { customerId };
    const head = sql`h as materialized (
        select l.id as listing_id, l.price_in_points as price, l.per_customer_limit, l.stock_remaining,
               ${listingOnShow(now)} and ${storeOpen(now)} as on_show, ${customerQualifies(viewer, now)} as eligible,
               ${amountsFitMoneySql(sql`c.money_currency`)} as payable,
               ${offerVersionColumns('offer.')}, ${HEAD_CURRENCY_COLUMNS},
               pa.id as account_id, pa.available as account_available, pa.pending as account_pending,
               pa.lifetime_earned as account_lifetime_earned, pa.version as account_version, pa.updated_at as account_updated_at,
               nextval('offer_purchase_id_seq') as purchase_id
          from listing l
          join reward_store s on s.id = l.store_id
          join point_currency c on c.code = s.currency_code
          join offer o on o.id = l.offer_id
          join offer_version ov on ov.id = o.current_version_id
          left join point_account pa on pa.customer_id = ${customerId} and pa.currency_code = s.currency_code
         where l.id = ${listingId}
      ), v as materialized (
        select ${externalId}::text is null
            or exists (select 1 from customer c where c.id = ${customerId} and c.external_id = ${externalId} and c.status <> ${CustomerStatus.CLOSED}) as signed_in
      ), claim as materialized (
        insert into idempotency_record (scope, key, fingerprint, result, created_at)
        select ${scope}, ${key}, ${fingerprint}, jsonb_build_object('purchaseId', h.purchase_id, 'balance', jsonb_build_object(
                 'accountId', h.account_id, 'customerId', ${customerId}::bigint, 'currencyCode', h."currency.code",
                 'available', h.account_available - h.price, 'pending', h.account_pending, 'lifetimeEarned', h.account_lifetime_earned)), ${now}
          from (select 1) one left join h on true
         where (select signed_in from v)
        on conflict do nothing
        returning 1
      ), st as materialized (
        select ${customerStatusNow(customerId)} as status from claim
      ), checked as materialized (
        select case when exists (${purchaseHoldingKey(customerId, key)}) then ${KEY_HELD}::text
                    when st.status is distinct from ${CustomerStatus.ACTIVE}::text then ${NOT_ACTIVE}::text
                    when h.listing_id is null or not h.on_show then ${UserErrorCode.OFFER_UNAVAILABLE}::text
                    when not h.payable then ${UNPAYABLE}::text
                    when not h.eligible then ${UserErrorCode.NOT_ELIGIBLE}::text
                    when h.stock_remaining = 0 then ${UserErrorCode.OUT_OF_STOCK}::text
                    -- a member at the listing's limit is told so, not invited to buy at the new price (hostile39e)
                    when h.price <> coalesce(${expectedPrice}::bigint, h.price) then
                      case when coalesce((select pc.purchased from listing_purchase_count pc where pc.listing_id = h.listing_id and pc.customer_id = ${customerId}), 0)
                                >= coalesce(h.per_customer_limit, 2147483647) then ${UserErrorCode.LIMIT_REACHED}::text
                           else ${UserErrorCode.PRICE_CHANGED}::text end
                    when h.account_id is null then ${RETRY}::text
                    -- an account written after now: the purchase would be dated at that write, past the
                    -- now this statement reads the listing and what is due at (hostile-19)
                    when h.account_updated_at > ${now}::timestamptz then ${RETRY}::text end as refused
          from claim left join st on true left join h on true
      ), locked as materialized (
        select pa.version from point_account pa join h on pa.id = h.account_id
         where exists (select 1 from checked where refused is null)
           for update of pa
      ),`;
    // Evaluated in this order inside the debit's `due` CTE, before its account update; null: go on.
    const refused = sql`case
        when not exists (select 1 from checked) then 'REPLAY'
        when (select refused from checked) is not null then (select refused from checked)
        when (select version from locked) is distinct from (select account_version from h) then ${RETRY}::text
        -- with stock the lock the stock update takes anyway; without, a shared one (a KEY SHARE lock would take the
        -- snapshot's version of a row updated since, as a foreign key check does, and miss a removal)
        when case when (select stock_remaining from h) is not null then not exists (${listingShown(listingId, now, sql`for no key update of l`)})
                  else not exists (${listingShown(listingId, now, sql`for share of l`)}) end then ${UserErrorCode.OFFER_UNAVAILABLE}::text
      end`;
    return debitStatement<PurchaseAloneWritten>(
      { id: sql`(select account_id from h)`, customerId, currencyCode: sql`(select "currency.code" from h)` },
      { amount: sql`(select price from h)`, kind: LedgerEntryKind.SPEND, source: LedgerSource.PURCHASE, reason: sql`(select "offer.name" from h)`, actor, now },
      {
        head,
        precondition: { refused, refusal: () => new Error('PURCHASE_ALONE raises its refusals') },
        ctes: sql`, counted as (
            insert into listing_purchase_count as c (listing_id, customer_id, purchased) select ${listingId}::bigint, ${customerId}::bigint, 1 from a
            on conflict (listing_id, customer_id) do update set purchased = c.purchased + 1
             where (select per_customer_limit from h) is null or c.purchased < (select per_customer_limit from h)
            returning purchased
          ), taken as (
            update listing set stock_remaining = stock_remaining - 1
             where id = ${listingId} and (select stock_remaining from h) is not null and stock_remaining > 0 and exists (select 1 from a)
            returning stock_remaining
          ), io as (${issueOfferSql(
            {
              customerId,
              offer: { versionId: sql`h."offer.versionId"`, expiresAt: expirySql(sql`a.updated_at`, { validDays: sql`h."offer.validDays"`, validUntil: sql`h."offer.validUntil"` }) },
              moneyCurrency: sql`h."currency.moneyCurrency"`,
              code,
              source: IssuedOfferSource.PURCHASE,
              now,
              at: sql`a.updated_at`,
            },
            sql`a, h`,
          )}),
          p as (
            insert into offer_purchase (id, customer_id, listing_id, points_paid, ledger_entry_id, issued_offer_id, idempotency_key, status, created_at)
            select h.purchase_id, ${customerId}, ${listingId}, h.price, e.id, io.id, ${key}, 'COMPLETED', e.created_at from e, io, h
            returning ${PURCHASE_COLUMNS}
          )`,
        events: sql`union all select 2, 'WALLET_CHANGED', jsonb_build_object('change', 'ISSUED', 'issuedOfferId', io.id) from io`,
        columns: sql`, exists (select 1 from claim) as claimed, ${renamedKeys('p', PURCHASE_KEYS, 'purchase.')}, ${renamedKeys('io', ISSUED_KEYS, 'issued.')}, h.*,
            raise_refusal(case
              when not (select signed_in from v) then ${SIGNED_OUT}::text
              when not exists (select 1 from claim) then null
              when (select refused from due) is not null then (select refused from due)
              when (select due from due) then ${RETRY}::text
              when not exists (select 1 from a) then ${UserErrorCode.INSUFFICIENT_POINTS}::text
              when (select coalesce(sum(amount), 0) from consumed) <> (select price from h) then 'LEDGER_INVARIANT: consumed <> price'
              when not exists (select 1 from counted) then ${UserErrorCode.LIMIT_REACHED}::text
              when (select stock_remaining from h) is not null and not exists (select 1 from taken) then ${UserErrorCode.OUT_OF_STOCK}::text
              when (select available from a) <> (select account_available - price from h) then 'LEDGER_INVARIANT: balance after <> stored answer'
            end, (select jsonb_build_object('currency', "currency.code", 'limit', per_customer_limit, 'missing', price - coalesce(account_available, 0), 'price', price)::text from h)) as refusal`,
        joins: sql`left join p on true left join io on true left join h on true`,
      },
    );
  },
);

/**
 * The listing's row if it is on show at `now` and its store open, locked with `lock`: a row lock
 * reads the row's latest committed version (READ COMMITTED re-checks the condition on it), not
 * the statement's snapshot, so a removal committed since is seen.
 */
function listingShown(listingId: number, now: Date, lock: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`select 1 from listing l join reward_store s on s.id = l.store_id join offer o on o.id = l.offer_id
      join offer_version ov on ov.id = o.current_version_id
     where l.id = ${listingId} and ${listingOnShow(now)} and ${storeOpen(now)} ${lock}`;
}

/** What PURCHASE_ALONE adds to the debit's row (h.* besides these: the listing and account as read). */
type PurchaseAloneWritten = { claimed: boolean } & PrefixedRow<OfferPurchase, (typeof PURCHASE_KEYS)[number], 'purchase.'> &
  Partial<PrefixedRow<IssuedOffer, IssuedKey, 'issued.'>> &
  OfferVersionColumns<'offer.'> &
  PrefixedRow<PointCurrency, (typeof CURRENCY_KEYS)[number], 'currency.'>;
/** PURCHASE_ALONE's row (purchaseAloneSql). */
export type PurchaseAloneRow = Awaited<ReturnType<typeof PURCHASE_ALONE.run>>[number];

/**
 * Buys a listing with points, whole or not at all, in one transaction of two statements (what
 * purchaseOffer runs when its one statement cannot decide alone, see purchaseAlone):
 *
 * 1. claim the idempotency key, read the listing (on show, eligibility, stock, price, the offer's
 *    current version, the currency), read the customer's status under the status lock
 *    (customerStatusNow) and take the account's row lock (only once the key is claimed, so a
 *    repeat never waits on the account, and only for an ACTIVE customer);
 * 2. debit the points (oldest-expiring credits first: ledger.service `debitStatement`), count the
 *    purchase against the per-customer limit, take one from stock, issue the offer (current
 *    version, its expiry), record the purchase, the BALANCE_CHANGED and WALLET_CHANGED events (in
 *    that order) and the key's answer.
 *
 * So BEGIN, two statements and COMMIT: four round trips (issue 12 asks at most six). Rarer paths
 * take more: a repeat reads the stored answer; an account with points due (an expiry or a pending
 * release not written down yet) is written down between the two steps' statement and its retry
 * (ledger.service `debit`); a customer without an account gets one created (then refused).
 *
 * Statement 2 checks again, on its own snapshot (taken after the account lock), that the listing is
 * on show, its store open and open to the customer: a listing removed while the purchase waited
 * for the account is refused OFFER_UNAVAILABLE, a customer who stopped qualifying meanwhile (a
 * debit, a return, a tier change: what the lock's holder writes) NOT_ELIGIBLE; nothing is sold.
 *
 * Locks are taken in the same order by every purchase (idempotency key, the customer's status lock
 * shared, account, listing with stock, per-customer count), so concurrent purchases queue rather than deadlock, and the busiest
 * lock (the listing's stock) is taken by the last statement, so held for the shortest time (the
 * per-customer count is only ever locked by the customer's own purchases, which queue on the
 * account first). Refusals, in this order (a UserErrorException;
 * everything rolls back and the key is freed): NOT_ELIGIBLE (suspended account, as read under
 * the status lock, so also one suspended while this purchase waited; store closed to the customer), OFFER_UNAVAILABLE (also,
 * with its own message, an offer whose current version no till in the store's money could apply: `unpayable`; read on the
 * first snapshot only, as no edit can make a listed offer so since money-12, which refuses it under the offer's row lock), OUT_OF_STOCK (sold out before or during), INSUFFICIENT_POINTS,
 * LIMIT_REACHED; IDEMPOTENCY_KEY_REUSED for a key used for another listing.
 */
async function purchaseInTransaction(
  ctx: Ctx,
  customer: CustomerCaller,
  listingId: number,
  idempotencyKey: string,
  expectedPrice: number | null = null,
): Promise<PurchaseOutcome & { rows?: PurchaseRows }> {
  const now = ctx.clock.now();
  const { scope, fingerprint } = keyOf(customer.customerId, listingId);
  return ctx.em.transactional(async (em) => {
    const head = await queryOne<PurchaseHead>(
      em,
      sql`with claim as (${claimKeySql(scope, idempotencyKey, fingerprint, now)}),
          shown as materialized (
            select l.id, l.price_in_points as price, l.per_customer_limit as "perCustomerLimit", l.stock_remaining as "stockRemaining",
                   ${listingOnShow(now)} and ${storeOpen(now)} as "onShow", ${customerQualifies(customer, now)} as eligible,
                   ${amountsFitMoneySql(sql`c.money_currency`)} as payable,
                   ${offerVersionColumns('offer.')}, ${HEAD_CURRENCY_COLUMNS}
              from listing l
              join reward_store s on s.id = l.store_id
              join point_currency c on c.code = s.currency_code
              join offer o on o.id = l.offer_id
              join offer_version ov on ov.id = o.current_version_id
             where l.id = ${listingId}
          ), st as materialized (
            select ${customerStatusNow(customer.customerId)} as "customerStatus" from claim
          ), locked as materialized (
            select ${HEAD_ACCOUNT_COLUMNS} from point_account pa
             where pa.customer_id = ${customer.customerId} and pa.currency_code = (select "currency.code" from shown)
               and exists (select 1 from st where "customerStatus" = ${CustomerStatus.ACTIVE}::text)
               for update
          )
          select exists (select 1 from claim) as claimed, exists (${purchaseHoldingKey(customer.customerId, idempotencyKey)}) as "keyHeld", shown.*, st.*, locked.*
            from (select 1) one left join shown on true left join st on true left join locked on true`,
    );
    if (!head?.claimed) {
      const replay = await replayOf<PurchaseOutcome>(em, scope, idempotencyKey, fingerprint, {}, OUTLIVED);
      noteReplay(ctx);
      return replay;
    }
    // A key claimed afresh that a purchase holds (its record purged): that purchase answers
    // (answeringOutlivedKeys), before any refusal of what it changed.
    if (head.keyHeld) throw reused(OUTLIVED);
    // After the replay: a purchase that went through still answers the same once the account is
    // suspended. The status is the one read under the status lock (customerStatusNow), not at
    // authentication: a suspension committed while this request waited refuses it.
    if (head.customerStatus !== CustomerStatus.ACTIVE) throw notActive();
    if (head.id == null || !head.onShow) {
      throw purchaseRefusal(UserErrorCode.OFFER_UNAVAILABLE);
    }
    if (!head.payable) throw unpayable();
    if (!head.eligible) {
      throw purchaseRefusal(UserErrorCode.NOT_ELIGIBLE);
    }
    if (head.stockRemaining === 0) {
      // Answer a sold-out listing without queueing on its row lock; the locked update below decides races.
      throw purchaseRefusal(UserErrorCode.OUT_OF_STOCK);
    }
    // The price the member was shown, checked against the one this purchase pays (statement 2
    // debits this price, whatever an edit writes meanwhile: it is ordered before that edit). After
    // OUT_OF_STOCK: a sold-out listing is not offered "at the new price" (hostile39d).
    if (expectedPrice !== null && head.price !== expectedPrice) {
      // a member at the listing's limit is told so, not invited to buy at the new price (hostile39e)
      const limit = head.perCustomerLimit as number | null;
      const bought = limit === null ? null : await queryOne<{ purchased: number }>(em, sql`select purchased from listing_purchase_count where listing_id = ${listingId} and customer_id = ${customer.customerId}`);
      if (limit !== null && (bought?.purchased ?? 0) >= limit) throw purchaseRefusal(UserErrorCode.LIMIT_REACHED, { limit });
      throw purchaseRefusal(UserErrorCode.PRICE_CHANGED, { price: head.price, currency: head['currency.code'] });
    }
    const price = head.price as number;
    const offer = offerVersionFrom(head, 'offer.');
    const currency = fromPrefixed(PointCurrency, head, CURRENCY_KEYS, 'currency.');
    const account =
      head['account.id'] == null ? await lockAccount(em, customer.customerId, currency.code, now) : fromPrefixed(PointAccount, head, ACCOUNT_KEYS, 'account.');
    // The purchase's date, once it holds the account: never before a write that committed while it
    // waited (its entry is dated so). Everything that changes with time is read at that date, in
    // statement 2: what fell due on the account (an expired credit is not spent), the listing's and
    // the store's windows, the offer's end, eligibility. Read at `now`, an offer that ended while the
    // purchase waited was issued already EXPIRED for the points (hostile-19).
    const at = notBeforeWrites(now, [account]);

    const { posted, row, released } = await debit<PurchaseWritten>(
      em,
      account,
      { amount: price, kind: LedgerEntryKind.SPEND, source: LedgerSource.PURCHASE, reason: offer.name, actor: actorOf(ctx.caller), now: at, refusalField: ON_LISTING },
      purchaseWrites({ customer, customerId: customer.customerId, listingId, price, idempotencyKey, scope, now: at, offer, head }),
    );
    if (!row.counted) throw purchaseRefusal(UserErrorCode.LIMIT_REACHED, { limit: head.perCustomerLimit });
    if (head.stockRemaining != null && !row.taken) throw purchaseRefusal(UserErrorCode.OUT_OF_STOCK);
    if (released) await recomputeTier(em, customer.customerId, at);

    const purchase = fromPrefixed(OfferPurchase, row, PURCHASE_KEYS, 'purchase.');
    const issued: IssuedOfferRow = fromPrefixed(IssuedOffer, row as Partial<PrefixedRow<IssuedOffer, IssuedKey, 'issued.'>>, ISSUED_KEYS, 'issued.');
    return { purchaseId: purchase.id, balance: posted.balance, rows: { purchase, issued, offer, currency } };
  });
}

/**
 * The purchase's writes, spliced into the debit's statement after the entry (each reads `a` or `e`,
 * so nothing is written when the debit is not): the per-customer count (`counted`: 0 when the
 * limit is reached), the stock (`taken`: 0 when sold out meanwhile; the row lock decides races),
 * the issued offer, the purchase, the WALLET_CHANGED event and the key's stored answer (the
 * PurchaseOutcome a repeat gets). The offer and the purchase are dated as the entry (`a.updated_at`,
 * the offer's expiry counted from it); the precondition checks the listing at `now`.
 */
function purchaseWrites(p: {
  customer: CustomerCaller;
  customerId: number;
  listingId: number;
  price: number;
  idempotencyKey: string;
  scope: string;
  now: Date;
  offer: OfferVersionRow;
  head: PurchaseHead;
}): DebitExtension {
  const limit = p.head.perCustomerLimit as number | null;
  const stocked = p.head.stockRemaining != null;
  const outcome = sql`jsonb_build_object('purchaseId', p.id, 'balance', jsonb_build_object(
      'accountId', a.id, 'customerId', ${p.customerId}::bigint, 'currencyCode', ${p.head['currency.code']}::text,
      'available', a.available, 'pending', a.pending, 'lifetimeEarned', a.lifetime_earned))`;
  return {
    // Statement 1 read the listing and the customer's eligibility before waiting for the account
    // lock; this statement's snapshot is taken after it, so a removal (or a store closed) meanwhile
    // refuses rather than sells, and so does a change to what eligibility reads (balance, lifetime
    // points, tier), which is what the lock's holder was writing.
    // With stock, the listing's row lock is taken here (the stock update below needs it anyway):
    // a removal holding the row when this statement starts (committed after its snapshot) is
    // waited for and then seen, else the stock update would go on from the removed row and sell
    // after the removal answered. Without stock nothing here writes the listing, so a removal
    // committing meanwhile is simply ordered after this purchase.
    // ('OK' stands for "on sale and open to the customer", so that no row reads OFFER_UNAVAILABLE.)
    precondition: {
      refused: sql`nullif(coalesce((
          select case when ${customerQualifies(p.customer, p.now)} then 'OK' else ${UserErrorCode.NOT_ELIGIBLE}::text end
            from listing l join reward_store s on s.id = l.store_id join offer o on o.id = l.offer_id
            join offer_version ov on ov.id = o.current_version_id
           where l.id = ${p.listingId} and ${listingOnShow(p.now)} and ${storeOpen(p.now)}
           ${stocked ? sql`for no key update of l` : sql``}), ${UserErrorCode.OFFER_UNAVAILABLE}::text), 'OK')`,
      refusal: (reason) => purchaseRefusal(reason === UserErrorCode.NOT_ELIGIBLE ? UserErrorCode.NOT_ELIGIBLE : UserErrorCode.OFFER_UNAVAILABLE),
    },
    ctes: sql`, counted as (
        insert into listing_purchase_count as c (listing_id, customer_id, purchased) select ${p.listingId}::bigint, ${p.customerId}::bigint, 1 from a
        on conflict (listing_id, customer_id) do update set purchased = c.purchased + 1 where ${limit}::int is null or c.purchased < ${limit}::int
        returning purchased
      ), taken as (
        update listing set stock_remaining = stock_remaining - 1
         where id = ${p.listingId} and ${stocked} and stock_remaining > 0 and exists (select 1 from a)
        returning stock_remaining
      ), io as (${issueOfferSql(
        { customerId: p.customerId, offer: p.offer, moneyCurrency: p.head['currency.moneyCurrency'], source: IssuedOfferSource.PURCHASE, now: p.now, at: sql`a.updated_at` },
        sql`a`,
      )}),
      p as (
        insert into offer_purchase (customer_id, listing_id, points_paid, ledger_entry_id, issued_offer_id, idempotency_key, status, created_at)
        select ${p.customerId}, ${p.listingId}, ${p.price}, e.id, io.id, ${p.idempotencyKey}, 'COMPLETED', e.created_at from e, io
        returning ${PURCHASE_COLUMNS}
      ), done as (${completeKeySql(p.scope, p.idempotencyKey, outcome, sql`p, a`)})`,
    events: sql`union all select 2, 'WALLET_CHANGED', jsonb_build_object('change', 'ISSUED', 'issuedOfferId', io.id) from io`,
    columns: sql`, (select count(*) from counted)::int as counted, (select count(*) from taken)::int as taken,
        ${renamedKeys('p', PURCHASE_KEYS, 'purchase.')}, ${renamedKeys('io', ISSUED_KEYS, 'issued.')}`,
    joins: sql`left join p on true left join io on true`,
  };
}

const PURCHASE_COLUMNS = columnsOf(OfferPurchase, '', PURCHASE_KEYS);
const HEAD_CURRENCY_COLUMNS = prefixedColumnsOf(PointCurrency, 'c', CURRENCY_KEYS, 'currency.');
const HEAD_ACCOUNT_COLUMNS = prefixedColumnsOf(PointAccount, 'pa', ACCOUNT_KEYS, 'account.');

type IssuedKey = keyof IssuedOfferRow & keyof EntityRow<IssuedOffer> & string;
/** The columns issuedColumns returns, in its order. */
const ISSUED_KEYS: readonly IssuedKey[] = ['id', 'code', 'customerId', 'offerVersionId', 'source', 'moneyCurrency', 'status', 'lockExpiresAt', 'expiresAt', 'redeemedAt', 'createdAt'];

/** The purchase's first statement: the claim, the listing with its offer and currency, the locked account. */
type PurchaseHead = { claimed: boolean; keyHeld: boolean; customerStatus: string | null; id: number | null; price: number; perCustomerLimit: number | null; stockRemaining: number | null; onShow: boolean; payable: boolean; eligible: boolean } & OfferVersionColumns<'offer.'> &
  PrefixedRow<PointCurrency, (typeof CURRENCY_KEYS)[number], 'currency.'> &
  Partial<PrefixedRow<PointAccount, (typeof ACCOUNT_KEYS)[number], 'account.'>>;

/** What the purchase's writes add to the debit's row. */
type PurchaseWritten = { counted: number; taken: number } & PrefixedRow<OfferPurchase, (typeof PURCHASE_KEYS)[number], 'purchase.'>;

/** Purchases by id (any order; unknown ids are left out), for the `purchase` loader. */
export async function purchasesByIds(em: SqlEntityManager, ids: readonly number[]): Promise<PurchaseRow[]> {
  return db(em)
    .selectFrom('OfferPurchase')
    .select(['id', 'customer as customerId', 'listing as listingId', 'pointsPaid', 'issuedOffer as issuedOfferId', 'ledgerEntry as ledgerEntryId', 'status', 'createdAt'])
    .where('id', '=', anyOf(ids))
    .execute();
}
