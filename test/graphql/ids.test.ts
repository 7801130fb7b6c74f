import 'reflect-metadata';
import fc from 'fast-check';
import { encodeCursor, ID_KEY, INT4_KEY, pageOf } from '../../src/graphql/connection.js';
import { base64url, decodeGlobalId, toGlobalId, type NodeTypeName } from '../../src/graphql/ids.js';

// Ids and cursors are made in JavaScript for ASCII text (src/graphql/ids.ts `base64url`); every id
// and cursor a client holds was made by Buffer's encoder, so the two must agree on every text.
describe('global ids and cursors', () => {
  const viaBuffer = (text: string) => Buffer.from(text).toString('base64url');

  it('encodes every text as Buffer does: each length and padding case, ASCII and not', () => {
    const samples = ['', 'a', 'ab', 'abc', 'abcd', 'Listing:1', 'RewardStore:9007199254740991', '[3,17]', '\u007f\u0000~', 'é', 'aé', 'abé', '€uro', '😀', 'a\ud800b', '\udfff'];
    for (const text of samples) expect(base64url(text)).toBe(viaBuffer(text));
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => base64url(text) === viaBuffer(text)), { numRuns: 5_000 });
    fc.assert(fc.property(fc.string({ unit: 'grapheme-ascii', maxLength: 40 }), (text) => base64url(text) === viaBuffer(text)), { numRuns: 5_000 });
  });

  it('gives every node type and id the id Buffer gave it, and reads it back', () => {
    const types: NodeTypeName[] = ['Customer', 'RewardStore', 'Listing', 'Offer', 'OfferVersion', 'WebhookDelivery'];
    fc.assert(
      fc.property(fc.constantFrom(...types), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (type, id) => {
        const globalId = toGlobalId(type, id);
        expect(globalId).toBe(viaBuffer(`${type}:${id}`));
        expect(decodeGlobalId(globalId)).toEqual({ type, id });
      }),
    );
  });

  it('answers a kept id as it made it: per type, again and again, and past the number kept', () => {
    const types: NodeTypeName[] = ['Listing', 'Offer', 'OfferVersion', 'RewardStore'];
    // A small range of ids, so most are asked for again (under another type too) once kept.
    fc.assert(
      fc.property(fc.constantFrom(...types), fc.integer({ min: 1, max: 40 }), (type, id) => toGlobalId(type, id) === viaBuffer(`${type}:${id}`)),
      { numRuns: 2_000 },
    );
    // More ids of one type than are kept (4,096), then the first ones again: still their own.
    for (let id = 1; id <= 10_000; id++) expect(toGlobalId('Customer', id)).toBe(viaBuffer(`Customer:${id}`));
    for (let id = 1; id <= 10_000; id += 7) expect(decodeGlobalId(toGlobalId('Customer', id))).toEqual({ type: 'Customer', id });
  });

  it('reads an id only as it is spelled out: any other text Buffer decodes to it is no id (edges-11)', () => {
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    fc.assert(
      fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 0, max: 63 }), fc.constantFrom('=', '==', ' ', '\n', '!', '.'), (id, last, extra) => {
        const globalId = toGlobalId('Listing', id);
        const other = [globalId + extra, extra + globalId, globalId.slice(0, -1) + ALPHABET[last], globalId.replace(/-/g, '+').replace(/_/g, '/')];
        for (const text of other) {
          // only the texts Node reads as this very id (a changed last character may be another id)
          if (text === globalId || Buffer.from(text, 'base64url').toString() !== `Listing:${id}`) continue;
          expect({ text, decoded: decodeGlobalId(text) }).toEqual({ text, decoded: null });
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('answers a kept cursor as it made it: per kind and key, again and again, and past the number kept (page-23)', () => {
    // A small range of keys, so most are asked for again (under another kind too) once kept.
    fc.assert(
      fc.property(fc.constantFrom('Listing' as const, 'Offer' as const, 'LedgerEntry' as const), fc.integer({ min: -3, max: 3 }), fc.integer({ min: 1, max: 12 }), (kind, sort, id) => {
        expect(encodeCursor(kind, [sort, id])).toBe(viaBuffer(JSON.stringify([kind, sort, id])));
        expect(encodeCursor(kind, [id])).toBe(viaBuffer(JSON.stringify([kind, id])));
      }),
      { numRuns: 2_000 },
    );
    // More keys than are kept (4,096), then the first ones again: still their own.
    for (let id = 1; id <= 10_000; id++) expect(encodeCursor('LedgerEntry', [id])).toBe(viaBuffer(`["LedgerEntry",${id}]`));
    for (let id = 1; id <= 10_000; id += 7) expect(pageOf({ first: 1, after: encodeCursor('LedgerEntry', [id]) }, 100, 'LedgerEntry').after).toEqual([id]);
  });

  it('makes the cursors Buffer made, and reads them back', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2_147_483_648, max: 2_147_483_647 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (sort, id) => {
        const cursor = encodeCursor('Listing', [sort, id]);
        expect(cursor).toBe(viaBuffer(JSON.stringify(['Listing', sort, id])));
        expect(pageOf({ first: 1, after: cursor }, 100, 'Listing', [INT4_KEY, ID_KEY]).after).toEqual([sort, id]);
      }),
    );
  });
});
