import { AddListingDocument, CreateCampaignDocument, CreateOfferDocument, CreateRewardStoreDocument, UpdateOfferDocument } from '../generated/graphql.js';
import { startTestGateway, tableSnapshot, type TestGateway } from '../support/gateway.js';
import { earningProgram, simpleShop, unique } from '../support/program.js';

/**
 * edges-21: a date past year 9999 (the console's "Last day (UTC)" of 9999-12-31 sent the next day as
 * `+010000-01-01T00:00:00.000Z`, JavaScript's expanded-year form) is refused at every DateTime input
 * with BAD_USER_INPUT naming the range and the field, never stored or answered as an internal error.
 */
describe('DateTime inputs past 9999-12-31 (edges-21)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  const RANGE = 'DateTime must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z';
  const refusal = (res: { errors?: readonly { message: string; extensions?: Record<string, unknown> }[] }) =>
    (res.errors ?? []).map((e) => [e.extensions?.code, e.message.includes(RANGE)]);

  it.each(['+010000-01-01T00:00:00.000Z', '10000-01-01T00:00:00Z', '-000001-12-31T00:00:00.000Z', '0000-12-31T23:59:59Z'])(
    '%s is BAD_USER_INPUT naming the range, for campaigns, offers, stores and listings',
    async (date) => {
      const { currency } = await earningProgram(t, 'D21');
      const shop = await simpleShop(t);
      const answers = [
        await t.gql(CreateCampaignDocument, { input: { name: unique('c'), currency, startsAt: '2026-12-01T00:00:00Z', endsAt: date, outcome: { bonusPoints: 1 } } } as never, t.operatorToken),
        await t.gql(CreateOfferDocument, { input: { name: unique('o'), benefit: { kind: 'AMOUNT_OFF', amountOff: '1.00' }, validUntil: date } } as never, t.operatorToken),
        await t.gql(UpdateOfferDocument, { input: { offerId: shop.offer.id, validUntil: date } } as never, t.operatorToken),
        await t.gql(CreateRewardStoreDocument, { input: { code: unique('S'), name: 's', currency, endsAt: date } } as never, t.operatorToken),
        await t.gql(AddListingDocument, { input: { storeId: shop.store.id, offerId: shop.offer.id, priceInPoints: 1, visibleUntil: date } } as never, t.operatorToken),
      ];
      expect(answers.map(refusal)).toEqual(answers.map(() => [['BAD_USER_INPUT', true]]));
    },
  );

  it.each([
    ['+009999-12-31T00:00:00Z', 'DateTime must write its year with four digits and no sign (RFC 3339), such as 2026-03-01T10:15:30Z'],
    ['+002026-06-01T00:00:00Z', 'DateTime must write its year with four digits and no sign (RFC 3339), such as 2026-03-01T10:15:30Z'],
    ['-0001-01-01T00:00:00Z', RANGE],
    ['2026-06-30T23:59:60Z', 'DateTime cannot hold a leap second (:60); send 23:59:59.999 or the next minute'],
    ['9999-12-31T23:00:00-14:00', RANGE],
  ])('break2-21: %s is BAD_USER_INPUT saying what is wrong with it (a literal: GRAPHQL_VALIDATION_FAILED, as any literal a scalar refuses), nothing written', async (date, message) => {
    const { currency } = await earningProgram(t, 'B21');
    const before = await tableSnapshot(t);
    const asVariable = await t.gql(CreateRewardStoreDocument, { input: { code: unique('S'), name: 's', currency, endsAt: date } } as never, t.operatorToken);
    const asLiteral = await t.gql(
      `mutation { createRewardStore(input: { code: "${unique('S')}", name: "s", currency: "${currency}", endsAt: "${date}" }) { rewardStore { id } } }`,
      {},
      t.operatorToken,
    );
    const told = (res: { errors?: readonly { message: string; extensions?: Record<string, unknown> }[] }) =>
      (res.errors ?? []).map((e) => [e.extensions?.code, e.message.includes(message) ? message : e.message]);
    expect([told(asVariable), told(asLiteral)]).toEqual([[['BAD_USER_INPUT', message]], [['GRAPHQL_VALIDATION_FAILED', message]]]);
    expect(await tableSnapshot(t)).toEqual(before);
  });
});
