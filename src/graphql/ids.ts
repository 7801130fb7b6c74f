import { keptResults } from '../domain/kept-results.js';
import { badInput } from './errors.js';
import type { OfferRef } from '../offers/offer.service.js';

/** Types that implement Node; a global id names one of them and its database id. */
export type NodeTypeName =
  | 'Customer'
  | 'RewardStore'
  | 'Listing'
  | 'Offer'
  | 'OfferVersion'
  | 'IssuedOffer'
  | 'OfferPurchase'
  | 'LedgerEntry'
  | 'Tier'
  | 'AuditEntry'
  | 'Partner'
  | 'SalesTransaction'
  | 'EconomyRule'
  | 'Campaign'
  | 'ActivityRule'
  | 'GiftList'
  | 'WebhookEndpoint'
  | 'WebhookDelivery';

const NODE_TYPES = new Set<string>([
  'Customer',
  'RewardStore',
  'Listing',
  'Offer',
  'OfferVersion',
  'IssuedOffer',
  'OfferPurchase',
  'LedgerEntry',
  'Tier',
  'AuditEntry',
  'Partner',
  'SalesTransaction',
  'EconomyRule',
  'Campaign',
  'ActivityRule',
  'GiftList',
  'WebhookEndpoint',
  'WebhookDelivery',
]);

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * `Buffer.from(text).toString('base64url')` (no padding), for the short texts ids and cursors are
 * made of. Text of ASCII characters only (UTF-8 is then one byte per character) is encoded here in
 * JavaScript; anything else goes through Buffer. A page of 20 listings makes 60 of these (two ids
 * and a cursor per listing), and each Buffer round trip (allocation, a call into C++ to encode, a
 * new string) cost ~3,000 instructions of the page's ~3.5 M (`npm run bench:instructions`), against ~200 here.
 */
export function base64url(text: string): string {
  let out = '';
  const n = text.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const a = text.charCodeAt(i);
    const b = text.charCodeAt(i + 1);
    const c = text.charCodeAt(i + 2);
    if ((a | b | c) > 0x7f) return Buffer.from(text).toString('base64url');
    out += BASE64URL[a >> 2] + BASE64URL[((a & 3) << 4) | (b >> 4)] + BASE64URL[((b & 15) << 2) | (c >> 6)] + BASE64URL[c & 63];
  }
  if (i + 1 === n) {
    const a = text.charCodeAt(i);
    if (a > 0x7f) return Buffer.from(text).toString('base64url');
    out += BASE64URL[a >> 2] + BASE64URL[(a & 3) << 4];
  } else if (i + 2 === n) {
    const a = text.charCodeAt(i);
    const b = text.charCodeAt(i + 1);
    if ((a | b) > 0x7f) return Buffer.from(text).toString('base64url');
    out += BASE64URL[a >> 2] + BASE64URL[((a & 3) << 4) | (b >> 4)] + BASE64URL[(b & 15) << 2];
  }
  return out;
}

/** Global ids kept per type, at most this many each (the map is emptied when full). */
const GLOBAL_IDS_KEPT = 4_096;
const globalIds = new Map<NodeTypeName, (id: number) => string>();

/**
 * Opaque global id: base64url of `Type:id`. Clients must not parse it. The same database ids come
 * back on every page (the listings and offers of a store), so the text of each is kept, per type
 * and database id, up to GLOBAL_IDS_KEPT per type (~0.4 MB for all types at most): a page of 20
 * makes 41 global ids, and encoding each again was ~1.5 % of the gateway's CPU per page (V8 profile
 * of `npm run bench -- --profile`, issue 12, seventh session). The text depends on nothing but the
 * type and the id, so a kept one can be served to any caller.
 */
export function toGlobalId(type: NodeTypeName, id: number): string {
  let ofId = globalIds.get(type);
  if (!ofId) globalIds.set(type, (ofId = keptResults((n: number) => base64url(`${type}:${n}`), GLOBAL_IDS_KEPT)));
  return ofId(id);
}

export interface DecodedId {
  type: NodeTypeName;
  id: number;
}

/**
 * Decodes any global id; null when it is not one of ours. Only the spelling `toGlobalId` gives out
 * is one (edges-11): Node's base64url decoder also reads padded text (`…Mg==`), the standard
 * alphabet (`+`, `/`), characters outside the alphabet (skipped: ` …Mg`, `…Mg!`) and a last
 * character whose unused low bits are set (`…Mh` reads as `…Mg`), so one id had many spellings; each
 * of those is refused like any other malformed id (the decoded text must encode back to what was sent).
 */
export function decodeGlobalId(globalId: string): DecodedId | null {
  if (typeof globalId !== 'string' || globalId.length > 64) return null;
  const text = Buffer.from(globalId, 'base64url').toString('utf8');
  const decoded = nodeKeyOf(text);
  return decoded && base64url(text) === globalId ? decoded : null;
}

/**
 * `text` of the form `<Type>:<id>` (what a global id encodes, and what an audit entry's `target`
 * records: `Customer:12`) as a node type and database id; null for any other text, such as a type
 * that is no Node (`PointCurrency:BEANS`) or an id that is not a positive safe integer.
 */
export function nodeKeyOf(text: string): DecodedId | null {
  const sep = text.indexOf(':');
  if (sep < 1) return null;
  const type = text.slice(0, sep);
  const raw = text.slice(sep + 1);
  if (!NODE_TYPES.has(type) || !/^[1-9]\d{0,15}$/.test(raw)) return null;
  const id = Number(raw);
  return Number.isSafeInteger(id) ? { type: type as NodeTypeName, id } : null;
}

/** The value at `field` (a dotted path from the argument, `input.storeId`) named as messages name it: inside its input object (`storeId`). */
function nameOf(field: string): string {
  const [first, ...rest] = field.split('.');
  return rest.length ? rest.join('.') : first;
}

/**
 * Decodes a global id that must name `type`; anything else is BAD_USER_INPUT "<field> is not a
 * valid <type> id" with `extensions.field` the path `field` (dotted, from the argument: `input.storeId`).
 */
export function fromGlobalId(globalId: string, type: NodeTypeName, field: string): number {
  const decoded = decodeGlobalId(globalId);
  if (!decoded || decoded.type !== type) throw badInput(`${nameOf(field)} is not a valid ${type} id`, field);
  return decoded.id;
}

/** Reads an offer id a client sent at `field` (as for `fromGlobalId`); anything but an Offer or OfferVersion id is BAD_USER_INPUT. */
export function offerRefOf(globalId: string, field: string): OfferRef {
  const decoded = decodeGlobalId(globalId);
  if (decoded?.type === 'Offer') return { offerId: decoded.id };
  if (decoded?.type === 'OfferVersion') return { versionId: decoded.id };
  throw badInput(`${nameOf(field)} is not a valid Offer id`, field);
}
