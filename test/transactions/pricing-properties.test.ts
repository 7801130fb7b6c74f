import fc from 'fast-check';
import { OfferBenefitKind } from '../../src/offers/offer.entity.js';
import { fromMinor, itemKey, priceBasket, type Benefit } from '../../src/transactions/pricing.js';
import type { SaleLine } from '../../src/transactions/transaction.entity.js';

/**
 * `priceBasket` (money at the till) against properties and an independent exact reference (BigInt)
 * written from its rules ("A unit plays one part in a sale", break31; the free unit's worth and
 * pairing, break32). Written by break32's hostile pass, whose counterexamples found the free unit
 * valued at its full price after a percent off its line, a free item refused for the order of its
 * lines, and `share` giving a leftover minor unit by float order; each is mended and kept below.
 */

const SKUS = ['LATTE', 'MUFFIN', 'SCONE', 'TEA'];
const CATS = [null, 'COFFEE', 'PASTRY'];

const lineArb = fc.record({
  sku: fc.constantFrom(...SKUS),
  category: fc.constantFrom(...CATS),
  quantity: fc.integer({ min: 1, max: 4 }),
  unitPrice: fc.integer({ min: 0, max: 2000 }),
});

const limitsArb = fc.record({
  skus: fc.subarray(SKUS, { maxLength: 2 }),
  categories: fc.subarray(CATS.filter((c): c is string => c !== null), { maxLength: 1 }),
});
const capArb = fc.option(fc.integer({ min: 1, max: 3000 }), { nil: null });
const benefitArb = (digits: number): fc.Arbitrary<Benefit> =>
  fc.oneof(
    fc.record({ pct: fc.integer({ min: 1, max: 10000 }), limits: limitsArb, cap: capArb }).map(({ pct, limits, cap }) => ({
      kind: OfferBenefitKind.PERCENT_OFF,
      percentOff: pct / 100,
      amountOff: null,
      freeSku: null,
      ...limits,
      maxDiscount: cap === null ? null : fromMinor(cap, digits),
    })),
    fc.record({ amount: fc.integer({ min: 1, max: 5000 }), limits: limitsArb, cap: capArb }).map(({ amount, limits, cap }) => ({
      kind: OfferBenefitKind.AMOUNT_OFF,
      percentOff: null,
      amountOff: fromMinor(amount, digits),
      freeSku: null,
      ...limits,
      maxDiscount: cap === null ? null : fromMinor(cap, digits),
    })),
    fc.record({ free: fc.constantFrom(...SKUS), limits: limitsArb, cap: capArb }).map(({ free, limits, cap }) => ({
      kind: OfferBenefitKind.FREE_ITEM,
      percentOff: null,
      amountOff: null,
      freeSku: free,
      ...limits,
      maxDiscount: cap === null ? null : fromMinor(cap, digits),
    })),
  );

const qualifies = (l: SaleLine, b: Benefit) =>
  (b.skus.length === 0 && b.categories.length === 0) ||
  b.skus.some((s) => itemKey(s) === itemKey(l.sku)) ||
  (l.category !== null && b.categories.some((c) => itemKey(c) === itemKey(l.category!)));

/** Largest remainder in exact integers, ties to the line `tie` puts first. */
function refShare(amount: bigint, weights: bigint[], tie: (i: number, j: number) => number): bigint[] {
  const sum = weights.reduce((a, b) => a + b, 0n);
  if (sum === 0n || amount === 0n) return weights.map(() => 0n);
  const floors = weights.map((w) => (w * amount) / sum);
  const rems = weights.map((w) => (w * amount) % sum);
  let left = amount - floors.reduce((a, b) => a + b, 0n);
  const order = rems.map((r, i) => [r, i] as const).sort((a, b) => (a[0] === b[0] ? tie(a[1], b[1]) : a[0] > b[0] ? -1 : 1));
  for (const [, i] of order) {
    if (left <= 0n) break;
    floors[i]++;
    left--;
  }
  return floors;
}

