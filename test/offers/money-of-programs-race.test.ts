import { AddListingDocument, CreateCampaignDocument, CreateCurrencyDocument, CreateGiftListDocument, CreateOfferDocument, UpdateOfferDocument } from '../generated/graphql.js';
import { dataOf, ok, startTestGateway, type GqlResult, type TestGateway } from '../support/gateway.js';
import { holdAnswers } from '../support/statements.js';
import { createStore, eventually, unique } from '../support/program.js';

const DAY = 86_400_000;

/**
 * An offer whose amount is finer than a program's money is never put in it (money-12): a listing,
 * a gift list or a campaign in a JPY program refuses "2.50 off", and an edit to 2.50 is refused
 * while such a program offers the offer. Each check reads what the other writes, so an edit and a
 * listing sent at the same moment must not both pass their check on what the other had not yet
 * committed (break-12f): a JPY store then sold, for points, an offer no yen till can apply.
 */
describe('an offer put in a JPY program while it is edited to an amount finer than yen (break-12f)', () => {
  let t: TestGateway;
  const JPY = 'RACEYEN';
  let store: { id: string };
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    ok(await t.gql(CreateCurrencyDocument, { input: { code: JPY, name: JPY, expiryDays: null, pointValue: '1', moneyCurrency: 'JPY' } }, t.operatorToken));
    store = await createStore(t, JPY);
  });
  afterAll(() => t.close());

  /** Operations that put an offer in the JPY program. */
  const putters: Record<string, (offerId: string) => Promise<GqlResult<unknown>>> = {
    listing: (offerId) => t.gql(AddListingDocument, { input: { storeId: store.id, offerId, priceInPoints: 1 } }, t.operatorToken),
    giftList: (offerId) => t.gql(CreateGiftListDocument, { input: { currency: JPY, name: unique('gifts'), threshold: 10, offerIds: [offerId] } }, t.operatorToken),
    campaign: (offerId) =>
      t.gql(
        CreateCampaignDocument,
        { input: { name: unique('c'), currency: JPY, startsAt: t.clock.now().toISOString(), endsAt: new Date(t.clock.now().getTime() + DAY).toISOString(), outcome: { offerId } } },
        t.operatorToken,
      ),
  };

  /** Lock waits in the test database now (a request held at a row another transaction holds). */
  const lockWaits = async () => (await t.sql<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`))[0].n;

  it.each(Object.keys(putters))('a %s and an edit to 2.50 off at once: never both (the program would offer 2.50 off in yen)', async (kind) => {
    const offer = ok(await t.gql(CreateOfferDocument, { input: { name: unique('offer'), benefit: { kind: 'AMOUNT_OFF', amountOff: '200' }, validDays: 30 } }, t.operatorToken)).createOffer.offer!;
    // The putter has read the offer's current version (¥200 off: fits) and not yet written.
    const held = holdAnswers((text) => /from offer o join offer_version ov on ov.id = o.current_version_id where o.id = any/.test(text));
    const putting = putters[kind](offer.id);
    await held.reached;
    let editDone = false;
    const editing = t
      .gql(UpdateOfferDocument, { input: { offerId: offer.id, benefit: { kind: 'AMOUNT_OFF', amountOff: '2.50' } } }, t.operatorToken)
      .finally(() => (editDone = true));
    // The edit either answers (it did not wait for the putter) or waits for a lock the putter holds.
    await eventually(async () => editDone || (await lockWaits()) > 0);
    held.release();
    const [put, edit] = await Promise.all([putting, editing]);
    const refusals = (r: GqlResult<unknown>) => Object.values(dataOf(r) as Record<string, { userErrors: { code: string }[] }>)[0].userErrors.map((e) => e.code);
    const outcome = { put: refusals(put), edit: refusals(edit) };
    // One of them is refused INVALID; which one depends on which took the offer first.
    expect([outcome.put, outcome.edit].filter((codes) => codes.length === 0)).toHaveLength(1);
    expect([...outcome.put, ...outcome.edit]).toEqual(['INVALID']);
    // And whatever was stored: no running part of the JPY program offers an amount finer than yen.
    const [{ n }] = await t.sql<{ n: number }>(
      `select count(*)::int as n from offer o join offer_version ov on ov.id = o.current_version_id
        where o.id = (select offer_id from offer_version where name = $1 limit 1)
          and ov.amount_off = 2.50
          and (exists (select 1 from listing l where l.offer_id = o.id and l.removed_at is null)
               or exists (select 1 from gift_list_option g where g.offer_id = o.id)
               or exists (select 1 from campaign c where c.offer_id = o.id))`,
      [offer.name],
    );
    expect(n).toBe(0);
  });

  it.each(Object.keys(putters))('an edit to 2.50 off holding the offer while a %s is sent: it reads the edit and is refused', async (kind) => {
    const offer = ok(await t.gql(CreateOfferDocument, { input: { name: unique('offer'), benefit: { kind: 'AMOUNT_OFF', amountOff: '200' }, validDays: 30 } }, t.operatorToken)).createOffer.offer!;
    // The edit holds the offer's row and has not yet written its version.
    const held = holdAnswers((text) => /select id from offer where id = \$1 for update/.test(text));
    const editing = t.gql(UpdateOfferDocument, { input: { offerId: offer.id, benefit: { kind: 'AMOUNT_OFF', amountOff: '2.50' } } }, t.operatorToken);
    await held.reached;
    let putDone = false;
    const putting = putters[kind](offer.id).finally(() => (putDone = true));
    await eventually(async () => putDone || (await lockWaits()) > 0);
    held.release();
    const [put, edit] = await Promise.all([putting, editing]);
    const refusals = (r: GqlResult<unknown>) => Object.values(dataOf(r) as Record<string, { userErrors: { code: string }[] }>)[0].userErrors.map((e) => e.code);
    expect({ put: refusals(put), edit: refusals(edit) }).toEqual({ put: ['INVALID'], edit: [] });
  });
});
