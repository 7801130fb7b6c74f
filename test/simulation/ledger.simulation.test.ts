import fc from 'fast-check';
import {
  AdjustPointsDocument,
  CreateOfferDocument,
  PurchaseOfferDocument,
  ReverseTransactionDocument,
  SetEconomyRuleDocument,
  SubmitTransactionDocument,
  TransactionStatusDocument,
  UpsertCustomerDocument,
  type AdjustPointsInput,
} from '../generated/graphql.js';
import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { brokenInvariants } from '../support/invariants.js';
import { addListing, createCurrency, createPartner, createStore, createTier } from '../support/program.js';
import { DAY, LedgerModel, type CustomerView, type ModelOffer, type ProgramRules, type Refusal, type SaleLine } from './ledger-model.js';

/**
 * A deterministic, seeded simulation of the ledger in the style of TigerBeetle's VOPR: fast-check
 * generates runs of 20–40 steps (sales at the till processed by the job queue, sales that use an
 * offer, purchases with points (also the same key twice at once), whole returns, repeated returns
 * and two at once, staff adjustments ± with `qualifying` true/false/unset, clock moves — also to
 * the exact millisecond something falls due — and the scheduled jobs), for three customers of one
 * program, against a real gateway over HTTP.
 * After every step it checks the SPEC §5 invariants in SQL and compares what each customer sees
 * (`me`: balances, expiring points, tier, next tier, wallet, listings) with the reference model in
 * `ledger-model.ts`.
 *
 * `npm test` runs a few runs; longer: `SIM_RUNS=200 SIM_TIME_LIMIT_MS=0`. A failure prints its
 * seed and path and the steps in readable form; `SIM_SEED=<seed> SIM_PATH=<path>` replays exactly
 * that run (and shrinks it further). README, "The ledger simulation", has the commands.
 */

const env = (name: string) => (process.env[name] === undefined || process.env[name] === '' ? undefined : process.env[name]);
const RUNS = Number(env('SIM_RUNS') ?? 6);
const SEED = env('SIM_SEED') === undefined ? undefined : Number(env('SIM_SEED'));
const PATH = env('SIM_PATH');
/** Total time for runs and shrinking (0: no limit). By default a bounded `npm test`; unbounded when SIM_RUNS is set. */
const TIME_LIMIT_MS = Number(env('SIM_TIME_LIMIT_MS') ?? (env('SIM_RUNS') ? 0 : 30_000));
/** Prints every run's steps as it passes. */
const VERBOSE = !!env('SIM_VERBOSE');
const MIN_STEPS = Number(env('SIM_MIN_STEPS') ?? 20);
const MAX_STEPS = Number(env('SIM_MAX_STEPS') ?? 40);

const HOUR = 3_600_000;
const CUSTOMERS = 3;
/** Between runs the clock jumps past every expiry, pending day and offer validity of the run before. */
const RUN_GAP = 400 * DAY;
const CURRENCY = 'SIM';
const MONEY = 'EUR';

const LATTE = { sku: 'LATTE', category: 'COFFEE', unitPrice: 350 };
const MUFFIN = { sku: 'MUFFIN', category: 'BAKERY', unitPrice: 280 };
const BEANS = { sku: 'BEANS', category: 'RETAIL', unitPrice: 1200 };

const RULES = (pendingDays: number): ProgramRules => ({
  expiryDays: 30,
  pendingDays,
  pointsPerUnit: 10,
  tiers: [
    { code: 'SIM_GREEN', threshold: 0, multiplier: 1 },
    { code: 'SIM_GOLD', threshold: 300, multiplier: 2 },
  ],
  listings: [
    { price: 100, stock: 3, perCustomerLimit: null, benefit: { kind: 'FREE_ITEM', freeSku: 'MUFFIN' }, validDays: 30 },
    { price: 40, stock: null, perCustomerLimit: 2, benefit: { kind: 'AMOUNT_OFF', cents: 100 }, validDays: 30 },
    { price: 250, stock: 1, perCustomerLimit: 1, benefit: { kind: 'FREE_ITEM', freeSku: 'MUFFIN' }, validDays: 30 },
  ],
});

// --- commands ----------------------------------------------------------------------------------

