import { randomFillSync } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import type { RawBuilder } from 'kysely';
import { columnsOf, type EntityRow } from '../db/schema.js';
import { daysOf, idList, query, sql } from '../db/sql.js';
import type { Page } from '../domain/page.js';
import { recordEvent, recordEvents } from '../events/outbox.service.js';
import type { OfferVersionRow } from '../offers/offer.service.js';
import { IssuedOffer, IssuedOfferSource, IssuedOfferStatus } from './issued-offer.entity.js';
import { instantOf } from '../domain/instant.js';

/**
 * An issued offer as the API shows it: its `issued_offer` columns but the lock holder, the
 * redemption's partner and reference, the replaced offer and `updatedAt`. `status` and
 * `lockExpiresAt` are as of the read (`issuedColumns`), not necessarily as stored.
 */
export type IssuedOfferRow = Pick<EntityRow<IssuedOffer>, (typeof ISSUED_HEAD)[number] | 'status' | 'lockExpiresAt' | (typeof ISSUED_TAIL)[number]>;

const ISSUED_HEAD = ['id', 'code', 'customerId', 'offerVersionId', 'source', 'moneyCurrency'] as const;
const ISSUED_TAIL = ['expiresAt', 'redeemedAt', 'createdAt'] as const;
const ISSUED_HEAD_COLUMNS = columnsOf(IssuedOffer, 'io', ISSUED_HEAD);
const ISSUED_TAIL_COLUMNS = columnsOf(IssuedOffer, 'io', ISSUED_TAIL);

// Crockford's base32: no I, L, O or U, so a code read aloud at a till is not misheard.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * Random bytes for offer codes, drawn from the CSPRNG 4 kB at a time: `randomBytes(12)` per code
 * went through a crypto job each (~25 µs under load against ~0.3 µs from the pool; bench/README.md,
 * issue 12, eighth session), as `crypto.randomUUID` keeps its own pool for the same reason. Each
 * byte is handed out once.
 */
const codeBytes = Buffer.alloc(4096);
let codeBytesUsed = codeBytes.length;

/** 60 random bits as `XXXX-XXXX-XXXX`. */
export function newOfferCode(): string {
  if (codeBytesUsed + 12 > codeBytes.length) {
    randomFillSync(codeBytes);
    codeBytesUsed = 0;
  }
  const at = codeBytesUsed;
  codeBytesUsed += 12;
  let code = '';
  for (let i = 0; i < 12; i++) {
    if (i > 0 && i % 4 === 0) code += '-';
    code += ALPHABET[codeBytes[at + i] & 31];
  }
  return code;
}

/** When an offer issued at `now` stops being valid: N days after issue, capped by a fixed end. */
export function expiryOf(offer: Pick<OfferVersionRow, 'validDays' | 'validUntil'>, now: Date): Date | null {
  const byDays = offer.validDays ? new Date(now.getTime() + offer.validDays * 86_400_000) : null;
  const until = offer.validUntil ? instantOf(offer.validUntil) : null;
  if (byDays && until) return byDays < until ? byDays : until;
  return byDays ?? until;
}

/**
 * When an offer issued at `at` would already be over (its fixed end at or before `at`): null when
 * it can still be issued then, else that end. `at` is the write's own date (its ledger entry's, or
 * the latest write it waited for: notBeforeWrites), not the request's clock read before it waited,
 * so an offer that ended while the write queued is not issued EXPIRED for points (hostile-19).
 * `validFrom` (default `at`): when its `validDays` count from (IssueData.validFrom).
 */
export function endedBy(offer: Pick<OfferVersionRow, 'validDays' | 'validUntil'>, at: Date, validFrom: Date = at): Date | null {
  const expiresAt = expiryOf(offer, validFrom);
  return expiresAt && expiresAt.getTime() <= at.getTime() ? expiresAt : null;
}

/** What a WALLET_CHANGED event says happened to an issued offer. */
export type WalletChange = 'ISSUED' | 'LOCKED' | 'LOCK_EXTENDED' | 'RELEASED' | 'LOCK_EXPIRED' | 'REDEEMED' | 'EXPIRED' | 'VOIDED';

/** A WALLET_CHANGED event of one issued offer (`{ customerId, id }`), for `recordEvents`. */
export const walletEvent = (offer: { customerId: number; id: number }, change: WalletChange) => ({ customerId: offer.customerId, payload: { change, issuedOfferId: offer.id } });

