import { RecordActivityDocument, SetActivityRuleDocument, UpsertCustomerDocument } from '../generated/graphql.js';
import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCurrency, createPartner, unique, uniqueCode } from '../support/program.js';

const LOYALTY_VIEW = `query CustomerByExternalId($externalId: String!) { customer(externalId: $externalId) { externalId birthDate } }`;

/**
 * break36 (authorization): partners never read a member's birth date ("What partners see" in
 * docs/decisions.md: not email, birthDate, segments or attributes, which are personal data; the
 * field is FORBIDDEN to every API key). A partner that reports activities (`activities:write`, no
 * other scope) reporting BIRTHDAY on a day that is no member's birthday is refused NOT_ELIGIBLE
 * either way, but with one sentence when the member has a birth date on file and another when they
 * have none, so any such partner can sort the program's members by whether they gave their birth
 * date, one refused report each, nothing written.
 */
describe('break36 authz: a BIRTHDAY report refused on a day that is no birthday', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  it("answers the same whether or not the member's birth date is on file", async () => {
    const currency = uniqueCode('BD');
    await createCurrency(t, currency);
    ok(await t.gql(SetActivityRuleDocument, { input: { currency, kind: 'BIRTHDAY', points: 10 } as never }, t.operatorToken));
    // a birth date half a year from the test clock's today, so today is no birthday of it
    const now = t.clock.now();
    const far = new Date(Date.UTC(1990, (now.getUTCMonth() + 6) % 12, 15));
    const withBirthDate = unique('born');
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId: withBirthDate, birthDate: far.toISOString().slice(0, 10) } }, t.operatorToken));
    const withoutBirthDate = unique('unborn');
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId: withoutBirthDate } }, t.operatorToken));

    const reporter = await createPartner(t, ['activities:write']);
    // The control: a partner, even one with customers:read, may not read a birth date.
    const reader = await createPartner(t, ['customers:read']);
    expect((await t.gql(LOYALTY_VIEW, { externalId: withBirthDate }, reader.credential)).errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);

    const report = async (customerExternalId: string) =>
      dataOf(await t.gql(RecordActivityDocument, { customerExternalId, kind: 'BIRTHDAY', reference: unique('bday') }, reporter.credential)).recordActivity.userErrors.map((e) => [e.code, e.message]);
    const answers = { withBirthDate: await report(withBirthDate), withoutBirthDate: await report(withoutBirthDate) };
    expect(answers.withBirthDate.map(([code]) => code)).toEqual(['NOT_ELIGIBLE']);
    expect(answers.withoutBirthDate).toEqual(answers.withBirthDate);
  });
});
