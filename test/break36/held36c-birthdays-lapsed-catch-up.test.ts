import { ProfileDocument, PurchaseOfferDocument, ReverseTransactionDocument, SetActivityRuleDocument, UpsertCustomerDocument } from '../generated/graphql.js';
import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { brokenInvariants } from '../support/invariants.js';
import { addListing, createOffer, createPartner, createStore, earningProgram, submitSale, unique } from '../support/program.js';

const HOUR = 3_600_000;

/**
 * held36c (birthdays): probes of the birthday job's expiry counted from the birthday (2ab6ed0).
 * A day caught up later than the currency's expiryDays: its points lapsed on arrival, repay no
 * debt, are not spendable and are not "expiring soon"; one caught up a day late keeps what is left.
 */
describe('held36c birthdays: catch-ups past and within the points\' life', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  it('a birthday caught up after its points\' whole life repays no debt and is not spendable; one a day late has its day left', async () => {
    const year = t.clock.now().getUTCFullYear() + 4;
    t.clock.moveTo(Date.UTC(year, 6, 1, 12));
    const { money, currency } = await earningProgram(t, 'BDL', { expiryDays: 2, pendingDays: 0 });
    ok(await t.gql(SetActivityRuleDocument, { input: { currency, kind: 'BIRTHDAY', points: 50 } }, t.operatorToken));
    await t.jobs.scheduler.tick();
    await t.jobs.runner.runUntilIdle();
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    const store = await createStore(t, currency);
    const listing = await addListing(t, store.id, (await createOffer(t)).id, { priceInPoints: 100 });
    const person = async (birthDate: string) => {
      const externalId = unique('bd');
      ok(await t.gql(UpsertCustomerDocument, { input: { externalId, birthDate, status: 'ACTIVE' } }, t.operatorToken));
      return { externalId, token: await t.customerToken(externalId) };
    };
    const late = await person('1990-07-03'); // caught up on July 7: its two days are over
    const dayLate = await person('1990-07-06'); // caught up on July 7: a day left
    // late owes 100: a sale's points spent, then the sale taken back
    const s1 = await submitSale(t, till, late.externalId, money, 10);
    await t.jobs.runner.runUntilIdle();
    expect(ok(await t.gql(PurchaseOfferDocument, { listingId: listing.id, idempotencyKey: unique('buy') }, late.token)).purchaseOffer.userErrors).toEqual([]);
    t.clock.advance(HOUR);
    expect(dataOf(await t.gql(ReverseTransactionDocument, { externalId: s1, reason: 'returned' }, till.credential)).reverseTransaction.userErrors).toEqual([]);

    // July 2 runs; no gateway runs July 3 to 6; July 7 catches them up
    t.clock.moveTo(Date.UTC(year, 6, 2, 0, 0, 30));
    await t.runScheduled();
    t.clock.moveTo(Date.UTC(year, 6, 7, 0, 0, 30));
    await t.runScheduled();
    t.clock.advance(1000);

    const balance = async (token: string) => ok(await t.gql(ProfileDocument, {}, token)).me!.balances.find((b) => b.currency.code === currency);
    const debts = await t.sql<{ external_id: string; debt: number }>(
      `select c.external_id, a.debt::int as debt from point_account a join customer c on c.id = a.customer_id where a.currency_code = $1`,
      [currency],
    );
    const lateBalance = await balance(late.token);
    const dayLateBalance = await balance(dayLate.token);
    expect({
      lateDebt: debts.find((d) => d.external_id === late.externalId)?.debt,
      lateAvailable: lateBalance?.available ?? 0,
      lateSoon: lateBalance?.expiringSoon ?? [],
      dayLateAvailable: dayLateBalance?.available,
      dayLateSoon: dayLateBalance?.expiringSoon.map((x) => ({ amount: x.amount, expiresAt: new Date(x.expiresAt as string).toISOString() })),
    }).toEqual({
      lateDebt: 100,
      lateAvailable: 0,
      lateSoon: [],
      dayLateAvailable: 50,
      dayLateSoon: [{ amount: 50, expiresAt: new Date(Date.UTC(year, 6, 8)).toISOString() }],
    });
    expect(await brokenInvariants(t)).toEqual([]);
  }, 60_000);
});
