import fc from 'fast-check';
import { canonicalDecimal, requestFingerprint } from '../../src/idempotency/fingerprint.js';

/** The canonical form behind every idempotency comparison (docs/decisions.md, "Idempotency"). */
describe('request fingerprints', () => {
  it.each([
    ['4.00', '4'],
    ['4.0', '4'],
    ['04.50', '4.5'],
    ['0.010', '0.01'],
    ['+.01', '0.01'],
    ['-0.00', '0'],
    ['-1.50', '-1.5'],
    ['12', '12'],
  ])('canonicalDecimal(%j) is %j', (input, expected) => {
    expect(canonicalDecimal(input)).toBe(expected);
  });

  it('leaves what is not a decimal as it is', () => {
    expect(['', '.', 'abc', '1e3', '1.2.3'].map(canonicalDecimal)).toEqual(['', '.', 'abc', '1e3', '1.2.3']);
  });

  it('is the same whatever the order of keys, and null, undefined and absent agree', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean())), (record) => {
        const reversed = Object.fromEntries(Object.entries(record).reverse());
        expect(requestFingerprint(reversed)).toBe(requestFingerprint(record));
        expect(requestFingerprint({ ...record, '\u0000absent': null })).toBe(requestFingerprint(record));
        expect(requestFingerprint({ ...record, '\u0000absent': undefined })).toBe(requestFingerprint(record));
      }),
    );
  });

  it('compares instants, not their spelling; and tells different values, types and orders apart', () => {
    expect(requestFingerprint({ at: new Date('2026-11-30T10:00:00+01:00') })).toBe(requestFingerprint({ at: new Date('2026-11-30T09:00:00Z') }));
    expect(requestFingerprint({ a: 1 })).not.toBe(requestFingerprint({ a: '1' }));
    expect(requestFingerprint({ a: [1, 2] })).not.toBe(requestFingerprint({ a: [2, 1] }));
    expect(requestFingerprint({ a: { b: 1 } })).not.toBe(requestFingerprint({ a: { b: 2 } }));
    expect(requestFingerprint({ a: 'x' })).toMatch(/^v1:[0-9a-f]{64}$/);
  });
});
