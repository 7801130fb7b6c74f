import { detailText } from '../../web/src/console/audit-details.js';

/**
 * The console's audit log shows each entry's details (the JSON recorded with the change) as a
 * line a field, in words (newcomer-47: one line of raw JSON). These are the details the gateway
 * records, as the audit log reads them back.
 */
describe("the audit log's details in words", () => {
  it('writes text, numbers and flags as they are, null and an empty list as none, a list of plain values joined', () => {
    expect(['SUSPENDED', 1500, true, null, [], ['sale.processed', 'offer.issued'], [1, null]].map((v) => detailText(v))).toEqual([
      'SUSPENDED',
      '1500',
      'true',
      'none',
      'none',
      'sale.processed, offer.issued',
      '1, none',
    ]);
  });

  it('writes a change recorded as before and after with an arrow, an object as its fields, anything deeper as JSON', () => {
    // updateRewardStore's name; updateListing's before and after, each a field of the details
    expect(detailText({ before: 'Everyday', after: 'Everyday rewards' })).toBe('Everyday → Everyday rewards');
    expect(detailText({ priceInPoints: 800, perCustomerLimit: null })).toBe('priceInPoints: 800, perCustomerLimit: none');
    // createTier's moves (objects in a list), a before-and-after of objects, an object in an object
    expect(detailText([{ from: null, to: 'GOLD', count: 2 }])).toBe('[{"from":null,"to":"GOLD","count":2}]');
    expect(detailText({ before: { a: 1 }, after: { a: 2 } })).toBe('{"a":1} → {"a":2}');
    expect(detailText({ benefit: { kind: 'AMOUNT_OFF', amountOff: '2.00' }, skus: ['LATTE'] })).toBe('benefit: {"kind":"AMOUNT_OFF","amountOff":"2.00"}, skus: LATTE');
  });
});
