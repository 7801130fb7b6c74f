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

/** Opaque global id: base64url of `Type:id`. Clients must not parse it. */
export function toGlobalId(type: NodeTypeName, id: number): string {
  return Buffer.from(`${type}:${id}`).toString('base64url');
}

export interface DecodedId {
  type: NodeTypeName;
  id: number;
}

/** Decodes any global id; null when it is not one of ours. */
export function decodeGlobalId(globalId: string): DecodedId | null {
  if (typeof globalId !== 'string' || globalId.length > 64) return null;
  const text = Buffer.from(globalId, 'base64url').toString('utf8');
  const sep = text.indexOf(':');
  if (sep < 1) return null;
  const type = text.slice(0, sep);
  const raw = text.slice(sep + 1);
  if (!NODE_TYPES.has(type) || !/^[1-9]\d{0,15}$/.test(raw)) return null;
  const id = Number(raw);
  if (!Number.isSafeInteger(id)) return null;
  return { type: type as NodeTypeName, id };
}

/** Decodes a global id that must name `type`; anything else is BAD_USER_INPUT. */
export function fromGlobalId(globalId: string, type: NodeTypeName, field: string): number {
  const decoded = decodeGlobalId(globalId);
  if (!decoded || decoded.type !== type) throw badInput(`${field} is not a valid ${type} id`, field);
  return decoded.id;
}

/** Reads an offer id a client sent; anything but an Offer or OfferVersion id is BAD_USER_INPUT. */
export function offerRefOf(globalId: string, field: string): OfferRef {
  const decoded = decodeGlobalId(globalId);
  if (decoded?.type === 'Offer') return { offerId: decoded.id };
  if (decoded?.type === 'OfferVersion') return { versionId: decoded.id };
  throw badInput(`${field} is not a valid Offer id`, field);
}