/** Records a WALLET_CHANGED event for each `{ customerId, id }` issued offer (as `change`), in one statement of the caller's transaction. */
export async function recordWalletChanges(em: SqlEntityManager, offers: readonly { customerId: number; id: number }[], change: WalletChange, now: Date): Promise<void> {
  await recordEvents(em, 'WALLET_CHANGED', offers.map((o) => walletEvent(o, change)), now);
}

/** Records a WALLET_CHANGED event for one issued offer, in the caller's transaction. */
export async function recordWalletChange(em: SqlEntityManager, customerId: number, change: WalletChange, issuedOfferId: number, now: Date): Promise<void> {
  await recordEvent(em, 'WALLET_CHANGED', customerId, { change, issuedOfferId }, now);
}

/**
 * The status of `issued_offer io` as it is at `at`, an IssuedOfferStatus: the SQL function
 * `issued_offer_status_at` (migration 20261123190136), where a lock past its expiry reads ISSUED
 * and an ISSUED or LOCKED offer past its own expiry EXPIRED, before the wallet sweep writes either
 * down (SPEC §4, Time). The one place the gateway's statements ask it. `as` stands in for the row's
 * stored status or expiry (SQL expressions of `io`): a till's sale dated before the offer's end
 * reads it live at the sale's moment (`tillStatusAt` in redemption.service). The sweep's and the
 * unpayable list's predicates (`status in ('ISSUED', 'LOCKED') and expires_at <= …`) state parts of
 * the same rule as ranges of their partial indexes, which a call of the function would not use.
 */
export function issuedStatusAt(at: Date, as: { status?: RawBuilder<string>; expiresAt?: RawBuilder<Date | null> } = {}): RawBuilder<IssuedOfferStatus> {
  return sql`issued_offer_status_at(${as.status ?? sql`io.status`}, io.lock_expires_at, ${as.expiresAt ?? sql`io.expires_at`}, ${at})`;
}

/**
 * Columns of `issued_offer io` with the status as it is at `now` (issuedStatusAt), or as `status`
 * says (an SQL expression of `io` giving an IssuedOfferStatus: a till's sale judges the offer's
 * expiry at the sale's moment, `tillStatusAt` in redemption.service); `lockExpiresAt` only while
 * that status is LOCKED.
 */
export function issuedColumns(now: Date, status: RawBuilder<string> = issuedStatusAt(now)): RawBuilder<IssuedOfferRow> {
  return sql`${ISSUED_HEAD_COLUMNS},
    ${status} as status,
    case when ${status} = 'LOCKED' then io.lock_expires_at end as "lockExpiresAt",
    ${ISSUED_TAIL_COLUMNS}`;
}

export interface IssueData {
  customerId: number;
  offer: Pick<OfferVersionRow, 'versionId' | 'validDays' | 'validUntil'>;
  source: IssuedOfferSource;
  sourceId?: string | null;
  /**
   * The ISO 4217 money of the program it is issued in (`point_currency.money_currency` of the
   * currency paid or earned in), the money its benefit's amounts are in; null: not known, and then
   * a sale applies it only if its benefit has no money value (see `applicability`).
   */
  moneyCurrency: string | null;
  /** The used-up issued offer this one replaces (staff replacements). */
  replaces?: number | null;
  now: Date;
  /**
   * When its validity (`validDays`) is counted from, at or before `now`; default `now`. A sale's
   * campaign offer counts from the sale's receipt, as its points do (break35b, expiry: an offer of a
   * sale whose job ran an hour late was valid an hour longer).
   */
  validFrom?: Date;
}

/** Puts an offer in the customer's wallet, in the caller's transaction, and records the event. */
export async function issueOffer(em: SqlEntityManager, data: IssueData): Promise<IssuedOfferRow> {
  const [row] = await query(em, issueOfferSql(data));
  await recordWalletChange(em, data.customerId, 'ISSUED', row.id, data.now);
  return row;
}

/**
 * The insert of issueOffer (without its event) as a statement or a CTE: one row, the issued offer
 * as of `now`; none when `from` (a CTE of the caller's statement, e.g. the debit that pays for the
 * offer) has no row. A caller that uses it records WALLET_CHANGED itself. `at`: the date it is
 * written with (created, updated, and the start of its validity), an SQL expression of the caller's
 * statement (the debit's `a.updated_at`, so the offer shares its ledger entry's date); default `now`.
 */
