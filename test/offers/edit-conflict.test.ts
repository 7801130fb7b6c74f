import { signToken } from '../../src/http/auth.js';
import { UpdateOfferDocument } from '../generated/graphql.js';
import { dataOf, expectRefusedAtTheEdge, expectRefusedWith, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { simpleShop, unique } from '../support/program.js';

/** The offer as its store lists it now: the current version. */
const OFFER_NOW = `query OfferNow($id: ID!) { node(id: $id) { ... on RewardStore { listings(first: 1) { edges { node { offer { version name description terms } } } } } } }`;

/**
 * break33: `updateOffer` takes `expectedVersion`, the version an edit was made from. Two operators
 * opened one offer at version 1; the first saved a new name; the second, whose form still held
 * version 1's texts, saved a description and with it version 1's name, back over the first's. The
 * edit from a stale read is now refused VERSION_CONFLICT and writes nothing.
 */
describe('updateOffer refuses an edit made from a version that is no longer current', () => {
  let t: TestGateway;
  let second: string;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    second = await signToken(t.config, { sub: 'staff-second', role: 'operator' });
  });
  afterAll(() => t.close());

  type Listed = { version: number; name: string; description: string | null; terms: string | null };
  const offerNow = async (storeId: string) =>
    ok(await t.gql<{ node: { listings: { edges: { node: { offer: Listed } }[] } } }, { id: string }>(OFFER_NOW, { id: storeId }, t.operatorToken)).node.listings.edges[0].node.offer;

  it('the second of two operators editing version 1 is refused, and the first one’s change stays', async () => {
    const { offer, store } = await simpleShop(t);
    const first = ok(await t.gql(UpdateOfferDocument, { input: { offerId: offer.id, expectedVersion: 1, name: 'Muffin, new name' } }, t.operatorToken)).updateOffer;
    expect(first).toMatchObject({ offer: { version: 2, name: 'Muffin, new name' }, userErrors: [] });

    // the second operator's form, read at version 1, sends its texts with the description changed
    await expectRefusedWith(
      t,
      () => t.gql(UpdateOfferDocument, { input: { offerId: offer.id, expectedVersion: 1, name: offer.name, description: 'Now with blueberries' } }, second),
      'updateOffer',
      'VERSION_CONFLICT',
      ['input', 'expectedVersion'],
      /edited since version 1.*it is now version 2 \("Muffin, new name"\), and nothing was saved/,
    );
    expect(await offerNow(store.id)).toMatchObject({ version: 2, name: 'Muffin, new name', description: 'With any coffee' });

    // the audit log tells the checked edit from a blind one, and holds nothing for the refused edit
    const audit = await t.sql<{ actor: string; details: { version: number; expectedVersion?: number } }>(
      `select actor, details from audit_entry where action = 'updateOffer' and target = (select 'Offer:' || offer_id from offer_version where name = $1 and version = 1) order by id`,
      [offer.name],
    );
    expect(audit.map((a) => a.details)).toEqual([expect.objectContaining({ version: 2, expectedVersion: 1 })]);

    // read again, the same edit made on version 2 is written
    const again = ok(await t.gql(UpdateOfferDocument, { input: { offerId: offer.id, expectedVersion: 2, name: 'Muffin, new name', description: 'Now with blueberries' } }, second)).updateOffer;
    expect(again).toMatchObject({ offer: { version: 3, name: 'Muffin, new name' }, userErrors: [] });
    expect(await offerNow(store.id)).toMatchObject({ version: 3, description: 'Now with blueberries' });
  });

  it('of edits sent at once from the same version, exactly one is written (real parallel requests)', async () => {
    const { offer, store } = await simpleShop(t);
    const names = Array.from({ length: 8 }, (_, i) => `Muffin edit ${i}`);
    const answers = await Promise.all(names.map((name, i) => t.gql(UpdateOfferDocument, { input: { offerId: offer.id, expectedVersion: 1, name } }, i % 2 ? second : t.operatorToken)));
    const payloads = answers.map((a) => dataOf(a).updateOffer);
    const written = payloads.filter((p) => p.offer);
    expect(written).toHaveLength(1);
    expect(written[0].offer).toMatchObject({ version: 2 });
    expect(payloads.filter((p) => p.userErrors[0]?.code === 'VERSION_CONFLICT')).toHaveLength(names.length - 1);
    expect(await offerNow(store.id)).toMatchObject({ version: 2, name: written[0].offer!.name });
    const [{ n }] = await t.sql<{ n: number }>(`select count(*)::int as n from offer_version where offer_id = (select offer_id from offer_version where name = $1 and version = 1)`, [offer.name]);
    expect(n).toBe(2);
  });

  it('a resend under the same idempotency key answers the version it made, not a conflict with it', async () => {
    const { offer, store } = await simpleShop(t);
    const input = { offerId: offer.id, expectedVersion: 1, terms: 'While stocks last', idempotencyKey: unique('edit') };
    const made = ok(await t.gql(UpdateOfferDocument, { input }, t.operatorToken)).updateOffer;
    const resent = ok(await t.gql(UpdateOfferDocument, { input }, t.operatorToken)).updateOffer;
    expect(made).toMatchObject({ offer: { version: 2 }, userErrors: [] });
    expect(resent).toEqual(made);
    // the same key from another version is another request
    const other = dataOf(await t.gql(UpdateOfferDocument, { input: { ...input, expectedVersion: 2 } }, t.operatorToken)).updateOffer;
    expect(other.userErrors.map((e) => e.code)).toEqual(['IDEMPOTENCY_KEY_REUSED']);
    expect(await offerNow(store.id)).toMatchObject({ version: 2, terms: 'While stocks last' });
  });

  it('without expectedVersion the edit applies to the current version, as before', async () => {
    const { offer } = await simpleShop(t);
    ok(await t.gql(UpdateOfferDocument, { input: { offerId: offer.id, name: 'One' } }, t.operatorToken));
    const last = ok(await t.gql(UpdateOfferDocument, { input: { offerId: offer.id, name: 'Two' } }, second)).updateOffer;
    expect(last).toMatchObject({ offer: { version: 3, name: 'Two' }, userErrors: [] });
  });

  it('a version below 1 is refused at the edge', async () => {
    const { offer } = await simpleShop(t);
    await expectRefusedAtTheEdge(t, () => t.gql(UpdateOfferDocument, { input: { offerId: offer.id, expectedVersion: 0, name: 'Zero' } }, t.operatorToken), 'input.expectedVersion', /expectedVersion/);
  });
});
