import { minorDigits } from '../../src/domain/currency.js';
import {
  AddListingDocument,
  AdjustPointsDocument,
  CreateCurrencyDocument,
  CreateOfferDocument,
  CreateRewardStoreDocument,
  CreateTierDocument,
  PurchaseOfferDocument,
  ReverseTransactionDocument,
  SetEconomyRuleDocument,
  SubmitTransactionDocument,
  TransactionStatusDocument,
  UpsertCustomerDocument,
  WalletDocument,
  type AddListingInput,
  type CreateOfferInput,
  type CreateRewardStoreInput,
  type SubmitTransactionInput,
} from '../generated/graphql.js';
import { fromGlobalId, toGlobalId } from '../../src/graphql/ids.js';
import { ok, type TestGateway } from './gateway.js';
import { currentTestFile } from './test-file.js';

let counter = 0;
/** A name no other test in the file has used. */
export const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

/**
 * `unique(prefix)` as a code (a currency's, a tier's, a store's): capitals, `_` for `-`, at most 20
 * characters (the codes' limit). Unique within the run as long as `prefix` is short enough to leave
 * the counter inside the 20.
 */
export const uniqueCode = (prefix: string) => unique(prefix).toUpperCase().replace(/-/g, '_').slice(0, 20);

/** Everything below goes through the staff contract operations, as the console would. */
export async function createCurrency(t: TestGateway, code = 'STARS', expiryDays: number | null = 365) {
  return ok(await t.gql(CreateCurrencyDocument, { input: { code, name: code, expiryDays, pointValue: '0.01', moneyCurrency: 'EUR' } }, t.operatorToken)).createCurrency
    .currency!;
}

export async function createTier(t: TestGateway, input: { currency: string; code: string; rank: number; threshold: number; windowDays?: number; multiplier?: number }) {
  return ok(await t.gql(CreateTierDocument, { input: { name: input.code, ...input } }, t.operatorToken)).createTier.tier!;
}

export async function createOffer(t: TestGateway, name = unique('Free muffin')) {
  const res = await t.gql(
    CreateOfferDocument,
    { input: { name, description: 'With any coffee', benefit: { kind: 'FREE_ITEM', freeSku: 'MUFFIN', categories: ['COFFEE'] }, validDays: 30 } },
    t.operatorToken,
  );
  return ok(res).createOffer.offer!;
}

export async function createStore(t: TestGateway, currency: string, extra: Partial<CreateRewardStoreInput> = {}) {
  const code = unique('store');
  return ok(await t.gql(CreateRewardStoreDocument, { input: { code, name: code, currency, ...extra } }, t.operatorToken)).createRewardStore.rewardStore!;
}

export async function addListing(t: TestGateway, storeId: string, offerId: string, extra: Partial<AddListingInput> = {}) {
  return ok(await t.gql(AddListingDocument, { input: { storeId, offerId, priceInPoints: 100, ...extra } }, t.operatorToken)).addListing.listing!;
}

/** A new customer with `points` (credited by a staff adjustment) and a token to act as them. */
export async function createCustomer(t: TestGateway, currency: string, points = 0, extra: { segments?: string[] } = {}) {
  const externalId = unique('cust');
  const customer = ok(await t.gql(UpsertCustomerDocument, { input: { externalId, name: externalId, ...extra } }, t.operatorToken)).upsertCustomer.customer!;
  if (points) await adjust(t, externalId, currency, points);
  return { ...customer, externalId, token: await t.customerToken(externalId) };
}

export async function adjust(t: TestGateway, customerExternalId: string, currency: string, amount: number, idempotencyKey = unique('adj')) {
  return ok(await t.gql(AdjustPointsDocument, { input: { customerExternalId, currency, amount, reason: 'test', idempotencyKey } }, t.operatorToken)).adjustPoints
    .entry!;
}