export function issueOfferSql(data: (IssueData | IssueDataInStatement) & { at?: RawBuilder<unknown> }, from?: RawBuilder<unknown>): RawBuilder<IssuedOfferRow> {
  const at = data.at ?? data.now;
  const [versionId, expiresAt] =
    'expiresAt' in data.offer
      ? [data.offer.versionId, data.offer.expiresAt]
      : [data.offer.versionId, data.at ? expirySql(data.at, { validDays: data.offer.validDays, validUntil: data.offer.validUntil }) : expiryOf(data.offer, ('validFrom' in data && data.validFrom) || data.now)];
  return sql<IssuedOfferRow>`insert into issued_offer as io (code, customer_id, offer_version_id, source, source_id, money_currency, replaces_id, status, expires_at, created_at, updated_at)
        select ${'code' in data ? data.code : newOfferCode()}, ${data.customerId}::bigint, ${versionId}::bigint, ${data.source}, ${data.sourceId ?? null},
               ${data.moneyCurrency}::text, ${data.replaces ?? null}::bigint, 'ISSUED',
               ${expiresAt}::timestamptz, ${at}::timestamptz, ${at}::timestamptz ${from ? sql`from ${from}` : sql``}
        returning ${issuedColumns(data.now)}`;
}

/**
 * IssueData for a statement that reads the offer version itself (the purchase's one statement):
 * its id, the issued offer's expiry (`expirySql`) and its money currency as SQL expressions, and the new offer's code
 * (`newOfferCode()`) given by the caller.
 */
export type IssueDataInStatement = Omit<IssueData, 'offer' | 'moneyCurrency'> & {
  offer: { versionId: RawBuilder<unknown>; expiresAt: RawBuilder<unknown> };
  moneyCurrency: RawBuilder<unknown>;
  code: string;
};

/**
 * expiryOf in SQL, for an offer version issued at `at` (a Date, or an SQL expression of the
 * statement: the debit's `a.updated_at`, the date its ledger entry gets): `validDays` whole days
 * of 24 hours after, capped by `validUntil` (either null: no such bound). The version's fields are
 * values or SQL expressions; by default offer version `ov`'s columns.
 */
export function expirySql(
  at: Date | RawBuilder<unknown>,
  version: { validDays: number | null | RawBuilder<unknown>; validUntil: Date | null | RawBuilder<unknown> } = { validDays: sql`ov.valid_days`, validUntil: sql`ov.valid_until` },
): RawBuilder<Date | null> {
  return sql`least(${at}::timestamptz + ${daysOf(version.validDays as number | RawBuilder<unknown>)}, ${version.validUntil}::timestamptz)`;
}

/** Issued offers by id as of `now` (any order; unknown ids are left out), for the `issuedOffer` loader. */
export async function issuedOffersByIds(em: SqlEntityManager, ids: readonly number[], now: Date): Promise<IssuedOfferRow[]> {
  return query(em, sql<IssuedOfferRow>`select ${issuedColumns(now)} from issued_offer io where io.id = any(${idList(ids)})`);
}

/**
 * A page of each customer's wallet, newest first, optionally only some statuses (as they are at
 * `now`): up to `page.limit + 1` rows per customer (after `page.after`, the same for each), every
 * customer's rows together in one statement, in the order of `customerIds` (split them by
 * `customerId`). The `wallets` loader's read: Customer.wallet of a list of customers was one
 * statement per customer (n1-28); one customer reads as before (the customer's index, backwards).
 */
export async function walletPages(em: SqlEntityManager, customerIds: readonly number[], statuses: IssuedOfferStatus[] | null, now: Date, page: Page): Promise<IssuedOfferRow[]> {
  const after = page.after?.[0] ?? null;
  return query(
    em,
    sql<IssuedOfferRow>`select w.* from unnest(${idList(customerIds)}) with ordinality as u(customer_id, n)
         cross join lateral (
           select ${issuedColumns(now)} from issued_offer io
            where io.customer_id = u.customer_id
              and (${statuses}::text[] is null or ${issuedStatusAt(now)} = any(${statuses}::text[]))
              and (${after}::bigint is null or io.id < ${after})
            order by io.id desc limit ${page.limit + 1}) w
         order by u.n, w.id desc`,
  );
}
