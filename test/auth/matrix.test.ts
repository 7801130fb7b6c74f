import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isAbstractType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
} from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { toGlobalId } from '../../src/graphql/ids.js';
import { gatewaySchema } from '../../src/graphql/schema.js';
import { PARTNER_SCOPES } from '../../src/partners/partner.service.js';
import { type Credential, type GqlResult, ledgerViolations, startTestGateway, type TestGateway, writeCounts } from '../support/gateway.js';
import { createCustomer, createPartner, simpleShop } from '../support/program.js';

/**
 * Who may call what (SPEC §4, invariant §5.6), as a table: every root field of the schema, called
 * by every kind of caller, with the outcome the table says. The list of fields comes from the
 * schema itself, so a new query, mutation or subscription without a row here fails the suite, and
 * a guard removed from (or loosened in) any resolver turns its refused cells green-for-the-caller
 * and the test red. Inputs are generated from the schema so that a call passes GraphQL validation
 * and reaches the resolver: what is tested is the resolver's own guard, not argument coercion.
 */

type CallerKind =
  | 'customer'
  | 'analyst'
  | 'operator'
  | `partner ${(typeof PARTNER_SCOPES)[number]}`;

const STAFF: CallerKind[] = ['analyst', 'operator'];
const partnerWith = (scope: (typeof PARTNER_SCOPES)[number]): CallerKind => `partner ${scope}`;
// A partner has at least one scope; each single-scope partner stands for every key lacking the others.
const ALL_PARTNERS: CallerKind[] = PARTNER_SCOPES.map(partnerWith);
const EVERYONE: CallerKind[] = ['customer', ...STAFF, ...ALL_PARTNERS];

/**
 * Root field → the callers it answers (anyone else: FORBIDDEN; no credentials at all: 401
 * UNAUTHENTICATED for every field). "Answers" means the resolver ran past its guard: the result
 * may still be a userError or null.
 */
const ACCESS: Record<'Query' | 'Mutation' | 'Subscription', Record<string, CallerKind[]>> = {
  Query: {
    me: ['customer'],
    // The customer's own event-stream head (live-21), read before screens to resume subscriptions.
    lastEventId: ['customer'],
    customer: [...STAFF, partnerWith('customers:read')],
    // Lists members by email and name: staff only, never an API key, customers:read included
    // (customer-search-40; docs/decisions.md, "What partners see").
    customers: STAFF,
    transaction: [...STAFF, partnerWith('transactions:read')],
    activityRules: STAFF,
    auditLog: STAFF,
    giftLists: STAFF,
    offers: STAFF,
    unpayableOffers: STAFF,
    partners: STAFF,
    campaigns: STAFF,
    economyRules: STAFF,
    programStats: STAFF,
    // Program-wide reads: each answers what its caller may see (node filters per object). What a
    // partner sees per scope is decided in docs/decisions.md, "What partners see".
    currencies: ['customer', ...STAFF, partnerWith('customers:read')],
    tiers: ['customer', ...STAFF, partnerWith('customers:read')],
    rewardStores: ['customer', ...STAFF],
    node: EVERYONE,
    nodes: EVERYONE,
    webhookEndpoints: [...STAFF, partnerWith('webhooks:manage')],
    webhookDeliveries: [...STAFF, partnerWith('webhooks:manage')],
  },
  Mutation: {
    purchaseOffer: ['customer'],
    claimGift: ['customer'],
    setActivityRule: ['operator'],
    upsertCustomer: ['operator'],
    createGiftList: ['operator'],
    createOffer: ['operator'],
    updateOffer: ['operator'],
    createPartner: ['operator'],
    revokePartner: ['operator'],
    createCurrency: ['operator'],
    adjustPoints: ['operator'],
    setEconomyRule: ['operator'],
    createCampaign: ['operator'],
    endCampaign: ['operator'],
    createRewardStore: ['operator'],
    updateRewardStore: ['operator'],
    addListing: ['operator'],
    removeListing: ['operator'],
    updateListing: ['operator'],
    createTier: ['operator'],
    registerPersistedOperations: ['operator'],
    issueReplacementOffer: ['operator'],
    recordActivity: [partnerWith('activities:write')],
    submitTransaction: [partnerWith('transactions:write')],
    reverseTransaction: [partnerWith('transactions:write')],
    lockOffer: [partnerWith('offers:redeem')],
    redeemOffer: [partnerWith('offers:redeem')],
    releaseOffer: [partnerWith('offers:redeem')],
    registerWebhookEndpoint: ['operator', partnerWith('webhooks:manage')],
    removeWebhookEndpoint: ['operator', partnerWith('webhooks:manage')],
    enableWebhookEndpoint: ['operator', partnerWith('webhooks:manage')],
    replayWebhookDelivery: ['operator', partnerWith('webhooks:manage')],
    replayFailedWebhookDeliveries: ['operator', partnerWith('webhooks:manage')],
    retryWebhookDeliveriesNow: ['operator', partnerWith('webhooks:manage')],
  },
  Subscription: {
    balanceChanged: ['customer'],
    walletChanged: ['customer'],
    tierChanged: ['customer'],
    transactionProcessed: ['customer'],
  },
};

