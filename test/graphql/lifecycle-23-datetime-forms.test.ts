import { startTestGateway, tableSnapshot, type TestGateway } from '../support/gateway.js';
import { earningProgram, unique } from '../support/program.js';

/**
 * lifecycle-23: DateTime shapes that graphql-scalars refused as "DateTime cannot represent an invalid
 * date-time-string <the value, whole>." without saying what to change. RFC 3339's space in place of
 * the `T` (its section 5.6 NOTE) is taken; an offset without its colon and white space around the
 * text are refused with the one change to make; any other refusal quotes at most 40 characters of
 * the value. Through real GraphQL requests, as a variable (BAD_USER_INPUT) and as a literal
 * (GRAPHQL_VALIDATION_FAILED).
 */
describe('DateTime written with a space, a colonless offset or white space around it (lifecycle-23)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  const STORE = `mutation ($input: CreateRewardStoreInput!) { createRewardStore(input: $input) { rewardStore { endsAt } userErrors { code } } }`;
  type Answer = { data?: { createRewardStore?: { rewardStore: { endsAt: string } | null } } | null; errors?: readonly { message: string; extensions?: Record<string, unknown> }[] };

  /** A store created with `endsAt` sent as a variable and as a literal: what each answered. */
  const sendBoth = async (currency: string, endsAt: string) => {
    const asVariable = (await t.gql(STORE, { input: { code: unique('S'), name: 's', currency, endsAt } }, t.operatorToken)) as Answer;
    const asLiteral = (await t.gql(
      `mutation { createRewardStore(input: { code: "${unique('S')}", name: "s", currency: "${currency}", endsAt: ${JSON.stringify(endsAt)} }) { rewardStore { endsAt } } }`,
      {},
      t.operatorToken,
    )) as Answer;
    return [asVariable, asLiteral];
  };

  it.each([
    ['2026-12-03 10:00:00Z', '2026-12-03T10:00:00.000Z'],
    ['2026-12-03 10:00:00.250+01:00', '2026-12-03T09:00:00.250Z'],
    ['2026-12-03 23:30:00-05:00', '2026-12-04T04:30:00.000Z'],
  ])('%s (a space for the T, RFC 3339 section 5.6) is taken as the instant it names: %s', async (endsAt, stored) => {
    const { currency } = await earningProgram(t, 'L23');
    const answers = await sendBoth(currency, endsAt);
    expect(answers.map((a) => [a.errors ?? [], a.data?.createRewardStore?.rewardStore?.endsAt])).toEqual([
      [[], stored],
      [[], stored],
    ]);
  });

  it.each([
    ['2026-12-03T10:00:00+0100', "DateTime's UTC offset must be written ±hh:mm, with a colon (RFC 3339): send +01:00 for +0100"],
    ['2026-12-03T10:00:00.5-0500', "DateTime's UTC offset must be written ±hh:mm, with a colon (RFC 3339): send -05:00 for -0500"],
    ['2026-12-03 10:00:00+0530', "DateTime's UTC offset must be written ±hh:mm, with a colon (RFC 3339): send +05:30 for +0530"],
    ['2026-12-03T10:00:00+05', "DateTime's UTC offset must be written ±hh:mm, with a colon (RFC 3339): send +05:00 for +05"],
    [' 2026-12-03T10:00:00Z ', 'DateTime must not begin or end with white space (spaces, tabs, line breaks): remove it (such as 2026-03-01T10:15:30Z)'],
    ['2026-12-03T10:00:00Z\n', 'DateTime must not begin or end with white space (spaces, tabs, line breaks): remove it (such as 2026-03-01T10:15:30Z)'],
    ['\u00a02026-12-03 10:00:00Z', 'DateTime must not begin or end with white space (spaces, tabs, line breaks): remove it (such as 2026-03-01T10:15:30Z)'],
    // the space taken for the T, what else is wrong is said as for a T
    ['2026-12-03 10:00:00', 'DateTime must end with its UTC offset, Z or ±hh:mm (such as 2026-03-01T10:15:30Z): without one it names no instant'],
    ['2026-12-03 10:00Z', 'DateTime must give its seconds, hh:mm:ss (such as 2026-03-01T10:15:30Z)'],
    ['2026-06-30 23:59:60Z', 'DateTime cannot hold a second 60 (a leap second); send 2026-06-30T23:59:59.999Z or the next minute at :00'],
  ])('%j is BAD_USER_INPUT as a variable, GRAPHQL_VALIDATION_FAILED as a literal, saying what to change; nothing written', async (endsAt, message) => {
    const { currency } = await earningProgram(t, 'L23');
    const before = await tableSnapshot(t);
    const answers = await sendBoth(currency, endsAt);
    const told = (a: Answer) => (a.errors ?? []).map((e) => [e.extensions?.code, e.message.includes(message) ? message : e.message]);
    expect(answers.map(told)).toEqual([[['BAD_USER_INPUT', message]], [['GRAPHQL_VALIDATION_FAILED', message]]]);
    expect(await tableSnapshot(t)).toEqual(before);
  });

  it('a refused text of any other shape is quoted to its first 40 characters, never whole', async () => {
    const { currency } = await earningProgram(t, 'L23');
    const before = await tableSnapshot(t);
    const long = `2026-12-03T10:00:00Z${'x'.repeat(5_000)}`;
    const answers = await sendBoth(currency, long);
    const told = answers.map((a) =>
      (a.errors ?? []).map((e) => ({
        code: e.extensions?.code,
        quotesTheStart: e.message.includes(`${long.slice(0, 40)}… (5020 characters)`),
        length: e.message.length < 400,
      })),
    );
    expect(told).toEqual([[{ code: 'BAD_USER_INPUT', quotesTheStart: true, length: true }], [{ code: 'GRAPHQL_VALIDATION_FAILED', quotesTheStart: true, length: true }]]);
    expect(await tableSnapshot(t)).toEqual(before);
  });
});
