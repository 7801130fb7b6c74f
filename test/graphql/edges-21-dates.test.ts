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
    ['2026-06-30T23:59:60Z', 'DateTime cannot hold a second 60 (a leap second); send 2026-06-30T23:59:59.999Z or the next minute at :00'],
    ['9999-12-31T23:00:00-14:00', RANGE],
    // break-22: what to send, in the client's own words (it said "send 23:59:59.999" whatever the time),
    // and the forms graphql-scalars called an "invalid date-time-string" without saying what they lack
    ['2026-06-30T10:00:60Z', 'DateTime cannot hold a second 60 (a leap second); send 2026-06-30T10:00:59.999Z or the next minute at :00'],
    ['2026-07-01T05:29:60+05:30', 'DateTime cannot hold a second 60 (a leap second); send 2026-07-01T05:29:59.999+05:30 or the next minute at :00'],
    ['2026-06-01T10:00:00', 'DateTime must end with its UTC offset, Z or ±hh:mm (such as 2026-03-01T10:15:30Z): without one it names no instant'],
    ['2026-06-01T10:00:00.250', 'DateTime must end with its UTC offset, Z or ±hh:mm (such as 2026-03-01T10:15:30Z): without one it names no instant'],
    ['2026-06-01', "DateTime must have a time of day and a UTC offset, such as 2026-03-01T10:15:30Z (a day alone is the Date type's)"],
    ['2026-06-01T10:00+02:00', 'DateTime must give its seconds, hh:mm:ss (such as 2026-03-01T10:15:30Z)'],
    ['2026-02-29T10:00:00Z', "DateTime's day 2026-02-29 does not exist"],
    ['2026-04-31T10:00:00Z', "DateTime's day 2026-04-31 does not exist"],
    ['2026-06-01T24:00:00Z', "DateTime's time of day 24:00:00 does not exist (hours 00 to 23, minutes and seconds 00 to 59)"],
    // break2-22: a second 60 in a text wrong besides was told to send that text at :59.999, which
    // is refused in its turn (a time of day, a day, a year or an offset that does not exist): what
    // else is wrong is said first, and the leap second's advice only when it can be followed
    ['2026-06-30T24:59:60Z', "DateTime's time of day 24:59:60 does not exist (hours 00 to 23, minutes and seconds 00 to 59)"],
    ['2026-06-30T23:60:60Z', "DateTime's time of day 23:60:60 does not exist (hours 00 to 23, minutes and seconds 00 to 59)"],
    ['2026-02-30T23:59:60Z', "DateTime's day 2026-02-30 does not exist"],
    ['2026-13-31T23:59:60Z', "DateTime's day 2026-13-31 does not exist"],
    ['0000-12-31T23:59:60Z', RANGE],
    ['2026-06-30T23:59:60+19:00', 'DateTime must have a UTC offset between -18:00 and +18:00'],
    ['2026-07-01T05:29:60+05:60', "DateTime's UTC offset +05:60 does not exist (hours 00 to 23, minutes 00 to 59)"],
    ['2026-07-01T05:29:00+05:60', "DateTime's UTC offset +05:60 does not exist (hours 00 to 23, minutes 00 to 59)"],
  ])('break2-21, break-22: %s is BAD_USER_INPUT saying what is wrong with it (a literal: GRAPHQL_VALIDATION_FAILED, as any literal a scalar refuses), nothing written', async (date, message) => {
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
