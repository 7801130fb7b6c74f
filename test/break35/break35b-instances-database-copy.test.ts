import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { signToken } from '../../src/http/auth.js';
import { createMigratedDatabase, HIGH_RATE_LIMITS, TEST_JWT_SECRET, type GqlResult, type TestGateway } from '../support/gateway.js';
import { startGatewayProcess, type GatewayProcess } from '../support/processes.js';
import { adjust, createCurrency, createCustomer, uniqueCode } from '../support/program.js';
import { collect, openSocket, waitFor, type TestSocket } from '../support/ws.js';

/**
 * break35b-instances (database copy): the deployment id lives in a row of the database, so every
 * copy of a database some gateway already started on with Redis carries the original's id: a
 * staging database made with `CREATE DATABASE staging TEMPLATE production` (or a copied DATA_DIR,
 * a storage snapshot), which the README does not mention: it names only "a database restored from
 * another deployment's dump", and docs/decisions.md says a template copy gets "an id of its own"
 * (true only when copied before any gateway with Redis ran). Two deployments made so, sharing one
 * Redis under the default prefix, are again the break35 fault the id was added for: member #N of
 * one hears member #N of the other's balance (another person's data, SPEC §5.6) and shares their
 * rate budget. The gateway never notices two databases claiming one id (nothing in Redis records
 * which database holds it).
 *
 * Expected: deployments on two databases share nothing in Redis (README, "Running several
 * instances": "deployments share nothing there whatever their prefix"). Found: the copy's member
 * received the original's member's balance. Fixed: the id is no longer stored but derived from the
 * database's identity (its cluster's system identifier and its oid, src/db/deployment.ts), which
 * a template copy does not share.
 */
describe('a database copied (CREATE DATABASE … TEMPLATE) after a gateway with Redis ran on it (break35b-instances)', () => {
  const env = { REDIS_URL: 'redis://127.0.0.1:6379', EVENT_FANOUT: 'redis', RATE_LIMIT_KEY_PREFIX: `b35bcp${process.pid}`, EVENT_POLL_MS: '20' };
  let production: { url: string; drop(): Promise<void> } | undefined;
  let staging: { url: string; drop(): Promise<void> } | undefined;
  let x: GatewayProcess | undefined;
  let y: GatewayProcess | undefined;
  const sockets: TestSocket[] = [];
  const admin = new pg.Client({ connectionString: process.env.TEST_PG_ADMIN_URL });
  beforeAll(async () => {
    await admin.connect();
    production = await createMigratedDatabase();
    // production's first start with Redis (a row in table `deployment` before the fix); then it is stopped for the copy
    const first = await startGatewayProcess(production.url, env);
    await first.terminate();
    const prodName = new URL(production.url).pathname.slice(1);
    const stagingName = `${prodName}_copy`;
    await admin.query(`create database ${stagingName} template ${prodName}`);
    const stagingUrl = new URL(production.url);
    stagingUrl.pathname = `/${stagingName}`;
    staging = { url: stagingUrl.toString(), drop: async () => void (await admin.query(`drop database if exists ${stagingName} with (force)`)) };
    [x, y] = await Promise.all([startGatewayProcess(production.url, env), startGatewayProcess(staging.url, env)]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await Promise.all([x, y].map((p) => p?.terminate()));
    await staging?.drop();
    await production?.drop();
    await admin.end();
  });

  const asTest = async (p: GatewayProcess): Promise<TestGateway> => {
    const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, DATABASE_URL: 'postgres://unused/unused', ...HIGH_RATE_LIMITS });
    const operatorToken = await signToken(config, { sub: 'staff-op', role: 'operator' });
    const gql = async (doc: { toString(): string } | string, variables: unknown, token?: string): Promise<GqlResult<unknown>> => {
      const res = await fetch(`${p.url}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify({ query: doc.toString(), variables }) });
      const text = await res.text();
      return { status: res.status, headers: res.headers, text, ...JSON.parse(text) };
    };
    return { url: p.url, gql, operatorToken, customerToken: (externalId: string, ttl?: number) => signToken(config, { sub: externalId }, ttl) } as unknown as TestGateway;
  };

  it("the copy's member hears only their own balance changes", async () => {
    const [tx, ty] = [await asTest(x!), await asTest(y!)];
    const currency = uniqueCode('CP');
    await createCurrency(tx, currency);
    await createCurrency(ty, currency);
    const inX = await createCustomer(tx, currency);
    const inY = await createCustomer(ty, currency);
    const s = openSocket(y!.url, inY.token);
    sockets.push(s);
    await s.connected;
    const heard = collect<{ balanceChanged: { available: number } }>(s.client, `subscription { balanceChanged(currency: "${currency}") { available } }`);
    await waitFor(async () => (await y!.stats()).subscribers > 0, 10_000);
    await adjust(tx, inX.externalId, currency, 777); // production's member
    await new Promise((r) => setTimeout(r, 1_500));
    await adjust(ty, inY.externalId, currency, 5); // staging's member, their own change
    await waitFor(() => heard.results.length >= 1, 10_000).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(heard.results.map((r) => r.data?.balanceChanged.available)).toEqual([5]);
  }, 60_000);
});
