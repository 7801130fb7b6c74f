import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  type IntrospectionQuery,
} from 'graphql';
import { purgeIdempotencyKeys, IDEMPOTENCY_PURGE_BATCH } from '../../src/idempotency/retention.job.js';
import { RedeemOfferDocument, SetActivityRuleDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type Credential, type GqlResult, type TestGateway } from '../support/gateway.js';
import { addListing, createCustomer, createOffer, createPartner, createStore, earningProgram, simpleShop, unique, uniqueCode } from '../support/program.js';

const HOUR = 3_600_000;

/**
 * Keyed mutations whose key is a field of what they make or record, not an `idempotencyKey`:
 * introspection cannot tell `code` in CreateTierInput from `code` in LockOfferInput, so they are
 * named here (docs/decisions.md, replay-22: "a sale's externalId, a currency's, tier's or store's
 * code", "an activity's reference", "a redemption's transactionExternalId").
 */
const NATURAL_KEYS: Record<string, string> = {
  createCurrency: 'code',
  createTier: 'code',
  createRewardStore: 'code',
  submitTransaction: 'externalId',
  recordActivity: 'reference',
  redeemOffer: 'transactionExternalId',
};

/** Every mutation of `schema` with an `idempotencyKey` argument or input field, and those of NATURAL_KEYS; sorted. */
function keyedMutations(schema: GraphQLSchema): string[] {
  const keyed = Object.values(schema.getMutationType()!.getFields()).filter((field) =>
    field.args.some((arg) => {
      const type = getNamedType(arg.type);
      return arg.name === 'idempotencyKey' || (isInputObjectType(type) && 'idempotencyKey' in type.getFields());
    }),
  );
  return [...new Set([...keyed.map((f) => f.name), ...Object.keys(NATURAL_KEYS)])].sort();
}

/**
 * The selection of every field a client could ask of `type` without arguments: its scalars and
 * enums, and its objects' (to `depth` levels), lists of them too; connections and fields with
 * required arguments left out. A replay must answer all of it as the first answer did.
 */
function everything(type: GraphQLObjectType, depth: number): string {
  const wanted = Object.values(type.getFields()).filter((f: GraphQLField<unknown, unknown>) => !f.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined));
  const parts: string[] = [];
  for (const field of wanted) {
    const named = getNamedType(field.type);
    if (isScalarType(named) || isEnumType(named)) parts.push(field.name);
    else if (isObjectType(named) && depth > 0 && !named.name.endsWith('Connection')) {
      const inner = everything(named, depth - 1);
      if (inner) parts.push(`${field.name} { ${inner} }`);
    }
  }
  return parts.join(' ');
}

/** The mutation `field` with one `$input`, selecting `everything` of its payload. */
function documentFor(schema: GraphQLSchema, field: string): string {
  const mutation = schema.getMutationType()!.getFields()[field];
  const input = mutation.args.find((a) => a.name === 'input');
  if (!input || mutation.args.length !== 1) throw new Error(`${field} does not take one input argument: add a way to send it`);
  return `mutation Keyed_${field}($input: ${String(input.type)}) { ${field}(input: $input) { ${everything(getNamedType(mutation.type) as GraphQLObjectType, 2)} } }`;
}

/** A new request of a keyed mutation: its input (with a key of its own) and who sends it. */
interface Request {
  input: Record<string, unknown>;
  credential: () => Promise<Credential> | Credential;
}

/**
 * One keyed mutation: `request` makes what a new request needs and its input; `replay` is what
 * a replay's `data` is made of the first's (the same, but where the contract withholds a secret
 * shown once); `pastRetention` is what a resend gets once the key's record is purged (its window,
 * IDEMPOTENCY_RETENTION_HOURS, over): answered from the row that keeps the key (`replay`), a new
 * request (`new`), or a refusal with that code.
 */
