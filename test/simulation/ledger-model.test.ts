import { DAY, LedgerModel, type ProgramRules, type SaleLine } from './ledger-model.js';

/** The reference model against the worked examples of issue 7, so the simulation's yardstick is itself checked. */
const rules = (over: Partial<ProgramRules> = {}): ProgramRules => ({
  expiryDays: 365,
  pendingDays: 0,
  pointsPerUnit: 10,
  tiers: [
    { code: 'GREEN', threshold: 0, multiplier: 1 },
    { code: 'GOLD', threshold: 1000, multiplier: 2 },
  ],
  listings: [{ price: 120, stock: null, perCustomerLimit: null, benefit: { kind: 'AMOUNT_OFF', cents: 100 }, validDays: 30 }],
  ...over,
});
const tenEuros: SaleLine[] = [{ sku: 'BEANS', category: 'RETAIL', quantity: 1, unitPrice: 1000 }];

describe('the simulation reference model', () => {
  it('§1: a return takes back that sale’s credit, so buy-then-return cannot renew points about to expire', () => {
    const m = new LedgerModel(rules(), 1);
    m.sale(0, 's1', tenEuros, null, 0);
    m.sale(0, 's2', tenEuros, null, 200 * DAY);
    expect(m.reverse(0, m.customers[0].sales[1], 200 * DAY)).toBeNull();
    expect(m.view(0, 200 * DAY)).toMatchObject({ available: 100, lifetimeEarned: 100 });
    expect(m.view(0, 370 * DAY)).toMatchObject({ available: 0, lifetimeEarned: 100 });
    expect(m.reverse(0, m.customers[0].sales[1], 370 * DAY)).toBe('ALREADY_REVERSED');
  });

  it('§1: what the sale earned and was spent is owed and repaid first by the next credit; what expired is gone', () => {
    const m = new LedgerModel(rules({ expiryDays: 30 }), 1);
    m.sale(0, 's1', tenEuros, null, 0); // 100, expires day 30
    m.adjust(0, 50, undefined, DAY); // 50, expires day 31
    expect(m.purchaseRefusals(0, 0, DAY)).toEqual([]);
    m.purchase(0, 0, 'CODE', DAY); // 120: all of s1, 20 of the adjustment
    m.reverse(0, m.customers[0].sales[0], 2 * DAY);
    expect(m.view(0, 2 * DAY)).toMatchObject({ available: 30, lifetimeEarned: 50 }); // the 100 spent is owed, other points untouched
    m.adjust(0, 150, false, 3 * DAY);
    expect(m.view(0, 3 * DAY)).toMatchObject({ available: 80 }); // 150 repaid 100 first

    const e = new LedgerModel(rules({ expiryDays: 30 }), 1);
    e.sale(0, 's1', tenEuros, null, 0);
    e.adjust(0, 70, undefined, 10 * DAY);
    e.reverse(0, e.customers[0].sales[0], 30 * DAY); // s1 expired this very millisecond
    expect(e.view(0, 30 * DAY)).toMatchObject({ available: 70, lifetimeEarned: 70 });
  });

  it('§2: expiry and pending release hold from the millisecond they are due', () => {
    const m = new LedgerModel(rules({ expiryDays: 30, pendingDays: 2 }), 1);
    m.adjust(0, 100, undefined, 0);
    expect(m.view(0, 30 * DAY - 1)).toMatchObject({ available: 100 });
    expect(m.view(0, 30 * DAY)).toMatchObject({ available: 0, lifetimeEarned: 100 });
    m.sale(0, 's1', tenEuros, null, 30 * DAY);
    expect(m.view(0, 32 * DAY - 1)).toMatchObject({ available: 0, pending: 100 });
    expect(m.view(0, 32 * DAY)).toMatchObject({ available: 100, pending: 0, lifetimeEarned: 200 });
    expect(m.view(0, 32 * DAY).expiring).toEqual([{ amount: 100, expiresAt: new Date(62 * DAY).toISOString() }]);
  });

  it('§9: a negative qualifying correction lowers lifetime and tier; unset, it does not', () => {
    const m = new LedgerModel(rules(), 1);
    m.adjust(0, 1000, undefined, 0);
    expect(m.view(0, 0)).toMatchObject({ tier: 'GOLD', nextTierPointsNeeded: null });
    m.adjust(0, -1000, true, 0);
    expect(m.view(0, 0)).toMatchObject({ available: 0, lifetimeEarned: 0, tier: 'GREEN', nextTierPointsNeeded: 1000 });
    m.adjust(0, 1000, false, 0);
    m.adjust(0, -500, undefined, 0);
    expect(m.view(0, 0)).toMatchObject({ available: 500, lifetimeEarned: 0, tier: 'GREEN' });
  });

  it('lifetime points are max(0, the sum of qualifying movements) in any order (break-13)', () => {
    // +100 +100, −120 qualifying, the first sale returned (−100: 20 past 0), +100: 80, not 100
    const m = new LedgerModel(rules(), 2);
    m.sale(0, 'a1', tenEuros, null, 0);
    m.sale(0, 'a2', tenEuros, null, 0);
    m.adjust(0, -120, true, 0);
    m.reverse(0, m.customers[0].sales[0], 0);
    expect(m.view(0, 0)).toMatchObject({ lifetimeEarned: 0 });
    m.sale(0, 'a3', tenEuros, null, 0);
    // the same movements with the drop last
    m.sale(1, 'b1', tenEuros, null, 0);
    m.sale(1, 'b2', tenEuros, null, 0);
    m.reverse(1, m.customers[1].sales[0], 0);
    m.sale(1, 'b3', tenEuros, null, 0);
    m.adjust(1, -120, true, 0);
    expect(m.view(0, 0)).toMatchObject({ lifetimeEarned: 80 });
    expect(m.view(1, 0)).toMatchObject({ lifetimeEarned: 80 });
  });
});