/** A listing as the member reads it in a store: enough to find it on screen and to buy it. */
export interface MemberListing {
  id: string;
  perCustomerLimit: number | null;
  offer: { name: string };
}

/**
 * The demo program's listing with a per-member limit in its "everyday" store (src/demo/seed.ts:
 * 200 BEANS, up to 5 per member), as the member holding `token` reads it. Needs the demo seeded.
 * Fails the test when the store is not open to that member or has no limited listing.
 */
export async function demoLimitedListing(t: TestGateway, token: string): Promise<MemberListing & { perCustomerLimit: number }> {
  type Stores = { me: { eligibleRewardStores: { edges: { node: { code: string; listings: { edges: { node: MemberListing }[] } } }[] } } };
  const { me } = ok(
    await t.gql<Stores, object>(
      '{ me { eligibleRewardStores(first: 10) { edges { node { code listings(first: 20) { edges { node { id perCustomerLimit offer { name } } } } } } } } }',
      {},
      token,
    ),
  );
  const everyday = me.eligibleRewardStores.edges.find((e) => e.node.code === 'everyday');
  const limited = everyday?.node.listings.edges.map((e) => e.node).find((l) => l.perCustomerLimit);
  if (!limited) throw new Error('the demo\'s everyday store, with a limited listing, is not open to this member');
  return limited as MemberListing & { perCustomerLimit: number };
}

/**
 * Buys `listingId` `times` times as the member holding `token` (the contract's purchaseOffer, one
 * idempotency key each: `<keyPrefix>-<n>`), as another tab or device of theirs would. Fails the
 * test on a GraphQL error or a userError.
 */
export async function buyListing(t: TestGateway, token: string, listingId: string, times = 1, keyPrefix = unique('buy')): Promise<void> {
  for (let i = 0; i < times; i++) {
    const bought = ok(
      await t.gql<{ purchaseOffer: { userErrors: { code: string }[] } }, object>(
        'mutation($input: PurchaseOfferInput!) { purchaseOffer(input: $input) { userErrors { code } } }',
        { input: { listingId, idempotencyKey: `${keyPrefix}-${i}` } },
        token,
      ),
    );
    if (bought.purchaseOffer.userErrors.length) throw new Error(`purchase ${i + 1} of ${times} refused: ${JSON.stringify(bought.purchaseOffer.userErrors)}`);
  }
}

/** A currency, a store open to everyone and one listing in it. */
export async function simpleShop(t: TestGateway, listing: Partial<AddListingInput> = {}) {
  const currency = unique('C').toUpperCase().replace(/-/g, '_').slice(0, 20);
  await createCurrency(t, currency);
  const offer = await createOffer(t);
  const store = await createStore(t, currency);
  const added = await addListing(t, store.id, offer.id, listing);
  return { currency, offer, store, listing: added };
}

/**
 * A new customer (1000 points of the shop's currency) who bought the shop's one listing: the issued
 * offer as the purchase answered it, its database id (`dbId`) and the customer (token, externalId).
 */
export async function boughtOffer(t: TestGateway, shop: Awaited<ReturnType<typeof simpleShop>>) {
  const customer = await createCustomer(t, shop.currency, 1000);
  const issued = ok(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: unique('buy') }, customer.token)).purchaseOffer.purchase!.issuedOffer;
  return { ...issued, dbId: fromGlobalId(issued.id, 'IssuedOffer', 'id'), customer };
}

/** Narrows the `node` of RewardStoreOffers to the store (the contract does not ask for __typename). */
export function storeOf<T extends object>(node: T | null | undefined): Extract<T, { listings: unknown }> {
  if (!node || !('listings' in node)) throw new Error(`expected a RewardStore, got ${JSON.stringify(node)}`);
  return node as Extract<T, { listings: unknown }>;
}

