import pg from 'pg';
import { ledgerViolations, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCustomer, createTier, earningProgram } from '../support/program.js';

const DAY = 86_400_000;

/**
 * break2-18: a rolling-window tier's points are read by `customer_tier_at` (every tier read, each
 * sale's tier placement) and, since hostile-18, by `customer_tier_until` too (each sale's tier at
 * its moment). Both summed the window's qualifying entries through the account's (account_id, id)
 * index, so every read fetched every entry the account ever had and filtered by date: a customer
 * with 1,000 entries over 100 days had 1,000 rows fetched for a 7-day window of 70, per rolling
 * tier, three times per sale. Counted with PostgreSQL's own per-transaction statistics
 * (`pg_stat_xact_user_tables`: rows fetched from `ledger_entry`), not time.
 */
describe("a rolling tier's window over a long history", () => {
  let t: TestGateway;
  let client: pg.Client;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    client = new pg.Client({ connectionString: t.databaseUrl });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await t.close();
  });

  /**
   * Rows of `ledger_entry` fetched or scanned by `call` (a select of one function): the change of
   * the session's not yet reported counts (`pg_stat_xact_user_tables`), which are reported only
   * between transactions, across one transaction.
   */
  async function ledgerRowsRead(call: string, params: unknown[]): Promise<number> {
    const counted = async () =>
      Number(
        (await client.query<{ n: string }>(`select coalesce(idx_tup_fetch, 0) + coalesce(seq_tup_read, 0) as n from pg_stat_xact_user_tables where relid = 'ledger_entry'::regclass`))
          .rows[0].n,
      );
    await client.query('begin');
    try {
      const before = await counted();
      await client.query(call, params);
      return (await counted()) - before;
    } finally {
      await client.query('rollback');
    }
  }

  it('reads the entries of the window, not every entry of the account (customer_tier_at and customer_tier_until)', async () => {
    t.clock.freeze();
    const { currency } = await earningProgram(t, 'LONG', { expiryDays: null });
    await createTier(t, { currency, code: `W_${currency}`, rank: 7, threshold: 1_000_000, windowDays: 7, multiplier: 2 });
    const customer = await createCustomer(t, currency);
    // the program's other customers, 50 with 10 entries each (the table's statistics a program has)
    const others = await Promise.all(Array.from({ length: 50 }, () => createCustomer(t, currency)));
    // the customer's 1,000 qualifying entries, ten a day for 100 days
    for (let day = 0; day < 100; day++) {
      const theirs = day % 10 === 0 ? others.map((o) => adjust(t, o.externalId, currency, 1)) : [];
      await Promise.all([...Array.from({ length: 10 }, () => adjust(t, customer.externalId, currency, 1)), ...theirs]);
      t.clock.advance(DAY);
    }
    const [{ id, entries }] = await t.sql<{ id: string; entries: number }>(
      `select c.id, count(e.id)::int as entries from customer c join ledger_entry e on e.customer_id = c.id where c.external_id = $1 group by c.id`,
      [customer.externalId],
    );
    expect(entries).toBe(1000);
    await t.sql('analyze ledger_entry'); // autovacuum's statistics, as a production table has them
    const now = t.clock.now();
    const reads: Record<string, number[]> = {};
    for (const fn of ['customer_tier_at', 'customer_tier_until']) {
      // eight calls: PL/pgSQL's plans for the first five are custom, then generic; both are held
      reads[fn] = [];
      for (let i = 0; i < 8; i++) reads[fn].push(await ledgerRowsRead(`select ${fn}($1, $2)`, [id, now]));
    }
    // the window's entries (7 days: 70), not the account's 1,000, on every call
    const over = (fn: string) => reads[fn].filter((n) => n > 140);
    expect({ at: over('customer_tier_at'), until: over('customer_tier_until') }).toEqual({ at: [], until: [] });
    expect(await ledgerViolations(t)).toEqual([]);
  }, 120_000);
});
