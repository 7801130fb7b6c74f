import { expectRefusedAtTheEdge, expectRefusedWith, type GqlResult, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCustomer, createPartner, simpleShop, unique } from '../support/program.js';
import { collect, openSocket, waitFor, type TestSocket } from '../support/ws.js';

/**
 * Input faults fixed as kinds (edges-11), each asserted as a client sees it (the code, a message
 * naming the value, `extensions.field` or the userError's path) and with every table as it was
 * before.
 */

/**
 * Other spellings of the global id `id` (base64url, unpadded) that Node's decoder reads as the same
 * id: padded, the last character with its unused low bits set, with characters outside the alphabet
 * around it, and in the standard alphabet when the id has a `-` or `_`.
 */
function respellings(id: string): [string, string][] {
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const out: [string, string][] = [
    ['with a leading space', ` ${id}`],
    ['with a trailing line break', `${id}\n`],
    ['with a character outside the alphabet', `${id.slice(0, 4)}!${id.slice(4)}`],
  ];
  const unusedBits = { 2: 4, 3: 2 }[id.length % 4 as 2 | 3];
  if (unusedBits) {
    out.push(['padded', id + '='.repeat(4 - (id.length % 4))]);
    const last = ALPHABET.indexOf(id.at(-1)!);
    out.push(['with non-zero trailing bits', id.slice(0, -1) + ALPHABET[last | 1]]);
  }
  if (/[-_]/.test(id)) out.push(['in the standard alphabet', id.replace(/-/g, '+').replace(/_/g, '/')]);
  return out;
}