interface KeyedCase {
  request: () => Promise<Request>;
  replay?: (first: Record<string, unknown>) => Record<string, unknown>;
  pastRetention: 'replay' | 'new' | { refused: string };
  /** A new request answers the same data as the first (nothing it counts or makes is new): only its marks tell it from a replay. */
  newAnswersAlike?: true;
}

/**
 * A keyed mutation sent by another kind of caller, whose key and checks take another path (a
 * partner's replay of its own delivery, webhooks-25): run as the mutation `field` is, besides it.
 */
interface KeyedPath extends KeyedCase {
  field: string;
}

/** The `extensions` and the header a replay carries (replay-22), and an unmarked answer's. */
const marks = (res: GqlResult<unknown>) => ({ extensions: res.extensions, header: res.headers.get('idempotent-replayed') });
const UNMARKED = { extensions: undefined, header: null };
const replayed = (field: string) => ({ extensions: { idempotentReplays: [[field]] }, header: 'true' });
/** The answer's bytes without replay-22's mark after `data` (a replay's `data` is the first answer's bytes). */
const unmarked = (text: string | undefined, field: string) => text?.replace(`,"extensions":{"idempotentReplays":[["${field}"]]}}`, '}');

/**
 * replay-22's leftover, one keyed mutation at a time: every mutation of the schema with an
 * idempotency key (found by introspection, plus the natural keys above), sent twice with one key,
 * answers the second time the first answer's `data` byte for byte (a secret shown once withheld,
 * as the contract says), with `extensions.idempotentReplays` and `Idempotent-Replayed: true`; the
 * first carries neither. Twice per mutation: a text document's first two sightings go through
 * Apollo, the next two, as a rule, through the compiled path (not asserted: with no clock reading
 * of the last 10 s the gateway leaves a mutation to Apollo's path, which reads the database's
 * clock; a loaded machine shows it); a partner's registered operation is compiled from the first.
 * Four at once with one key: one runs, the others wait for it and replay it. And past the key's
 * retention: a key its row keeps (a code, an externalId, a purchase's or claim's key) still
 * replays, marked; any other key is a new request, unmarked. A mutation another kind of caller
 * sends under keys of its own (a partner's replays, webhooks-25) is sent that way too (`paths`).
 */
