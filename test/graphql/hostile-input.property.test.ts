import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  buildSchema,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  parse,
  typeFromAST,
  type GraphQLInputType,
  type OperationDefinitionNode,
} from 'graphql';
import { contractOperations, PENDING_OPERATIONS } from '../support/contract.js';
import { ledgerViolations, ok, startTestGateway, tableSnapshot, type Credential, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, simpleShop, unique } from '../support/program.js';

/**
 * Issue 7, kind 6, as a property: whatever values a client puts in the variables of any operation
 * of the contract (mobile, partner, staff, each with its own credentials), the answer is a client
 * error (HTTP 4xx, a GraphQL error with a client code, or a userError) or a success, never a 5xx
 * or INTERNAL_SERVER_ERROR, never SQL or a stack; a refused request writes nothing (every table's
 * contents hashed before and after); and a request carrying text PostgreSQL cannot store as sent
 * (NUL, unpaired surrogates) is refused rather than stored altered.
 *
 * Values are generated from the schema's input types: each leaf keeps a working value (so the
 * request reaches deep into the service) or gets a hostile one for its type: strings with NUL,
 * lone surrogates, huge lengths, cursors and ids past every integer range, Ints at the 32-bit
 * edges, Floats huge and tiny, Decimals past their columns' precision, DateTimes at the ends of
 * what ISO 8601 writes, JSON nested deeper than anything sane.
 *
 * `FC_RUNS` (runs per operation, default 5) and `FC_SEED` replay or widen the search.
 */

const RUNS = Number(process.env.FC_RUNS ?? 5);
const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;

/** What a response must never carry: a stack trace or SQL text. */
const LEAK = /stacktrace|\bat .*\.(ts|js):\d|select .* from|insert into|update .* set|postgres|sqlstate/i;

const schema = buildSchema(readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8'));

/** A fresh value made when the request is sent (idempotency keys, codes), so runs do not collide. */
class Fresh {
  constructor(readonly make: () => unknown) {}
}
const fresh = (prefix: string) => new Fresh(() => unique(prefix));
const freshCode = (prefix: string) => new Fresh(() => `${prefix}${unique('').replace(/\D/g, '')}`.slice(0, 20));

function resolveFresh(value: unknown): unknown {
  if (value instanceof Fresh) return value.make();
  if (Array.isArray(value)) return value.map(resolveFresh);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).flatMap(([k, v]) => (v === undefined ? [] : [[k, resolveFresh(v)]])));
  }
  return value;
}

const b64 = (text: string) => Buffer.from(text).toString('base64url');
const cursorOf = (key: unknown) => b64(JSON.stringify(key));
const deepJson = (depth: number, leaf: unknown = 1): unknown => {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
};

