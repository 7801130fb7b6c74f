/**
 * The reference model of the ledger simulation (`ledger.simulation.test.ts`): what one program's
 * customers must see, in plain TypeScript, with nothing shared with `src/`. It encodes the rules of
 * SPEC §4 ("Time"), §5 and issue 7 as the simulation checks them:
 *
 * - Credits expire at exactly `createdAt + expiryDays`: from that millisecond on they can neither be
 *   spent nor counted, whether or not the expiry job has run.
 * - Pending points become a credit at exactly `createdAt + pendingDays` (no job needed); that credit
 *   is created at that instant (so it expires `expiryDays` after it), counts for lifetime from then,
 *   and repays debt first like any credit.
 * - Debits consume open credits oldest-expiring first, never-expiring last, ties by age (creation
 *   time, then creation order).
 * - A return reverses the entries of that sale, by reference: it takes back their open remainder;
 *   what of them was already spent becomes debt (see `Semantics.spentOnReturn`), which later
 *   credits repay first, from themselves; what of them already expired is gone and is not taken
 *   again from other points. Lifetime drops by what the sale earned. A return of a sale whose
 *   pending points are not due yet cancels them.
 * - Staff adjustments: `qualifying` unset means a credit counts and a debit does not; `true` makes
 *   a debit lower lifetime (and the tier); `false` makes a credit not count.
 * - Tier = the highest tier whose threshold lifetime (qualifying) points reach (lifetime windows).
 *
 * Times are epoch milliseconds; amounts are points; money is cents.
 */

export const DAY = 86_400_000;

/** Choices the spec leaves open, in one place so the model is easy to adjust. */
export interface Semantics {
  /**
   * What a return does with the part of the sale's points that was already spent: `debt` records
   * all of it as debt, never taking other points in its place (issue 7 and docs/decisions.md,
   * "Reversal by reference"); `balance-then-debt` takes it from the customer's other open credits
   * (oldest-expiring first) and owes only what they cannot cover (the gateway before issue 7).
   */
  spentOnReturn: 'debt' | 'balance-then-debt';
  /**
   * Lifetime points never go below zero: they are max(0, the sum of qualifying movements), so a
   * qualifying debit or a return larger than them shows 0, and what it took past 0 is made up by
   * later qualifying credits before lifetime points grow again (break-13; before, the part past 0
   * was forgotten, and the same movements in another order counted more).
   */
  lifetimeFloorZero: boolean;
}

export const DEFAULT_SEMANTICS: Semantics = { spentOnReturn: 'debt', lifetimeFloorZero: true };

export interface TierRule {
  code: string;
  threshold: number;
  /** Earn multiplier of the economy rule for customers in this tier. */
  multiplier: number;
}

/** One offer kind a listing sells, as far as pricing a sale needs it. */
export type Benefit = { kind: 'FREE_ITEM'; freeSku: string } | { kind: 'AMOUNT_OFF'; cents: number };

export interface ListingRule {
  price: number;
  /** null: unlimited. */
  stock: number | null;
  /** null: no limit. */
  perCustomerLimit: number | null;
  benefit: Benefit;
  /** Issued offers expire this many days after the purchase. */
  validDays: number;
}

export interface ProgramRules {
  /** Days after its creation a credit expires; null: never. */
  expiryDays: number | null;
  /** Days earned points wait as pending (0: available at once). */
  pendingDays: number;
  /** Points per unit of money paid (rounded down once per sale). */
  pointsPerUnit: number;
  /** The ladder, lowest threshold first (lifetime window). */
  tiers: TierRule[];
  listings: ListingRule[];
}

export interface SaleLine {
  sku: string;
  category: string;
  quantity: number;
  /** Cents. */
  unitPrice: number;
}

interface Credit {
  seq: number;
  amount: number;
  remaining: number;
  createdAt: number;
  expiresAt: number | null;
  qualifying: boolean;
}

interface Pending {
  seq: number;
  amount: number;
  availableAt: number;
  cancelled: boolean;
  /** Set once due: the credit it became. */
  credit: Credit | null;
}