/**
 * The reference: offers one after the other on what the earlier ones left. A free item gives one
 * unit of its free SKU that no earlier offer gave, and, when limited, counts one other qualifying
 * unit as its "X" — whenever the basket has such a pair with every earlier offer's X still counted
 * on units of their own (which unit is an X is never fixed: break33).
 */
function reference(lines: SaleLine[], benefits: Benefit[], digits: number) {
  const unit = 10n ** BigInt(digits);
  const minorFloor = (s: string) => {
    const [w, f = ''] = s.split('.');
    return BigInt(w) * unit + BigInt((f + '0'.repeat(digits)).slice(0, digits) || '0');
  };
  const net = lines.map((l) => BigInt(l.quantity) * BigInt(l.unitPrice));
  const touched = lines.map(() => 0);
  const aside = lines.map(() => 0n);
  const perOffer: bigint[] = [];
  // a line as pricing reads it, in a fixed order: ties are broken by it, then by index (break33)
  const lineKey = (i: number) => [itemKey(lines[i].sku), lines[i].category === null ? 0 : 1, lines[i].category === null ? '' : itemKey(lines[i].category!), lines[i].quantity, lines[i].unitPrice, net[i], touched[i], aside[i]];
  const earlier = (a: (number | string | bigint)[], z: (number | string | bigint)[]) => {
    const at = a.findIndex((v, i) => v !== z[i]);
    return at >= 0 && a[at] < z[at];
  };
  const tie = (i: number, j: number) => (earlier(lineKey(i), lineKey(j)) ? -1 : earlier(lineKey(j), lineKey(i)) ? 1 : i - j);
  // the limited free items applied so far: each needs an X, a unit of its own, never fixed to a line
  const counting: Benefit[] = [];
  for (const [k, b] of benefits.entries()) {
    const cap = b.maxDiscount === null ? null : minorFloor(b.maxDiscount);
    if (b.kind === OfferBenefitKind.FREE_ITEM) {
      const limited = b.skus.length > 0 || b.categories.length > 0;
      const wanting = limited ? [...counting, b] : counting;
      let took = 0n;
      // every line of the free SKU with a unit left that, given free, leaves every X counted (tried
      // by brute force over all ways to place them, break33); the cheapest is free, equal worths by
      // whether it takes a later limited free item's X, then by what the line is
      let chosen: { f: number; full: bigint; rank: (number | string | bigint)[] } | null = null;
      for (let f = 0; f < lines.length; f++) {
        if (itemKey(lines[f].sku) !== itemKey(b.freeSku!) || net[f] <= 0n || lines[f].quantity - touched[f] <= 0) continue;
        const room = lines.map((l, i) => l.quantity - touched[i] - (i === f ? 1 : 0));
        if (!placeable(lines, wanting, room)) continue;
        // one unit's worth of what the line has left, less what capped units still pay, over the
        // units no free item took, rounded up
        const uniform = net[f] - aside[f];
        const units = BigInt(lines[f].quantity - touched[f]);
        const perUnit = (uniform + units - 1n) / units;
        const full = perUnit < uniform ? perUnit : uniform;
        // 1 when f's unit is one the later free items need: their free units and X's, taken offer by
        // offer while every earlier one still places (every way tried), cannot all place without it
        const before = lines.map((l, i) => l.quantity - touched[i]);
        const demands: Demand[] = wanting.map((w) => (i: number) => qualifies(lines[i], w));
        for (const l of benefits.slice(k + 1)) {
          if (l.kind !== OfferBenefitKind.FREE_ITEM) continue;
          const pair: Demand[] = [(i) => itemKey(lines[i].sku) === itemKey(l.freeSku!) && net[i] > 0n];
          if (l.skus.length > 0 || l.categories.length > 0) pair.push((i) => qualifies(lines[i], l));
          if (placeDemands(lines.length, [...demands, ...pair], [...before])) demands.push(...pair);
        }
        const takesLater = placeDemands(lines.length, demands, [...room]) ? 0 : 1;
        const rank = [full, takesLater, ...lineKey(f)];
        if (full > 0n && (chosen === null || earlier(rank, chosen.rank))) chosen = { f, full, rank };
      }
      if (chosen !== null) {
        const { f, full } = chosen;
        let value = full;
        if (cap !== null && cap < value) value = cap;
        if (value > 0n) {
          touched[f]++;
          aside[f] += full - value;
          net[f] -= value;
          took = value;
          if (limited) counting.push(b);
        }
      }
      perOffer.push(took);
    } else {
      const eligible = lines.map((l, i) => (qualifies(l, b) ? net[i] : 0n));
      const total = eligible.reduce((a, c) => a + c, 0n);
      let amount: bigint;
      if (b.kind === OfferBenefitKind.PERCENT_OFF) {
        const hundredths = BigInt(Math.round(b.percentOff! * 100)); // percent with 2 decimals
        amount = (total * hundredths * 2n + 10000n) / 20000n; // half up of total × p / 100
      } else {
        const a = minorFloor(b.amountOff!);
        amount = a < total ? a : total;
      }
      if (cap !== null && cap < amount) amount = cap;
      const shares = refShare(amount, eligible, tie);
      shares.forEach((s, i) => {
        if (s > 0n && aside[i] > 0n) aside[i] = (aside[i] * (net[i] - s)) / net[i];
        net[i] -= s;
      });
      perOffer.push(shares.reduce((a, c) => a + c, 0n));
    }
  }
  return { discount: perOffer.reduce((a, c) => a + c, 0n), perOffer, netLines: net };
}