const hostileStrings = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    'a\u0000b',
    '\u0000',
    '\ud800',
    'x\udc00y',
    '\udbff',
    '😀\u0000',
    '\u202e\uFEFF\uFFFF',
    'x'.repeat(300),
    'x'.repeat(20_000),
    "'; drop table customer; --",
    '%s%n$1\\',
    cursorOf([2 ** 31]),
    cursorOf([2 ** 53 - 1]),
    cursorOf([2 ** 40, 1]),
    cursorOf([-(2 ** 40), 2 ** 53 - 1]),
    cursorOf([-1]),
    cursorOf([0, 0]),
    cursorOf(['\u0000']),
  ),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ maxLength: 12 }),
);
const hostileInts = fc.oneof(
  fc.constantFrom(0, -1, 1, 2 ** 31 - 1, -(2 ** 31), 1_000_000_000, 1_000_000_001, -1_000_000_001, 100_000, 100_001, 2 ** 31, 2 ** 53, 1.5, '1'),
  fc.integer(),
);
const hostileFloats = fc.oneof(
  fc.constantFrom(0, -0, 1e-300, 5e-324, 1e308, -1e308, 0.005, 0.001, 99.999, 100, 100.0001, 2 ** 31, 1e15, 123456.789, -1),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const hostileDecimals = fc.oneof(
  fc.constantFrom(
    '0',
    '-0',
    '-1.00',
    '0.001',
    '1.123456',
    '999999999.99',
    '999999999999.99',
    '1000000000000',
    '999999999999999',
    '999999999999999.999999',
    '-999999999999999.999999',
    '99999999.999999',
    '100000000',
    '1e5',
    '',
    '.5',
    '1.',
    '00000000000001',
    12.5,
    1e21,
  ),
  fc.tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 6 })).map(([i, d]) => `${'9'.repeat(Math.max(1, i))}${d ? `.${'9'.repeat(d)}` : ''}`),
);
const hostileDateTimes = fc.oneof(
  fc.constantFrom(
    '0000-01-01T00:00:00Z',
    '0001-01-01T00:00:00Z',
    '9999-12-31T23:59:59.999Z',
    '9999-12-31T23:59:59-14:00',
    '1970-01-01T00:00:00Z',
    '2026-02-30T00:00:00Z',
    '2026-01-01T00:00:00',
    '+275760-09-13T00:00:00.000Z',
    '-271821-04-20T00:00:00.000Z',
    '2026-01-01T00:00:00\u0000Z',
    'now',
    '',
    0,
    8.64e15,
    -8.64e15,
  ),
  fc.date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }).map((d) =>
    d.toISOString(),
  ),
);
const hostileDates = fc.constantFrom('0000-01-01', '0001-01-01', '1900-02-29', '2024-02-29', '2025-02-29', '9999-12-31', '10000-01-01', '-0001-01-01', '2026-1-1', '', 20260101);
const hostileJson = fc.oneof(
  fc.constantFrom(
    { a: '\u0000' },
    { '\u0000': 1 },
    { a: '\ud800' },
    { '\udfff': true },
    deepJson(1000),
    deepJson(200),
    deepJson(30),
    { n: 1e308, m: -1e-308, k: 2 ** 64 },
    Array.from({ length: 5000 }, (_, i) => i),
    'just a string',
    null,
    [],
  ),
  fc.jsonValue({ maxDepth: 4 }),
);
const NODE_TYPES = ['Customer', 'RewardStore', 'Listing', 'Offer', 'IssuedOffer', 'GiftList', 'SalesTransaction', 'Partner', 'Account'];
const hostileIds = fc.oneof(
  fc.tuple(fc.constantFrom(...NODE_TYPES), fc.constantFrom('1', '0', '-1', '2147483648', '9007199254740991', '9007199254740992', '9223372036854775808', '1e3', '1\u0000', '01')).map(
    ([type, id]) => b64(`${type}:${id}`),
  ),
  hostileStrings,
);

function hostileFor(typeName: string): fc.Arbitrary<unknown> {
  switch (typeName) {
    case 'String':
      return hostileStrings;
    case 'ID':
      return hostileIds;
    case 'Int':
      return hostileInts;
    case 'Float':
      return hostileFloats;
    case 'Boolean':
      return fc.oneof(fc.boolean(), fc.constantFrom('true', 0));
    case 'Decimal':
      return hostileDecimals;
    case 'DateTime':
      return hostileDateTimes;
    case 'Date':
      return hostileDates;
    case 'JSON':
      return hostileJson;
    default:
      return hostileStrings;
  }
}

/**
 * Values of `type` built around `base` (a working value, or `undefined` when there is none): each
 * leaf keeps its base value most of the time and is hostile otherwise, so most requests differ from
 * a working one in one or two places.
 */
