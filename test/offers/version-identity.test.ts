import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { parse } from 'graphql';
import {
  CreateGiftListDocument,
  GiftListsDocument,
  PurchaseOfferDocument,
  RewardStoreOffersDocument,
  UpdateOfferDocument,
  WalletDocument,
  type RewardStoreOffersQuery,
  type WalletQuery,
} from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { addListing, createCustomer, simpleShop, storeOf, unique } from '../support/program.js';

/**
 * Issue 7, kind 10: each offer version is its own object. A wallet item keeps the version it was
 * issued with while listings show the current one; a normalised client cache (Apollo Client's
 * InMemoryCache, as the retailer's app uses) must never mix the two.
 */
describe('each offer version has its own identity', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  const apolloFor = (token: string) =>
    new ApolloClient({ link: new HttpLink({ uri: t.url, headers: { authorization: `Bearer ${token}` } }), cache: new InMemoryCache() });

  it('Apollo Client: the wallet shows version 1 after staff update the offer and the store loads version 2', async () => {
    const shop = await simpleShop(t, { priceInPoints: 10 });
    const customer = await createCustomer(t, shop.currency, 100);
    ok(await t.gql(PurchaseOfferDocument, { listingId: shop.listing.id, idempotencyKey: unique('buy') }, customer.token));

    const client = apolloFor(customer.token);
    const wallet = parse(WalletDocument.toString());
    const store = parse(RewardStoreOffersDocument.toString());
    try {
      const first = await client.query<WalletQuery>({ query: wallet });
      const v1 = first.data!.me!.wallet.edges[0].node.offer;
      expect(v1).toMatchObject({ name: shop.offer.name, version: 1 });

      const v2name = `${shop.offer.name} (smaller muffin)`;
      const updated = ok(await t.gql(UpdateOfferDocument, { input: { offerId: shop.offer.id, name: v2name, terms: 'Mini muffins only' } }, t.operatorToken)).updateOffer.offer!;
      expect(updated).toMatchObject({ version: 2, name: v2name });
      expect(updated.id).not.toBe(v1.id);

      const shown = await client.query<RewardStoreOffersQuery>({ query: store, variables: { storeId: shop.store.id } });
      const listed = storeOf(shown.data!.node).listings.edges[0].node.offer;
      expect(listed).toMatchObject({ id: updated.id, version: 2, name: v2name, terms: 'Mini muffins only' });

      // Read back from the cache alone: the wallet item still shows what the customer bought.
      const cached = client.readQuery<WalletQuery>({ query: wallet });
      expect(cached!.me!.wallet.edges[0].node.offer).toEqual(v1);
      expect(cached!.me!.wallet.edges[0].node.offer).toMatchObject({ name: shop.offer.name, version: 1 });
      // And so does the server, while the store keeps showing version 2.
      const fresh = await client.query<WalletQuery>({ query: wallet, fetchPolicy: 'network-only' });
      expect(fresh.data!.me!.wallet.edges[0].node.offer).toEqual(v1);
      const again = client.readQuery<RewardStoreOffersQuery>({ query: store, variables: { storeId: shop.store.id } });
      expect(storeOf(again!.node).listings.edges[0].node.offer).toMatchObject({ version: 2, name: v2name });
    } finally {
      client.stop();
    }
  });

  it('any version id, or the offer id, names the offer in staff inputs; node(id:) answers that version', async () => {
    const shop = await simpleShop(t);
    const v2 = ok(await t.gql(UpdateOfferDocument, { input: { offerId: shop.offer.id, name: 'Two' } }, t.operatorToken)).updateOffer.offer!;
    // Editing through the old version's id edits the offer: a third version.
    const v3 = ok(await t.gql(UpdateOfferDocument, { input: { offerId: shop.offer.id, name: 'Three' } }, t.operatorToken)).updateOffer.offer!;
    expect([v2.version, v3.version]).toEqual([2, 3]);
    expect(new Set([shop.offer.id, v2.id, v3.id]).size).toBe(3);

    const node = `query($id: ID!) { node(id: $id) { id ... on Offer { version name offerId } } }`;
    type NodeData = { node: { id: string; version: number; name: string; offerId: string } | null };
    const first = ok(await t.gql<NodeData, unknown>(node, { id: shop.offer.id }, t.operatorToken)).node!;
    expect(first).toMatchObject({ id: shop.offer.id, version: 1, name: shop.offer.name });
    const byOffer = ok(await t.gql<NodeData, unknown>(node, { id: first.offerId }, t.operatorToken)).node!;
    expect(byOffer).toMatchObject({ id: v3.id, version: 3, name: 'Three', offerId: first.offerId });
    // Customers reach offers through listings and their wallet only.
    const customer = await createCustomer(t, shop.currency);
    expect(ok(await t.gql<NodeData, unknown>(node, { id: v3.id }, customer.token)).node).toBeNull();

    // Listing the offer by its version-1 id lists the offer (at its current version).
    const listing = await addListing(t, shop.store.id, shop.offer.id);
    const buyer = await createCustomer(t, shop.currency, 500);
    const bought = ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('b') }, buyer.token)).purchaseOffer.purchase!;
    expect(bought.issuedOffer.offer).toEqual({ id: v3.id, name: 'Three', version: 3 });

    // Gift list options: ids of any version name the offer; a claim by an older version's id issues the current one.
    const list = ok(
      await t.gql(CreateGiftListDocument, { input: { currency: shop.currency, name: unique('list'), threshold: 10, offerIds: [v2.id] } }, t.operatorToken),
    ).createGiftList.giftList!;
    const options = ok(await t.gql(GiftListsDocument, {}, buyer.token)).me!.giftLists.find((g) => g.id === list.id)!.options;
    expect(options).toEqual([{ id: v3.id, name: 'Three' }]);
    const claimed = await t.gql<{ claimGift: unknown }, unknown>(
      `mutation($input: ClaimGiftInput!) { claimGift(input: $input) { issuedOffer { offer { id version } } userErrors { code } } }`,
      { input: { giftListId: list.id, optionId: shop.offer.id, idempotencyKey: unique('g') } },
      buyer.token,
    );
    expect(ok(claimed).claimGift).toEqual({ issuedOffer: { offer: { id: v3.id, version: 3 } }, userErrors: [] });

    // Unknown versions are NOT_FOUND; ids of other types are BAD_USER_INPUT.
    const unknownVersion = Buffer.from('OfferVersion:999999999').toString('base64url');
    const missing = await t.gql(UpdateOfferDocument, { input: { offerId: unknownVersion, name: 'x' } }, t.operatorToken);
    expect(missing.data?.updateOffer.userErrors.map((e) => e.code)).toEqual(['NOT_FOUND']);
    const wrongType = await t.gql(UpdateOfferDocument, { input: { offerId: shop.store.id, name: 'x' } }, t.operatorToken);
    expect(wrongType.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});
