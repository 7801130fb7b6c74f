import fc from 'fast-check';
import { OfferBenefitKind } from '../../src/offers/offer.entity.js';
import { fromMinor, priceBasket, type Benefit } from '../../src/transactions/pricing.js';
import type { SaleLine } from '../../src/transactions/transaction.entity.js';

/** priceBasket's free items, pure (found by break32d's hostile pass on break32b). */
const free = (sku: string, cap: string | null = null, skus: string[] = [], categories: string[] = []): Benefit => ({
  kind: OfferBenefitKind.FREE_ITEM, percentOff: null, amountOff: null, freeSku: sku, skus, categories, maxDiscount: cap,
});
const pct = (p: number): Benefit => ({ kind: OfferBenefitKind.PERCENT_OFF, percentOff: p, amountOff: null, freeSku: null, skus: [], categories: [], maxDiscount: null });
const line = (sku: string, quantity: number, unitPrice: number, category: string | null = null): SaleLine => ({ sku, category, quantity, unitPrice }) as SaleLine;

describe('a capped free unit still pays the rest of its price: a later free unit is worth one unit', () => {
  it('2 muffins at 2.80: free up to 1.00, then free: 1.00 + 2.80', () => {
    expect(priceBasket([line('M', 2, 280)], [free('M', '1.00'), free('M')], 2).perOffer).toEqual([100, 280]);
  });
  it('after 50 % off: 2.80 + 1.00 + 1.40 = 5.20', () => {
    expect(priceBasket([line('M', 2, 280)], [pct(50), free('M', '1.00'), free('M')], 2).discount).toBe(520);
  });
  it('property: no free-item offer takes more than one unit of its line (a unit\'s price)', () => {
    const lineArb = fc.record({ sku: fc.constantFrom('A', 'B'), category: fc.constant(null), quantity: fc.integer({ min: 1, max: 4 }), unitPrice: fc.integer({ min: 0, max: 500 }) });
    const bArb = fc.oneof(
      fc.record({ sku: fc.constantFrom('A', 'B'), cap: fc.option(fc.integer({ min: 1, max: 500 }), { nil: null }) }).map(({ sku, cap }) => free(sku, cap === null ? null : String(cap))),
      fc.integer({ min: 1, max: 99 }).map(pct),
    );
    fc.assert(
      fc.property(fc.array(lineArb, { minLength: 1, maxLength: 3 }), fc.array(bArb, { minLength: 1, maxLength: 4 }), (lines, bs) => {
        const p = priceBasket(lines as SaleLine[], bs, 0);
        const top = Math.max(...lines.map((l) => l.unitPrice));
        bs.forEach((b, i) => b.kind === OfferBenefitKind.FREE_ITEM && expect(p.perOffer[i]).toBeLessThanOrEqual(top));
      }),
      { numRuns: 5000, seed: 1 },
    );
  });
});

describe('the "X" of a limited free item is a line not of the free SKU when one qualifies, whatever the scan order', () => {
  // "free muffin with a coffee or a pastry", then "free muffin"; a coffee and two PASTRY muffins, each muffin its own line
  const offers = [free('MUFFIN', null, ['COFFEE'], ['PASTRY']), free('MUFFIN')];
  const coffee = line('COFFEE', 1, 320, 'COFFEE');
  const muffin = line('MUFFIN', 1, 280, 'PASTRY');
  it('coffee scanned first: both apply', () => {
    expect(priceBasket([coffee, muffin, muffin], offers, 2).perOffer).toEqual([280, 280]);
  });
  it('muffin, muffin, coffee: both apply the same', () => {
    expect(priceBasket([muffin, muffin, coffee], offers, 2).perOffer).toEqual([280, 280]);
  });
});

describe('one free item over lines of its SKU at different worths: the cheaper unit is free, whatever the scan order (break32f)', () => {
  it('a muffin at 2.80 and one at 3.20: 2.80 off either way (before: 2.80 or 3.20 by scan order)', () => {
    const cheap = line('MUFFIN', 1, 280);
    const dear = line('MUFFIN', 1, 320);
    expect([priceBasket([cheap, dear], [free('MUFFIN')], 2).discount, priceBasket([dear, cheap], [free('MUFFIN')], 2).discount]).toEqual([280, 280]);
  });
  it('equal prices, one line halved by an earlier percent off its category: the halved unit is free either way (before: 2.80 or 4.20 off)', () => {
    const pastry = line('MUFFIN', 1, 280, 'PASTRY');
    const plain = line('MUFFIN', 1, 280);
    const offers: Benefit[] = [{ ...pct(50), categories: ['PASTRY'] }, free('MUFFIN')];
    expect([priceBasket([pastry, plain], offers, 2).discount, priceBasket([plain, pastry], offers, 2).discount]).toEqual([280, 280]);
  });
  it('property: a single free-item offer takes the same whatever the order of the lines', () => {
    const lineArb = fc.record({ sku: fc.constantFrom('A', 'B'), category: fc.constantFrom(null, 'C'), quantity: fc.integer({ min: 1, max: 3 }), unitPrice: fc.integer({ min: 0, max: 500 }) });
    fc.assert(
      fc.property(fc.array(lineArb, { minLength: 1, maxLength: 4 }), fc.constantFrom('A', 'B'), fc.option(fc.integer({ min: 1, max: 400 }), { nil: null }), (lines, sku, cap) => {
        const offer = free(sku, cap === null ? null : String(cap));
        const forwards = priceBasket(lines as SaleLine[], [offer], 0).discount;
        const backwards = priceBasket([...lines].reverse() as SaleLine[], [offer], 0).discount;
        expect(backwards).toBe(forwards);
      }),
      { numRuns: 3000, seed: 32 },
    );
  });
});