/** A unit some offer needs: the lines it may be on. */
type Demand = (line: number) => boolean;

/** Whether each demand can have a unit of its own within `room` (every way tried). */
function placeDemands(lineCount: number, demands: Demand[], room: number[]): boolean {
  if (demands.length === 0) return true;
  const [first, ...rest] = demands;
  for (let i = 0; i < lineCount; i++) {
    if (room[i] <= 0 || !first(i)) continue;
    room[i]--;
    const placed = placeDemands(lineCount, rest, room);
    room[i]++;
    if (placed) return true;
  }
  return false;
}

/** Whether each of `wanting` can count a unit of its own (a line it qualifies, within `room`): every way tried. */
function placeable(lines: SaleLine[], wanting: Benefit[], room: number[]): boolean {
  if (wanting.length === 0) return true;
  const [first, ...rest] = wanting;
  return lines.some((l, i) => {
    if (room[i] <= 0 || !qualifies(l, first)) return false;
    room[i]--;
    const placed = placeable(lines, rest, room);
    room[i]++;
    return placed;
  });
}

const asNumbers = (r: ReturnType<typeof reference>) => ({ discount: Number(r.discount), perOffer: r.perOffer.map(Number), netLines: r.netLines.map(Number) });

describe.each([0, 2, 3])('priceBasket, money with %i decimals', (digits) => {
  const arb = fc.record({ lines: fc.array(lineArb, { minLength: 1, maxLength: 4 }), benefits: fc.array(benefitArb(digits), { minLength: 1, maxLength: 3 }) });

  it('invariants: never below zero, never more than the basket, shares add up exactly in the minor unit', () => {
    fc.assert(
      fc.property(arb, ({ lines, benefits }) => {
        const p = priceBasket(lines, benefits, digits);
        const total = lines.reduce((s, l) => s + l.quantity * l.unitPrice, 0);
        expect(p.discount).toBeGreaterThanOrEqual(0);
        expect(p.discount).toBeLessThanOrEqual(total);
        expect(p.perOffer.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
        expect(p.netLines.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
        expect(p.perOffer.reduce((a, b) => a + b, 0)).toBe(p.discount);
        expect(p.netLines.reduce((a, b) => a + b, 0)).toBe(total - p.discount);
      }),
      { numRuns: 3000 },
    );
  });

  it('percent and amount off only: the same as the exact reference', () => {
    const noFree = fc.record({
      lines: fc.array(lineArb, { minLength: 1, maxLength: 4 }),
      benefits: fc.array(benefitArb(digits).filter((b) => b.kind !== OfferBenefitKind.FREE_ITEM), { minLength: 1, maxLength: 3 }),
    });
    fc.assert(
      fc.property(noFree, ({ lines, benefits }) => {
        expect(priceBasket(lines, benefits, digits)).toEqual(asNumbers(reference(lines, benefits, digits)));
      }),
      {
        numRuns: 3000,
        // found by fast-check: the 0.01 % took one unit, and float quotients gave it to another line than the exact largest remainder
        examples: [
          [
            {
              lines: [
                { sku: 'LATTE', category: null, quantity: 2, unitPrice: 1994 },
                { sku: 'LATTE', category: null, quantity: 2, unitPrice: 8 },
                { sku: 'LATTE', category: null, quantity: 1, unitPrice: 1990 },
              ],
              benefits: [
                { kind: OfferBenefitKind.PERCENT_OFF, percentOff: 7.1, amountOff: null, freeSku: null, skus: [], categories: [], maxDiscount: null },
                { kind: OfferBenefitKind.PERCENT_OFF, percentOff: 0.01, amountOff: null, freeSku: null, skus: [], categories: [], maxDiscount: null },
              ],
            },
          ],
        ],
      },
    );
  });

  it('with free items: the same as the reference (a free item applies whenever the basket has a free unit and an X for it)', () => {
    fc.assert(
      fc.property(arb, ({ lines, benefits }) => {
        expect(priceBasket(lines, benefits, digits)).toEqual(asNumbers(reference(lines, benefits, digits)));
      }),
      {
        numRuns: 5000,
        seed: 31,
        // the shrunk counterexample fast-check found (hostile pass): two SCONE lines, one in PASTRY, one without a category
        examples: [
          [
            {
              lines: [
                { sku: 'SCONE', category: 'PASTRY', quantity: 1, unitPrice: 1 },
                { sku: 'SCONE', category: null, quantity: 1, unitPrice: 1 },
              ],
              benefits: [{ kind: OfferBenefitKind.FREE_ITEM, percentOff: null, amountOff: null, freeSku: 'SCONE', skus: [], categories: ['PASTRY'], maxDiscount: null }],
            },
          ],
        ],
      },
    );
  });
});

describe('a free item and a percent off on the same line (money with 2 decimals)', () => {
  /**
   * "Each on what the previous ones left": after a percent off, one free unit is worth what is left
   * of one unit, so [percent, free] and [free, percent] take the same off (within rounding, 2 minor
   * units here). priceBasket valued the free unit at its full unitPrice after the percent off, so the
   * free item took the percent off of that unit a second time, out of the line's other units.
   */
  it('the order of an unlimited free item and a percent off does not change the discount beyond rounding', () => {
    const arb = fc.record({
      quantity: fc.integer({ min: 1, max: 5 }),
      unitPrice: fc.integer({ min: 1, max: 2000 }),
      pct: fc.integer({ min: 1, max: 100 }),
    });
    fc.assert(
      fc.property(arb, ({ quantity, unitPrice, pct }) => {
        const lines: SaleLine[] = [{ sku: 'MUFFIN', category: null, quantity, unitPrice }];
        const percent: Benefit = { kind: OfferBenefitKind.PERCENT_OFF, percentOff: pct, amountOff: null, freeSku: null, skus: [], categories: [], maxDiscount: null };
        const free: Benefit = { kind: OfferBenefitKind.FREE_ITEM, percentOff: null, amountOff: null, freeSku: 'MUFFIN', skus: [], categories: [], maxDiscount: null };
        const percentFirst = priceBasket(lines, [percent, free], 2).discount;
        const freeFirst = priceBasket(lines, [free, percent], 2).discount;
        expect(Math.abs(percentFirst - freeFirst)).toBeLessThanOrEqual(2);
      }),
      { numRuns: 2000, seed: 31, examples: [[{ quantity: 2, unitPrice: 280, pct: 50 }]] },
    );
  });
});
