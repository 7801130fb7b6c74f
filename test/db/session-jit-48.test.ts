import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';

/**
 * The gateway's sessions run without PostgreSQL's JIT compilation (`setUpSession`, src/db/orm.ts):
 * a server built with LLVM compiles a statement once its estimated cost passes `jit_above_cost`,
 * and on this machine's PostgreSQL 15 a gift list read on tables too small to have been analysed
 * (estimated at ~440,000) and the customer search's first version (~9,000,000) spent longer
 * compiling than running, on every call (jit-48 in docs/decisions.md). The embedded PostgreSQL
 * is built without LLVM, so what is tested here is the setting every session of the gateway's
 * pools runs with, on a database whose own default turns JIT on, with a threshold of 0.
 */
describe("the gateway's sessions run without JIT", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual', settings: { jit: 'on', jit_above_cost: '0' } });
  });
  afterAll(() => t.close());

  it('every session of the request pool says jit is off, and keeps read committed', async () => {
    // a request first, so the pool's sessions are the ones requests use
    ok(await t.gql(`{ __typename }`, {}, t.operatorToken));
    // six reads at once: more sessions than one
    const settings = await Promise.all(
      Array.from({ length: 6 }, () => t.orm.em.fork().getConnection().execute<{ jit: string; isolation: string; pid: number }[]>(`select current_setting('jit') as jit, current_setting('default_transaction_isolation') as isolation, pg_backend_pid() as pid, pg_sleep(0.05)`)),
    );
    const rows = settings.map((r) => r[0]);
    expect(new Set(rows.map((r) => r.pid)).size).toBeGreaterThan(1);
    expect(rows.map(({ jit, isolation }) => ({ jit, isolation }))).toEqual(rows.map(() => ({ jit: 'off', isolation: 'read committed' })));
    // and the database's own default is on: the gateway's set-up, not the server, turned it off (the
    // test's own sessions turn it off too, so the default is read from the database's settings)
    const defaults = await t.sql<{ setconfig: string[] }>(`select setconfig from pg_db_role_setting where setdatabase = (select oid from pg_database where datname = current_database()) and setrole = 0`);
    expect(defaults.flatMap((d) => d.setconfig).filter((c) => c.startsWith('jit'))).toEqual(['jit=on', 'jit_above_cost=0']);
  });
});