describe('the authorization matrix', () => {
  let t: TestGateway;
  let shop: Awaited<ReturnType<typeof simpleShop>>;
  let callers: Record<CallerKind, Credential>;
  /** Real ids of the right type, so an ID argument passes decoding and the guard decides. */
  let ids: Record<string, string>;
  let customerExternalId: string;
  let counter = 0;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    shop = await simpleShop(t, { priceInPoints: 10 });
    const customer = await createCustomer(t, shop.currency, 1000);
    customerExternalId = customer.externalId;
    const partners = await Promise.all(PARTNER_SCOPES.map((scope) => createPartner(t, [scope])));
    const throwaway = await createPartner(t, ['customers:read']);
    callers = {
      customer: customer.token,
      analyst: t.analystToken,
      operator: t.operatorToken,
      ...Object.fromEntries(PARTNER_SCOPES.map((scope, i) => [partnerWith(scope), partners[i].credential])),
    } as Record<CallerKind, Credential>;
    const giftList = await t.gql<{ createGiftList: { giftList: { id: string } } }, unknown>(
      `mutation($input: CreateGiftListInput!) { createGiftList(input: $input) { giftList { id } userErrors { code } } }`,
      { input: { currency: shop.currency, name: 'matrix', threshold: 10, offerIds: [shop.offer.id] } },
      t.operatorToken,
    );
    const bought = await t.gql<{ purchaseOffer: { purchase: { issuedOffer: { id: string } } } }, unknown>(
      `mutation($l: ID!) { purchaseOffer(input: { listingId: $l, idempotencyKey: "matrix" }) { purchase { issuedOffer { id } } userErrors { code } } }`,
      { l: shop.listing.id },
      customer.token,
    );
    ids = {
      issuedOfferId: bought.data!.purchaseOffer.purchase.issuedOffer.id,
      giftListId: giftList.data!.createGiftList.giftList.id,
      partnerId: throwaway.id,
      offerId: shop.offer.id,
      offerIds: shop.offer.id,
      optionId: shop.offer.id,
      storeId: shop.store.id,
      listingId: shop.listing.id,
      id: customer.id,
      ids: customer.id,
      // none exists: the guard decides before the lookup (a NOT_FOUND userError still "answers")
      endpointId: toGlobalId('WebhookEndpoint', 987_654),
      deliveryId: toGlobalId('WebhookDelivery', 987_654),
      campaignId: toGlobalId('Campaign', 987_654),
    };
  });

  afterAll(async () => {
    expect(await ledgerViolations(t)).toEqual([]);
    await t.close();
  });

  /** Input fields whose generated value would not pass the input's own checks. */
  const OVERRIDES: Record<string, unknown> = { 'SubmitTransactionInput.currency': 'EUR' };

  /** A value of `type` that passes GraphQL validation (and the input's own checks where it can). */
  function valueOf(type: GraphQLInputType, name: string): unknown {
    if (isNonNullType(type)) return valueOf(type.ofType, name);
    if (isListType(type)) return [valueOf(type.ofType, name)];
    if (isEnumType(type)) return type.getValues()[0].value;
    if (isInputObjectType(type)) {
      const fields = Object.values(type.getFields()).filter((f) => isNonNullType(f.type) && f.defaultValue === undefined);
      return Object.fromEntries(fields.map((f) => [f.name, OVERRIDES[`${type.name}.${f.name}`] ?? valueOf(f.type, f.name)]));
    }
    if (!isScalarType(type)) throw new Error(`no value for ${String(type)}`);
    switch (type.name) {
      case 'ID':
        if (!ids[name]) throw new Error(`no id for the argument ${name}: add it to ids`);
        return ids[name];
      case 'Int':
        return 10;
      case 'Float':
        return 1;
      case 'Boolean':
        return false;
      case 'DateTime':
        return t.clock.now().toISOString();
      case 'Date':
        return '2000-01-01';
      case 'Decimal':
        return '1.00';
      case 'BigInt':
        return '1';
      case 'JSON':
        return {};
      case 'String':
        if (name === 'currency') return shop.currency;
        if (name === 'customerExternalId') return customerExternalId;
        if (name === 'moneyCurrency') return 'EUR';
        if (name === 'reason') return 'matrix';
        return `M${++counter}`;
      default:
        throw new Error(`no value for the scalar ${type.name}: add it here`);
    }
  }

  /** `operation { field(arg: $arg …) { __typename } }` with variables for its required arguments. */
  function callOf(operation: 'query' | 'mutation' | 'subscription', field: GraphQLField<unknown, unknown>) {
    const args = field.args.filter((a) => isNonNullType(a.type));
    const params = args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
    const passed = args.map((a) => `${a.name}: $${a.name}`).join(', ');
    const returned = getNamedType(field.type);
    const selection = isObjectType(returned) || isAbstractType(returned) ? ' { __typename }' : '';
    const document = `${operation} Matrix${params ? `(${params})` : ''} { ${field.name}${passed ? `(${passed})` : ''}${selection} }`;
    const variables = Object.fromEntries(args.map((a) => [a.name, valueOf(a.type, a.name)]));
    return { document, variables };
  }

  const codesOf = (res: GqlResult<unknown>) => (res.errors ?? []).map((e) => e.extensions?.code);

  it('has a row for every root field of the schema, and no row for a field that is gone', async () => {
    const schema = await gatewaySchema();
    for (const kind of ['Query', 'Mutation', 'Subscription'] as const) {
      const type = schema.getType(kind) as GraphQLObjectType;
      expect(Object.keys(ACCESS[kind]).sort()).toEqual(Object.keys(type.getFields()).sort());
    }
  });

  const rows = (['Query', 'Mutation'] as const).flatMap((kind) => Object.entries(ACCESS[kind]).map(([field, allowed]) => [kind, field, allowed] as const));

  it.each(rows)('%s.%s: refused to everyone else, answered to its callers', async (kind, fieldName, allowed) => {
    const schema = await gatewaySchema();
    const field = (schema.getType(kind) as GraphQLObjectType).getFields()[fieldName];
    const operation = kind === 'Query' ? 'query' : 'mutation';

    const before = await writeCounts(t);
    // No credentials at all: refused before any resolver runs.
    const anonymous = callOf(operation, field);
    const res = await t.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: anonymous.document, variables: anonymous.variables }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors.map((e) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);

    for (const caller of EVERYONE.filter((c) => !allowed.includes(c))) {
      const { document, variables } = callOf(operation, field);
      const refused = await t.gql(document, variables, callers[caller]);
      expect({ caller, codes: codesOf(refused) }).toEqual({ caller, codes: ['FORBIDDEN'] });
      expect({ caller, value: (refused.data as Record<string, unknown> | null)?.[fieldName] ?? null }).toEqual({ caller, value: null });
    }
    expect(await writeCounts(t)).toEqual(before);

    for (const caller of allowed) {
      const { document, variables } = callOf(operation, field);
      const answered = await t.gql(document, variables, callers[caller]);
      // Past the guard: whatever the answer is (a value, null, a userError, bad input for a
      // generated value), it is not a refusal of the caller and not a server fault.
      expect({ caller, status: answered.status }).toEqual({ caller, status: 200 });
      expect({ caller, codes: codesOf(answered).filter((c) => c === 'FORBIDDEN' || c === 'UNAUTHENTICATED' || c === 'INTERNAL_SERVER_ERROR') }).toEqual({
        caller,
        codes: [],
      });
    }
  });

  it.each(Object.entries(ACCESS.Subscription))('Subscription.%s: only a customer subscribes', async (fieldName, allowed) => {
    expect(allowed).toEqual(['customer']);
    const schema = await gatewaySchema();
    const { document, variables } = callOf('subscription', (schema.getType('Subscription') as GraphQLObjectType).getFields()[fieldName]);
    for (const caller of [null, ...EVERYONE]) {
      const credential = caller === null ? undefined : callers[caller];
      const client = createClient({
        url: t.url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: typeof credential === 'string' ? { authorization: `Bearer ${credential}` } : credential ? { 'x-api-key': credential.apiKey } : {},
        retryAttempts: 0,
        lazy: true,
      });
      const listening = t.gateway.events.listenerCount();
      const outcome = await new Promise<string>((resolve) => {
        let settled = false;
        const done = (what: string) => {
          if (!settled) resolve(what);
          settled = true;
        };
        client.subscribe(
          { query: document, variables },
          {
            next: (result) => done(result.errors?.length ? `refused ${result.errors.map((e) => e.extensions?.code).join(',')}` : 'event'),
            error: (e) =>
              done(Array.isArray(e) ? `refused ${e.map((x: { extensions?: { code?: string } }) => x.extensions?.code).join(',')}` : `error ${e instanceof Error ? e.message : String((e as { code?: number }).code)}`),
            complete: () => done('complete'),
          },
        );
        // Accepted subscriptions reach this instance's event hub and stay there.
        const deadline = Date.now() + 5_000;
        const poll = () => {
          if (settled) return;
          if (t.gateway.events.listenerCount() > listening) return done('subscribed');
          if (Date.now() > deadline) return done('neither refused nor subscribed');
          setTimeout(poll, 10);
        };
        poll();
      });
      await client.dispose();
      if (caller === 'customer') expect({ caller, outcome }).toEqual({ caller, outcome: 'subscribed' });
      // no credentials: refused at the door (4401, which graphql-ws clients do not retry)
      else if (caller === null) expect({ caller, outcome }).toEqual({ caller, outcome: 'error 4401' });
      // staff and partners may open a socket (queries, mutations), but subscribe to nothing, as over HTTP:
      // staff are FORBIDDEN, a partner's text is refused before it runs (partners run only registered operations)
      else expect({ caller, outcome }).toEqual({ caller, outcome: caller.startsWith('partner') ? 'refused PERSISTED_QUERY_NOT_ALLOWED' : 'refused FORBIDDEN' });
    }
  });
});
