import { ProfileDocument, SubmitTransactionDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { brokenInvariants } from '../support/invariants.js';
import { createCustomer, createPartner, earningProgram, submitSale, unique } from '../support/program.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/**
 * break35 (expiry): the instant a sale's points expire depends on when its processing job ran.
 *
 * Two members buy the same basket at the same till in the same second t0 (economy rule: 10 points a
 * unit). A's processing job runs at once; B's job is held up (a stalled queue, an instance down)
 * and runs an hour after it should have. pending-18 made the *release* a fact of the sale (sale +
 * pendingDays, whenever the job ran), but the *expiry* is still a fact of the job: B's points are
 * credited "at once, dated the processing's now" and expire expiryDays after the job, not after
 * the sale / its release. So at a moment between the two expiries A has 0 and B still has 100 that
 * B can spend — same sale, same rules, same second, different points, only because a job ran late.
 *
 * SPEC §4: "anything that changes with time (expiry of points, pending points, …) holds from the
 * second it is due, whether or not a background job has run yet; jobs only write down what is
 * already true"; SPEC §2: points expire "N days after earning". (docs/decisions.md "pending-18"
 * chose "expiry counts from when the points became spendable" for an offline till's sale sent
 * weeks late; the same rule also moves the expiry of every ordinary sale whose job merely lagged,
 * by exactly the lag.)
 */
describe("break35: a sale's points expire at an instant that depends on when its job ran", () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    till = await createPartner(t, ['transactions:write', 'transactions:read']);
  });
  afterEach(async () => {
    t.clock.reset();
    expect(await brokenInvariants(t)).toEqual([]);
  });
  afterAll(() => t.close());

  const availableOf = async (token: string, currency: string) =>
    ok(await t.gql(ProfileDocument, {}, token)).me!.balances.find((b) => b.currency.code === currency)?.available ?? 0;
  /** What the member is told expires, and when (`expiringSoon`, as of now). */
  const expiringOf = async (token: string, currency: string) =>
    ok(await t.gql(ProfileDocument, {}, token)).me!.balances.find((b) => b.currency.code === currency)?.expiringSoon ?? [];

  it.each([
    { pendingDays: 3, lagMs: 3 * DAY + HOUR, label: 'pendingDays 3, job an hour past the release instant' },
    { pendingDays: 0, lagMs: HOUR, label: 'pendingDays 0, job an hour late' },
  ])('$label: both members\' points expire at the same instant', async ({ pendingDays, lagMs }) => {
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, `LAG${pendingDays}`, { expiryDays: 10, pendingDays });
    const a = await createCustomer(t, currency);
    const b = await createCustomer(t, currency);
    const t0 = t.clock.now().getTime();
    // A's sale, processed at once
    await submitSale(t, till, a.externalId, money, 10); // 100 points
    expect(await t.jobs.runner.runUntilIdle()).toBeGreaterThan(0);
    // B's sale: the same basket in the same second (the clock is frozen at t0); its job waits
    await submitSale(t, till, b.externalId, money, 10);
    t.clock.moveTo(t0 + lagMs);
    expect(await t.jobs.runner.runUntilIdle()).toBeGreaterThan(0);

    const dueAt = t0 + pendingDays * DAY + 10 * DAY; // sale + pendingDays (release) + expiryDays
    t.clock.moveTo(dueAt - HOUR);
    const told = { a: await expiringOf(a.token, currency), b: await expiringOf(b.token, currency) };
    t.clock.moveTo(dueAt + HOUR / 2);
    const seen = { a: await availableOf(a.token, currency), b: await availableOf(b.token, currency) };
    // Expected: both told "100 expire at sale + pendingDays + expiryDays", both 0 after it.
    // Actual: B is told an hour later, and half an hour after A's points expired B still has 100.
    const expiring = [{ amount: 100, expiresAt: new Date(dueAt).toISOString() }];
    expect({ told, seen }).toEqual({ told: { a: expiring, b: expiring }, seen: { a: 0, b: 0 } });
  });
  it('a job later than the points\' whole life credits them expiring the next millisecond: the member has what the sale processed at once would leave, and the ledger stays in order', async () => {
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'LAGLONG', { expiryDays: 2, pendingDays: 0 });
    const a = await createCustomer(t, currency);
    const b = await createCustomer(t, currency);
    const t0 = t.clock.now().getTime();
    await submitSale(t, till, a.externalId, money, 10);
    expect(await t.jobs.runner.runUntilIdle()).toBeGreaterThan(0);
    await submitSale(t, till, b.externalId, money, 10);
    t.clock.moveTo(t0 + 3 * DAY); // B's job three days late: its points' two days are over
    expect(await t.jobs.runner.runUntilIdle()).toBeGreaterThan(0);
    const [credit] = await t.sql<{ createdAt: Date; expiresAt: Date }>(
      `select e.created_at as "createdAt", e.expires_at as "expiresAt" from ledger_entry e join customer c on c.id = e.customer_id where c.external_id = $1 and e.kind = 'EARN'`,
      [b.externalId],
    );
    expect(new Date(credit.expiresAt).getTime() - new Date(credit.createdAt).getTime()).toBe(1);
    t.clock.advance(1);
    expect({ a: await availableOf(a.token, currency), b: await availableOf(b.token, currency) }).toEqual({ a: 0, b: 0 });
  });

  it('an offline till\'s sale sent days after it was made still gets its whole expiry, counted from its receipt', async () => {
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'OFFLINE', { expiryDays: 10, pendingDays: 0 });
    const member = await createCustomer(t, currency);
    const made = t.clock.now().getTime();
    t.clock.moveTo(made + 5 * DAY);
    const input = { externalId: unique('offline'), customerExternalId: member.externalId, occurredAt: new Date(made).toISOString(), currency: money, lines: [{ sku: 'BEANS', category: 'COFFEE', quantity: 1, unitPrice: '10.00' }] };
    expect(ok(await t.gql(SubmitTransactionDocument, { input }, till.credential)).submitTransaction.userErrors).toEqual([]);
    t.clock.moveTo(made + 5 * DAY + HOUR); // its job an hour after it arrived
    expect(await t.jobs.runner.runUntilIdle()).toBeGreaterThan(0);
    expect(await expiringOf(member.token, currency)).toEqual([{ amount: 100, expiresAt: new Date(made + 15 * DAY).toISOString() }]);
  });
});