/** A partner with `scopes` and its API key credential. */
export async function createPartner(t: TestGateway, scopes: string[]) {
  const res = await t.gql(
    `mutation($input: CreatePartnerInput!) { createPartner(input: $input) { partner { id } apiKey userErrors { code } } }`,
    { input: { name: unique('partner'), scopes } },
    t.operatorToken,
  );
  const data = ok(res) as { createPartner: { partner: { id: string }; apiKey: string } };
  return { id: data.createPartner.partner.id, apiKey: data.createPartner.apiKey, credential: { apiKey: data.createPartner.apiKey } };
}

/** Polls until `check` returns a value (or fails the test after `ms`). */
export async function eventually<T>(check: () => Promise<T | null | undefined | false>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Money currencies the suites name literally (a sale in EUR, one test's own money currency);
 * `nextMoneyCurrency` never hands these out, so a program it makes shares its sales with no other.
 */
const LITERAL_MONEY = new Set(
  'EUR USD CHF JPY GBP ZAR ZMW ZWG YER XPF XOF XCD XAF WST VUV VND VES UZS UYU UGX UAH TZS TWD TTD TRY TOP'.split(' '),
);
// Two-decimal moneys only: the helpers below send prices with cents (`toFixed(2)`), which a money
// without decimals (KRW, ISK…) refuses unless they are zeros (money-12).
const MONEY_POOL = Intl.supportedValuesOf('currency').filter((code) => !LITERAL_MONEY.has(code) && minorDigits(code) === 2);
/**
 * How many money currencies `nextMoneyCurrency` has handed out, and in which test file. Per file,
 * not per module: under jest-light-runner this module stays loaded while a worker runs ~90 files
 * one after another (isolation-15), and a count kept for the module ran out of currencies in a
 * later file that used a few of its own.
 */
const handedOut = { file: undefined as string | undefined, count: 0 };

/** How many distinct money currencies `nextMoneyCurrency` can hand out in one test file. */
export const MONEY_CURRENCIES_PER_FILE = MONEY_POOL.length;

/**
 * A real ISO 4217 money currency (the gateway takes no other) that no earlier call in this test
 * file had, so a program earning in it is apart from every other: a sale in it earns only there.
 * `MONEY_CURRENCIES_PER_FILE` (about 115) per file (one database each), whatever files the worker
 * ran before; throws past that.
 */
export function nextMoneyCurrency(): string {
  const file = currentTestFile();
  if (file !== handedOut.file) Object.assign(handedOut, { file, count: 0 });
  const code = MONEY_POOL[handedOut.count++];
  if (!code) throw new Error(`this test file used all ${MONEY_POOL.length} ISO 4217 money currencies`);
  return code;
}

/**
 * A second point currency `P_<prefix>_<money>` on the money of an `earningProgram`, earning 1
 * point per unit of it (rounding down, point value 0.05, never expiring): a sale in `money` then
 * earns in two point currencies (money-24's per-currency figures). Answers its code.
 */
export async function secondEarningCurrency(t: TestGateway, prefix: string, money: string): Promise<string> {
  const currency = `P_${prefix}_${money}`;
  ok(
    await t.gql(
      `mutation($input: CreateCurrencyInput!) { createCurrency(input: $input) { userErrors { code } } }`,
      { input: { code: currency, name: currency, pointValue: '0.05', moneyCurrency: money } },
      t.operatorToken,
    ),
  );
  ok(await t.gql(SetEconomyRuleDocument, { input: { currency, pointsPerUnit: '1', rounding: 'FLOOR' } as never }, t.operatorToken));
  return currency;
}

/** createTier as the money-24 and money-25 suites ask it: the tier, whom it moves, whether a dry run, the refusals. */
export const CREATE_TIER_ANSWER = `mutation Create($input: CreateTierInput!) {
  createTier(input: $input) {
    tier { code }
    customersMoved
    moves { from to customers }
    dryRun
    userErrors { code field message }
  }
}`;

/** The answer to CREATE_TIER_ANSWER. */
export type CreateTierAnswer = {
  createTier: {
    tier: { code: string } | null;
    customersMoved: number | null;
    moves: { from: string | null; to: string | null; customers: number }[] | null;
    dryRun: boolean | null;
    userErrors: { code: string; field: string[]; message: string }[];
  };
};

/**
 * A point currency `P_<prefix>_<money>` earning 10 points per unit of its own money currency (the
 * next from `nextMoneyCurrency`, so each call in a database is apart), rounding down, whose credits
 * expire after `expiryDays` (null: never) and wait `pendingDays` before they count (0: at once).
 */
export async function earningProgram(t: TestGateway, prefix: string, opts: { expiryDays?: number | null; pendingDays?: number } = {}) {
  const money = nextMoneyCurrency();
  const currency = `P_${prefix}_${money}`;
  ok(
    await t.gql(
      `mutation($input: CreateCurrencyInput!) { createCurrency(input: $input) { currency { code } userErrors { code } } }`,
      { input: { code: currency, name: currency, expiryDays: opts.expiryDays === undefined ? 365 : opts.expiryDays, pointValue: '0.01', moneyCurrency: money } },
      t.operatorToken,
    ),
  );
  const pending = opts.pendingDays ? { pendingDays: opts.pendingDays } : {};
  ok(await t.gql(SetEconomyRuleDocument, { input: { currency, pointsPerUnit: '10', rounding: 'FLOOR', ...pending } as never }, t.operatorToken));
  return { money, currency };
}

/**
 * A new customer of `currency` with `points` who bought `copies` of `listingId` (priced within
 * `points`), and the codes of the offers their wallet now holds.
 */
export async function customerWithOffers(t: TestGateway, currency: string, listingId: string, copies: number, points = 100) {
  const customer = await createCustomer(t, currency, points);
  await buyListing(t, customer.token, listingId, copies);
  const codes = ok(await t.gql(WalletDocument, {}, customer.token)).me!.wallet.edges.map((e) => e.node.code);
  return { customer, codes };
}

/**
 * A till's sale in EUR of `coffees` LATTE (COFFEE, 3.50) and `muffins` MUFFIN (PASTRY, 2.80), the
 * lines with none left out, for the customer at the test clock's now, redeeming `offerCodes`: the
 * basket of simpleShop's "buy a coffee, get a muffin" (SPEC §1). A new externalId each call.
 */
export function coffeeAndMuffins(t: TestGateway, customerExternalId: string, offerCodes: string[], coffees: number, muffins: number): SubmitTransactionInput {
  const lines = [
    { sku: 'LATTE', category: 'COFFEE', quantity: coffees, unitPrice: '3.50' },
    { sku: 'MUFFIN', category: 'PASTRY', quantity: muffins, unitPrice: '2.80' },
  ];
  return { externalId: unique('sale'), customerExternalId, occurredAt: t.clock.now().toISOString(), currency: 'EUR', lines: lines.filter((l) => l.quantity > 0), offerCodes };
}

/**
 * Submits a sale at the till (not waiting for its processing): one line of BEANS in category COFFEE
 * for `amount` money units (`money`, the money currency's code), occurring at the test clock's now,
 * with `offerCodes` to redeem on it, sent with the till's partner credential. Fails the test on a
 * GraphQL error or a userError.
 * @returns the sale's externalId.
 */
export async function submitSale(
  t: TestGateway,
  till: { credential: { apiKey: string } },
  customerExternalId: string,
  money: string,
  amount: number,
  offerCodes: string[] = [],
): Promise<string> {
  const externalId = unique('sale');
  const input = {
    externalId,
    customerExternalId,
    occurredAt: t.clock.now().toISOString(),
    currency: money,
    lines: [{ sku: 'BEANS', category: 'COFFEE', quantity: 1, unitPrice: amount.toFixed(2) }],
    ...(offerCodes.length ? { offerCodes } : {}),
  };
  ok(await t.gql(SubmitTransactionDocument, { input }, till.credential));
  return externalId;
}

/**
 * A sale at the till: one line of `amount` money units (`money`, the money currency's code; an
 * earning program's `money`) for the customer, submitted with the till's partner credential and
 * waited for until its processing job has PROCESSED it (fails the test after `eventually`'s 10 s).
 * `occurredAt` defaults to the test clock's now.
 * @returns the sale's externalId (for its return, or to read its status).
 */
export async function processedSale(
  t: TestGateway,
  till: { credential: { apiKey: string } },
  customerExternalId: string,
  money: string,
  amount: number,
  occurredAt: Date = t.clock.now(),
): Promise<string> {
  const externalId = unique('sale');
  const input = {
    externalId,
    customerExternalId,
    occurredAt: occurredAt.toISOString(),
    currency: money,
    lines: [{ sku: 'BEANS', category: 'RETAIL', quantity: 1, unitPrice: amount.toFixed(2) }],
  };
  ok(await t.gql(SubmitTransactionDocument, { input }, till.credential));
  await eventually(async () => (await t.gql(TransactionStatusDocument, { externalId }, till.credential)).data?.transaction?.status === 'PROCESSED');
  return externalId;
}

/**
 * The TIER_CHANGED moves recorded for a customer (by externalId), in their stream's order, as
 * `[from, to]` tier codes (null: no tier): what webhooks and subscribers were told.
 */
export async function tierMoves(t: TestGateway, externalId: string): Promise<[string | null, string | null][]> {
  const rows = await t.sql<{ payload: { from: string | null; to: string | null } }>(
    `select e.payload from outbox_event e join customer c on c.id = e.customer_id where c.external_id = $1 and e.topic = 'TIER_CHANGED' order by e.customer_seq`,
    [externalId],
  );
  return rows.map((r) => [r.payload.from, r.payload.to]);
}

/** A customer's stored tier (`customer.tier_id`) and the one readers see as of the test clock (`customer_tier_at`), as codes (null: none). */
export async function storedAndCurrentTier(t: TestGateway, externalId: string): Promise<{ stored: string | null; now: string | null }> {
  const [row] = await t.sql<{ stored: string | null; now: string | null }>(
    `select (select code from tier where id = c.tier_id) as stored, (select code from tier where id = customer_tier_at(c.id, $2)) as now from customer c where c.external_id = $1`,
    [externalId, t.clock.now()],
  );
  return row;
}

/**
 * break-13's ladder and moves: a program in a new money whose points never expire (a sale of 5.00
 * earns 50), a 3650-day rolling tier at 40 (`roll`, rank 1) and a lifetime tier at 50 (`life`,
 * rank 2); `sale` submits a 50-point sale through `till` and runs the jobs (answers its id),
 * `drop` a −60 qualifying adjustment by an operator, `giveBack` returns a sale through `till`.
 * `pastZero` makes one customer's movements +50 +50, −60, the first sale returned (10 past 0),
 * +50; `neverPastZero` the same five with the −60 last. Both sum to 40.
 */
export async function lifetimeLadder(t: TestGateway, till: { credential: { apiKey: string } }, prefix: string) {
  const { money, currency } = await earningProgram(t, prefix, { expiryDays: null });
  const life = `LIFE_${money}`;
  const roll = `ROLL_${money}`;
  await createTier(t, { currency, code: roll, rank: 1, threshold: 40, windowDays: 3650 });
  await createTier(t, { currency, code: life, rank: 2, threshold: 50 });
  const sale = async (externalId: string) => {
    const id = await submitSale(t, till, externalId, money, 5); // 50 points
    await t.jobs.runner.runUntilIdle();
    return id;
  };
  const drop = async (externalId: string) =>
    ok(await t.gql(AdjustPointsDocument, { input: { customerExternalId: externalId, currency, amount: -60, reason: 'correction', idempotencyKey: unique('k'), qualifying: true } }, t.operatorToken));
  const giveBack = async (saleId: string) => ok(await t.gql(ReverseTransactionDocument, { externalId: saleId, reason: 'returned' }, till.credential));
  const pastZero = async (externalId: string) => {
    const first = await sale(externalId);
    await sale(externalId);
    await drop(externalId);
    await giveBack(first);
    await sale(externalId);
  };
  const neverPastZero = async (externalId: string) => {
    const first = await sale(externalId);
    await sale(externalId);
    await giveBack(first);
    await sale(externalId);
    await drop(externalId);
  };
  return { money, currency, life, roll, sale, drop, giveBack, pastZero, neverPastZero };
}

/**
 * A new offer with `benefit` (a CreateOfferInput benefit: `{ kind: 'FREE_ITEM', freeSku: 'MUFFIN' }`),
 * listed at `priceInPoints` in a new store of `currency`; answers the listing's id. For tests that
 * price sales with offers of given kinds (test/transactions/free-item-*.test.ts).
 */
export async function listedOffer(t: TestGateway, currency: string, benefit: Record<string, unknown>, priceInPoints = 10): Promise<string> {
  const offer = ok(
    await t.gql<{ createOffer: { offer: { id: string } } }, object>(
      `mutation($input: CreateOfferInput!) { createOffer(input: $input) { offer { id } userErrors { code } } }`,
      { input: { name: unique('offer'), benefit, validDays: 30 } },
      t.operatorToken,
    ),
  );
  const store = await createStore(t, currency);
  return (await addListing(t, store.id, offer.createOffer.offer.id, { priceInPoints })).id;
}


/**
 * A new customer of `currency` with 100 points who bought, for 1 point in the store `storeId`, an
 * offer made from `benefit` (valid 30 days, and `extra`): the issued offer (id, code, status …),
 * its customer and the offer. For tests of what a till may do with one code.
 */
export async function ownedOffer(t: TestGateway, currency: string, storeId: string, benefit: CreateOfferInput['benefit'], extra: Partial<CreateOfferInput> = {}) {
  const offer = ok(await t.gql(CreateOfferDocument, { input: { name: unique('offer'), benefit, validDays: 30, ...extra } }, t.operatorToken)).createOffer.offer!;
  const listing = ok(await t.gql(AddListingDocument, { input: { storeId, offerId: offer.id, priceInPoints: 1 } }, t.operatorToken)).addListing.listing!;
  const customer = await createCustomer(t, currency, 100);
  const issued = ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, customer.token)).purchaseOffer.purchase!.issuedOffer;
  return { ...issued, customer, offer };
}

/** The global id of the listing on sale in store `storeCode` whose offer is named `offerName` (its current version), the first in the store's order. */
export async function listingOf(t: TestGateway, storeCode: string, offerName: string): Promise<string> {
  const [row] = await t.sql<{ id: string }>(
    `select l.id from listing l join offer o on o.id = l.offer_id join offer_version ov on ov.id = o.current_version_id
      join reward_store s on s.id = l.store_id where s.code = $1 and ov.name = $2 and l.removed_at is null order by l.sort_order, l.id limit 1`,
    [storeCode, offerName],
  );
  return toGlobalId('Listing', Number(row.id));
}

/** An operator's updateListing of `listingId` with `changes` (UpdateListingInput's fields); fails the test on a refusal. Answers the listing's price after it. */
export async function editListing(t: TestGateway, listingId: string, changes: Record<string, unknown>): Promise<{ priceInPoints: number }> {
  return ok(
    await t.gql<{ updateListing: { listing: { priceInPoints: number } | null; userErrors: unknown[] } }, object>(
      'mutation($input: UpdateListingInput!) { updateListing(input: $input) { listing { priceInPoints } userErrors { code } } }',
      { input: { listingId, ...changes } },
      t.operatorToken,
    ),
  ).updateListing.listing!;
}