export interface ModelSale {
  externalId: string;
  status: 'PROCESSED' | 'REVERSED';
  pointsAwarded: number;
  credit: Credit | null;
  pending: Pending | null;
  offerCode: string | null;
}

export interface ModelOffer {
  code: string;
  listing: number;
  expiresAt: number;
  redeemed: boolean;
}

export interface ModelCustomer {
  credits: Credit[];
  pendings: Pending[];
  debt: number;
  lifetime: number;
  sales: ModelSale[];
  offers: ModelOffer[];
  purchases: number[];
}

/** What the API must show for one customer at a moment. */
export interface CustomerView {
  available: number;
  pending: number;
  lifetimeEarned: number;
  tier: string | null;
  /** Points still needed for the next tier up; null at the top. */
  nextTierPointsNeeded: number | null;
  /** Open points per expiry instant (ISO), soonest first. */
  expiring: { amount: number; expiresAt: string }[];
  /** Wallet: status per offer code, in code order. */
  wallet: Record<string, 'ISSUED' | 'REDEEMED' | 'EXPIRED'>;
}

export type Refusal = 'INSUFFICIENT_POINTS' | 'OUT_OF_STOCK' | 'LIMIT_REACHED' | 'OFFER_NOT_REDEEMABLE' | 'ALREADY_REVERSED';

export class LedgerModel {
  readonly customers: ModelCustomer[];
  readonly stock: (number | null)[];
  private seq = 0;

  constructor(
    readonly rules: ProgramRules,
    customerCount: number,
    readonly semantics: Semantics = DEFAULT_SEMANTICS,
  ) {
    this.customers = Array.from({ length: customerCount }, () => ({ credits: [], pendings: [], debt: 0, lifetime: 0, sales: [], offers: [], purchases: rules.listings.map(() => 0) }));
    this.stock = rules.listings.map((l) => l.stock);
  }

  // --- time ----------------------------------------------------------------------------------

  /** Turns the pending points due by `now` into credits, in the order they fell due. */
  private settle(c: ModelCustomer, now: number): void {
    const due = c.pendings.filter((p) => !p.cancelled && !p.credit && p.availableAt <= now).sort((a, b) => a.availableAt - b.availableAt || a.seq - b.seq);
    for (const p of due) p.credit = this.credit(c, p.amount, p.availableAt, true);
  }

  private isOpen(credit: Credit, now: number): boolean {
    return credit.remaining > 0 && (credit.expiresAt === null || now < credit.expiresAt);
  }

  /** Open credits in the order debits consume them. */
  private openCredits(c: ModelCustomer, now: number): Credit[] {
    return c.credits
      .filter((credit) => this.isOpen(credit, now))
      .sort((a, b) => (a.expiresAt ?? Infinity) - (b.expiresAt ?? Infinity) || a.createdAt - b.createdAt || a.seq - b.seq);
  }

  // --- ledger primitives ---------------------------------------------------------------------

  private credit(c: ModelCustomer, amount: number, at: number, qualifying: boolean): Credit {
    const credit: Credit = {
      seq: ++this.seq,
      amount,
      remaining: amount,
      createdAt: at,
      expiresAt: this.rules.expiryDays === null ? null : at + this.rules.expiryDays * DAY,
      qualifying,
    };
    c.credits.push(credit);
    if (qualifying) c.lifetime += amount;
    const repaid = Math.min(c.debt, amount);
    c.debt -= repaid;
    credit.remaining -= repaid;
    return credit;
  }

  private consume(c: ModelCustomer, amount: number, now: number): void {
    let left = amount;
    for (const credit of this.openCredits(c, now)) {
      const taken = Math.min(credit.remaining, left);
      credit.remaining -= taken;
      left -= taken;
      if (left === 0) return;
    }
    if (left > 0) throw new Error(`model: consumed ${amount} with only ${amount - left} open`);
  }

  private lowerLifetime(c: ModelCustomer, amount: number): void {
    c.lifetime -= amount;
  }