describe('several limited free items: the X\'s are matched over the sale, whatever the scan order (break33)', () => {
  const coffee = line('COFFEE', 1, 320, 'COFFEE');
  const latte = line('LATTE', 1, 360, 'COFFEE');
  const muffin = line('MUFFIN', 1, 280, 'PASTRY');
  const scone = line('SCONE', 1, 250, 'PASTRY');
  it('"a free muffin with a coffee or a latte", then "with a latte": both apply in either order (before: latte first, the second was refused)', () => {
    const offers = [free('MUFFIN', null, ['COFFEE', 'LATTE']), free('MUFFIN', null, ['LATTE'])];
    const twoMuffins = line('MUFFIN', 2, 280, 'PASTRY');
    expect([priceBasket([coffee, latte, twoMuffins], offers, 2).perOffer, priceBasket([latte, coffee, twoMuffins], offers, 2).perOffer]).toEqual([
      [280, 280],
      [280, 280],
    ]);
  });
  it('"a free coffee with a muffin or a scone", then "a free muffin": the muffin is not kept as the first\'s X when the scone can be (before: muffin first, no free muffin)', () => {
    const offers = [free('COFFEE', null, ['MUFFIN', 'SCONE']), free('MUFFIN')];
    expect([priceBasket([scone, muffin, coffee], offers, 2).perOffer, priceBasket([muffin, scone, coffee], offers, 2).perOffer]).toEqual([
      [320, 280],
      [320, 280],
    ]);
  });
  it('"a free muffin", then "a free coffee with a pastry": of two muffins worth the same, the one a later offer could count is not the free one (before: the first scanned was)', () => {
    const offers = [free('MUFFIN'), free('COFFEE', null, [], ['PASTRY'])];
    const plain = line('MUFFIN', 1, 280);
    expect([priceBasket([muffin, plain, coffee], offers, 2).perOffer, priceBasket([plain, muffin, coffee], offers, 2).perOffer]).toEqual([
      [280, 320],
      [280, 320],
    ]);
  });

  it('property: the lines in any order give the same discount, the same per offer, and the same lines the same nets', () => {
    const SKUS = ['COFFEE', 'LATTE', 'MUFFIN', 'SCONE'];
    const lineArb = fc.record({
      sku: fc.constantFrom(...SKUS),
      category: fc.constantFrom(null, 'COFFEE', 'PASTRY'),
      quantity: fc.integer({ min: 1, max: 3 }),
      unitPrice: fc.integer({ min: 0, max: 400 }),
    });
    const freeArb = fc
      .record({
        sku: fc.constantFrom(...SKUS),
        skus: fc.subarray(SKUS, { maxLength: 2 }),
        categories: fc.subarray(['COFFEE', 'PASTRY'], { maxLength: 1 }),
        cap: fc.option(fc.integer({ min: 1, max: 400 }), { nil: null }),
      })
      .map(({ sku, skus, categories, cap }) => free(sku, cap === null ? null : fromMinor(cap, 2), skus, categories));
    const saleArb = fc
      .array(lineArb, { minLength: 1, maxLength: 6 })
      .chain((lines) => fc.tuple(fc.constant(lines as SaleLine[]), fc.shuffledSubarray([...lines.keys()], { minLength: lines.length, maxLength: lines.length })));
    // what a line is and what it finally cost, as a set: two equal lines may swap which is the free one
    const netsOf = (lines: SaleLine[], nets: number[]) => lines.map((l, i) => JSON.stringify([l.sku, l.category, l.quantity, l.unitPrice, nets[i]])).sort();
    fc.assert(
      fc.property(saleArb, fc.array(freeArb, { minLength: 2, maxLength: 5 }), ([lines, order], offers) => {
        const scanned = order.map((i) => lines[i]);
        const a = priceBasket(lines, offers, 2);
        const b = priceBasket(scanned, offers, 2);
        expect(b.discount).toBe(a.discount);
        expect(b.perOffer).toEqual(a.perOffer);
        expect(netsOf(scanned, b.netLines)).toEqual(netsOf(lines, a.netLines));
      }),
      { numRuns: 5000, seed: 33 },
    );
  });
});
