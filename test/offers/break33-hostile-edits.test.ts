import { signToken } from '../../src/http/auth.js';
import { AddListingDocument, CreateCurrencyDocument, CreateGiftListDocument, CreateRewardStoreDocument, UpdateOfferDocument } from '../generated/graphql.js';
import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createOffer, simpleShop, unique, uniqueCode } from '../support/program.js';

/**
 * break33's hostile pass on `updateOffer.expectedVersion` (the version an edit was made from):
 * real parallel requests mixing edits with and without it, idempotency keys around a refusal and
 * in flight, absurd values, a version id in offerId, edits racing a JPY listing or gift list, and
 * the audit entry. Checked by what the gateway holds afterwards.
 */
describe('break33 hostile: updateOffer.expectedVersion', () => {
  let t: TestGateway;
  let second: string;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    second = await signToken(t.config, {
      sub: 'staff-second-hostile',
      role: 'operator',
    });
  });
  afterAll(() => t.close());

  type Version = { version: number; name: string; description: string | null };
  /** Every version of the offer named `firstName` at version 1, in order. */
  const history = (firstName: string) =>
    t.sql<Version>(`select version, name, description from offer_version where offer_id = (select offer_id from offer_version where name = $1 and version = 1) order by version`, [firstName]);

  it('mixed parallel edits (checked and unchecked) make successive versions, and a checked one is written only on the version it names', async () => {
    const offer = await createOffer(t);
    // 12 at once: even ones from version 1, odd ones unchecked (last edit wins)
    const inputs = Array.from({ length: 12 }, (_, i) => ({
      offerId: offer.id,
      name: `Mixed ${i}`,
      ...(i % 2 === 0 ? { expectedVersion: 1 } : {}),
    }));
    const answers = await Promise.all(inputs.map((input, i) => t.gql(UpdateOfferDocument, { input }, i % 3 ? second : t.operatorToken)));
    const payloads = answers.map((a) => dataOf(a).updateOffer);
    // every unchecked edit is written
    for (const [i, p] of payloads.entries())
      if (i % 2 === 1)
        expect(p).toMatchObject({
          offer: { name: `Mixed ${i}` },
          userErrors: [],
        });
    // of the checked ones, at most one, and only as version 2 (made on version 1)
    const checked = payloads.filter((_, i) => i % 2 === 0);
    const writtenChecked = checked.filter((p) => p.offer);
    expect(writtenChecked.length).toBeLessThanOrEqual(1);
    for (const p of writtenChecked) expect(p.offer!.version).toBe(2);
    for (const p of checked.filter((p) => !p.offer)) expect(p.userErrors.map((e) => e.code)).toEqual(['VERSION_CONFLICT']);
    const versions = await history(offer.name);
    expect(versions.map((v) => v.version)).toEqual(Array.from({ length: versions.length }, (_, i) => i + 1));
    expect(versions).toHaveLength(1 + 6 + writtenChecked.length);
  });

  it('the same key sent eight times at once (a resend while the first is in flight) writes one version and answers it to all', async () => {
    const offer = await createOffer(t);
    const input = {
      offerId: offer.id,
      expectedVersion: 1,
      terms: 'In flight',
      idempotencyKey: unique('flight'),
    };
    const answers = await Promise.all(Array.from({ length: 8 }, () => t.gql(UpdateOfferDocument, { input }, t.operatorToken)));
    const payloads = answers.map((a) => dataOf(a).updateOffer);
    expect(payloads.map((p) => [p.offer?.version ?? null, p.userErrors.map((e) => e.code)])).toEqual(Array.from({ length: 8 }, () => [2, []]));
    expect((await history(offer.name)).map((v) => v.version)).toEqual([1, 2]);
  });

  it('a key refused VERSION_CONFLICT is not spent: read again, the same key from the current version is written; that key from the old version is then REUSED', async () => {
    const offer = await createOffer(t);
    ok(await t.gql(UpdateOfferDocument, { input: { offerId: offer.id, name: 'Other operator' } }, second));
    const key = unique('after-conflict');
    const refused = dataOf(
      await t.gql(
        UpdateOfferDocument,
        {
          input: {
            offerId: offer.id,
            expectedVersion: 1,
            description: 'Mine',
            idempotencyKey: key,
          },
        },
        t.operatorToken,
      ),
    ).updateOffer;
    expect(refused.userErrors.map((e) => e.code)).toEqual(['VERSION_CONFLICT']);
    // resent as it was: still a conflict (the refusal was not stored as an answer)
    const resent = dataOf(
      await t.gql(
        UpdateOfferDocument,
        {
          input: {
            offerId: offer.id,
            expectedVersion: 1,
            description: 'Mine',
            idempotencyKey: key,
          },
        },
        t.operatorToken,
      ),
    ).updateOffer;
    expect(resent.userErrors.map((e) => e.code)).toEqual(['VERSION_CONFLICT']);
    const written = ok(
      await t.gql(
        UpdateOfferDocument,
        {
          input: {
            offerId: offer.id,
            expectedVersion: 2,
            description: 'Mine',
            idempotencyKey: key,
          },
        },
        t.operatorToken,
      ),
    ).updateOffer;
    expect(written).toMatchObject({
      offer: { version: 3, name: 'Other operator' },
      userErrors: [],
    });
    const old = dataOf(
      await t.gql(
        UpdateOfferDocument,
        {
          input: {
            offerId: offer.id,
            expectedVersion: 1,
            description: 'Mine',
            idempotencyKey: key,
          },
        },
        t.operatorToken,
      ),
    ).updateOffer;
    expect(old.userErrors.map((e) => e.code)).toEqual(['IDEMPOTENCY_KEY_REUSED']);
    expect((await history(offer.name)).map((v) => [v.version, v.name, v.description])).toEqual([
      [1, offer.name, 'With any coffee'],
      [2, 'Other operator', 'With any coffee'],
      [3, 'Other operator', 'Mine'],
    ]);
  });

  it('absurd expectedVersion values: refused at the edge or as a conflict, never written', async () => {
    const offer = await createOffer(t);
    const send = (expectedVersion: unknown) =>
      t.gql(
        UpdateOfferDocument,
        {
          input: { offerId: offer.id, name: 'Absurd', expectedVersion },
        } as never,
        t.operatorToken,
      );
    for (const bad of [-1, -2147483648, 2147483648, 1e20, 1.5, '1', true, [1], { v: 1 }]) {
      const answer = await send(bad);
      expect({
        bad,
        data: answer.data ?? null,
        codes: (answer.errors ?? []).map((e) => e.extensions?.code),
      }).toEqual({ bad, data: null, codes: ['BAD_USER_INPUT'] });
    }
    const huge = dataOf(await send(2147483647)).updateOffer;
    expect(huge.userErrors.map((e) => e.code)).toEqual(['VERSION_CONFLICT']);
    expect(huge.userErrors[0].message).toMatch(/since version 2147483647.*now version 1/);
    // null is absent: the edit applies
    expect(ok(await send(null)).updateOffer).toMatchObject({
      offer: { version: 2, name: 'Absurd' },
    });
    expect((await history(offer.name)).map((v) => v.version)).toEqual([1, 2]);
  });

  it('an old version id in offerId names the offer: the check is by expectedVersion, whichever id is sent', async () => {
    const offer = await createOffer(t);
    const v2 = ok(await t.gql(UpdateOfferDocument, { input: { offerId: offer.id, name: 'V2 name' } }, second)).updateOffer.offer!;
    // offer.id is version 1's id (Offer.id is the version's id)
    const stale = dataOf(
      await t.gql(
        UpdateOfferDocument,
        {
          input: {
            offerId: offer.id,
            expectedVersion: 1,
            description: 'stale',
          },
        },
        t.operatorToken,
      ),
    ).updateOffer;
    expect(stale.userErrors.map((e) => e.code)).toEqual(['VERSION_CONFLICT']);
    const fresh = ok(
      await t.gql(
        UpdateOfferDocument,
        {
          input: {
            offerId: offer.id,
            expectedVersion: 2,
            description: 'fresh',
          },
        },
        t.operatorToken,
      ),
    ).updateOffer;
    expect(fresh).toMatchObject({ offer: { version: 3, name: 'V2 name' } });
    expect((await history(offer.name)).map((v) => v.description)).toEqual(['With any coffee', 'With any coffee', 'fresh']);
    // the v2 version id with expectedVersion 3 works the same
    const viaV2 = ok(await t.gql(UpdateOfferDocument, { input: { offerId: v2.id, expectedVersion: 3, terms: 't' } }, t.operatorToken)).updateOffer;
    expect(viaV2).toMatchObject({ offer: { version: 4 } });
  });

  it('an edit to an amount finer than yen racing addListing and createGiftList to JPY programs: never both written', async () => {
    const code = uniqueCode('JP');
    ok(
      await t.gql(
        CreateCurrencyDocument,
        {
          input: {
            code,
            name: code,
            expiryDays: null,
            pointValue: '1',
            moneyCurrency: 'JPY',
          },
        },
        t.operatorToken,
      ),
    );
    for (let round = 0; round < 6; round++) {
      const offer = ok(
        await t.gql(
          `mutation($input: CreateOfferInput!) { createOffer(input: $input) { offer { id name } userErrors { code } } }`,
          {
            input: {
              name: unique('Yen perk'),
              benefit: { kind: 'AMOUNT_OFF', amountOff: '200' },
            },
          },
          t.operatorToken,
        ),
      ) as {
        createOffer: { offer: { id: string; name: string } };
      };
      const offerId = offer.createOffer.offer.id;
      const storeCode = unique('jpstore');
      const store = ok(await t.gql(CreateRewardStoreDocument, { input: { code: storeCode, name: storeCode, currency: code } }, t.operatorToken)).createRewardStore.rewardStore!;
      const [edit, listing, gift] = await Promise.all([
        t.gql(
          UpdateOfferDocument,
          {
            input: {
              offerId,
              expectedVersion: 1,
              benefit: { kind: 'AMOUNT_OFF', amountOff: '2.50' },
            },
          },
          second,
        ),
        t.gql(AddListingDocument, { input: { storeId: store.id, offerId, priceInPoints: 10 } }, t.operatorToken),
        t.gql(
          CreateGiftListDocument,
          {
            input: {
              currency: code,
              name: unique('yen list'),
              threshold: 10,
              offerIds: [offerId],
            },
          },
          t.operatorToken,
        ),
      ]);
      const edited = !!dataOf(edit).updateOffer.offer;
      const listed = !!dataOf(listing).addListing.listing;
      const listedGift = !!dataOf(gift).createGiftList.giftList;
      expect({
        round,
        bothListed: edited && listed,
        bothGift: edited && listedGift,
      }).toEqual({ round, bothListed: false, bothGift: false });
    }
    const held = await t.sql(
      `select ov.amount_off from listing l join offer o on o.id = l.offer_id join offer_version ov on ov.id = o.current_version_id join reward_store s on s.id = l.store_id where s.currency_code = $1 and ov.amount_off::numeric <> trunc(ov.amount_off::numeric)`,
      [code],
    );
    expect(held).toEqual([]);
  });

  it('the audit entry of a checked edit names the version it was made from and what it wrote', async () => {
    const { offer } = await simpleShop(t);
    ok(await t.gql(UpdateOfferDocument, { input: { offerId: offer.id, expectedVersion: 1, name: 'Audited' } }, second));
    // a refused edit writes no audit entry (nothing was saved)
    dataOf(await t.gql(UpdateOfferDocument, { input: { offerId: offer.id, expectedVersion: 1, name: 'Refused' } }, t.operatorToken));
    const offerDbId = (await t.sql<{ offer_id: number }>(`select offer_id from offer_version where name = $1 and version = 1`, [offer.name]))[0].offer_id;
    const entries = await t.sql<{
      actor: string;
      details: {
        version: number;
        changes: Record<string, unknown>;
        expectedVersion?: number;
      };
    }>(`select actor, details from audit_entry where action = 'updateOffer' and target = $1 order by id`, [`Offer:${offerDbId}`]);
    expect(entries.map((e) => e.details.changes.name)).toEqual(['Audited']);
    expect(entries[0].details.version).toBe(2);
    // an operator reading the log cannot tell a checked edit from one that overwrote blindly
    expect(entries[0].details).toMatchObject({ expectedVersion: 1 });
  });
});