function arbitraryFor(type: GraphQLInputType, base: unknown): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) {
    const inner = arbitraryFor(type.ofType, base);
    return fc.oneof({ arbitrary: inner, weight: 30 }, { arbitrary: fc.constant(null), weight: 1 });
  }
  const keep = base !== undefined;
  const around = (hostile: fc.Arbitrary<unknown>) => (keep ? fc.oneof({ arbitrary: fc.constant(base), weight: 5 }, { arbitrary: hostile, weight: 1 }) : hostile);
  if (isListType(type)) {
    const items = Array.isArray(base) ? base : [];
    const itemArb = arbitraryFor(type.ofType as GraphQLInputType, items[0]);
    const list = fc.oneof(fc.array(itemArb, { maxLength: 3 }), fc.constant(Array.from({ length: 600 }, () => items[0] ?? 'x')));
    return keep ? fc.oneof({ arbitrary: items.length ? fc.tuple(...items.map((item) => arbitraryFor(type.ofType as GraphQLInputType, item))) : fc.constant([]), weight: 8 }, { arbitrary: list, weight: 1 }) : list;
  }
  if (isScalarType(type)) return around(hostileFor(type.name));
  if (isEnumType(type)) return around(fc.constantFrom(...type.getValues().map((v) => v.value as unknown), 'NOT_A_VALUE', 'issued'));
  if (isInputObjectType(type)) {
    const baseObject = (base && typeof base === 'object' ? base : {}) as Record<string, unknown>;
    const fields = Object.values(type.getFields());
    const record: Record<string, fc.Arbitrary<unknown>> = {};
    for (const field of fields) {
      const fieldBase = baseObject[field.name];
      const arb = arbitraryFor(field.type, fieldBase);
      // a field the working value leaves out is mostly left out
      record[field.name] = fieldBase === undefined && !isNonNullType(field.type) ? fc.oneof({ arbitrary: fc.constant(undefined), weight: 4 }, { arbitrary: arb, weight: 1 }) : arb;
    }
    const object = fc.record(record);
    return keep || fields.some((f) => isNonNullType(f.type)) ? object : fc.oneof(fc.constant(undefined), object);
  }
  return fc.constant(base);
}

/** Keeps only the fields the schema's input types know (the working values may name newer ones). */
function fitToSchema(type: GraphQLInputType, value: unknown): unknown {
  if (value === undefined || value === null || value instanceof Fresh) return value;
  if (isNonNullType(type)) return fitToSchema(type.ofType, value);
  if (isListType(type)) return Array.isArray(value) ? value.map((v) => fitToSchema(type.ofType as GraphQLInputType, v)) : value;
  if (isInputObjectType(type) && typeof value === 'object') {
    const fields = type.getFields();
    return Object.fromEntries(Object.entries(value as object).filter(([k]) => k in fields).map(([k, v]) => [k, fitToSchema(fields[k].type, v)]));
  }
  return value;
}

interface Fixture {
  currency: string;
  customerExternalId: string;
  storeId: string;
  listingId: string;
  spareListingIds: string[];
  offerId: string;
  giftListId: string;
  codes: string[];
  saleExternalId: string;
  customer: Credential;
  partner: Credential;
}

