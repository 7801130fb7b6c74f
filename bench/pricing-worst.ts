/**
 * How long `priceBasket` takes for a sale at the input limits (500 lines, 20 offers, offers naming
 * up to 500 SKUs and 100 categories, SKUs up to 100 characters), printed as a ratio to a till's
 * everyday sale (6 lines, 3 offers) measured in the same run, and to the same worst case priced
 * with item keys made at every comparison, as `matchesAny` did before break33's hostile pass
 * (7–8 s a sale on the machine it was found on: one CPU busy, the event loop blocked, the sale's
 * transaction open). Asserts nothing. `npm run bench:pricing` (or, without a build,
 * `node --import ./test/support/ts-hooks.mjs bench/pricing-worst.ts`).
 */
import { OfferBenefitKind } from '../src/offers/offer.entity.js';
import { itemKey, priceBasket, type Benefit } from '../src/transactions/pricing.js';
import type { SaleLine } from '../src/transactions/transaction.entity.js';

const free = (sku: string, skus: string[] = [], categories: string[] = []): Benefit => ({
  kind: OfferBenefitKind.FREE_ITEM,
  percentOff: null,
  amountOff: null,
  freeSku: sku,
  skus,
  categories,
  maxDiscount: null,
});
const pct = (p: number, skus: string[] = [], categories: string[] = []): Benefit => ({ kind: OfferBenefitKind.PERCENT_OFF, percentOff: p, amountOff: null, freeSku: null, skus, categories, maxDiscount: null });

/** Median milliseconds of `runs` calls of `priceBasket` (fresh offer objects each, so no list's keys are kept from an earlier call). */
function median(lines: SaleLine[], offers: () => Benefit[], runs: number): number {
  const ms: number[] = [];
  for (let r = 0; r < runs; r++) {
    const given = offers();
    const t0 = performance.now();
    priceBasket(lines, given, 2);
    ms.push(performance.now() - t0);
  }
  return ms.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

/** The comparison before break33's hostile pass: both sides made into item keys at every pair. */
function slowMatches(value: string | null, list: readonly string[]): boolean {
  if (value == null) return false;
  const key = itemKey(value);
  return list.some((item) => itemKey(item) === key);
}

const pad = (s: string) => s.padEnd(100, 'X');
const everyday: SaleLine[] = [
  { sku: 'LATTE', category: 'COFFEE', quantity: 2, unitPrice: 350 },
  { sku: 'MUFFIN', category: 'PASTRY', quantity: 2, unitPrice: 280 },
  { sku: 'SCONE', category: 'PASTRY', quantity: 1, unitPrice: 250 },
  { sku: 'TEA', category: 'TEA', quantity: 1, unitPrice: 220 },
  { sku: 'WATER', category: null, quantity: 3, unitPrice: 120 },
  { sku: 'BEANS', category: 'RETAIL', quantity: 1, unitPrice: 1290 },
] as SaleLine[];
const baseline = median(everyday, () => [pct(10, [], ['PASTRY']), free('MUFFIN', ['LATTE']), pct(5)], 2001);

const skus = Array.from({ length: 499 }, (_, i) => pad(`SKU-${i}-`)).concat([pad('COFFEE')]);
const cats = Array.from({ length: 100 }, (_, i) => pad(`CAT-${i}-`));
const longLines = Array.from({ length: 500 }, (_, i) => ({ sku: pad(i % 2 ? 'MUFFIN' : 'COFFEE'), category: null, quantity: 100_000, unitPrice: 1 }) as SaleLine);
const cases: [string, SaleLine[], () => Benefit[]][] = [
  ['500 lines, 20 "free muffin with a coffee"', Array.from({ length: 500 }, (_, i) => ({ sku: i < 250 ? 'COFFEE' : 'MUFFIN', category: 'C', quantity: 1, unitPrice: 300 + (i % 7) }) as SaleLine), () => Array.from({ length: 20 }, () => free('MUFFIN', ['COFFEE']))],
  ['500 lines of 100-char SKUs, 20 free items naming 500 SKUs + 100 categories', longLines, () => Array.from({ length: 20 }, () => free(pad('MUFFIN'), [...skus], [...cats]))],
  ['the same, 20 percent offs', longLines, () => Array.from({ length: 20 }, () => pct(1, [...skus], [...cats]))],
  ['500 one-unit lines, 20 free items naming 480 SKUs each (a long matching chain)', Array.from({ length: 500 }, (_, i) => ({ sku: `S${i}`, category: null, quantity: 1, unitPrice: 100 }) as SaleLine), () => Array.from({ length: 20 }, (_, k) => free(`S${499 - k}`, Array.from({ length: 480 }, (_, i) => `S${i}`)))],
];

console.log(`everyday sale (6 lines, 3 offers): ${(baseline * 1000).toFixed(1)} µs, the baseline`);
for (const [name, lines, offers] of cases) {
  const ms = median(lines, offers, 5);
  console.log(`${name}: ${ms.toFixed(1)} ms, ×${Math.round(ms / baseline)} the everyday sale`);
}

// The per-pair comparison, timed on the same lists in this run (one line against one offer's lists, times the pairs of the worst case).
const pairs = 500 * 20;
const t0 = performance.now();
for (let i = 0; i < 200; i++) slowMatches(longLines[i % 2].sku, skus) || slowMatches(longLines[i % 2].category, cats);
const slowMs = ((performance.now() - t0) / 200) * pairs;
const fastMs = median(longLines, () => Array.from({ length: 20 }, () => pct(1, [...skus], [...cats])), 5);
console.log(`20 percent offs naming 500 SKUs + 100 categories on 500 lines: keys made at every comparison ~${(slowMs / 1000).toFixed(1)} s (projected from 200 pairs), keys made once a list ${fastMs.toFixed(1)} ms: ×${(slowMs / fastMs).toFixed(0)} faster`);