describe('every keyed mutation marks its replay, one by one (replay-22)', () => {
  let t: TestGateway;
  let schema: GraphQLSchema;
  const cases: Record<string, KeyedCase> = {};
  /** Keyed paths besides each mutation's own case, by a name of their own (`<field> by <caller>`). */
  const paths: Record<string, KeyedPath> = {};
  /** Every case to send: each keyed mutation's, then the other paths'. */
  const everyCase = () => [
    ...keyedMutations(schema).map((field) => ({ name: field, field, keyed: cases[field] })),
    ...Object.entries(paths).map(([name, keyed]) => ({ name, field: keyed.field, keyed })),
  ];

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    schema = buildClientSchema(ok(await t.gql<IntrospectionQuery, object>(getIntrospectionQuery(), {}, t.operatorToken)));
    const operator = () => t.operatorToken;
    const { money, currency } = await earningProgram(t, 'KR');
    ok(await t.gql(SetActivityRuleDocument, { input: { currency, kind: 'REVIEW', points: 20 } }, t.operatorToken));
    const shop = await simpleShop(t, { priceInPoints: 5 });
    const till = await createPartner(t, ['transactions:write', 'activities:write', 'offers:redeem']);
    const gift = await createOffer(t);
    const customerOf = async (points = 0, pointsCurrency = currency) => {
      const customer = await createCustomer(t, pointsCurrency, points);
      return { ...customer, credential: () => t.customerToken(customer.externalId) };
    };
    /** An issued offer of a new customer: bought in `shop`; `redeemed` at the till. */
    const issued = async (redeemed: boolean) => {
      const buyer = await customerOf(100, shop.currency);
      const bought = ok(await t.gql<{ purchaseOffer: { purchase: { issuedOffer: { id: string; code: string } } } }, object>(
        'mutation($input: PurchaseOfferInput!) { purchaseOffer(input: $input) { purchase { issuedOffer { id code } } } }',
        { input: { listingId: shop.listing.id, idempotencyKey: unique('buy') } },
        await buyer.credential(),
      )).purchaseOffer.purchase.issuedOffer;
      if (redeemed) expect(dataOf(await t.gql(RedeemOfferDocument, { code: bought.code, transactionExternalId: unique('till') }, till.credential)).redeemOffer.userErrors).toEqual([]);
      return bought;
    };
    const code = (prefix: string) => uniqueCode(prefix);
    const window = () => ({ startsAt: t.clock.now().toISOString(), endsAt: new Date(t.clock.now().getTime() + 30 * 24 * HOUR).toISOString() });
    let rank = 0;
    /** A webhook endpoint of its own (an unused URL), registered by the operator. */
    const endpointOf = async (prefix: string) =>
      ok(await t.gql<{ registerWebhookEndpoint: { endpoint: { id: string } } }, object>(
        'mutation($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) { endpoint { id } } }',
        { input: { url: `https://hooks.example.com/${unique(prefix)}`, eventTypes: ['BALANCE_CHANGED'] } },
        t.operatorToken,
      )).registerWebhookEndpoint.endpoint;

    /** A partner with webhooks:manage, an endpoint of its own and one FAILED delivery to it (registered by an operator on its behalf). */
    const hooksPartner = await createPartner(t, ['webhooks:manage', 'customers:read']);
    const failedOfPartner = async (prefix: string) => {
      const endpoint = ok(await t.gql<{ registerWebhookEndpoint: { endpoint: { id: string } } }, object>(
        'mutation($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) { endpoint { id } } }',
        { input: { url: `https://hooks.example.com/${unique(prefix)}`, eventTypes: ['BALANCE_CHANGED'], partnerId: hooksPartner.id } },
        t.operatorToken,
      )).registerWebhookEndpoint.endpoint;
      const endpointId = Buffer.from(endpoint.id, 'base64url').toString().split(':')[1];
      const [delivery] = await t.sql<{ id: string }>(
        `insert into webhook_delivery (endpoint_id, event_id, event_type, body, status, attempts, last_error, finished_at)
         values ($1, 1, 'balance.changed', '{"type":"balance.changed"}', 'FAILED', 1, 'HTTP 503', now()) returning id`,
        [endpointId],
      );
      return { endpointId: endpoint.id, deliveryId: Buffer.from(`WebhookDelivery:${delivery.id}`).toString('base64url') };
    };
    Object.assign(paths, {
      // webhooks-25: a partner replays its own endpoints' deliveries, under keys of its own (`replay-webhook:partner:<id>`)
      'replayWebhookDelivery by a partner': {
        field: 'replayWebhookDelivery',
        request: async () => ({ input: { deliveryId: (await failedOfPartner('p-one')).deliveryId, idempotencyKey: unique('p-one') }, credential: () => hooksPartner.credential }),
        pastRetention: 'new',
        newAnswersAlike: true,
      },
      'replayFailedWebhookDeliveries by a partner': {
        field: 'replayFailedWebhookDeliveries',
        // its endpoint's one FAILED delivery: the first answers 1; a new request past the retention finds it PENDING, 0
        request: async () => ({ input: { endpointId: (await failedOfPartner('p-bulk')).endpointId, idempotencyKey: unique('p-bulk') }, credential: () => hooksPartner.credential }),
        pastRetention: 'new',
      },
    } satisfies Record<string, KeyedPath>);

    Object.assign(cases, {
      addListing: {
        request: async () => ({
          input: { storeId: (await createStore(t, shop.currency)).id, offerId: (await createOffer(t)).id, priceInPoints: 10, idempotencyKey: unique('listing') },
          credential: operator,
        }),
        pastRetention: 'new',
      },
      adjustPoints: {
        request: async () => ({
          input: { customerExternalId: (await customerOf()).externalId, currency, amount: 5, reason: 'goodwill', idempotencyKey: unique('adj') },
          credential: operator,
        }),
        pastRetention: 'new',
      },
      claimGift: {
        request: async () => {
          const list = ok(await t.gql<{ createGiftList: { giftList: { id: string } } }, object>(
            'mutation($input: CreateGiftListInput!) { createGiftList(input: $input) { giftList { id } } }',
            { input: { currency, name: unique('list'), threshold: 10, offerIds: [gift.id] } },
            t.operatorToken,
          )).createGiftList.giftList;
          const member = await customerOf(100);
          return { input: { giftListId: list.id, optionId: gift.id, idempotencyKey: unique('claim') }, credential: member.credential };
        },
        pastRetention: 'replay',
      },
      createCampaign: {
        request: async () => ({ input: { name: unique('campaign'), currency, ...window(), outcome: { offerId: gift.id }, idempotencyKey: unique('campaign') }, credential: operator }),
        pastRetention: 'new',
      },
      createCurrency: {
        request: async () => {
          const c = code('K');
          return { input: { code: c, name: c, expiryDays: 365, pointValue: '0.01', moneyCurrency: money }, credential: operator };
        },
        pastRetention: 'replay',
      },
      createGiftList: {
        request: async () => ({ input: { currency, name: unique('list'), threshold: 10, offerIds: [gift.id], idempotencyKey: unique('list') }, credential: operator }),
        pastRetention: 'new',
      },
      createOffer: {
        request: async () => ({
          input: { name: unique('Muffin'), benefit: { kind: 'FREE_ITEM', freeSku: 'MUFFIN' }, validDays: 30, idempotencyKey: unique('offer') },
          credential: operator,
        }),
        pastRetention: 'new',
      },
      createPartner: {
        request: async () => ({ input: { name: unique('partner'), scopes: ['offers:redeem'], idempotencyKey: unique('partner') }, credential: operator }),
        // the API key is shown in the first answer only (CreatePartnerPayload.apiKeyWithheld)
        replay: (first) => ({ createPartner: { ...(first.createPartner as object), apiKey: null, apiKeyWithheld: true } }),
        pastRetention: 'new',
      },
      createRewardStore: {
        request: async () => {
          const c = unique('store');
          return { input: { code: c, name: c, currency }, credential: operator };
        },
        pastRetention: 'replay',
      },
      createTier: {
        // ranked above every tier before it, at one point more (a higher rank needs a higher
        // threshold, and a threshold-0 tier ranks lowest: break36): it moves the member holding
        // 1,000 points onto it, so the moves a replay answers (from the key's record, money-25)
        // are there to compare
        request: async () => {
          const c = code('TIER');
          ++rank;
          if (rank === 1) await customerOf(1_000);
          return { input: { currency, code: c, name: c, rank, threshold: rank }, credential: operator };
        },
        pastRetention: 'replay',
      },
      issueReplacementOffer: {
        request: async () => ({ input: { issuedOfferId: (await issued(true)).id, reason: 'redeemed for a sale that failed', idempotencyKey: unique('replace') }, credential: operator }),
        // its record is gone: a resend is a new request, which finds the offer replaced (retain-14)
        pastRetention: { refused: 'ALREADY_EXISTS' },
      },
      purchaseOffer: {
        request: async () => {
          const buyer = await customerOf(100, shop.currency);
          return { input: { listingId: shop.listing.id, idempotencyKey: unique('buy') }, credential: buyer.credential };
        },
        pastRetention: 'replay',
      },
      recordActivity: {
        request: async () => ({ input: { customerExternalId: (await customerOf()).externalId, kind: 'REVIEW', reference: unique('review') }, credential: () => till.credential }),
        pastRetention: 'replay',
      },
      redeemOffer: {
        request: async () => ({ input: { code: (await issued(false)).code, transactionExternalId: unique('till') }, credential: () => till.credential }),
        pastRetention: 'replay',
      },
      registerWebhookEndpoint: {
        request: async () => ({
          input: { url: `https://hooks.example.com/${unique('hook')}`, eventTypes: ['SALE_PROCESSED'], idempotencyKey: unique('hook') },
          credential: operator,
        }),
        // the signing secret is shown in the first answer only (RegisterWebhookEndpointPayload.secretWithheld)
        replay: (first) => ({ registerWebhookEndpoint: { ...(first.registerWebhookEndpoint as object), secret: null, secretWithheld: true } }),
        // the first's endpoint still receives at that URL: a second for it is refused (webhooks-24; before, it was made)
        pastRetention: { refused: 'ALREADY_EXISTS' },
      },
      replayFailedWebhookDeliveries: {
        // an endpoint of its own, with no FAILED delivery yet: the count (0) is what is replayed (webhooks-23)
        request: async () => {
          const endpoint = await endpointOf('bulk');
          return { input: { endpointId: endpoint.id, idempotencyKey: unique('bulk') }, credential: operator };
        },
        pastRetention: 'new',
        newAnswersAlike: true,
      },
      replayWebhookDelivery: {
        // a FAILED delivery of an endpoint of its own: the first replay makes it PENDING; a new request
        // past the retention finds it PENDING and leaves it (web-24)
        request: async () => {
          const endpoint = await endpointOf('one');
          const endpointId = Buffer.from(endpoint.id, 'base64url').toString().split(':')[1];
          const [delivery] = await t.sql<{ id: string }>(
            `insert into webhook_delivery (endpoint_id, event_id, event_type, body, status, attempts, last_error, finished_at)
             values ($1, 1, 'balance.changed', '{"type":"balance.changed"}', 'FAILED', 1, 'HTTP 503', now()) returning id`,
            [endpointId],
          );
          return { input: { deliveryId: Buffer.from(`WebhookDelivery:${delivery.id}`).toString('base64url'), idempotencyKey: unique('one') }, credential: operator };
        },
        pastRetention: 'new',
        newAnswersAlike: true,
      },
      submitTransaction: {
        request: async () => ({
          input: {
            externalId: unique('sale'),
            customerExternalId: (await customerOf()).externalId,
            occurredAt: t.clock.now().toISOString(),
            currency: money,
            lines: [{ sku: 'BEANS', category: 'COFFEE', quantity: 1, unitPrice: '4.50' }],
          },
          credential: () => till.credential,
        }),
        pastRetention: 'replay',
      },
      updateOffer: {
        request: async () => ({ input: { offerId: (await createOffer(t)).id, name: unique('Renamed'), idempotencyKey: unique('update') }, credential: operator }),
        pastRetention: 'new',
      },
      // a new request renames it to the name it has: nothing changes, and the answer says so (changed: false)
      updateRewardStore: {
        request: async () => ({ input: { storeId: (await createStore(t, shop.currency)).id, name: unique('Renamed store'), idempotencyKey: unique('update-store') }, credential: operator }),
        pastRetention: 'new',
      },
      // a new request sets the price it has: nothing changes, and the listing answers as the first did
      updateListing: {
        request: async () => ({
          input: { listingId: (await addListing(t, (await createStore(t, shop.currency)).id, (await createOffer(t)).id)).id, priceInPoints: 77, idempotencyKey: unique('update-listing') },
          credential: operator,
        }),
        pastRetention: 'new',
        newAnswersAlike: true,
      },
    } satisfies Record<string, KeyedCase>);
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  const send = async (field: string, request: Request) =>
    t.gql<Record<string, unknown>, object>(documentFor(schema, field), { input: request.input }, await request.credential());
  /** What the test sees of a first answer and of its resend. */
  const seen = (field: string, first: GqlResult<Record<string, unknown>>, again: GqlResult<Record<string, unknown>>) => ({
    errors: first.errors,
    userErrors: (first.data?.[field] as { userErrors?: unknown } | undefined)?.userErrors,
    first: marks(first),
    again: marks(again),
  });

  it('the introspected keyed mutations are the ones this test sends', () => {
    expect(Object.keys(cases).sort()).toEqual(keyedMutations(schema));
  });

  it('a resend with the same key answers the first data byte for byte, marked; the first is not (twice: Apollo, then as a rule compiled)', async () => {
    const found = [];
    const expected = [];
    for (const { name, field, keyed } of everyCase()) {
      for (const round of [1, 2]) {
        const request = await keyed.request();
        const first = await send(field, request);
        const again = await send(field, request);
        const replay = keyed.replay;
        found.push({ name, round, ...seen(field, first, again), data: replay ? again.data : unmarked(again.text, field) });
        expected.push({ name, round, errors: undefined, userErrors: [], first: UNMARKED, again: replayed(field), data: replay ? replay(first.data!) : first.text });
      }
    }
    expect(found).toEqual(expected);
    // createTier's replays answered moves, not an empty list that any replay would match
    const tierMoves = found.filter((f) => f.name === 'createTier').map((f) => (JSON.parse(f.data as string) as { data: { createTier: { moves: unknown[] } } }).data.createTier.moves.length > 0);
    expect(tierMoves).toEqual([true, true]);
  });

  it('four sends of one key at once: one runs, unmarked; the three others wait for it and replay its data, marked', async () => {
    const found = [];
    const expected = [];
    for (const { name, field, keyed } of everyCase()) {
      const request = await keyed.request();
      const answers = await Promise.all([1, 2, 3, 4].map(() => send(field, request)));
      const firsts = answers.filter((a) => a.extensions === undefined);
      const replays = answers.filter((a) => a !== firsts[0]);
      const replay = keyed.replay;
      found.push({
        name,
        errors: answers.map((a) => a.errors),
        unmarked: firsts.length,
        replays: replays.map((a) => ({ ...marks(a), data: replay ? a.data : unmarked(a.text, field) })),
      });
      expected.push({
        name,
        errors: [undefined, undefined, undefined, undefined],
        unmarked: 1,
        replays: replays.map(() => ({ ...replayed(field), data: replay ? replay(firsts[0]?.data ?? {}) : firsts[0]?.text })),
      });
    }
    expect(found).toEqual(expected);
  });

  it('past the retention window a key its row keeps still replays, marked; any other key is a new request', async () => {
    const sent = [];
    for (const { name, field, keyed } of everyCase()) {
      const request = await keyed.request();
      sent.push({ name, field, keyed, request, first: await send(field, request) });
    }
    t.clock.advance(t.config.idempotencyRetentionHours * HOUR + HOUR);
    await t.orm.em.fork().transactional(async (em) => {
      for (let n = IDEMPOTENCY_PURGE_BATCH; n === IDEMPOTENCY_PURGE_BATCH; ) n = await purgeIdempotencyKeys(em, t.clock.now(), t.config.idempotencyRetentionHours);
    });
    const found = [];
    const expected = [];
    for (const { name, field, keyed, request, first } of sent) {
      const again = await send(field, request);
      const outcome = keyed.pastRetention;
      const payload = again.data?.[field] as { userErrors?: { code: string }[] } | undefined;
      found.push({ name, errors: first.errors, firstMarks: marks(first), againErrors: again.errors, againMarks: marks(again), refused: payload?.userErrors?.map((e) => e.code), same: unmarked(again.text, field) === first.text });
      expected.push({
        name,
        errors: undefined,
        firstMarks: UNMARKED,
        againErrors: undefined,
        againMarks: outcome === 'replay' ? replayed(field) : UNMARKED,
        refused: typeof outcome === 'object' ? [outcome.refused] : [],
        // a new request makes a new row (another id), a refusal answers no row
        same: outcome === 'replay' || keyed.newAnswersAlike === true,
      });
    }
    expect(found).toEqual(expected);
  });
});