/** Working variables for every contract operation that takes any, as each kind of client sends them. */
function workingVariables(f: Fixture): Record<string, Record<string, unknown>> {
  const now = new Date().toISOString();
  const offerInput = {
    name: 'Ten off',
    description: 'Ten percent off coffee',
    imageUrl: 'https://example.com/a.png',
    terms: 'One per visit',
    benefit: { kind: 'PERCENT_OFF', percentOff: 10, skus: ['LATTE'], categories: ['coffee'], maxDiscount: '2.00' },
    validDays: 30,
    validUntil: '2030-01-01T00:00:00Z',
  };
  return {
    EligibleRewardStores: { first: 20, after: null },
    RewardStoreOffers: { storeId: f.storeId, first: 20, after: null },
    PurchaseOffer: { listingId: f.listingId, idempotencyKey: fresh('k') },
    Wallet: { status: ['ISSUED'], first: 20, after: null },
    PointHistory: { currency: f.currency, first: 20, after: null },
    ClaimGift: { giftListId: f.giftListId, optionId: f.offerId, idempotencyKey: fresh('k') },
    CustomerByExternalId: { externalId: f.customerExternalId },
    LockOffer: { code: f.codes[0], lockId: 'basket-1', ttlSeconds: 60 },
    RedeemOffer: { code: f.codes[1], lockId: null, transactionExternalId: fresh('sale') },
    ReleaseOffer: { code: f.codes[0], lockId: 'basket-1' },
    SubmitTransaction: {
      input: {
        externalId: fresh('sale'),
        customerExternalId: f.customerExternalId,
        channel: 'STORE',
        locationId: 'L-1',
        occurredAt: now,
        currency: 'EUR',
        lines: [
          { sku: 'LATTE', category: 'coffee', quantity: 2, unitPrice: '3.50' },
          { sku: 'MUFFIN', category: 'pastry', quantity: 1, unitPrice: '2.25' },
        ],
        offerCodes: [],
        lockId: null,
      },
    },
    TransactionStatus: { externalId: f.saleExternalId },
    ReverseTransaction: { externalId: f.saleExternalId, reason: 'returned' },
    RecordActivity: { customerExternalId: f.customerExternalId, kind: 'REVIEW', reference: fresh('review') },
    UpsertCustomer: {
      input: {
        externalId: fresh('cust'),
        email: 'ann@example.com',
        name: 'Ann',
        birthDate: '1990-05-17',
        status: 'ACTIVE',
        segments: ['vip', 'coffee'],
        attributes: { favourite: 'flat white', visits: 3 },
      },
    },
    AdjustPoints: { input: { customerExternalId: f.customerExternalId, currency: f.currency, amount: 5, reason: 'goodwill', idempotencyKey: fresh('adj'), qualifying: false } },
    CreateCurrency: { input: { code: freshCode('G'), name: 'Gems', expiryDays: 365, pointValue: '0.01', moneyCurrency: 'EUR' } },
    CreateTier: { input: { currency: f.currency, code: freshCode('T'), name: 'Tier', rank: new Fresh(() => 10 + Number(unique('').replace(/\D/g, '').slice(-3))), threshold: 100_000_000, windowDays: 365, multiplier: 1.5 } },
    CreateOffer: { input: offerInput },
    UpdateOffer: { input: { offerId: f.offerId, name: 'Free muffin', benefit: { kind: 'FREE_ITEM', freeSku: 'MUFFIN', categories: ['coffee'] }, validDays: 30 } },
    CreateRewardStore: {
      input: { code: fresh('store'), name: 'Store', currency: f.currency, startsAt: '2020-01-01T00:00:00Z', endsAt: '2040-01-01T00:00:00Z', eligibility: { tiers: [], segments: ['vip'], minBalance: 0, minLifetimePoints: 0 } },
    },
    AddListing: {
      input: { storeId: f.storeId, offerId: f.offerId, priceInPoints: 50, stock: 100, perCustomerLimit: 5, visibleFrom: '2020-01-01T00:00:00Z', visibleUntil: '2040-01-01T00:00:00Z', sortOrder: 3 },
    },
    RemoveListing: { listingId: new Fresh(() => f.spareListingIds.pop() ?? f.storeId) },
    SetEconomyRule: { input: { currency: f.currency, pointsPerUnit: '1', categoryMultipliers: [{ category: 'coffee', multiplier: 2 }], excludedSkus: ['GIFTCARD'], rounding: 'FLOOR', pendingDays: 0 } },
    CreateCampaign: {
      input: {
        name: 'Double week',
        currency: f.currency,
        startsAt: '2020-01-01T00:00:00Z',
        endsAt: '2040-01-01T00:00:00Z',
        conditions: { minSpend: '5.00', skus: ['LATTE'], categories: ['coffee'], channels: ['STORE'], tiers: [], segments: [], firstPurchase: false, daysOfWeek: [1, 2, 3, 4, 5, 6, 7] },
        outcome: { bonusPoints: 10, multiplier: 2, offerId: f.offerId },
        limits: { perCustomer: 3, budgetPoints: 100_000 },
      },
    },
    SetActivityRule: { input: { currency: f.currency, kind: 'REVIEW', points: 5, capPerPeriod: 1000, periodDays: 30 } },
    CreateGiftList: { input: { currency: f.currency, name: 'List B', threshold: 1000, offerIds: [f.offerId], maxClaims: 3 } },
    CreatePartner: { input: { name: 'POS', scopes: ['customers:read', 'transactions:write'] } },
    ProgramStats: { currency: f.currency, from: '2020-01-01T00:00:00Z', to: '2024-01-01T00:00:00Z' },
    AuditLog: { first: 50, after: null },
    RegisterPersistedOperations: {
      input: {
        client: 'mobile',
        manifest: {
          format: 'apollo-persisted-query-manifest',
          version: 1,
          operations: [{ id: createHash('sha256').update(TYPENAME_QUERY).digest('hex'), name: 'Typename', type: 'query', body: TYPENAME_QUERY }],
        },
      },
    },
  };
}