describe('the input edge, by kind (edges-11)', () => {
  let t: TestGateway;
  let shop: Awaited<ReturnType<typeof simpleShop>>;
  let customer: Awaited<ReturnType<typeof createCustomer>>;
  let till: Awaited<ReturnType<typeof createPartner>>;
  const sockets: TestSocket[] = [];

  const SUBMIT = `mutation Submit($input: SubmitTransactionInput!) { submitTransaction(input: $input) { transaction { status } userErrors { code } } }`;
  const REVERSE = `mutation Reverse($input: ReverseTransactionInput!) { reverseTransaction(input: $input) { userErrors { code } } }`;
  const REDEEM = `mutation Redeem($input: RedeemOfferInput!) { redeemOffer(input: $input) { issuedOffer { status } userErrors { code } } }`;
  const LOCK = `mutation Lock($input: LockOfferInput!) { lockOffer(input: $input) { issuedOffer { status } userErrors { code } } }`;
  const RELEASE = `mutation Release($input: ReleaseOfferInput!) { releaseOffer(input: $input) { issuedOffer { status } userErrors { code } } }`;
  const RECORD = `mutation Record($input: RecordActivityInput!) { recordActivity(input: $input) { pointsAwarded userErrors { code } } }`;
  const CUSTOMER_QUERY = `query Customer($externalId: String!) { customer(externalId: $externalId) { id } }`;
  const TRANSACTION_QUERY = `query Transaction($externalId: String!) { transaction(externalId: $externalId) { id } }`;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    shop = await simpleShop(t, { priceInPoints: 10 });
    customer = await createCustomer(t, shop.currency, 500);
    till = await createPartner(t, ['transactions:write', 'transactions:read', 'activities:write', 'offers:redeem', 'customers:read']);
    await t.register(till.credential, SUBMIT, REVERSE, REDEEM, LOCK, RELEASE, RECORD, CUSTOMER_QUERY, TRANSACTION_QUERY);
    ok(await t.gql(`mutation($c: String!) { setActivityRule(input: { currency: $c, kind: REVIEW, points: 5 }) { userErrors { code } } }`, { c: shop.currency }, t.operatorToken));
  });

  /** An operator's mutation with `input`; its answer is read by shape. */
  const staff = (query: string, input: Record<string, unknown>) => t.gql<any, unknown>(query, { input }, t.operatorToken);
  /** A valid sale at the till for the customer, to which a case gives the field under test. */
  const sale = () => ({ externalId: unique('sale'), customerExternalId: customer.externalId, occurredAt: t.clock.now().toISOString(), currency: 'EUR', lines: [{ sku: 'BEANS', quantity: 1, unitPrice: '1.00' }] });
  /** A purchase of the shop's listing by the customer: the code of the offer issued. */
  const bought = async () => {
    const res = await t.gql<any, unknown>(`mutation($input: PurchaseOfferInput!) { purchaseOffer(input: $input) { purchase { issuedOffer { code } } userErrors { code } } }`, { input: { listingId: shop.listing.id, idempotencyKey: unique('k') } }, customer.token);
    return ok(res).purchaseOffer.purchase.issuedOffer.code as string;
  };
  afterAll(async () => {
    for (const s of sockets) await s.dispose();
    expect(await ledgerViolations(t)).toEqual([]);
    await t.close();
  });

  describe('an id has one spelling (kind 1)', () => {
    const NODE = `query N($id: ID!) { node(id: $id) { id } }`;
    const NODES = `query N($ids: [ID!]!) { nodes(ids: $ids) { id } }`;
    
    it('the examples have the spellings they test: each decodes, in Node, to the store id itself', () => {
      const decoded = Buffer.from(shop.store.id, 'base64url').toString();
      expect(decoded).toMatch(/^RewardStore:\d+$/);
      for (const [, spelling] of respellings(shop.store.id)) expect(Buffer.from(spelling, 'base64url').toString()).toBe(decoded);
      expect(respellings(shop.store.id).map(([name]) => name)).toEqual(expect.arrayContaining(['padded', 'with non-zero trailing bits']));
    });

    it('a mutation refuses another spelling of an id as it refuses any malformed id, nothing written', async () => {
      const ADD = `mutation($input: AddListingInput!) { addListing(input: $input) { listing { id } userErrors { code } } }`;
      for (const [, storeId] of respellings(shop.store.id)) {
        await expectRefusedAtTheEdge(t, () => t.gql(ADD, { input: { storeId, offerId: shop.offer.id, priceInPoints: 5 } }, t.operatorToken), ['input', 'storeId'], /^storeId is not a valid RewardStore id$/);
      }
      // the one spelling still adds
      expect(ok(await t.gql<any, unknown>(ADD, { input: { storeId: shop.store.id, offerId: shop.offer.id, priceInPoints: 5 } }, t.operatorToken)).addListing.userErrors).toEqual([]);
    });

    /** What node(id:) answers: the errors' codes and paths, and the data. */
    const nodeAnswer = async (id: string) => {
      const res: GqlResult<any> = await t.gql(NODE, { id }, t.operatorToken);
      return { errors: res.errors?.map((e) => ({ code: e.extensions?.code, field: e.extensions?.field, message: e.message })), node: res.data?.node ?? null };
    };

    it('node(id:) refuses blank, garbage and another spelling of an id with BAD_USER_INPUT, as every argument does', async () => {
      const refused = { errors: [{ code: 'BAD_USER_INPUT', field: ['id'], message: 'id is not a valid global id' }], node: null };
      for (const id of [' ', '', '\u200b', 'garbage', ...respellings(shop.store.id).map(([, s]) => s), ...respellings(shop.listing.id).map(([, s]) => s)]) {
        expect({ id, ...(await nodeAnswer(id)) }).toEqual({ id, ...refused });
      }
      // a well-formed id is answered: the thing, or null when there is nothing to see
      expect(await nodeAnswer(shop.listing.id)).toEqual({ errors: undefined, node: { id: shop.listing.id } });
      expect(await nodeAnswer(Buffer.from('Listing:987654321').toString('base64url'))).toEqual({ errors: undefined, node: null });
    });

    it('nodes(ids:) names the entry that is not an id', async () => {
      const res: GqlResult<any> = await t.gql(NODES, { ids: [shop.listing.id, `${shop.store.id}=`, ' '] }, t.operatorToken);
      expect(res.errors?.map((e) => ({ code: e.extensions?.code, field: e.extensions?.field, message: e.message }))).toEqual([
        { code: 'BAD_USER_INPUT', field: ['ids', '1'], message: 'ids.1 is not a valid global id' },
      ]);
      expect(ok(await t.gql<any, unknown>(NODES, { ids: [shop.listing.id, shop.store.id] }, t.operatorToken)).nodes).toEqual([{ id: shop.listing.id }, { id: shop.store.id }]);
    });

    it('a subscription resumes only from an event id as the stream spells it: "007" is not "7"', async () => {
      const BALANCE = `subscription($after: ID) { balanceChanged(after: $after) { eventId available } }`;
      const who = await createCustomer(t, shop.currency);
      await adjust(t, who.externalId, shop.currency, 1);
      await adjust(t, who.externalId, shop.currency, 2);
      const [{ first }] = await t.sql<{ first: string }>(
        `select min(e.customer_seq)::text as first from outbox_event e join customer c on c.id = e.customer_id where c.external_id = $1`,
        [who.externalId],
      );
      const socket = openSocket(t.url, who.token);
      sockets.push(socket);
      for (const after of [`0${first}`, `00${first}`, ` ${first}`, `+${first}`]) {
        const refused = collect(socket.client, BALANCE, { after });
        await waitFor(() => refused.done, 15_000, 'the refusal');
        expect({ after, errors: refused.results[0].errors?.map((e) => e.extensions?.code) }).toEqual({ after, errors: ['BAD_USER_INPUT'] });
      }
      const resumed = collect<any>(socket.client, BALANCE, { after: first });
      expect((await resumed.until(1))[0].data.balanceChanged).toMatchObject({ available: 3 });
    });
  });

  describe('keys that read alike are one key (kind 2)', () => {
    /** Keys that read as `key-1` but are spelled otherwise, each with what its refusal names. */
    const LOOKALIKES: [string, string, RegExp][] = [
      ['a zero-width space inside', 'key\u200b-1', /has a character that shows nothing \(\\u200B\)/],
      ['a byte order mark in front', '\ufeffkey-1', /has a character that shows nothing \(\\uFEFF\)/],
      ['a no-break space inside', 'key\u00a01', /has white space other than plain spaces \(\\u00A0\)/],
      ['NFD (e + U+0301) where NFC reads the same', 'cle\u0301-1', /is not in Unicode NFC \([^)]*\)/],
    ];

    /** Every key a caller sends, with a request that sends `key` as it. */
    const KEYS: [string, string, (key: string) => Promise<GqlResult<unknown>>][] = [
      ['adjustPoints', 'idempotencyKey', (idempotencyKey) => staff(`mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { userErrors { code } } }`, { customerExternalId: customer.externalId, currency: shop.currency, amount: 5, reason: 'r', idempotencyKey })],
      ['purchaseOffer', 'idempotencyKey', (idempotencyKey) => t.gql(`mutation($input: PurchaseOfferInput!) { purchaseOffer(input: $input) { userErrors { code } } }`, { input: { listingId: shop.listing.id, idempotencyKey } }, customer.token)],
      ['claimGift', 'idempotencyKey', (idempotencyKey) => t.gql(`mutation($input: ClaimGiftInput!) { claimGift(input: $input) { userErrors { code } } }`, { input: { giftListId: Buffer.from('GiftList:1').toString('base64url'), optionId: shop.offer.id, idempotencyKey } }, customer.token)],
      ['issueReplacementOffer', 'idempotencyKey', (idempotencyKey) => staff(`mutation($input: IssueReplacementOfferInput!) { issueReplacementOffer(input: $input) { userErrors { code } } }`, { issuedOfferId: Buffer.from('IssuedOffer:1').toString('base64url'), reason: 'r', idempotencyKey })],
      ['upsertCustomer', 'externalId', (externalId) => staff(`mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { userErrors { code } } }`, { externalId })],
      ['adjustPoints', 'customerExternalId', (customerExternalId) => staff(`mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { userErrors { code } } }`, { customerExternalId, currency: shop.currency, amount: 5, reason: 'r', idempotencyKey: unique('k') })],
      ['submitTransaction', 'externalId', (externalId) => t.gql(SUBMIT, { input: { ...sale(), externalId } }, till.credential)],
      ['submitTransaction', 'customerExternalId', (customerExternalId) => t.gql(SUBMIT, { input: { ...sale(), customerExternalId } }, till.credential)],
      ['submitTransaction', 'lockId', (lockId) => t.gql(SUBMIT, { input: { ...sale(), lockId } }, till.credential)],
      ['reverseTransaction', 'externalId', (externalId) => t.gql(REVERSE, { input: { externalId } }, till.credential)],
      ['redeemOffer', 'transactionExternalId', (transactionExternalId) => t.gql(REDEEM, { input: { code: 'ANY-CODE', transactionExternalId } }, till.credential)],
      ['redeemOffer', 'lockId', (lockId) => t.gql(REDEEM, { input: { code: 'ANY-CODE', lockId } }, till.credential)],
      ['lockOffer', 'lockId', (lockId) => t.gql(LOCK, { input: { code: 'ANY-CODE', lockId } }, till.credential)],
      ['releaseOffer', 'lockId', (lockId) => t.gql(RELEASE, { input: { code: 'ANY-CODE', lockId } }, till.credential)],
      ['recordActivity', 'customerExternalId', (customerExternalId) => t.gql(RECORD, { input: { customerExternalId, kind: 'REVIEW', reference: unique('r') } }, till.credential)],
      ['recordActivity', 'reference', (reference) => t.gql(RECORD, { input: { customerExternalId: customer.externalId, kind: 'REVIEW', reference } }, till.credential)],
    ];

    /** NFD is refused in idempotency keys only: a caller's id of a record may be decomposed as the retailer gave it (hostile pass 6). */
    const lookalikesOf = (field: string) => (field === 'idempotencyKey' ? LOOKALIKES : LOOKALIKES.filter(([name]) => !name.startsWith('NFD')));

    describe.each(KEYS)('%s %s', (_mutation, field, send) => {
      it.each(LOOKALIKES)('with %s is BAD_USER_INPUT naming the field, nothing written', async (name, key, problem) => {
        if (!lookalikesOf(field).some(([n]) => n === name)) return;
        await expectRefusedAtTheEdge(t, () => send(key), ['input', field], new RegExp(`^${field} ${problem.source}: keys are compared exactly`));
      });
    });

    it.each([
      ['customer', CUSTOMER_QUERY],
      ['transaction', TRANSACTION_QUERY],
    ])('%s(externalId:) with a look-alike key is BAD_USER_INPUT naming the argument, not null', async (_query, query) => {
      for (const [, key, problem] of lookalikesOf('externalId')) {
        const res = await t.gql(query, { externalId: key }, till.credential);
        expect(res.errors?.map((e) => ({ code: e.extensions?.code, field: e.extensions?.field }))).toEqual([{ code: 'BAD_USER_INPUT', field: ['externalId'] }]);
        expect(res.errors![0].message).toMatch(new RegExp(`^externalId ${problem.source}`));
      }
    });

    it('a retry whose key gained an invisible character does not adjust twice', async () => {
      const who = await createCustomer(t, shop.currency);
      const ADJUST = `mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { entry { balanceAfter } userErrors { code } } }`;
      const input = { customerExternalId: who.externalId, currency: shop.currency, amount: 7, reason: 'goodwill' };
      const key = unique('adj');
      expect(ok(await staff(ADJUST, { ...input, idempotencyKey: key })).adjustPoints.userErrors).toEqual([]);
      await expectRefusedAtTheEdge(t, () => staff(ADJUST, { ...input, idempotencyKey: `${key}\u200b` }), ['input', 'idempotencyKey'], /^idempotencyKey has a character that shows nothing/);
      expect(ok(await staff(ADJUST, { ...input, idempotencyKey: key })).adjustPoints.entry.balanceAfter).toBe(7);
    });

    it('a review reported again with an invisible character in its reference does not earn twice', async () => {
      const reference = unique('review');
      expect(ok(await t.gql<any, unknown>(RECORD, { input: { customerExternalId: customer.externalId, kind: 'REVIEW', reference } }, till.credential)).recordActivity).toEqual({ pointsAwarded: 5, userErrors: [] });
      await expectRefusedAtTheEdge(t, () => t.gql(RECORD, { input: { customerExternalId: customer.externalId, kind: 'REVIEW', reference: `\u200b${reference}` } }, till.credential), ['input', 'reference'], /^reference has a character/);
    });

    it('keys with plain spaces, case and visible accents in NFC are taken as sent', async () => {
      for (const externalId of [unique(' Caf\u00e9 '), unique('\u00c5ngstr\u00f6m')]) {
        expect(ok(await staff(`mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { externalId } userErrors { code } } }`, { externalId })).upsertCustomer).toEqual({ customer: { externalId }, userErrors: [] });
      }
    });

    it('an offer code read at the till past a zero-width space or BOM is the code (codes are read, not stored)', async () => {
      const code = await bought();
      const sent = `\ufeff${code.slice(0, 3)}\u200b${code.slice(3)}`;
      expect(ok(await t.gql<any, unknown>(REDEEM, { input: { code: sent } }, till.credential)).redeemOffer).toEqual({ issuedOffer: { status: 'REDEEMED' }, userErrors: [] });
    });
  });

  describe('a reference to nothing in a query is refused as its siblings refuse it (kind 3)', () => {
    const window = { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' };
    /** The answer's errors, and what the field answered (null when refused). */
    const refusal = (res: GqlResult<unknown>) => ({ data: Object.values(res.data ?? {})[0] ?? null, errors: res.errors?.map((e) => ({ code: e.extensions?.code, field: e.extensions?.field, message: e.message })) });

    it('programStats(currency:) of a code no currency has is BAD_USER_INPUT "No currency NOPE.", as pointHistory(currency:) says', async () => {
      const STATS = `query($c: String!, $from: DateTime!, $to: DateTime!) { programStats(currency: $c, from: $from, to: $to) { currency } }`;
      const HISTORY = `query($c: String) { me { pointHistory(currency: $c, first: 1) { edges { cursor } } } }`;
      expect(refusal(await t.gql(HISTORY, { c: 'NOPE' }, customer.token)).errors).toEqual([{ code: 'BAD_USER_INPUT', field: ['currency'], message: 'No currency NOPE.' }]);
      for (const c of ['NOPE', shop.currency.toLowerCase()]) {
        expect(refusal(await t.gql(STATS, { c, ...window }, t.analystToken))).toEqual({ data: null, errors: [{ code: 'BAD_USER_INPUT', field: ['currency'], message: `No currency ${c}.` }] });
      }
      expect(ok(await t.gql<any, unknown>(STATS, { c: shop.currency, ...window }, t.analystToken)).programStats).toEqual({ currency: shop.currency });
    });

    it('webhookDeliveries(endpointId:) of an endpoint that never was is BAD_USER_INPUT, not an empty log', async () => {
      const DELIVERIES = `query($id: ID) { webhookDeliveries(endpointId: $id, first: 5) { edges { cursor } } }`;
      const nowhere = Buffer.from('WebhookEndpoint:987654').toString('base64url');
      expect(refusal(await t.gql(DELIVERIES, { id: nowhere }, t.operatorToken))).toEqual({
        data: null,
        errors: [{ code: 'BAD_USER_INPUT', field: ['endpointId'], message: `No webhook endpoint ${nowhere}.` }],
      });
      expect(ok(await t.gql<any, unknown>(DELIVERIES, { id: null }, t.operatorToken)).webhookDeliveries).toEqual({ edges: [] });
    });
  });

  describe('INSUFFICIENT_POINTS names what is short and by how much (kind 4)', () => {
    const PURCHASE = `mutation($input: PurchaseOfferInput!) { purchaseOffer(input: $input) { purchase { id } userErrors { code field message } } }`;

    it('a purchase: on the listing, with the points missing, in the one statement and in the transaction after a write-down', async () => {
      const pricey = ok(await staff(`mutation($input: AddListingInput!) { addListing(input: $input) { listing { id } userErrors { code } } }`, { storeId: shop.store.id, offerId: shop.offer.id, priceInPoints: 530 })).addListing.listing.id;
      const buyer = await createCustomer(t, shop.currency, 500);
      await expectRefusedWith(t, () => t.gql(PURCHASE, { input: { listingId: pricey, idempotencyKey: unique('k') } }, buyer.token), 'purchaseOffer', 'INSUFFICIENT_POINTS', ['input', 'listingId'], new RegExp(`^Not enough ${shop.currency} points for this: 30 more needed\\.$`));
      // points that fell due (a year on: the currency's 365-day expiry) are written down first, then the purchase is refused by the transaction
      const lapsed = await createCustomer(t, shop.currency, 4);
      t.clock.advance(366 * 86_400_000);
      try {
        await expectRefusedWith(t, () => t.gql(PURCHASE, { input: { listingId: shop.listing.id, idempotencyKey: unique('k') } }, lapsed.token), 'purchaseOffer', 'INSUFFICIENT_POINTS', ['input', 'listingId'], /: 10 more needed\.$/);
      } finally {
        t.clock.reset();
      }
    });

    it('an adjustment taking more than the balance: on the amount, with the points missing', async () => {
      const who = await createCustomer(t, shop.currency, 25);
      await expectRefusedWith(
        t,
        () => staff(`mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { entry { id } userErrors { code field message } } }`, { customerExternalId: who.externalId, currency: shop.currency, amount: -40, reason: 'r', idempotencyKey: unique('k') }),
        'adjustPoints',
        'INSUFFICIENT_POINTS',
        ['input', 'amount'],
        new RegExp(`^Not enough ${shop.currency} points for this: 15 more needed\\.$`),
      );
    });

    it('a gift claim: on the gift list, with the points missing', async () => {
      const list = ok(await staff(`mutation($input: CreateGiftListInput!) { createGiftList(input: $input) { giftList { id } userErrors { code } } }`, { currency: shop.currency, name: unique('list'), threshold: 10, offerIds: [shop.offer.id] })).createGiftList.giftList.id;
      const poor = await createCustomer(t, shop.currency, 9);
      await expectRefusedWith(
        t,
        () => t.gql(`mutation($input: ClaimGiftInput!) { claimGift(input: $input) { issuedOffer { id } userErrors { code field message } } }`, { input: { giftListId: list, optionId: shop.offer.id, idempotencyKey: unique('k') } }, poor.token),
        'claimGift',
        'INSUFFICIENT_POINTS',
        ['input', 'giftListId'],
        /: 1 more needed\.$/,
      );
    });
  });
});
