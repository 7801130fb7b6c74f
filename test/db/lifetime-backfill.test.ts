import { backfillLifetimeSql, Migration20261202010000 } from '../../migrations/Migration20261202010000.js';
import { enqueueJob } from '../../src/jobs/queue.js';
import { RECOMPUTE_TIERS } from '../../src/tiers/tier.jobs.js';
import { ProfileDocument } from '../generated/graphql.js';
import { ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { brokenInvariants } from '../support/invariants.js';
import { runMigration } from '../support/migrations.js';
import { createCustomer, createPartner, lifetimeLadder, tierMoves } from '../support/program.js';

/**
 * Migration20261202010000 (backfill-13): accounts whose lifetime points the old clamp left
 * depending on the order of their movements are recomputed from the ledger; accounts that agree
 * with it are not written; stored tiers follow with the tier job, readers see them at once.
 */
describe('lifetime points clamped before break-13 (backfill-13)', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    till = await createPartner(t, ['transactions:write', 'transactions:read']);
  });
  afterAll(() => t.close());

  /** Runs the migration's `up` on the test database, as the migrator would (its statements as they are). */
  const migrate = () => runMigration(t, Migration20261202010000, 'up');
  /** The account rows as stored, with `xmin` (which any write of the row changes). */
  const accounts = (currency: string) =>
    t.sql<{ external_id: string; lifetime_earned: string; lifetime_shortfall: string; version: number; xmin: string }>(
      `select c.external_id, a.lifetime_earned::text, a.lifetime_shortfall::text, a.version, a.xmin::text
         from point_account a join customer c on c.id = a.customer_id where a.currency_code = $1 order by a.id`,
      [currency],
    );
  const standing = async (token: string, currency: string) => {
    const me = ok(await t.gql(ProfileDocument, {}, token)).me!;
    const balance = me.balances.find((x) => x.currency.code === currency)!;
    return { lifetimeEarned: balance.lifetimeEarned, tier: me.tier?.code ?? null };
  };
  const runTierJob = async () => {
    await t.orm.em.fork().transactional((em) => enqueueJob(em, RECOMPUTE_TIERS, {}, { runAt: t.clock.now() }));
    await t.jobs.runner.runUntilIdle();
  };

  it('an account the old clamp left at 50 reads the 40 its ledger sums to, one left at 0 keeps its shortfall, and a healthy one is not written', async () => {
    // The migrator applied it to the fresh database this test started from (with nothing to change).
    expect(await t.sql(`select name from mikro_orm_migrations where name = 'Migration20261202010000'`)).toHaveLength(1);
    const { currency, life, roll, sale, drop, giveBack, pastZero, neverPastZero } = await lifetimeLadder(t, till, 'B');

    // a: +50 +50, −60 qualifying, the first sale returned (10 past 0), +50. Ledger: 40.
    const a = await createCustomer(t, currency);
    await pastZero(a.externalId);
    // c: +50 +50, −60 qualifying, both sales returned (60 past 0), +50. Ledger: −10.
    const c = await createCustomer(t, currency);
    const c1 = await sale(c.externalId);
    const c2 = await sale(c.externalId);
    await drop(c.externalId);
    await giveBack(c1);
    await giveBack(c2);
    await sale(c.externalId);
    // h: the same movements in an order that never drops past 0 (the −60 last): 40, as the old code kept it.
    const h = await createCustomer(t, currency);
    await neverPastZero(h.externalId);

    // What the old code stored: the drop past 0 forgotten, so each of a and c read 50 after the last +50.
    await t.sql(
      `update point_account a set lifetime_earned = 50, lifetime_shortfall = 0 from customer c where c.id = a.customer_id and a.currency_code = $1 and c.external_id = any($2)`,
      [currency, [a.externalId, c.externalId]],
    );
    await runTierJob(); // the old code placed them in the 50-point lifetime tier
    for (const x of [a, c]) expect(await standing(x.token, currency)).toEqual({ lifetimeEarned: 50, tier: life });
    const broken = (await brokenInvariants(t)).filter((b) => b.rule.startsWith('lifetime'));
    expect(broken).toHaveLength(2);
    const before = await accounts(currency);
    const healthyBefore = before.find((r) => r.external_id === h.externalId)!;
    expect(healthyBefore).toMatchObject({ lifetime_earned: '40', lifetime_shortfall: '0' });

    await migrate();

    expect(await standing(a.token, currency)).toEqual({ lifetimeEarned: 40, tier: roll });
    expect(await standing(c.token, currency)).toEqual({ lifetimeEarned: 0, tier: null });
    expect(await standing(h.token, currency)).toEqual({ lifetimeEarned: 40, tier: roll });
    const after = await accounts(currency);
    expect(after.map(({ external_id, lifetime_earned, lifetime_shortfall }) => [external_id, lifetime_earned, lifetime_shortfall])).toEqual([
      [a.externalId, '40', '0'],
      [c.externalId, '0', '10'],
      [h.externalId, '40', '0'],
    ]);
    expect(after.find((r) => r.external_id === h.externalId)).toEqual(healthyBefore); // not written: same version, same xmin
    expect(await brokenInvariants(t)).toEqual([]);
    expect(await ledgerViolations(t)).toEqual([]);

    // The stored tier is written down by the tier job, with its event; the migration wrote none.
    expect((await tierMoves(t, a.externalId)).at(-1)).toEqual([roll, life]);
    await runTierJob();
    expect((await tierMoves(t, a.externalId)).at(-1)).toEqual([life, roll]);
    expect((await tierMoves(t, c.externalId)).at(-1)).toEqual([life, null]);

    // c's shortfall is made up before its lifetime points grow: +50 on −10 reads 40.
    await sale(c.externalId);
    expect(await standing(c.token, currency)).toEqual({ lifetimeEarned: 40, tier: roll });

    // A second run (a database already backfilled, or a fresh one) writes nothing.
    const settled = await accounts(currency);
    await migrate();
    expect(await accounts(currency)).toEqual(settled);
    // In batches of one account, every batch is reached: a's clamp again, put right again.
    await t.sql(`update point_account a set lifetime_earned = 50 from customer c where c.id = a.customer_id and a.currency_code = $1 and c.external_id = $2`, [currency, a.externalId]);
    await t.sql(backfillLifetimeSql(1));
    expect(await standing(a.token, currency)).toEqual({ lifetimeEarned: 40, tier: roll });
    expect(await brokenInvariants(t)).toEqual([]);
  });
});