const TYPENAME_QUERY = 'query Typename { __typename }';

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Text PostgreSQL cannot store as sent: a request carrying it must be refused, not stored altered. */
function hasUnstorableText(value: unknown, seen = 0): boolean {
  if (seen > 20_000) return false;
  if (typeof value === 'string') return value.includes('\u0000') || LONE_SURROGATE.test(value);
  if (Array.isArray(value)) return value.some((v) => hasUnstorableText(v, seen + 1));
  if (value && typeof value === 'object') return Object.entries(value).some(([k, v]) => hasUnstorableText(k) || hasUnstorableText(v, seen + 1));
  return false;
}

describe('hostile input to every operation of the contract (property)', () => {
  let t: TestGateway;
  let fixture: Fixture;

  beforeAll(async () => {
    // jobs stay queued: a sale accepted by one run is not processed behind the next run's snapshot
    t = await startTestGateway({}, { jobs: 'manual' });
    const shop = await simpleShop(t, { priceInPoints: 10, stock: 10_000 });
    const customer = await createCustomer(t, shop.currency, 100_000);
    const partner = await createPartner(t, ['customers:read', 'offers:redeem', 'transactions:write', 'transactions:read', 'activities:write']);
    const staff = (query: string, input: Record<string, unknown>) => t.gql(query, { input }, t.operatorToken).then(ok) as Promise<Record<string, Record<string, { id: string }>>>;
    await staff(`mutation($input: SetEconomyRuleInput!) { setEconomyRule(input: $input) { userErrors { code } } }`, { currency: shop.currency, pointsPerUnit: '1' });
    await staff(`mutation($input: SetActivityRuleInput!) { setActivityRule(input: $input) { userErrors { code } } }`, { currency: shop.currency, kind: 'REVIEW', points: 5 });
    const gift = await staff(`mutation($input: CreateGiftListInput!) { createGiftList(input: $input) { giftList { id } userErrors { code } } }`, {
      currency: shop.currency,
      name: 'List A',
      threshold: 10,
      offerIds: [shop.offer.id],
    });
    const spareListingIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const added = await staff(`mutation($input: AddListingInput!) { addListing(input: $input) { listing { id } userErrors { code } } }`, {
        storeId: shop.store.id,
        offerId: shop.offer.id,
        priceInPoints: 10,
      });
      spareListingIds.push(added.addListing.listing.id);
    }
    const codes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const bought = ok(
        await t.gql(
          `mutation($l: ID!, $k: String!) { purchaseOffer(input: { listingId: $l, idempotencyKey: $k }) { purchase { issuedOffer { code } } userErrors { code } } }`,
          { l: shop.listing.id, k: unique('k') },
          customer.token,
        ),
      ) as { purchaseOffer: { purchase: { issuedOffer: { code: string } } } };
      codes.push(bought.purchaseOffer.purchase.issuedOffer.code);
    }
    const saleExternalId = unique('sale');
    ok(
      await t.gql(
        `mutation($input: SubmitTransactionInput!) { submitTransaction(input: $input) { transaction { id } userErrors { code } } }`,
        {
          input: {
            externalId: saleExternalId,
            customerExternalId: customer.externalId,
            occurredAt: new Date().toISOString(),
            currency: 'EUR',
            lines: [{ sku: 'LATTE', category: 'coffee', quantity: 1, unitPrice: '3.50' }],
          },
        },
        partner.credential,
      ),
    );
    fixture = {
      currency: shop.currency,
      customerExternalId: customer.externalId,
      storeId: shop.store.id,
      listingId: shop.listing.id,
      spareListingIds,
      offerId: shop.offer.id,
      giftListId: gift.createGiftList.giftList.id,
      codes,
      saleExternalId,
      customer: customer.token,
      partner: partner.credential,
    };
  });

  afterAll(async () => {
    if (!t) return;
    expect(await ledgerViolations(t)).toEqual([]);
    await t.close();
  });

  const operations = contractOperations().filter((op) => !(op.name in PENDING_OPERATIONS));
  const withVariables = operations.filter((op) => {
    const definition = parse(op.source).definitions[0] as OperationDefinitionNode;
    return definition.operation !== 'subscription' && (definition.variableDefinitions?.length ?? 0) > 0;
  });

  it('covers every contract operation that takes variables', () => {
    const names = withVariables.map((op) => op.name).sort();
    expect(names.length).toBeGreaterThanOrEqual(30);
  });

  it.each(withVariables.map((op) => [`${op.file}: ${op.name}`, op] as const))('%s', async (_name, op) => {
    const definition = parse(op.source).definitions[0] as OperationDefinitionNode;
    const working = workingVariables(fixture)[op.name];
    expect(working).toBeDefined(); // a new contract operation needs its working variables here
    const credential: Credential = op.file === 'mobile' ? fixture.customer : op.file === 'partner' ? fixture.partner : t.operatorToken;

    const variables = fc.record(
      Object.fromEntries(
        definition.variableDefinitions!.map((v) => {
          const type = typeFromAST(schema, v.type as never) as GraphQLInputType;
          return [v.variable.name.value, arbitraryFor(type, fitToSchema(type, working[v.variable.name.value]))];
        }),
      ),
    );

    await fc.assert(
      fc.asyncProperty(variables, async (template) => {
        const sent = resolveFresh(template) as Record<string, unknown>;
        const before = await tableSnapshot(t);
        // through the suite's client, so however partners come to send their operations (persisted
        // ones, issue 8) these requests follow
        const res = await t.gql(op.source, sent, credential);
        const body = { data: res.data as Record<string, unknown> | null | undefined, errors: res.errors };
        const text = JSON.stringify(body);
        const codes = (body.errors ?? []).map((e) => e.extensions?.code);
        const userErrors = Object.values(body.data ?? {}).flatMap((v) => ((v as { userErrors?: unknown[] } | null)?.userErrors ?? []));
        const refused = res.status >= 400 || codes.length > 0 || userErrors.length > 0;
        const problems: string[] = [];
        if (res.status >= 500) problems.push(`HTTP ${res.status}`);
        if (codes.some((c) => c === 'INTERNAL_SERVER_ERROR' || !c)) problems.push('INTERNAL_SERVER_ERROR');
        if (LEAK.test(text)) problems.push('SQL or a stack in the answer');
        if (refused) {
          const after = await tableSnapshot(t);
          const changed = Object.keys(after).filter((table) => after[table].h !== before[table]?.h);
          if (changed.length) problems.push(`refused, but it wrote to ${changed.join(', ')}`);
        }
        // a change that was made carried no text PostgreSQL would have refused or altered (a query
        // may skip an argument of a field it never reaches, e.g. under a null node)
        if (!refused && definition.operation === 'mutation' && hasUnstorableText(sent)) problems.push('served a change carrying NUL or an unpaired surrogate');
        if (problems.length) {
          throw new Error(`${problems.join('; ')}\n  sent: ${JSON.stringify(sent).slice(0, 600)}\n  answer: ${text.slice(0, 600)}`);
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
  }, Math.max(60_000, RUNS * 1_000));
});