  /** The lifetime points shown and counted for tiers: the sum of qualifying movements, floored at 0 (`lifetimeFloorZero`). */
  private lifetimeOf(c: ModelCustomer): number {
    return this.semantics.lifetimeFloorZero ? Math.max(0, c.lifetime) : c.lifetime;
  }

  available(customer: number, now: number): number {
    const c = this.customers[customer];
    this.settle(c, now);
    return this.openCredits(c, now).reduce((sum, credit) => sum + credit.remaining, 0);
  }

  tierOf(customer: number, now: number): TierRule | null {
    const c = this.customers[customer];
    this.settle(c, now);
    let best: TierRule | null = null;
    for (const t of this.rules.tiers) if (this.lifetimeOf(c) >= t.threshold) best = t;
    return best;
  }

  // --- operations ----------------------------------------------------------------------------

  /** A staff adjustment (`amount` signed); `qualifying` as given to the API (undefined: unset). */
  adjust(customer: number, amount: number, qualifying: boolean | undefined, now: number): Refusal | null {
    const c = this.customers[customer];
    this.settle(c, now);
    if (amount > 0) {
      this.credit(c, amount, now, qualifying !== false);
      return null;
    }
    if (this.available(customer, now) < -amount) return 'INSUFFICIENT_POINTS';
    this.consume(c, -amount, now);
    if (qualifying === true) this.lowerLifetime(c, -amount);
    return null;
  }

  /** The refusals a purchase may answer (any of them is right when several hold); empty: it succeeds. */
  purchaseRefusals(customer: number, listing: number, now: number): Refusal[] {
    const rule = this.rules.listings[listing];
    const refusals: Refusal[] = [];
    if (this.stock[listing] === 0) refusals.push('OUT_OF_STOCK');
    if (rule.perCustomerLimit !== null && this.customers[customer].purchases[listing] >= rule.perCustomerLimit) refusals.push('LIMIT_REACHED');
    if (this.available(customer, now) < rule.price) refusals.push('INSUFFICIENT_POINTS');
    return refusals;
  }

  /** A purchase the API made (after `purchaseRefusals` came back empty). */
  purchase(customer: number, listing: number, code: string, now: number): void {
    const c = this.customers[customer];
    const rule = this.rules.listings[listing];
    this.settle(c, now);
    this.consume(c, rule.price, now);
    if (this.stock[listing] !== null) this.stock[listing]! -= 1;
    c.purchases[listing] += 1;
    c.offers.push({ code, listing, expiresAt: now + rule.validDays * DAY, redeemed: false });
  }

  offerStatus(offer: ModelOffer, now: number): 'ISSUED' | 'REDEEMED' | 'EXPIRED' {
    if (offer.redeemed) return 'REDEEMED';
    return now >= offer.expiresAt ? 'EXPIRED' : 'ISSUED';
  }

