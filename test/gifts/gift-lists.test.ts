import {
  AuditLogDocument,
  ClaimGiftDocument,
  CreateGiftListDocument,
  CreatePartnerDocument,
  GiftListsDocument,
  PointHistoryDocument,
  ProfileDocument,
  UpdateOfferDocument,
  UpsertCustomerDocument,
  WalletDocument,
  type CreateGiftListInput,
} from '../generated/graphql.js';
import { giftProgress } from '../../src/gifts/gift.service.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer, createOffer, unique } from '../support/program.js';

describe('giftProgress (pure)', () => {
  it.each([
    // threshold, maxClaims, available, claimed → unlocked, claimableCount, pointsToNext
    [10, null, 0, 0, false, 0, 10],
    [10, null, 9, 0, false, 0, 1],
    [10, null, 10, 0, true, 1, 10],
    [10, null, 25, 0, true, 2, 5],
    [1000, null, 1005, 3, true, 1, 995],
    [10, 2, 55, 0, true, 2, null],
    [10, 2, 15, 1, true, 1, null],
    [10, 2, 5, 1, false, 0, 5],
    [10, 2, 100, 2, true, 0, null],
    [10, 5, 25, 0, true, 2, 5],
    [10, 3, 100, 5, true, 0, null],
  ])('threshold %i, maxClaims %p, available %i, claimed %i', (threshold, maxClaims, available, claimed, unlocked, claimableCount, pointsToNext) => {
    expect(giftProgress({ threshold, maxClaims }, available, claimed)).toEqual({ unlocked, claimableCount, pointsToNext, claimedByMe: claimed });
  });
});

/**
 * Threshold gift lists (contract: GiftLists, ClaimGift, CreateGiftList) over HTTP: what the app
 * shows as the balance moves, what a claim spends and issues, and that neither a repeated key nor
 * parallel claims ever spend twice, overdraw or pass maxClaims.
 */
