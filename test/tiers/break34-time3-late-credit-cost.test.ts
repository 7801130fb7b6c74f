import pg from 'pg';
import { ReverseTransactionDocument } from '../generated/graphql.js';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, createTier, earningProgram, submitSale } from '../support/program.js';
import { rowsRead } from '../support/statements.js';

const HOUR = 3_600_000;

/**
 * break34-time3: the late-credit term of `qualifying_points_until` (77ed017) reads a customer's
 * awards written after the moment (`transaction_award_late_credit_idx`), not all of them, on
 * PL/pgSQL's custom and generic plans alike. Counted as tier-window-cost.test.ts counts: rows of
 * `transaction_award` fetched or scanned (`pg_stat_xact_user_tables`). What a member would see if
 * it failed: nothing but slower sales as their history grows.
 */
describe("the late-credit term's cost over a long history (break34-time3)", () => {
  let t: TestGateway;
  let client: pg.Client;
  let till: Awaited<ReturnType<typeof createPartner>>;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    till = await createPartner(t, ['transactions:read', 'transactions:write']);
    client = new pg.Client({ connectionString: t.databaseUrl });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await t.close();
  });

  const awardRowsRead = (call: string, params: unknown[]) => rowsRead(client, 'transaction_award', call, params);

  it("reads the awards written after the moment, not the customer's 300 (rolling and lifetime, custom and generic plans)", async () => {
    t.clock.freeze();
    const { money, currency } = await earningProgram(t, 'LC', { expiryDays: null });
    await createTier(t, { currency, code: `LC_${money}`, rank: 1, threshold: 1_000_000, windowDays: 7, multiplier: 2 });
    await createTier(t, { currency, code: `LCL_${money}`, rank: 2, threshold: 2_000_000, multiplier: 3 });
    const customer = await createCustomer(t, currency);
    const others = await Promise.all(Array.from({ length: 20 }, () => createCustomer(t, currency)));
    const first = await submitSale(t, till, customer.externalId, money, 1);
    // 300 of the customer's and 600 of others': on a smaller table PostgreSQL's generic plan rightly
    // scans it whole (120 and 120: 241 rows read), so the index is shown at a size where it matters
    for (let i = 0; i < 300; i++) {
      t.clock.advance(HOUR);
      await submitSale(t, till, customer.externalId, money, 1);
      if (i % 10 === 0) for (const o of others) await submitSale(t, till, o.externalId, money, 1);
      await t.jobs.runner.runUntilIdle();
    }
    t.clock.advance(HOUR);
    // a drop after the moment read below, so the lifetime read at a past moment is taken
    ok(await t.gql(ReverseTransactionDocument, { externalId: first, reason: 'returned' }, till.credential));
    await t.sql('analyze transaction_award');
    await t.sql('analyze ledger_entry');
    const [{ id }] = await t.sql<{ id: string }>('select id from customer where external_id = $1', [customer.externalId]);
    const at = new Date(t.clock.now().getTime() - 3 * HOUR); // three awards written after it
    const reads: Record<string, number[]> = { rolling: [], lifetime: [] };
    for (let i = 0; i < 8; i++) {
      reads.rolling.push(await awardRowsRead('select qualifying_points_until($1, $2, 7, $3)', [id, currency, at]));
      reads.lifetime.push(await awardRowsRead('select qualifying_points_until($1, $2, null, $3)', [id, currency, at]));
    }
    expect({ rolling: reads.rolling.filter((n) => n > 20), lifetime: reads.lifetime.filter((n) => n > 20) }).toEqual({ rolling: [], lifetime: [] });
  }, 300_000);
});