  /** The points a sale earns: money paid after the offer's discount, per unit, times the tier's multiplier, rounded down. */
  salePoints(customer: number, lines: SaleLine[], offer: ModelOffer | null, now: number): number {
    const total = lines.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0);
    let discount = 0;
    if (offer) {
      const benefit = this.rules.listings[offer.listing].benefit;
      if (benefit.kind === 'AMOUNT_OFF') discount = Math.min(benefit.cents, total);
      else discount = lines.find((l) => l.sku === benefit.freeSku && l.quantity > 0)?.unitPrice ?? 0;
    }
    const multiplier = this.tierOf(customer, now)?.multiplier ?? 1;
    return Math.floor(Math.round((((total - discount) / 100) * this.rules.pointsPerUnit * multiplier) * 1e6) / 1e6);
  }

  /**
   * A sale at the till, processed at once. Refuses (nothing stored) an offer that is not the
   * customer's or not ISSUED now. Returns the points it earned.
   */
  sale(customer: number, externalId: string, lines: SaleLine[], offerCode: string | null, now: number): { refusal: Refusal } | { points: number } {
    const c = this.customers[customer];
    this.settle(c, now);
    const offer = offerCode === null ? null : c.offers.find((o) => o.code === offerCode);
    if (offer === undefined || (offer && this.offerStatus(offer, now) !== 'ISSUED')) return { refusal: 'OFFER_NOT_REDEEMABLE' };
    const points = this.salePoints(customer, lines, offer, now);
    if (offer) offer.redeemed = true;
    const sale: ModelSale = { externalId, status: 'PROCESSED', pointsAwarded: points, credit: null, pending: null, offerCode };
    if (points > 0 && this.rules.pendingDays > 0) {
      sale.pending = { seq: ++this.seq, amount: points, availableAt: now + this.rules.pendingDays * DAY, cancelled: false, credit: null };
      c.pendings.push(sale.pending);
    } else if (points > 0) {
      sale.credit = this.credit(c, points, now, true);
    }
    c.sales.push(sale);
    return { points };
  }

  /** A return of the whole sale, by reference to what it earned. */
  reverse(customer: number, sale: ModelSale, now: number): Refusal | null {
    const c = this.customers[customer];
    this.settle(c, now);
    if (sale.status === 'REVERSED') return 'ALREADY_REVERSED';
    sale.status = 'REVERSED';
    if (sale.pending && !sale.pending.credit) {
      sale.pending.cancelled = true;
      return null;
    }
    const credit = sale.credit ?? sale.pending?.credit ?? null;
    if (!credit) return null; // earned nothing
    const spent = credit.amount - credit.remaining;
    const expired = credit.expiresAt !== null && now >= credit.expiresAt;
    if (!expired) credit.remaining = 0; // taken back; an expired remainder is gone and stays so
    if (spent > 0) {
      const taken = this.semantics.spentOnReturn === 'balance-then-debt' ? Math.min(spent, this.available(customer, now)) : 0;
      if (taken > 0) this.consume(c, taken, now);
      c.debt += spent - taken;
    }
    this.lowerLifetime(c, credit.amount);
    return null;
  }

  // --- what the API must show ----------------------------------------------------------------

  view(customer: number, now: number): CustomerView {
    const c = this.customers[customer];
    this.settle(c, now);
    const open = this.openCredits(c, now);
    const expiring = new Map<number, number>();
    for (const credit of open) if (credit.expiresAt !== null) expiring.set(credit.expiresAt, (expiring.get(credit.expiresAt) ?? 0) + credit.remaining);
    const tier = this.tierOf(customer, now);
    const next = this.rules.tiers.find((t) => t.threshold > (tier?.threshold ?? -Infinity)) ?? null;
    return {
      available: open.reduce((sum, credit) => sum + credit.remaining, 0),
      pending: c.pendings.filter((p) => !p.cancelled && !p.credit).reduce((sum, p) => sum + p.amount, 0),
      lifetimeEarned: this.lifetimeOf(c),
      tier: tier?.code ?? null,
      nextTierPointsNeeded: next ? Math.max(0, next.threshold - this.lifetimeOf(c)) : null,
      expiring: [...expiring.entries()].sort((a, b) => a[0] - b[0]).map(([at, amount]) => ({ amount, expiresAt: new Date(at).toISOString() })),
      wallet: Object.fromEntries(c.offers.map((o) => [o.code, this.offerStatus(o, now)] as const).sort(([a], [b]) => a.localeCompare(b))),
    };
  }

  /** Instants after `now` at which something about the customer changes by itself. */
  boundaries(customer: number, now: number): number[] {
    const c = this.customers[customer];
    this.settle(c, now);
    const at = [
      ...this.openCredits(c, now).map((credit) => credit.expiresAt),
      ...c.pendings.filter((p) => !p.cancelled && !p.credit).map((p) => p.availableAt),
      ...c.offers.filter((o) => !o.redeemed).map((o) => o.expiresAt),
    ];
    return [...new Set(at.filter((t): t is number => t !== null && t > now))].sort((a, b) => a - b);
  }
}
