import { createHash } from 'node:crypto';

/**
 * A value a request fingerprint can be made of: JSON, plus `Date` (compared as the instant) and
 * `undefined` (the same as absent).
 */
export type FingerprintValue = string | number | boolean | null | undefined | Date | FingerprintValue[] | { [key: string]: FingerprintValue };

function canonical(value: FingerprintValue): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = value[key];
      // Absent, undefined and null mean the same in a GraphQL input ("not given"): leave them out.
      if (v === null || v === undefined) continue;
      out[key] = canonical(v);
    }
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('A fingerprint cannot hold a non-finite number.');
  return value;
}

/**
 * The fingerprint of an idempotent request: sha256 (hex) of the canonical JSON of what it means,
 * prefixed `v1:` so the canonical form can change later without comparing unlike things.
 *
 * Canonical JSON here: object keys sorted, keys whose value is null or undefined left out (GraphQL
 * treats "not given" and null alike for every keyed input), dates as ISO 8601 UTC instants, arrays
 * in their order. Callers pass the request's *meaning*, already normalised the way the operation
 * reads it (money in integer cents, so "4.0" and "4.00" agree; offer codes as the till reads them;
 * global ids decoded), never the idempotency key itself. See docs/decisions.md, "Idempotency".
 */
export function requestFingerprint<T extends { [K in keyof T]: FingerprintValue }>(meaning: T): string {
  return `v1:${createHash('sha256').update(JSON.stringify(canonical(meaning as FingerprintValue))).digest('hex')}`;
}

/**
 * A decimal string in one spelling, for fingerprints: "0.010", "0.01" and "+.01" are "0.01", "4.00"
 * is "4", "-0" is "0". Input that is not a plain decimal is returned as it is (the operation then
 * refuses it on its own terms).
 */
export function canonicalDecimal(value: string): string {
  const m = /^\s*([+-]?)(\d*)(?:\.(\d*))?\s*$/.exec(value);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return value;
  const whole = m[2].replace(/^0+(?=\d)/, '') || '0';
  const fraction = (m[3] ?? '').replace(/0+$/, '');
  const digits = fraction ? `${whole}.${fraction}` : whole;
  return m[1] === '-' && /[1-9]/.test(digits) ? `-${digits}` : digits;
}

/**
 * A fingerprint, and what the same request fingerprinted as before its reading changed
 * (claimIdempotencyKey's `formerFingerprints`).
 */
export interface Fingerprints {
  fingerprint: string;
  former: string[];
}

/**
 * The fingerprint of a request whose lists that mean sets (tiers, segments, SKUs, categories,
 * channels, days, scopes, event types) are read in one order (`asSets`: those lists in setOrder,
 * src/domain/lists.ts), so a resend with them in another order is the same request (noticed-40).
 * `asSent`: the same meaning with the lists in the request's order, as fingerprinted before
 * noticed-40: a key stored then (kept for ever for `create:` scopes) still answers its resend.
 */
export function setsFingerprint<A extends { [K in keyof A]: FingerprintValue }, B extends { [K in keyof B]: FingerprintValue }>(asSets: A, asSent: B): Fingerprints {
  const fingerprint = requestFingerprint(asSets);
  const sent = requestFingerprint(asSent);
  return { fingerprint, former: sent === fingerprint ? [] : [sent] };
}
