import { TIER_ANSWERS_SQL } from '../../migrations/Migration20261203160000.js';
import { ProfileDocument } from '../generated/graphql.js';
import { dataOf, ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { CREATE_TIER_ANSWER, createCustomer, createPartner, createTier, earningProgram, storedAndCurrentTier, submitSale, type CreateTierAnswer } from '../support/program.js';
import { holdTransactionEnd, recordStatements } from '../support/statements.js';

type Tiered = { me: { tier: { code: string } | null; nextTier: { code: string; pointsNeeded: number } | null } | null };

/**
 * money-25 (money-24's "Left"): `createTier(dryRun: true)` did the whole creation and rolled it
 * back, holding every moved customer's event stream and row for as long, so a sale processed
 * meanwhile waited for the preview; it now reads at one snapshot and locks nothing a writer waits
 * for. A repeat of a createTier answered from the tier's audit entry; it now answers from its
 * idempotency record, as every keyed mutation does. And Customer.tier and Customer.nextTier read
 * the same qualifying points in three statements; one now. A real gateway and PostgreSQL, its own
 * database (the customers counted are this file's), jobs run by hand.
 */
describe('a tier preview holds up nobody; a tier repeat answers from its key (money-25)', () => {
  let t: TestGateway;
  let money: string;
  let currency: string;
  let till: Awaited<ReturnType<typeof createPartner>>;
  let low: Awaited<ReturnType<typeof createCustomer>>;
  let high: Awaited<ReturnType<typeof createCustomer>>;

  beforeAll(async () => {
    t = await startTestGateway({ EVENT_FANOUT: 'off' }, { jobs: 'manual' });
    ({ money, currency } = await earningProgram(t, 'PRV', { expiryDays: null })); // 10 points per unit
    await createTier(t, { currency, code: 'GREEN', rank: 1, threshold: 0 });
    await createTier(t, { currency, code: 'GOLD', rank: 2, threshold: 100 });
    till = await createPartner(t, ['transactions:write', 'transactions:read']);
    low = await createCustomer(t, currency, 10);
    high = await createCustomer(t, currency, 150);
  });
  afterEach(async () => {
    expect(await ledgerViolations(t)).toEqual([]);
  });
  afterAll(async () => {
    await t?.close();
  });

  const create = async (input: Record<string, unknown>) =>
    dataOf(await t.gql<CreateTierAnswer, unknown>(CREATE_TIER_ANSWER, { input: { currency, name: String(input.code), ...input } }, t.operatorToken)).createTier;
  /** Sessions of the test database waiting on a lock. */
  const lockWaiters = async () =>
    Number((await t.sql<{ n: string }>(`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`))[0].n);

  it('sales of customers it would move are taken, processed and placed while a dry run is in progress, which then answers what it read', async () => {
    const star = { code: 'STAR', rank: 3, threshold: 120 };
    // The preview's transaction is held open once it has read everything, before its end.
    const held = holdTransactionEnd('STAR');
    let previewDone = false;
    const preview = create({ ...star, dryRun: true }).finally(() => (previewDone = true));
    let sales: Promise<string[]> | undefined;
    let during: Record<string, unknown>;
    try {
      await held.reached;
      const [session] = await t.sql<{ pid: number }>(`select pid from pg_stat_activity where datname = current_database() and state = 'idle in transaction'`);
      const locks = await t.sql<{ mode: string }>(`select distinct mode from pg_locks where pid = $1 and locktype <> 'virtualxid' order by mode`, [session.pid]);

      // 12 units, 120 points each: `high` (whom the preview moves to STAR) stays GOLD with 270, and
      // `low` goes from GREEN to GOLD with 130, placed by the sale's processing.
      let processed = false;
      sales = (async () => {
        const externalIds = [await submitSale(t, till, high.externalId, money, 12), await submitSale(t, till, low.externalId, money, 12)];
        await t.jobs.runner.runUntilIdle();
        processed = true;
        return externalIds;
      })();
      // Either the sales are processed, or some session waits on a lock (the preview's: nothing else runs).
      let outcome = 'processed';
      while (!processed) {
        if ((await lockWaiters()) > 0) {
          outcome = 'waiting on a lock';
          break;
        }
        await Promise.race([sales, new Promise((resolve) => setImmediate(resolve))]);
      }
      during = { outcome, previewStillOpen: !previewDone, locksOfThePreview: locks.map((l) => l.mode), lowPlaced: outcome === 'processed' && (await storedAndCurrentTier(t, low.externalId)) };
    } finally {
      held.release();
    }
    const statuses = [];
    for (const externalId of await sales) {
      statuses.push(ok(await t.gql<{ transaction: { status: string } }, unknown>(`query($e: String!) { transaction(externalId: $e) { status } }`, { e: externalId }, till.credential)).transaction.status);
    }
    // What it read, at its snapshot: only `high` reached 120 then.
    const answered = await preview;
    // Now `low` has 130 too: a preview and the request itself answer alike.
    const previewNow = await create({ ...star, dryRun: true });
    const created = await create(star);
    expect({ during, statuses, answered, previewNow, created, low: await storedAndCurrentTier(t, low.externalId) }).toEqual({
      during: { outcome: 'processed', previewStillOpen: true, locksOfThePreview: ['AccessShareLock'], lowPlaced: { stored: 'GOLD', now: 'GOLD' } },
      statuses: ['PROCESSED', 'PROCESSED'],
      answered: { tier: null, customersMoved: 1, moves: [{ from: 'GOLD', to: 'STAR', customers: 1 }], dryRun: true, userErrors: [] },
      previewNow: { tier: null, customersMoved: 2, moves: [{ from: 'GOLD', to: 'STAR', customers: 2 }], dryRun: true, userErrors: [] },
      created: { tier: { code: 'STAR' }, customersMoved: 2, moves: [{ from: 'GOLD', to: 'STAR', customers: 2 }], dryRun: false, userErrors: [] },
      low: { stored: 'STAR', now: 'STAR' },
    });
  });

  it('a dry run is refused as the request would be, and one of a request already made answers as its repeat', async () => {
    const refusals = async (dryRun: boolean) => [
      (await create({ code: 'NOPE', rank: 9, threshold: 0, currency: 'NOSUCH', dryRun })).userErrors,
      (await create({ code: 'STAR', rank: 3, threshold: 999, dryRun })).userErrors,
      (await create({ code: 'GOLD2', rank: 2, threshold: 999, dryRun })).userErrors,
    ];
    expect(await refusals(true)).toEqual(await refusals(false));
    expect((await refusals(true)).map((errors) => errors.map((e) => [e.code, e.field.join('.')]))).toEqual([
      [['NOT_FOUND', 'input.currency']],
      [['ALREADY_EXISTS', 'input.code']],
      [['ALREADY_EXISTS', 'input.rank']],
    ]);
    const star = { code: 'STAR', rank: 3, threshold: 120 };
    const repeat = await t.gql<CreateTierAnswer, unknown>(CREATE_TIER_ANSWER, { input: { currency, name: 'STAR', ...star, dryRun: true } }, t.operatorToken);
    expect({ data: repeat.data?.createTier, replayed: repeat.headers.get('idempotent-replayed') }).toEqual({
      data: { tier: { code: 'STAR' }, customersMoved: 2, moves: [{ from: 'GOLD', to: 'STAR', customers: 2 }], dryRun: false, userErrors: [] },
      replayed: 'true',
    });
  });

  it("a repeat answers the first answer from the request's idempotency record, not from the audit log", async () => {
    const first = await create({ code: 'TOP', rank: 4, threshold: 150 });
    expect(first).toEqual({ tier: { code: 'TOP' }, customersMoved: 1, moves: [{ from: 'STAR', to: 'TOP', customers: 1 }], dryRun: false, userErrors: [] });
    const recorder = recordStatements();
    let again: CreateTierAnswer['createTier'];
    let statements: string[];
    try {
      again = await create({ code: 'TOP', rank: 4, threshold: 150 });
      statements = recorder.take().map((s) => s.text);
    } finally {
      recorder.stop();
    }
    expect({ again, readsTheAuditLog: statements.some((text) => /audit_entry/.test(text)) }).toEqual({ again: first, readsTheAuditLog: false });

    // A tier created before money-25 kept no answer with its key: the migration gives it the one
    // its audit entry holds, so its repeat answers as before.
    await t.sql(`update idempotency_record set result = null where scope = 'create:tier' and key = 'TOP'`);
    await t.sql(TIER_ANSWERS_SQL);
    expect(await create({ code: 'TOP', rank: 4, threshold: 150 })).toEqual(first);

    // During a rolling upgrade a gateway from before money-25 creates a tier after the migration
    // ran, keeping no answer with its key: a repeat sent to a new gateway answers what the audit
    // entry holds (as the old gateway's repeat did), not INTERNAL_SERVER_ERROR.
    await t.sql(`update idempotency_record set result = null where scope = 'create:tier' and key = 'TOP'`);
    const fromOld = await t.gql<CreateTierAnswer, unknown>(CREATE_TIER_ANSWER, { input: { currency, name: 'TOP', code: 'TOP', rank: 4, threshold: 150 } }, t.operatorToken);
    expect({ errors: fromOld.errors, data: fromOld.data?.createTier, replayed: fromOld.headers.get('idempotent-replayed') }).toEqual({ errors: undefined, data: first, replayed: 'true' });
  });

  it("a customer's tier and next tier are read in one statement, as of now", async () => {
    const recorder = recordStatements();
    let me: Tiered['me'];
    let statements: string[];
    try {
      me = ok(await t.gql(ProfileDocument, {}, low.token)).me ?? null;
      statements = recorder.take().map((s) => s.text);
    } finally {
      recorder.stop();
    }
    // `low` has 130 of TOP's 150
    expect({
      tier: me?.tier?.code,
      nextTier: me?.nextTier && { code: me.nextTier.code, pointsNeeded: me.nextTier.pointsNeeded },
      tierReads: statements.filter((text) => /customer_tier_at|qualifying_points_at|from tier\b/.test(text)).length,
    }).toEqual({ tier: 'STAR', nextTier: { code: 'TOP', pointsNeeded: 20 }, tierReads: 1 });
  });
});
