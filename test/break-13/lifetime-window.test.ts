import { AdjustPointsDocument, ProfileDocument, ReverseTransactionDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { brokenInvariants } from '../support/invariants.js';
import { createCustomer, createPartner, createTier, earningProgram, submitSale, tierMoves, unique } from '../support/program.js';

/**
 * Lifetime points are the sum of qualifying movements, never below 0, whatever their order
 * (docs/decisions.md, "Lifetime earned and qualifying points"; break-13). A qualifying drop past 0
 * (a −60 qualifying adjustment, then the return of a 50-point sale, on 100 lifetime points) was
 * forgotten: the next 50 earned read 50 lifetime points where the same movements in another order,
 * and a rolling window holding them all, read 40.
 */
describe('lifetime points in any order (break-13)', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    till = await createPartner(t, ['transactions:write', 'transactions:read']);
  });
  afterAll(() => t.close());

  it('the same sales, return and qualifying drop, in two orders: the same lifetime points and tier as a ten-year window counts', async () => {
    const { money, currency } = await earningProgram(t, 'L', { expiryDays: null });
    const life = `LIFE_${money}`;
    const roll = `ROLL_${money}`;
    await createTier(t, { currency, code: roll, rank: 1, threshold: 40, windowDays: 3650 });
    await createTier(t, { currency, code: life, rank: 2, threshold: 50 });
    const sale = async (externalId: string) => {
      const id = await submitSale(t, till, externalId, money, 5); // 50 points
      await t.jobs.runner.runUntilIdle();
      return id;
    };
    const drop = async (externalId: string) =>
      ok(await t.gql(AdjustPointsDocument, { input: { customerExternalId: externalId, currency, amount: -60, reason: 'correction', idempotencyKey: unique('k'), qualifying: true } }, t.operatorToken));
    const giveBack = async (saleId: string) => ok(await t.gql(ReverseTransactionDocument, { externalId: saleId, reason: 'returned' }, till.credential));

    // +50 +50, −60 qualifying, the first sale returned (40 open, 10 owed), +50 (repays 10)
    const a = await createCustomer(t, currency);
    const a1 = await sale(a.externalId);
    await sale(a.externalId);
    await drop(a.externalId);
    await giveBack(a1);
    await sale(a.externalId);
    // +50 +50, the first sale returned, +50, −60 qualifying
    const b = await createCustomer(t, currency);
    const b1 = await sale(b.externalId);
    await sale(b.externalId);
    await giveBack(b1);
    await sale(b.externalId);
    await drop(b.externalId);

    for (const c of [a, b]) {
      const me = ok(await t.gql(ProfileDocument, {}, c.token)).me!;
      const balance = me.balances.find((x) => x.currency.code === currency)!;
      expect({ available: balance.available, lifetimeEarned: balance.lifetimeEarned, tier: me.tier?.code, next: me.nextTier }).toEqual({
        available: 40,
        lifetimeEarned: 40,
        tier: roll,
        next: { code: life, name: life, pointsNeeded: 10 },
      });
      expect((await tierMoves(t, c.externalId)).at(-1)?.[1]).toBe(roll);
    }
    expect(await brokenInvariants(t)).toEqual([]);
  });
});
