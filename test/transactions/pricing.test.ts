import { OfferBenefitKind } from '../../src/offers/offer.entity.js';
import { campaignApplies, economyPoints, exactDecimal, isoDay, multiplierPoints, roundPoints, type CampaignRow, type EconomyRuleRow } from '../../src/rules/earning.js';
import { Rounding } from '../../src/rules/rule.entity.js';
import { fromMinor, priceBasket, share, toMinor, type Benefit } from '../../src/transactions/pricing.js';
import type { SaleLine } from '../../src/transactions/transaction.entity.js';

const line = (sku: string, category: string | null, quantity: number, price: string): SaleLine => ({ sku, category, quantity, unitPrice: toMinor(price, 2) });
const benefit = (b: Partial<Benefit> & { kind: OfferBenefitKind }): Benefit => ({
  percentOff: null,
  amountOff: null,
  freeSku: null,
  skus: [],
  categories: [],
  maxDiscount: null,
  ...b,
});

describe('money', () => {
  it('parses and prints cents exactly', () => {
    const toCents = (amount: string) => toMinor(amount, 2);
    expect([toCents('4.5'), toCents('4.50'), toCents('0.07'), toCents('12'), toCents('-3.25')]).toEqual([450, 450, 7, 1200, -325]);
    expect([fromMinor(450, 2), fromMinor(7, 2), fromMinor(0, 2), fromMinor(-325, 2)]).toEqual(['4.50', '0.07', '0.00', '-3.25']);
    expect(() => toCents('1.234')).toThrow('1.234 has more decimals than its money (2)');
    // other moneys' minor units (money-12): fils, yen
    expect([toMinor('1.250', 3), toMinor('1.25', 3), toMinor('0.001', 3), toMinor('1000', 0), toMinor('1000.00', 0)]).toEqual([1250, 1250, 1, 1000, 1000]);
    expect([fromMinor(1250, 3), fromMinor(1, 3), fromMinor(1000, 0), fromMinor(0, 0)]).toEqual(['1.250', '0.001', '1000', '0']);
    expect(() => toMinor('10.5', 0)).toThrow('10.5 has more decimals than its money (0)');
    expect([toMinor('1000.50', 0, 'ceil'), toMinor('1000.50', 0, 'floor'), toMinor('-2.5', 0, 'floor'), toMinor('1000.00', 0, 'ceil')]).toEqual([1001, 1000, -3, 1000]);
  });

  it('shares an amount in proportion, adding up exactly', () => {
    expect(share(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(share(280, [350, 0, 1000]).reduce((a, b) => a + b, 0)).toBe(280);
    expect(share(5, [0, 0])).toEqual([0, 0]);
  });
});

describe('offer discounts', () => {
  const basket = [line('LATTE', 'COFFEE', 1, '3.50'), line('MUFFIN', 'BAKERY', 2, '2.80'), line('SCONE', 'PASTRY', 1, '2.00')];

  it('a free item needs what it is limited to in the basket, and comes off its own line', () => {
    const muffin = benefit({ kind: OfferBenefitKind.FREE_ITEM, freeSku: 'MUFFIN', categories: ['COFFEE'] });
    expect(priceBasket(basket, [muffin], 2)).toEqual({ discount: 280, perOffer: [280], netLines: [350, 280, 200] });
    expect(priceBasket([line('MUFFIN', 'BAKERY', 1, '2.80')], [muffin], 2).discount).toBe(0);
    expect(priceBasket([line('LATTE', 'COFFEE', 1, '3.50')], [muffin], 2).discount).toBe(0);
    expect(priceBasket(basket, [{ ...muffin, maxDiscount: '1.00' }], 2).discount).toBe(100);
  });

  it('each unit plays one part (break31): a unit given free or counted as a "buy X" is not given or counted again', () => {
    const muffin = benefit({ kind: OfferBenefitKind.FREE_ITEM, freeSku: 'MUFFIN', categories: ['COFFEE'] });
    // one coffee buys one free muffin, not two
    expect(priceBasket(basket, [muffin, muffin], 2)).toEqual({ discount: 280, perOffer: [280, 0], netLines: [350, 280, 200] });
    // two coffees buy two
    expect(priceBasket([line('LATTE', 'COFFEE', 2, '3.50'), line('MUFFIN', 'BAKERY', 2, '2.80')], [muffin, muffin], 2).perOffer).toEqual([280, 280]);
    // buy a muffin, get a muffin: two offers need four muffins
    const bogo = benefit({ kind: OfferBenefitKind.FREE_ITEM, freeSku: 'MUFFIN', skus: ['MUFFIN'] });
    expect(priceBasket([line('MUFFIN', 'BAKERY', 2, '2.80')], [bogo, bogo], 2).perOffer).toEqual([280, 0]);
    expect(priceBasket([line('MUFFIN', 'BAKERY', 3, '2.80')], [bogo, bogo], 2).perOffer).toEqual([280, 0]);
    expect(priceBasket([line('MUFFIN', 'BAKERY', 4, '2.80')], [bogo, bogo], 2).perOffer).toEqual([280, 280]);
    // an unconditional free muffin does not take the muffin a "buy a muffin" counted, nor the free one
    const anyMuffin = benefit({ kind: OfferBenefitKind.FREE_ITEM, freeSku: 'MUFFIN' });
    expect(priceBasket([line('MUFFIN', 'BAKERY', 2, '2.80')], [bogo, anyMuffin], 2).perOffer).toEqual([280, 0]);
    expect(priceBasket([line('MUFFIN', 'BAKERY', 3, '2.80')], [bogo, anyMuffin], 2).perOffer).toEqual([280, 280]);
    // two unconditional free muffins on two muffins: both free, each its own unit
    expect(priceBasket([line('MUFFIN', 'BAKERY', 2, '2.80')], [anyMuffin, anyMuffin], 2).perOffer).toEqual([280, 280]);
    // a muffin that qualifies as the "X" of a muffin-or-coffee offer: the coffee is counted, so the second muffin stays free for the next offer
    const either = benefit({ kind: OfferBenefitKind.FREE_ITEM, freeSku: 'MUFFIN', skus: ['MUFFIN', 'LATTE'] });
    expect(priceBasket([line('MUFFIN', 'BAKERY', 2, '2.80'), line('LATTE', 'COFFEE', 1, '3.50')], [either, anyMuffin], 2).perOffer).toEqual([280, 280]);
  });

  it('percent and amount off apply to the qualifying lines only, capped', () => {
    const pastry = benefit({ kind: OfferBenefitKind.PERCENT_OFF, percentOff: 20, categories: ['PASTRY', 'BAKERY'] });
    expect(priceBasket(basket, [pastry], 2)).toMatchObject({ discount: 152, netLines: [350, 448, 160] });
    expect(priceBasket(basket, [{ ...pastry, maxDiscount: '1.00' }], 2).discount).toBe(100);
    const twoOff = benefit({ kind: OfferBenefitKind.AMOUNT_OFF, amountOff: '2.00' });
    expect(priceBasket([line('TEA', null, 1, '1.50')], [twoOff], 2).discount).toBe(150);
  });

  it('percent off is exact to the cent, half up (hostile pass 6): 0.35 % of 110.00 is 38.5 cents, so 39; floats made it 38', () => {
    const pct = (percentOff: number, price: string) => priceBasket([line('BEANS', null, 1, price)], [benefit({ kind: OfferBenefitKind.PERCENT_OFF, percentOff })], 2).discount;
    expect(pct(0.35, '110.00')).toBe(39);
    expect(pct(1.15, '30.00')).toBe(35);
    expect(pct(0.57, '50.00')).toBe(29);
    expect(pct(33.33, '0.01')).toBe(0);
    expect(pct(50, '0.01')).toBe(1);
    expect(pct(100, '999999999.99')).toBe(99_999_999_999);
  });

  it('several offers apply one after the other and never take the basket below zero', () => {
    const all = benefit({ kind: OfferBenefitKind.AMOUNT_OFF, amountOff: '100.00' });
    const priced = priceBasket(basket, [all, all], 2);
    expect(priced.discount).toBe(1110);
    expect(priced.perOffer).toEqual([1110, 0]);
    expect(priced.netLines).toEqual([0, 0, 0]);
  });
});

describe('earning', () => {
  const rule: EconomyRuleRow = {
    id: 1,
    currencyCode: 'BEANS',
    pointsPerUnit: '10',
    categoryMultipliers: [{ category: 'PASTRY', multiplier: 2 }],
    excludedSkus: ['GIFTCARD'],
    rounding: Rounding.FLOOR,
    pendingDays: 0,
  };
  const lines = [line('LATTE', 'COFFEE', 1, '3.55'), line('SCONE', 'PASTRY', 1, '2.00'), line('GIFTCARD', null, 1, '25.00')];

  it('earns on what was paid, with category multipliers, exclusions, the tier multiplier and rounding', () => {
    const net = lines.map((l) => l.unitPrice);
    expect(economyPoints(rule, lines, net, 1, 2)).toBe(75); // 35.5 + 40 = 75.5 → 75
    expect(economyPoints({ ...rule, rounding: Rounding.CEIL }, lines, net, 1, 2)).toBe(76);
    expect(economyPoints({ ...rule, rounding: Rounding.ROUND }, lines, net, 1, 2)).toBe(76);
    expect(economyPoints(rule, lines, net, 1.5, 2)).toBe(113); // 113.25
    expect(economyPoints(rule, lines, [0, 0, 2500], 1, 2)).toBe(0);
  });

  it('rounds without float noise', () => {
    expect(roundPoints(0.1 * 3 * 10, Rounding.FLOOR)).toBe(3);
    expect(roundPoints(2.675 * 100, Rounding.FLOOR)).toBe(267);
  });

  it('computes exactly and rounds once (hostile pass 6): no float error decides a point either way', () => {
    expect(exactDecimal('133.3333')).toEqual({ n: 1333333n, scale: 4 });
    expect(exactDecimal(1.15)).toEqual({ n: 115n, scale: 2 });
    expect(exactDecimal(1e-7)).toEqual({ n: 1n, scale: 7 });
    expect(exactDecimal(2e21)).toEqual({ n: 2000000000000000000000n, scale: 0 });
    expect(() => exactDecimal(Number.NaN)).toThrow(RangeError);
    // 0.01 × 133.3333 × 1.5 = 1.9999995: float noise settling to 6 decimals made it 2
    const cent = [line('MINT', null, 1, '0.01')];
    const odd = { ...rule, pointsPerUnit: '133.3333', categoryMultipliers: [], excludedSkus: [] };
    expect(economyPoints(odd, cent, [1], 1.5, 2)).toBe(1);
    expect(economyPoints({ ...odd, rounding: Rounding.CEIL }, cent, [1], 1.5, 2)).toBe(2);
    expect(economyPoints({ ...odd, rounding: Rounding.ROUND }, cent, [1], 1.5, 2)).toBe(2);
    // ROUND is half up, exactly at the half
    expect(roundPoints({ n: 25n, scale: 1 }, Rounding.ROUND)).toBe(3);
    expect(roundPoints({ n: 2499999999n, scale: 9 }, Rounding.ROUND)).toBe(2);
    expect(roundPoints({ n: -15n, scale: 1 }, Rounding.FLOOR)).toBe(-2);
    expect(roundPoints({ n: -15n, scale: 1 }, Rounding.CEIL)).toBe(-1);
    // campaign multipliers: 1.15 − 1 is 0.15, not 0.1499999999999999
    expect(multiplierPoints(100, 1.15, Rounding.FLOOR)).toBe(15);
    expect(multiplierPoints(7, 1.0001, Rounding.CEIL)).toBe(1);
    expect(multiplierPoints(100, 0.5, Rounding.FLOOR)).toBe(0);
  });

  const campaign: CampaignRow = {
    id: 7,
    name: 'Weekday coffee',
    currencyCode: 'BEANS',
    startsAt: new Date('2026-11-01T00:00:00Z'),
    endsAt: new Date('2026-12-01T00:00:00Z'),
    endedAt: null,
    minSpend: '3.00',
    skus: [],
    categories: ['COFFEE'],
    channels: ['STORE'],
    tiers: ['GOLD'],
    segments: ['regulars'],
    firstPurchase: false,
    daysOfWeek: [1, 2, 3, 4, 5],
    bonusPoints: 50,
    multiplier: null,
    offerId: null,
    perCustomer: null,
    budgetPoints: null,
    pointsAwarded: 0,
  };
  const monday = new Date('2026-11-23T09:00:00Z');
  const facts = { lines, netTotal: 300, channel: 'STORE', tierCode: 'GOLD', segments: ['regulars', 'x'], firstPurchase: false, occurredAt: monday };

  it('a campaign applies only when every condition it sets holds', () => {
    expect(isoDay(monday)).toBe(1);
    expect(campaignApplies(campaign, facts, 300)).toBe(true);
    expect(campaignApplies(campaign, { ...facts, netTotal: 299 }, 300)).toBe(false);
    expect(campaignApplies(campaign, { ...facts, channel: 'ONLINE' }, 300)).toBe(false);
    expect(campaignApplies(campaign, { ...facts, tierCode: 'GREEN' }, 300)).toBe(false);
    expect(campaignApplies(campaign, { ...facts, segments: [] }, 300)).toBe(false);
    expect(campaignApplies(campaign, { ...facts, lines: [line('SCONE', 'PASTRY', 1, '5.00')] }, 300)).toBe(false);
    expect(campaignApplies(campaign, { ...facts, occurredAt: new Date('2026-11-22T09:00:00Z') }, 300)).toBe(false); // Sunday
    expect(campaignApplies(campaign, { ...facts, occurredAt: new Date('2026-12-01T00:00:00Z') }, 300)).toBe(false); // window end
    // the window is [startsAt, endsAt), to the millisecond
    const anyDay = { ...campaign, daysOfWeek: [] };
    expect(campaignApplies(anyDay, { ...facts, occurredAt: new Date('2026-10-31T23:59:59.999Z') }, 300)).toBe(false);
    expect(campaignApplies(anyDay, { ...facts, occurredAt: new Date('2026-11-01T00:00:00Z') }, 300)).toBe(true);
    expect(campaignApplies(anyDay, { ...facts, occurredAt: new Date('2026-11-30T23:59:59.999Z') }, 300)).toBe(true);
    expect(campaignApplies(anyDay, { ...facts, occurredAt: new Date('2026-12-01T00:00:00Z') }, 300)).toBe(false);
    expect(campaignApplies({ ...campaign, firstPurchase: true }, facts, 300)).toBe(false);
    expect(campaignApplies({ ...campaign, firstPurchase: true }, { ...facts, firstPurchase: true }, 300)).toBe(true);
  });
});