describe('gift lists', () => {
  let t: TestGateway;
  let currency: string;

  beforeAll(async () => {
    t = await startTestGateway();
    currency = 'GIFTS';
    await createCurrency(t, currency);
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  async function createList(input: Partial<CreateGiftListInput> & { threshold: number }, offerCount = 2) {
    const offerIds = (input.offerIds as string[] | undefined) ?? (await Promise.all(Array.from({ length: offerCount }, () => createOffer(t)))).map((o) => o.id);
    const res = await t.gql(CreateGiftListDocument, { input: { currency, name: unique('list'), offerIds, ...input } }, t.operatorToken);
    return { ...ok(res).createGiftList.giftList!, offerIds };
  }

  const listsOf = async (token: string) => ok(await t.gql(GiftListsDocument, {}, token)).me!.giftLists;
  const listOf = async (token: string, id: string) => {
    const list = (await listsOf(token)).find((l) => l.id === id);
    if (!list) throw new Error(`gift list ${id} not shown`);
    return list;
  };
  const claim = (token: string, giftListId: string, optionId: string, idempotencyKey = unique('claim')) =>
    t.gql(ClaimGiftDocument, { giftListId, optionId, idempotencyKey }, token);
  const available = async (token: string) => ok(await t.gql(ProfileDocument, {}, token)).me!.balances.find((b) => b.currency.code === currency)?.available ?? 0;
  const progress = ({ unlocked, claimableCount, pointsToNext }: { unlocked: boolean | null; claimableCount: number | null; pointsToNext: number | null }) => ({
    unlocked,
    claimableCount,
    pointsToNext,
  });

  it('every 10 points: pick from list A; at 1000: from list B, as the balance moves', async () => {
    const listA = await createList({ threshold: 10, name: 'Every 10' }, 2);
    const listB = await createList({ threshold: 1000, name: 'At 1000' }, 1);
    const customer = await createCustomer(t, currency, 25);

    const lists = (await listsOf(customer.token)).filter((l) => [listA.id, listB.id].includes(l.id));
    // lowest threshold first, options as the offers (option id = Offer id), in the order given
    expect(lists.map((l) => l.name)).toEqual(['Every 10', 'At 1000']);
    expect(lists[0].options.map((o) => o.id)).toEqual(listA.offerIds);
    expect(lists[0]).toMatchObject({ threshold: 10, unlocked: true, claimableCount: 2, pointsToNext: 5 });
    expect(lists[1]).toMatchObject({ threshold: 1000, unlocked: false, claimableCount: 0, pointsToNext: 975 });

    await adjust(t, customer.externalId, currency, 980); // 1005
    expect(progress(await listOf(customer.token, listA.id))).toEqual({ unlocked: true, claimableCount: 100, pointsToNext: 5 });
    expect(progress(await listOf(customer.token, listB.id))).toEqual({ unlocked: true, claimableCount: 1, pointsToNext: 995 });

    // claim from B: 1000 spent, the offer in the wallet at once
    const claimed = ok(await claim(customer.token, listB.id, listB.offerIds[0])).claimGift;
    expect(claimed.issuedOffer).toMatchObject({ status: 'ISSUED', code: expect.stringMatching(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/) });
    expect(await available(customer.token)).toBe(5);
    expect(progress(await listOf(customer.token, listA.id))).toEqual({ unlocked: false, claimableCount: 0, pointsToNext: 5 });
    expect(progress(await listOf(customer.token, listB.id))).toEqual({ unlocked: false, claimableCount: 0, pointsToNext: 995 });

    const wallet = ok(await t.gql(WalletDocument, {}, customer.token)).me!.wallet.edges.map((e) => e.node);
    expect(wallet).toEqual([expect.objectContaining({ id: claimed.issuedOffer!.id, source: 'GIFT', status: 'ISSUED', offer: expect.objectContaining({ id: listB.offerIds[0] }) })]);
    const history = ok(await t.gql(PointHistoryDocument, { currency }, customer.token)).me!.pointHistory.edges.map((e) => e.node);
    expect(history[0]).toMatchObject({ amount: -1000, kind: 'SPEND', balanceAfter: 5, reason: expect.stringContaining('At 1000') });
    const [entry] = await t.sql<{ source_type: string; source_id: string }>(
      `select e.source_type, e.source_id from ledger_entry e join customer c on c.id = e.customer_id where c.external_id = $1 and e.amount < 0`,
      [customer.externalId],
    );
    expect(entry.source_type).toBe('GIFT');

    // earn 15 more (20): list A again pays for two claims; take one of its options
    await adjust(t, customer.externalId, currency, 15);
    expect(progress(await listOf(customer.token, listA.id))).toEqual({ unlocked: true, claimableCount: 2, pointsToNext: 10 });
    ok(await claim(customer.token, listA.id, listA.offerIds[1]));
    expect(progress(await listOf(customer.token, listA.id))).toEqual({ unlocked: true, claimableCount: 1, pointsToNext: 10 });
    expect(await available(customer.token)).toBe(10);
  });

  it('maxClaims (per customer, per list) caps claimableCount; pointsToNext is null once it allows no more', async () => {
    const list = await createList({ threshold: 10, maxClaims: 2 });
    const customer = await createCustomer(t, currency, 55);
    const other = await createCustomer(t, currency, 15);
    expect(progress(await listOf(customer.token, list.id))).toEqual({ unlocked: true, claimableCount: 2, pointsToNext: null });

    ok(await claim(customer.token, list.id, list.offerIds[0]));
    expect(progress(await listOf(customer.token, list.id))).toEqual({ unlocked: true, claimableCount: 1, pointsToNext: null });
    ok(await claim(customer.token, list.id, list.offerIds[1]));
    // still unlocked (35 >= 10), but nothing left to claim
    expect(progress(await listOf(customer.token, list.id))).toEqual({ unlocked: true, claimableCount: 0, pointsToNext: null });

    const refused = dataOf(await claim(customer.token, list.id, list.offerIds[0])).claimGift;
    expect(refused).toEqual({ issuedOffer: null, userErrors: [{ code: 'LIMIT_REACHED', field: ['input', 'giftListId'], message: 'You can claim from this list at most twice.' }] });
    expect(await available(customer.token)).toBe(35);

    // the cap is per customer: someone else still has both claims, paid for one
    expect(progress(await listOf(other.token, list.id))).toEqual({ unlocked: true, claimableCount: 1, pointsToNext: 5 });
  });

  it('a cap above what the balance pays for leaves pointsToNext to the next claim', async () => {
    const list = await createList({ threshold: 10, maxClaims: 5 });
    const customer = await createCustomer(t, currency, 25);
    expect(progress(await listOf(customer.token, list.id))).toEqual({ unlocked: true, claimableCount: 2, pointsToNext: 5 });
    await adjust(t, customer.externalId, currency, 25); // 50: pays for exactly the 5 allowed
    expect(progress(await listOf(customer.token, list.id))).toEqual({ unlocked: true, claimableCount: 5, pointsToNext: null });
  });

  it('refuses with userErrors and changes nothing', async () => {
    const list = await createList({ threshold: 10 });
    const notOnList = await createOffer(t);
    const poor = await createCustomer(t, currency, 9);
    const rich = await createCustomer(t, currency, 100);

    expect(dataOf(await claim(poor.token, list.id, list.offerIds[0])).claimGift).toEqual({
      issuedOffer: null,
      userErrors: [{ code: 'INSUFFICIENT_POINTS', field: ['input', 'giftListId'], message: `Not enough ${currency} points for this: 1 more needed.` }],
    });
    expect(dataOf(await claim(rich.token, list.id, notOnList.id)).claimGift.userErrors).toEqual([
      { code: 'NOT_FOUND', field: ['input', 'optionId'], message: expect.any(String) },
    ]);
    const unknownList = Buffer.from('GiftList:999999').toString('base64url');
    expect(dataOf(await claim(rich.token, unknownList, list.offerIds[0])).claimGift.userErrors).toEqual([
      { code: 'NOT_FOUND', field: ['input', 'giftListId'], message: expect.any(String) },
    ]);
    // ids of the wrong type are bad input, not a refusal
    const wrongType = await claim(rich.token, list.offerIds[0], list.offerIds[0]);
    expect(wrongType.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');

    // a suspended customer may look but not claim
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId: rich.externalId, status: 'SUSPENDED' } }, t.operatorToken));
    expect(dataOf(await claim(rich.token, list.id, list.offerIds[0])).claimGift.userErrors.map((e) => e.code)).toEqual(['NOT_ELIGIBLE']);

    expect(await available(poor.token)).toBe(9);
    expect(await available(rich.token)).toBe(100);
    const [{ claims, issued }] = await t.sql<{ claims: number; issued: number }>(
      `select (select count(*) from gift_claim g join customer c on c.id = g.customer_id where c.external_id = any($1))::int as claims,
              (select count(*) from issued_offer i join customer c on c.id = i.customer_id where c.external_id = any($1))::int as issued`,
      [[poor.externalId, rich.externalId]],
    );
    expect({ claims, issued }).toEqual({ claims: 0, issued: 0 });
  });

  it('20 parallel claims with one key make one claim and twenty identical answers', async () => {
    const list = await createList({ threshold: 30 });
    const customer = await createCustomer(t, currency, 300);
    const results = await Promise.all(Array.from({ length: 20 }, () => claim(customer.token, list.id, list.offerIds[0], 'same-key')));
    const bodies = results.map((r) => JSON.stringify(ok(r).claimGift));
    expect(new Set(bodies).size).toBe(1);
    expect(await available(customer.token)).toBe(270);
    const [{ claims }] = await t.sql<{ claims: number }>(
      `select count(*)::int as claims from gift_claim g join customer c on c.id = g.customer_id where c.external_id = $1`,
      [customer.externalId],
    );
    expect(claims).toBe(1);
    // a later repeat answers the same; the same key for another option is refused
    expect(JSON.stringify(ok(await claim(customer.token, list.id, list.offerIds[0], 'same-key')).claimGift)).toBe(bodies[0]);
    expect(dataOf(await claim(customer.token, list.id, list.offerIds[1], 'same-key')).claimGift.userErrors.map((e) => e.code)).toEqual([
      'IDEMPOTENCY_KEY_REUSED',
    ]);
    expect(await available(customer.token)).toBe(270);
  });

  it('a claim retried after the account was suspended answers the first claim; a new claim is refused (hostile-19)', async () => {
    const list = await createList({ threshold: 30 });
    const customer = await createCustomer(t, currency, 100);
    const first = ok(await claim(customer.token, list.id, list.offerIds[0], 'lost-answer')).claimGift;
    expect(first.userErrors).toEqual([]);
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId: customer.externalId, status: 'SUSPENDED' } }, t.operatorToken));
    // The app never saw the first answer (a dropped connection) and sends the same claim again.
    const replay = dataOf(await claim(customer.token, list.id, list.offerIds[0], 'lost-answer')).claimGift;
    expect({ codes: replay.userErrors.map((e) => e.code), issuedOffer: replay.issuedOffer?.id }).toEqual({ codes: [], issuedOffer: first.issuedOffer!.id });
    const fresh = dataOf(await claim(customer.token, list.id, list.offerIds[0], 'a-new-key')).claimGift;
    expect(fresh.userErrors.map((e) => e.code)).toEqual(['NOT_ELIGIBLE']);
    expect(await available(customer.token)).toBe(70);
  });

  it('parallel claims with different keys never overdraw the balance', async () => {
    const list = await createList({ threshold: 10 });
    const customer = await createCustomer(t, currency, 95);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => claim(customer.token, list.id, list.offerIds[i % 2])));
    const payloads = results.map((r) => dataOf(r).claimGift);
    expect(payloads.filter((p) => p.issuedOffer).length).toBe(9);
    expect(payloads.filter((p) => !p.issuedOffer).map((p) => p.userErrors[0].code)).toEqual(Array(11).fill('INSUFFICIENT_POINTS'));
    expect(await available(customer.token)).toBe(5);
    const wallet = ok(await t.gql(WalletDocument, { first: 50 }, customer.token)).me!.wallet.edges;
    expect(wallet).toHaveLength(9);
  });

  it('parallel claims with different keys never pass maxClaims', async () => {
    const list = await createList({ threshold: 10, maxClaims: 7 });
    const customer = await createCustomer(t, currency, 1000);
    const results = await Promise.all(Array.from({ length: 30 }, () => claim(customer.token, list.id, list.offerIds[0])));
    const payloads = results.map((r) => dataOf(r).claimGift);
    expect(payloads.filter((p) => p.issuedOffer).length).toBe(7);
    expect(payloads.filter((p) => !p.issuedOffer).map((p) => p.userErrors[0].code)).toEqual(Array(23).fill('LIMIT_REACHED'));
    expect(await available(customer.token)).toBe(930);
    const [count] = await t.sql<{ claimed: number }>(
      `select n.claimed from gift_claim_count n join customer c on c.id = n.customer_id where c.external_id = $1`,
      [customer.externalId],
    );
    expect(count.claimed).toBe(7);
  });

  it('options show the offer at its current version, and a claim issues that version', async () => {
    const offer = await createOffer(t, 'Free cookie');
    const list = await createList({ threshold: 10, offerIds: [offer.id] });
    const customer = await createCustomer(t, currency, 10);
    const v2 = ok(await t.gql(UpdateOfferDocument, { input: { offerId: offer.id, name: 'Free giant cookie' } }, t.operatorToken)).updateOffer.offer!;
    expect((await listOf(customer.token, list.id)).options).toEqual([{ id: v2.id, name: 'Free giant cookie' }]);
    ok(await claim(customer.token, list.id, offer.id));
    const wallet = ok(await t.gql(WalletDocument, {}, customer.token)).me!.wallet.edges.map((e) => e.node.offer);
    expect(wallet).toEqual([{ id: v2.id, name: 'Free giant cookie', version: 2 }]);
  });

  it('an option past its offer\'s fixed end cannot be picked, and a list with none left is not shown', async () => {
    const ending = await createOffer(t);
    const list = await createList({ threshold: 10, offerIds: [ending.id] });
    const customer = await createCustomer(t, currency, 10);
    const endsAt = new Date(t.clock.now().getTime() + 60_000).toISOString();
    ok(await t.gql(UpdateOfferDocument, { input: { offerId: ending.id, validUntil: endsAt } }, t.operatorToken));
    expect((await listOf(customer.token, list.id)).options).toHaveLength(1);
    t.clock.advance(60_001);
    expect((await listsOf(customer.token)).map((l) => l.id)).not.toContain(list.id);
    expect(dataOf(await claim(customer.token, list.id, ending.id)).claimGift.userErrors.map((e) => e.code)).toEqual(['OFFER_UNAVAILABLE']);
    expect(await available(customer.token)).toBe(10);
  });

  it('createGiftList: operators only, audit-logged, checks its currency and offers', async () => {
    const offer = await createOffer(t);
    const input = { currency, name: 'Staff list', threshold: 50, offerIds: [offer.id], maxClaims: 3 };
    const customer = await createCustomer(t, currency);
    const partner = ok(await t.gql(CreatePartnerDocument, { input: { name: 'p', scopes: ['customers:read', 'activities:write'] } }, t.operatorToken)).createPartner;

    for (const credential of [t.analystToken, customer.token, { apiKey: partner.apiKey! }]) {
      const res = await t.gql(CreateGiftListDocument, { input }, credential);
      expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    }
    const anonymous = await t.gql(CreateGiftListDocument, { input });
    expect(anonymous.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);

    const created = ok(await t.gql(CreateGiftListDocument, { input }, t.operatorToken)).createGiftList.giftList!;
    expect(created).toEqual({ id: expect.any(String), name: 'Staff list', threshold: 50 });
    const audit = ok(await t.gql(AuditLogDocument, { first: 5 }, t.analystToken)).auditLog.edges.map((e) => e.node);
    expect(audit[0]).toMatchObject({ actor: 'staff:staff-op', action: 'createGiftList' });

    const unknownCurrency = dataOf(await t.gql(CreateGiftListDocument, { input: { ...input, currency: 'NOPE' } }, t.operatorToken)).createGiftList;
    expect(unknownCurrency).toEqual({ giftList: null, userErrors: [{ code: 'NOT_FOUND', field: ['input', 'currency'], message: expect.any(String) }] });
    const unknownOffer = Buffer.from('Offer:999999').toString('base64url');
    const badOffer = dataOf(await t.gql(CreateGiftListDocument, { input: { ...input, offerIds: [offer.id, unknownOffer] } }, t.operatorToken)).createGiftList;
    expect(badOffer.userErrors).toEqual([{ code: 'NOT_FOUND', field: ['input', 'offerIds', '1'], message: expect.any(String) }]);
    for (const bad of [{ threshold: 0 }, { offerIds: [] }, { maxClaims: 0 }, { name: ' ' }]) {
      const res = await t.gql(CreateGiftListDocument, { input: { ...input, ...bad } }, t.operatorToken);
      expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('claimGift is for the customer themselves; staff read a list as configured', async () => {
    const list = await createList({ threshold: 10, maxClaims: 4 });
    const customer = await createCustomer(t, currency, 10);
    for (const credential of [t.operatorToken, t.analystToken]) {
      const res = await claim(credential, list.id, list.offerIds[0]);
      expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    }
    expect((await t.gql(ClaimGiftDocument, { giftListId: list.id, optionId: list.offerIds[0], idempotencyKey: 'k' })).errors?.[0].extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
    expect(await available(customer.token)).toBe(10);

    const nodeQuery = `query($id: ID!) { node(id: $id) { ... on GiftList { id maxClaims unlocked claimableCount currency { code } options { id } } } }`;
    const asStaff = ok(await t.gql(nodeQuery, { id: list.id }, t.analystToken)) as { node: Record<string, unknown> };
    expect(asStaff.node).toEqual({ id: list.id, maxClaims: 4, unlocked: null, claimableCount: null, currency: { code: currency }, options: list.offerIds.map((id) => ({ id })) });
    const asCustomer = ok(await t.gql(nodeQuery, { id: list.id }, customer.token)) as { node: Record<string, unknown> };
    expect(asCustomer.node).toMatchObject({ id: list.id, unlocked: true, claimableCount: 1 });
    // staff see a customer's progress through the customer
    const viaCustomer = ok(
      await t.gql(`query($x: String!) { customer(externalId: $x) { giftLists { id claimableCount } } }`, { x: customer.externalId }, t.operatorToken),
    ) as { customer: { giftLists: { id: string; claimableCount: number }[] } };
    expect(viaCustomer.customer.giftLists.find((l) => l.id === list.id)).toEqual({ id: list.id, claimableCount: 1 });
  });
});