type Cmd =
  | { kind: 'sale'; customer: number; lattes: number; muffins: number; beans: number }
  | { kind: 'saleWithOffer'; customer: number; offer: number; lattes: number; muffins: number }
  | { kind: 'adjust'; customer: number; amount: number; qualifying: boolean | undefined }
  /** twice: the same request (same idempotency key, same sale) twice at once — one effect (SPEC §5.3, §5.5). */
  | { kind: 'buy'; customer: number; listing: number; twice: boolean }
  | { kind: 'return'; customer: number; sale: number; twice: boolean }
  | { kind: 'advance'; ms: number }
  | { kind: 'toBoundary'; customer: number; which: number; offsetMs: -1 | 0 | 1 }
  | { kind: 'jobs' };

interface Scenario {
  pendingDays: number;
  /** Points each customer starts with (a staff adjustment, qualifying unset), so purchases happen early. */
  opening: number[];
  /** null: a step shrunk away (fast-check shrinks a step to null to drop it). */
  steps: (Cmd | null)[];
}

const customerArb = fc.integer({ min: 0, max: CUSTOMERS - 1 });
const twiceArb = fc.constantFrom(false, false, false, true);
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('sale' as const), customer: customerArb, lattes: fc.integer({ min: 0, max: 3 }), muffins: fc.integer({ min: 0, max: 2 }), beans: fc.integer({ min: 0, max: 1 }) }), weight: 5 },
  { arbitrary: fc.record({ kind: fc.constant('saleWithOffer' as const), customer: customerArb, offer: fc.nat(20), lattes: fc.integer({ min: 1, max: 3 }), muffins: fc.integer({ min: 1, max: 2 }) }), weight: 3 },
  {
    arbitrary: fc.record({
      kind: fc.constant('adjust' as const),
      customer: customerArb,
      amount: fc.tuple(fc.integer({ min: 1, max: 300 }), fc.constantFrom(1, 1, -1)).map(([n, sign]) => n * sign),
      qualifying: fc.constantFrom(undefined, true, false),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant('buy' as const), customer: customerArb, listing: fc.integer({ min: 0, max: 2 }), twice: twiceArb }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('return' as const), customer: customerArb, sale: fc.nat(20), twice: twiceArb }), weight: 3 },
  {
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.oneof(
        { arbitrary: fc.integer({ min: 1_000, max: 6 * HOUR }), weight: 3 },
        { arbitrary: fc.integer({ min: 6 * HOUR, max: 5 * DAY }), weight: 2 },
        { arbitrary: fc.integer({ min: 5 * DAY, max: 35 * DAY }), weight: 1 },
      ),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant('toBoundary' as const), customer: customerArb, which: fc.nat(5), offsetMs: fc.constantFrom(0 as const, -1 as const, 1 as const) }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'jobs' as const }), weight: 1 },
);
const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  pendingDays: fc.constantFrom(0, 2),
  opening: fc.array(fc.nat(500), { minLength: CUSTOMERS, maxLength: CUSTOMERS }),
  steps: fc.array(fc.option(cmdArb, { nil: null, freq: 50 }), { minLength: MIN_STEPS, maxLength: MAX_STEPS }),
});

// --- running a scenario against the gateway ------------------------------------------------------

/** The API disagreed with the model (or broke an invariant): the message says where and how. */
class Divergence extends Error {}

const CUSTOMER_FIELDS = `
    tier { code }
    nextTier { code pointsNeeded }
    balances { currency { code } available pending lifetimeEarned expiringSoon { amount expiresAt } }
    wallet(first: 100) { edges { node { code status } } }`;

/** Staff read every customer of the run in one request. */
const STAFF_VIEW = (count: number) =>
  `query SimCustomers(${Array.from({ length: count }, (_, i) => `$c${i}: String!`).join(', ')}) {
  ${Array.from({ length: count }, (_, i) => `c${i}: customer(externalId: $c${i}) { ${CUSTOMER_FIELDS} }`).join('\n  ')}
}`;

/** A customer reads their own profile and the store, as the app does. */
const CUSTOMER_VIEW = `query SimMe($storeId: ID!) {
  me { id ${CUSTOMER_FIELDS} }
  node(id: $storeId) { ... on RewardStore { listings(first: 10) { edges { node { id stockRemaining affordable pointsMissing purchasedByMe } } } } }
}`;

interface ApiCustomer {
  tier: { code: string } | null;
  nextTier: { code: string; pointsNeeded: number } | null;
  balances: { currency: { code: string }; available: number; pending: number; lifetimeEarned: number; expiringSoon: { amount: number; expiresAt: string }[] }[];
  wallet: { edges: { node: { code: string; status: string } }[] };
}

