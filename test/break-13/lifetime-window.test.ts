import { ProfileDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { brokenInvariants } from '../support/invariants.js';
import { createCustomer, createPartner, lifetimeLadder, tierMoves } from '../support/program.js';

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
    const { currency, life, roll, pastZero, neverPastZero } = await lifetimeLadder(t, till, 'L');

    // +50 +50, −60 qualifying, the first sale returned (40 open, 10 owed), +50 (repays 10)
    const a = await createCustomer(t, currency);
    await pastZero(a.externalId);
    // +50 +50, the first sale returned, +50, −60 qualifying
    const b = await createCustomer(t, currency);
    await neverPastZero(b.externalId);

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
