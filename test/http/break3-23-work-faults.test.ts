import pg from 'pg';
import { SignJWT } from 'jose';
import { compiledGateway } from '../support/build.js';
import { createMigratedDatabase, HIGH_RATE_LIMITS, TEST_JWT_SECRET, TEST_SQL_APPLICATION } from '../support/gateway.js';
import { sessionProxy } from '../support/pg-wire.js';
import { spawnGateway, stopReport, type SpawnedGateway } from '../support/processes.js';

const sign = (sub: string, role?: string) => new SignJWT(role ? { role } : {}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(TEST_JWT_SECRET));
const ADJUST = 'mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { entry { id } userErrors { code } } }';

async function gql(url: string, token: string, query: string, variables: object): Promise<unknown> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  return r.json();
}

/**
 * break3-23: PostgreSQL faults under load (four clients adjusting points with idempotency keys) on
 * a test-server database: every session of the gateway's ended (`pg_terminate_backend`) twice, or
 * the server gone (a proxy in front of it closed: connects refused), then a SIGTERM; then a new
 * gateway on the same database sent every key again. Held: exit 0 and "stopped", one ledger entry
 * per key, balances equal their ledger sums.
 */
describe('break3-23: faults during work', () => {
  let build: string;
  beforeAll(async () => {
    build = await compiledGateway();
  }, 600_000);

  it.each([[0], [1], [2]])('sessions killed under load, then SIGTERM (round %d)', async (round) => {
    const db = await createMigratedDatabase();
    const env = { DATABASE_URL: db.url, SEED_DEMO: 'true', JWT_SECRET: TEST_JWT_SECRET, JOBS_ENABLED: 'true', ...HIGH_RATE_LIMITS };
    let gateway: SpawnedGateway = spawnGateway(build, env);
    const admin = new pg.Client({ connectionString: db.url, application_name: TEST_SQL_APPLICATION });
    await admin.connect();
    try {
      await gateway.until(/"msg":"gateway ready"/, 120_000);
      const url = () => /"url":"(http:[^"]+\/graphql)"/.exec(gateway.output())![1];
      const op = await sign('staff-olivia', 'operator');
      await gql(url(), op, ADJUST, { input: { customerExternalId: 'cust-alice', currency: 'BEANS', amount: 100000, reason: 'b3', idempotencyKey: 'seed' } });
      const keys: string[] = [];
      let go = true;
      const worker = async (w: number) => {
        for (let i = 0; go; i++) {
          const key = `r${round}-w${w}-${i}`;
          keys.push(key);
          await gql(url(), op, ADJUST, { input: { customerExternalId: 'cust-alice', currency: 'BEANS', amount: 7, reason: 'b3', idempotencyKey: key } }).catch(() => undefined);
        }
      };
      const work = [0, 1, 2, 3].map(worker);
      await new Promise((r) => setTimeout(r, 700));
      await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`);
      await new Promise((r) => setTimeout(r, 500 + round * 300));
      await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`);
      await new Promise((r) => setTimeout(r, 100 * round));
      process.kill(gateway.child.pid!, 'SIGTERM');
      const code = await Promise.race([gateway.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
      go = false;
      await Promise.all(work);
      const report = stopReport(gateway, code as number, /took too long/);
      // restart, replay every key
      gateway = spawnGateway(build, env);
      await gateway.until(/"msg":"gateway ready"/, 120_000);
      const bad: unknown[] = [];
      for (const key of keys) {
        const answer = (await gql(url(), op, ADJUST, { input: { customerExternalId: 'cust-alice', currency: 'BEANS', amount: 7, reason: 'b3', idempotencyKey: key } })) as { data?: { adjustPoints?: { entry?: unknown } } };
        if (!answer.data?.adjustPoints?.entry) bad.push(answer);
      }
      const counts = await admin.query(`select count(*)::int as n, sum(amount)::int as s from ledger_entry where reason = 'b3' and amount = 7`);
      const viol = await admin.query(`
    select a.id, a.available, coalesce(sum(e.amount), 0) as ledger_sum, coalesce(sum(e.remaining), 0) as open_credits
      from point_account a left join ledger_entry e on e.account_id = a.id
     group by a.id
    having a.available <> coalesce(sum(e.amount), 0) or a.available <> coalesce(sum(e.remaining), 0) or a.available < 0`);
      expect({ code, stopped: report.stopped, bad: bad.length, entries: counts.rows[0].n, violations: viol.rows }).toEqual({ code: 0, stopped: true, bad: 0, entries: keys.length, violations: [] });
    } finally {
      if (gateway.child.exitCode === null) gateway.child.kill('SIGTERM');
      await gateway.exited;
      await admin.end();
      await db.drop();
    }
  }, 240_000);

  it.each([[0], [700], [2500]])('PostgreSQL gone under load, SIGTERM %d ms later', async (afterMs) => {
    const db = await createMigratedDatabase();
    const proxy = await sessionProxy(db.url, () => false);
    const env = { SEED_DEMO: 'true', JWT_SECRET: TEST_JWT_SECRET, JOBS_ENABLED: 'true', JOB_POLL_MS: '100', ...HIGH_RATE_LIMITS };
    let gateway: SpawnedGateway = spawnGateway(build, { ...env, DATABASE_URL: proxy.url });
    const admin = new pg.Client({ connectionString: db.url, application_name: TEST_SQL_APPLICATION });
    await admin.connect();
    try {
      await gateway.until(/"msg":"gateway ready"/, 120_000);
      const url = () => /"url":"(http:[^"]+\/graphql)"/.exec(gateway.output())![1];
      const op = await sign('staff-olivia', 'operator');
      const keys: string[] = [];
      let go = true;
      const worker = async (w: number) => {
        for (let i = 0; go; i++) {
          const key = `g${afterMs}-w${w}-${i}`;
          keys.push(key);
          await gql(url(), op, ADJUST, { input: { customerExternalId: 'cust-alice', currency: 'BEANS', amount: 7, reason: 'b3', idempotencyKey: key } }).catch(() => new Promise((r) => setTimeout(r, 20)));
        }
      };
      const work = [0, 1, 2, 3].map(worker);
      await new Promise((r) => setTimeout(r, 700));
      await proxy.close();
      await new Promise((r) => setTimeout(r, afterMs));
      process.kill(gateway.child.pid!, 'SIGTERM');
      const code = await Promise.race([gateway.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
      go = false;
      await Promise.all(work);
      const report = stopReport(gateway, code as number, /took too long/);
      gateway = spawnGateway(build, { ...env, DATABASE_URL: db.url });
      await gateway.until(/"msg":"gateway ready"/, 120_000);
      const bad: unknown[] = [];
      for (const key of keys) {
        const answer = (await gql(url(), op, ADJUST, { input: { customerExternalId: 'cust-alice', currency: 'BEANS', amount: 7, reason: 'b3', idempotencyKey: key } })) as { data?: { adjustPoints?: { entry?: unknown } } };
        if (!answer.data?.adjustPoints?.entry) bad.push(answer);
      }
      const counts = await admin.query(`select count(*)::int as n from ledger_entry where reason = 'b3' and amount = 7`);
      const viol = await admin.query(`
    select a.id from point_account a left join ledger_entry e on e.account_id = a.id group by a.id
    having a.available <> coalesce(sum(e.amount), 0) or a.available <> coalesce(sum(e.remaining), 0) or a.available < 0`);
      expect({ code, stopped: report.stopped, bad: bad.length, entries: counts.rows[0].n, violations: viol.rows }).toEqual({ code: 0, stopped: true, bad: 0, entries: keys.length, violations: [] });
    } finally {
      if (gateway.child.exitCode === null) gateway.child.kill('SIGTERM');
      await gateway.exited;
      await admin.end();
      await proxy.close().catch(() => undefined);
      await db.drop();
    }
  }, 240_000);
});