interface ApiListings {
  listings: { edges: { node: { id: string; stockRemaining: number | null; affordable: boolean; pointsMissing: number; purchasedByMe: number } }[] };
}

/** The API's customer in the model's terms. */
function viewOf(api: ApiCustomer): CustomerView {
  const balance = api.balances.find((b) => b.currency.code === CURRENCY);
  return {
    available: balance?.available ?? 0,
    pending: balance?.pending ?? 0,
    lifetimeEarned: balance?.lifetimeEarned ?? 0,
    tier: api.tier?.code ?? null,
    nextTierPointsNeeded: api.nextTier?.pointsNeeded ?? null,
    expiring: (balance?.expiringSoon ?? []).map((e) => ({ amount: e.amount, expiresAt: new Date(e.expiresAt).toISOString() })),
    wallet: Object.fromEntries(api.wallet.edges.map((e) => [e.node.code, e.node.status as 'ISSUED']).sort(([a], [b]) => a.localeCompare(b))),
  };
}

/** Where the API and the model disagree, one line per field. */
function differences(who: string, expected: CustomerView, seen: CustomerView): string[] {
  return (Object.keys(expected) as (keyof CustomerView)[])
    .filter((key) => JSON.stringify(seen[key]) !== JSON.stringify(expected[key]))
    .map((key) => `${who}.${key}: model ${JSON.stringify(expected[key])}, API ${JSON.stringify(seen[key])}`);
}

function clockText(ms: number): string {
  const d = Math.floor(ms / DAY);
  const rest = new Date(ms - d * DAY).toISOString().slice(11, 23);
  return `d${d}+${rest}`;
}

function linesOf(lattes: number, muffins: number, beans: number): SaleLine[] {
  const lines: SaleLine[] = [];
  if (lattes) lines.push({ ...LATTE, quantity: lattes });
  if (muffins) lines.push({ ...MUFFIN, quantity: muffins });
  if (beans) lines.push({ ...BEANS, quantity: beans });
  if (lines.length === 0) lines.push({ ...LATTE, quantity: 1 });
  return lines;
}

const linesText = (lines: SaleLine[]) => lines.map((l) => `${l.quantity}×${l.sku}`).join(' + ');
const moneyText = (cents: number) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;

