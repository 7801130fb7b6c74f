import { LockOfferDocument, type CreateOfferInput } from '../generated/graphql.js';
import { dataOf, ledgerViolations, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCurrency, createPartner, createStore, ownedOffer, uniqueCode } from '../support/program.js';

const SECOND = 1_000;

/**
 * break37c (till-37): LOCK_HELD now says "Another basket holds this offer until <end>: it can be
 * locked or redeemed once that lock ends, unless that basket redeems it or renews the lock first."
 * A lock never outlives its offer (lockOffer caps it at the offer's expiresAt), so a lock taken in
 * an offer's last minutes ends exactly when the offer does: at <end> the code is EXPIRED and every
 * till is refused OFFER_NOT_REDEEMABLE. The cashier told to wait for it waits for nothing, and the
 * member is told nothing either. A correct refusal does not promise the code after a lock that ends
 * with the offer (it says the offer ends then).
 */
describe('break37c till: LOCK_HELD until a lock that ends with the offer', () => {
  let t: TestGateway;
  let currency: string;
  let store: { id: string };
  let till: Awaited<ReturnType<typeof createPartner>>;
  let otherTill: Awaited<ReturnType<typeof createPartner>>;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    currency = (await createCurrency(t, uniqueCode('TM37C'))).code;
    store = await createStore(t, currency);
    till = await createPartner(t, ['transactions:write', 'transactions:read', 'offers:redeem']);
    otherTill = await createPartner(t, ['transactions:write', 'transactions:read', 'offers:redeem']);
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(() => t.close());

  const owned = (benefit: CreateOfferInput['benefit'], extra: Partial<CreateOfferInput> = {}) => ownedOffer(t, currency, store.id, benefit, extra);

  it('LOCK_HELD does not promise the code once the lock ends when the lock ends with the offer', async () => {
    const offer = await owned({ kind: 'PERCENT_OFF', percentOff: 10 }, { validDays: 1 });
    const expiresAt = new Date(offer.expiresAt!).getTime();
    t.clock.freeze();
    t.clock.moveTo(expiresAt - 120 * SECOND);
    // Basket A locks for five minutes: its lock is cut at the offer's end, two minutes from now.
    const locked = dataOf(await t.gql(LockOfferDocument, { code: offer.code, lockId: 'basket-a', ttlSeconds: 300 }, till.credential)).lockOffer;
    expect(new Date(locked.issuedOffer!.lockExpiresAt!).getTime()).toBe(expiresAt);

    // Another partner's till asks for it.
    const held = dataOf(await t.gql(LockOfferDocument, { code: offer.code, lockId: 'basket-b', ttlSeconds: 60 }, otherTill.credential)).lockOffer;
    expect(held.userErrors.map((e) => e.code)).toEqual(['LOCK_HELD']);
    const message = held.userErrors[0].message;

    // At the instant named, the lock has ended and so has the offer: nobody can lock or redeem it.
    t.clock.moveTo(expiresAt);
    const atTheEnd = dataOf(await t.gql(LockOfferDocument, { code: offer.code, lockId: 'basket-b', ttlSeconds: 60 }, otherTill.credential)).lockOffer;
    expect(atTheEnd.userErrors.map((e) => e.code)).toEqual(['OFFER_NOT_REDEEMABLE']);

    // So the refusal must not have promised it.
    expect({ message, promisesTheCodeOnceTheLockEnds: /can be locked or redeemed once that lock ends/.test(message) }).toEqual({
      message: expect.stringContaining(new Date(expiresAt).toISOString()),
      promisesTheCodeOnceTheLockEnds: false,
    });
  });
});
