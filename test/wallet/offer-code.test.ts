import { newOfferCode } from '../../src/wallet/wallet.service.js';

// Offer codes come from a pool of random bytes refilled 4 kB at a time (341 codes per fill):
// every code keeps its form, and no bytes are handed out twice, across several refills.
describe('newOfferCode', () => {
  it('gives distinct XXXX-XXXX-XXXX codes in Crockford base32 across refills of its random pool', () => {
    const codes = Array.from({ length: 2_000 }, () => newOfferCode());
    for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(new Set(codes).size).toBe(codes.length);
    // Each of the 32 letters turns up (24,000 draws; a letter missing would be a broken draw).
    expect(new Set(codes.join('').replaceAll('-', '')).size).toBe(32);
  });
});