describe('ledger simulation (seeded, model-checked)', () => {
  let t: TestGateway;
  let till: { apiKey: string };
  let offerIds: string[];
  let runNo = 0;
  /** The trace of the last run that failed: fast-check's final counterexample is the last failing run. */
  let lastFailure: { trace: string[]; message: string; scenario: Scenario } | null = null;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    t.clock.freeze();
    till = (await createPartner(t, ['transactions:write', 'transactions:read', 'offers:redeem'])).credential;
    await createCurrency(t, CURRENCY, RULES(0).expiryDays);
    const tiers = RULES(0).tiers;
    for (const [i, tier] of tiers.entries()) await createTier(t, { currency: CURRENCY, code: tier.code, rank: i + 1, threshold: tier.threshold, multiplier: tier.multiplier });
    const muffin = ok(
      await t.gql(CreateOfferDocument, { input: { name: 'Sim muffin', benefit: { kind: 'FREE_ITEM', freeSku: 'MUFFIN', categories: ['COFFEE'] }, validDays: 30 } }, t.operatorToken),
    ).createOffer.offer!;
    const euroOff = ok(await t.gql(CreateOfferDocument, { input: { name: 'Sim euro off', benefit: { kind: 'AMOUNT_OFF', amountOff: '1.00' }, validDays: 30 } }, t.operatorToken))
      .createOffer.offer!;
    offerIds = RULES(0).listings.map((l) => (l.benefit.kind === 'AMOUNT_OFF' ? euroOff.id : muffin.id));
  });
  afterAll(async () => {
    t.clock.reset();
    await t.close();
  });

  async function run(scenario: Scenario): Promise<void> {
    const runId = ++runNo;
    const tag = `sim${runId}-${process.pid}`;
    t.clock.advance(RUN_GAP);
    const setupStarted = Date.now();
    const start = t.clock.now().getTime();
    const now = () => t.clock.now().getTime();
    const rules = RULES(scenario.pendingDays);
    const model = new LedgerModel(rules, CUSTOMERS);

    ok(await t.gql(SetEconomyRuleDocument, { input: { currency: CURRENCY, pointsPerUnit: String(rules.pointsPerUnit), rounding: 'FLOOR', pendingDays: scenario.pendingDays } }, t.operatorToken));
    const store = await createStore(t, CURRENCY);
    const listings: string[] = [];
    for (const [i, l] of rules.listings.entries()) {
      listings.push((await addListing(t, store.id, offerIds[i], { priceInPoints: l.price, stock: l.stock, perCustomerLimit: l.perCustomerLimit, sortOrder: i })).id);
    }
    const customers: { externalId: string; token: string }[] = [];
    for (let i = 0; i < CUSTOMERS; i++) {
      const externalId = `${tag}-c${i}`;
      ok(await t.gql(UpsertCustomerDocument, { input: { externalId, name: externalId } }, t.operatorToken));
      customers.push({ externalId, token: await t.customerToken(externalId) });
    }

    const trace: string[] = [
      `pendingDays=${scenario.pendingDays}, expiryDays=${rules.expiryDays}, listings ${rules.listings.map((l, i) => `L${i}: ${l.price} pts, stock ${l.stock ?? '∞'}, limit ${l.perCustomerLimit ?? '∞'}`).join('; ')}`,
    ];
    let counter = 0;
    const fail = (what: string): never => {
      throw new Divergence(what);
    };
    const summary = (c: number) => {
      const v = model.view(c, now());
      return `c${c}: available ${v.available}, pending ${v.pending}, lifetime ${v.lifetimeEarned}, ${v.tier}`;
    };

    /** One step against the gateway and the model; returns what happened, in words. */
    async function step(cmd: Cmd): Promise<string> {
      switch (cmd.kind) {
        case 'sale':
        case 'saleWithOffer': {
          const c = cmd.customer;
          // The customer's own offers; with none, another customer's (which the till must refuse).
          const own = model.customers[c].offers;
          const offers = own.length ? own : model.customers.flatMap((m) => m.offers);
          const offer: ModelOffer | null = cmd.kind === 'saleWithOffer' && offers.length ? offers[cmd.offer % offers.length] : null;
          const lines = cmd.kind === 'sale' ? linesOf(cmd.lattes, cmd.muffins, cmd.beans) : linesOf(cmd.lattes, cmd.muffins, 0);
          const externalId = `${tag}-sale${++counter}`;
          const said = `sale ${externalId} c${c} ${linesText(lines)}${offer ? ` with ${own.includes(offer) ? '' : "another customer's "}offer ${offer.code} (${model.offerStatus(offer, now())})` : cmd.kind === 'saleWithOffer' ? ' (no offer to use)' : ''}`;
          const expected = model.sale(c, externalId, lines, offer?.code ?? null, now());
          const receipt = dataOf(
            await t.gql(
              SubmitTransactionDocument,
              {
                input: {
                  externalId,
                  customerExternalId: customers[c].externalId,
                  channel: 'STORE',
                  occurredAt: new Date(now()).toISOString(),
                  currency: MONEY,
                  lines: lines.map((l) => ({ sku: l.sku, category: l.category, quantity: l.quantity, unitPrice: moneyText(l.unitPrice) })),
                  offerCodes: offer ? [offer.code] : null,
                },
              },
              till,
            ),
          ).submitTransaction;
          const codes = receipt.userErrors.map((e) => e.code);
          if ('refusal' in expected) {
            if (codes.join() !== expected.refusal) fail(`${said}: expected ${expected.refusal}, API said ${codes.join() || receipt.transaction?.status}`);
            return `${said} → ${expected.refusal}`;
          }
          if (codes.length) fail(`${said}: expected RECEIVED, API said ${codes.join()}`);
          await t.jobs.runner.runUntilIdle();
          const status = ok(await t.gql(TransactionStatusDocument, { externalId }, till)).transaction!;
          if (status.status !== 'PROCESSED' || status.pointsAwarded !== expected.points) {
            fail(`${said}: expected PROCESSED earning ${expected.points}, API said ${status.status} earning ${status.pointsAwarded} (${status.failureReason ?? 'no failure'})`);
          }
          return `${said} → +${expected.points}${rules.pendingDays ? ' pending' : ''}`;
        }
        case 'adjust': {
          const c = cmd.customer;
          const said = `adjust c${c} ${cmd.amount > 0 ? '+' : ''}${cmd.amount} qualifying ${cmd.qualifying ?? 'unset'}`;
          const expected = model.adjust(c, cmd.amount, cmd.qualifying, now());
          const input = { customerExternalId: customers[c].externalId, currency: CURRENCY, amount: cmd.amount, reason: 'simulation', idempotencyKey: `${tag}-adj${++counter}` };
          const payload = dataOf(
            await t.gql(AdjustPointsDocument, { input: (cmd.qualifying === undefined ? input : { ...input, qualifying: cmd.qualifying }) as AdjustPointsInput }, t.operatorToken),
          ).adjustPoints;
          const codes = payload.userErrors.map((e) => e.code).join();
          if (codes !== (expected ?? '')) fail(`${said}: expected ${expected ?? 'success'}, API said ${codes || 'success'}`);
          return `${said} → ${expected ?? 'ok'}`;
        }
        case 'buy': {
          const c = cmd.customer;
          const said = `buy c${c} L${cmd.listing} (${rules.listings[cmd.listing].price} pts)${cmd.twice ? ' twice at once, same key' : ''}`;
          const refusals = model.purchaseRefusals(c, cmd.listing, now());
          const variables = { listingId: listings[cmd.listing], idempotencyKey: `${tag}-buy${++counter}` };
          const payloads = (await Promise.all(Array.from({ length: cmd.twice ? 2 : 1 }, () => t.gql(PurchaseOfferDocument, variables, customers[c].token)))).map(
            (r) => dataOf(r).purchaseOffer,
          );
          const answers = payloads.map((p) => p.userErrors.map((e) => e.code).join() || `purchase ${p.purchase?.id}`);
          if (refusals.length === 0) {
            const [payload] = payloads;
            if (!payload.purchase || new Set(answers).size !== 1 || !answers[0].startsWith('purchase ')) fail(`${said}: expected one purchase, API said ${answers.join(' / ')}`);
            const code = payload.purchase!.issuedOffer.code;
            model.purchase(c, cmd.listing, code, now());
            return `${said} → offer ${code}`;
          }
          if (answers.some((a) => !refusals.includes(a as Refusal))) fail(`${said}: expected ${refusals.join(' or ')}, API said ${answers.join(' / ')}`);
          return `${said} → ${answers.join(' / ')}`;
        }
        case 'return': {
          const c = cmd.customer;
          const sales = model.customers[c].sales;
          if (sales.length === 0) return `return c${c}: no sale to return`;
          const sale = sales[cmd.sale % sales.length];
          const said = `return ${sale.externalId} (c${c}, earned ${sale.pointsAwarded}, ${sale.status})${cmd.twice ? ' twice at once' : ''}`;
          const expected = model.reverse(c, sale, now());
          const payloads = await Promise.all(
            Array.from({ length: cmd.twice ? 2 : 1 }, async () => dataOf(await t.gql(ReverseTransactionDocument, { externalId: sale.externalId, reason: 'returned' }, till)).reverseTransaction),
          );
          const answers = payloads.map((p) => p.userErrors.map((e) => e.code).join() || p.transaction?.status).sort();
          // One return reverses; any other, at once or later, is ALREADY_REVERSED.
          const want = [expected ?? 'REVERSED', ...(cmd.twice ? ['ALREADY_REVERSED'] : [])].sort();
          if (answers.join() !== want.join()) fail(`${said}: expected ${want.join(' / ')}, API said ${answers.join(' / ')}`);
          return `${said} → ${answers.join(' / ')}`;
        }
        case 'advance':
          t.clock.advance(cmd.ms);
          return `advance ${clockText(cmd.ms)}`;
        case 'toBoundary': {
          const at = model.boundaries(cmd.customer, now());
          if (at.length === 0) return `to boundary of c${cmd.customer}: none`;
          const target = at[cmd.which % at.length] + cmd.offsetMs;
          if (target <= now()) return `to boundary of c${cmd.customer}: already there`;
          t.clock.advance(target - now());
          return `to boundary of c${cmd.customer} ${cmd.offsetMs === 0 ? 'exactly' : `${cmd.offsetMs > 0 ? '+' : ''}${cmd.offsetMs} ms`}`;
        }
        case 'jobs':
          await t.runScheduled();
          return 'scheduled jobs run';
      }
    }

    /**
     * SPEC §5 in SQL; every customer as staff see them; and `viewer` as they see themselves and the
     * store (listings' stock, affordability and their purchases).
     */
    async function check(viewer: number): Promise<void> {
      const broken = await brokenInvariants(t);
      if (broken.length) fail(`SPEC §5 broken: ${broken.map((b) => `${b.rule}: row ${b.row}`).join('; ')}`);

      const mismatches: string[] = [];
      const vars = Object.fromEntries(customers.map((c, i) => [`c${i}`, c.externalId]));
      const staff = dataOf<Record<string, ApiCustomer>>(await t.gql(STAFF_VIEW(CUSTOMERS), vars, t.operatorToken));
      for (let c = 0; c < CUSTOMERS; c++) mismatches.push(...differences(`c${c}`, model.view(c, now()), viewOf(staff[`c${c}`])));

      const expected = model.view(viewer, now());
      const mine = dataOf<{ me: ApiCustomer; node: ApiListings | null }>(await t.gql(CUSTOMER_VIEW, { storeId: store.id }, customers[viewer].token));
      mismatches.push(...differences(`c${viewer} (own view)`, expected, viewOf(mine.me)));
      const shown = mine.node?.listings.edges.map((e) => e.node) ?? [];
      for (const [i, l] of rules.listings.entries()) {
        const listing = shown.find((s) => s.id === listings[i]);
        const want = {
          stockRemaining: model.stock[i],
          affordable: expected.available >= l.price,
          pointsMissing: Math.max(0, l.price - expected.available),
          purchasedByMe: model.customers[viewer].purchases[i],
        };
        const got = listing && { stockRemaining: listing.stockRemaining, affordable: listing.affordable, pointsMissing: listing.pointsMissing, purchasedByMe: listing.purchasedByMe };
        if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(`c${viewer} sees L${i}: model ${JSON.stringify(want)}, API ${JSON.stringify(got ?? null)}`);
      }
      if (mismatches.length) fail(mismatches.join('\n'));
    }

    const started = Date.now();
    /** The step under way, for the trace when it throws. */
    let inStep: string | null = null;
    let stepMs = 0;
    let checkMs = 0;
    try {
      for (const [c, points] of scenario.opening.entries()) {
        if (points) trace.push(`opening [d0] ${await step({ kind: 'adjust', customer: c, amount: points, qualifying: undefined })}`);
      }
      await check(0);
      for (const [i, cmd] of scenario.steps.entries()) {
        if (!cmd) continue;
        const before = now();
        const t0 = Date.now();
        inStep = `#${i} [${clockText(before - start)}] ${JSON.stringify(cmd)}`;
        const what = await step(cmd);
        inStep = null;
        stepMs += Date.now() - t0;
        const involved = 'customer' in cmd ? cmd.customer : null;
        trace.push(`#${i} [${clockText(before - start)}] ${what}${involved !== null ? `   | ${summary(involved)}` : ''}`);
        const t1 = Date.now();
        await check(involved ?? i % CUSTOMERS);
        checkMs += Date.now() - t1;
      }
      if (VERBOSE) console.log(`run ${runId}: ${scenario.steps.filter(Boolean).length} steps in ${Date.now() - started} ms (setup ${started - setupStarted} ms, steps ${stepMs} ms, checks ${checkMs} ms)\n${trace.join('\n')}`);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (inStep) trace.push(inStep);
      trace.push(`   ✗ at ${clockText(now() - start)}: ${message.split('\n').join('\n     ')}`);
      lastFailure = { trace, message, scenario };
      throw error;
    }
  }

  it(
    'every step keeps SPEC §5 and shows each customer what the reference model says',
    async () => {
      const details = await fc.check(
        fc.asyncProperty(scenarioArb, (scenario) => run(scenario)),
        {
          numRuns: RUNS,
          ...(SEED !== undefined ? { seed: SEED } : {}),
          ...(PATH !== undefined ? { path: PATH } : {}),
          ...(TIME_LIMIT_MS > 0 ? { interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false } : {}),
        },
      );
      if (!details.failed) return;
      const replay = `SIM_SEED=${details.seed} SIM_PATH=${details.counterexamplePath} npm run jest -- test/simulation/ledger.simulation`;
      const steps = lastFailure ? lastFailure.trace.join('\n') : '(no trace)';
      throw new Error(
        `The ledger simulation diverged from the model (after ${details.numRuns} run(s), shrunk ${details.numShrinks} time(s)${details.interrupted ? ', shrinking cut short by SIM_TIME_LIMIT_MS' : ''}).\n` +
          `Replay: ${replay}\n\nSteps of the failing run:\n${steps}\n\nScenario: ${JSON.stringify(lastFailure?.scenario ?? details.counterexample)}\n\n` +
          `${lastFailure ? '' : String(details.errorInstance)}`,
      );
    },
    TIME_LIMIT_MS > 0 ? TIME_LIMIT_MS + 60_000 : 24 * HOUR,
  );
});
