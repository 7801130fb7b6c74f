import { ProfileDocument, RecordActivityDocument, SetActivityRuleDocument, UpsertCustomerDocument, type ActivityKind } from '../generated/graphql.js';
import { ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCurrency, createPartner, unique } from '../support/program.js';
import { recordStatements, type SentStatement } from '../support/statements.js';

/**
 * What one reported activity sends to PostgreSQL about its customer (edges-12). An award took the
 * customer's status lock in one statement and read the status in the next, and a birthday read
 * the customer's row a third time for the birth date: `customer_status_locked` takes the lock and
 * reads after it in one statement (a status change committed while it waited is seen, as before),
 * and the birth date comes with it. Counts the statements of the activity's transaction that lock
 * or read its customer by id, and checks what the customer sees.
 */
describe("an activity's statements about its customer", () => {
  let t: TestGateway;
  let recorder: ReturnType<typeof recordStatements>;
  const currency = 'ACTQ';

  beforeAll(async () => {
    // no job worker and no relay: their polling would be counted
    t = await startTestGateway({ EVENT_FANOUT: 'off' }, { jobs: 'manual' });
    await createCurrency(t, currency);
    for (const kind of ['REVIEW', 'BIRTHDAY'] as const) ok(await t.gql(SetActivityRuleDocument, { input: { currency, kind, points: 7 } }, t.operatorToken));
    recorder = recordStatements();
  });
  afterEach(async () => {
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(async () => {
    recorder.stop();
    await t.close();
  });

  /** The statements of one report's transaction (BEGIN to COMMIT) that lock or read its customer's row or status. */
  const aboutTheCustomer = (sent: SentStatement[]) => {
    const inTransaction = sent.slice(sent.findIndex((s) => /^begin/i.test(s.text.trim())));
    return inTransaction.filter((s) => /pg_advisory_xact_lock_shared|customer_status_locked|from customer where id|birth_date/i.test(s.text)).length;
  };

  it.each(['REVIEW', 'BIRTHDAY'] as const)('a %s: the status locked and read, with the birth date, in one statement', async (kind: ActivityKind) => {
    const partner = await createPartner(t, ['activities:write']);
    const today = new Date().toISOString().slice(5, 10);
    const externalId = unique('member');
    const customer = ok(await t.gql(UpsertCustomerDocument, { input: { externalId, birthDate: `1990-${today}` } }, t.operatorToken)).upsertCustomer.customer!;
    expect(customer).toBeTruthy();
    const report = (reference: string) => t.gql(RecordActivityDocument, { customerExternalId: externalId, kind, reference }, partner.credential);
    ok(await report(unique('warm'))); // the document registered, first-use work done (a BIRTHDAY then repeats: its year is taken)
    const other = unique('member');
    ok(await t.gql(UpsertCustomerDocument, { input: { externalId: other, birthDate: `1991-${today}` } }, t.operatorToken));
    recorder.take();
    const answer = ok(await t.gql(RecordActivityDocument, { customerExternalId: other, kind, reference: unique('ref') }, partner.credential)).recordActivity;
    const sent = recorder.take();
    expect(answer).toEqual({ pointsAwarded: 7, userErrors: [] });
    expect(aboutTheCustomer(sent)).toBe(1);
    const me = ok(await t.gql(ProfileDocument, {}, await t.customerToken(other))).me!;
    expect(me.balances.find((b) => b.currency.code === currency)).toMatchObject({ available: 7, lifetimeEarned: 7 });
  });
});
