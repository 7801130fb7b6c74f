import pino from 'pino';
import { ConfigError, loadConfig } from '../../src/config.js';
import { purgeApqDocuments } from '../../src/persisted/apq-retention.job.js';
import { documentHash } from '../../src/persisted/manifest.js';
import { startGateway, type Gateway } from '../../src/http/server.js';
import { RegisterPersistedOperationsDocument } from '../generated/graphql.js';
import { dataOf, startTestGateway, type TestGateway } from '../support/gateway.js';
import { holdLocks } from '../support/locks.js';
import { createCustomer, simpleShop, unique } from '../support/program.js';
import { holdAnswers } from '../support/statements.js';

const MINUTE = 60_000;

interface Answer {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };
}

/**
 * retain-14: operational rows that served their purpose are purged by scheduled jobs, as
 * idempotency records are (retain-13): rate-limit counters whose window ended (`rateLimits.purge`)
 * and APQ documents past APQ_TTL_SECONDS that no manifest registered (`persisted.purgeApq`); every
 * purge is counted in /metrics (`gateway_rows_purged_total{table}`). A second gateway instance on
 * the same database stands for one that never saw a document (its own in-memory cache is empty).
 */
describe('operational rows are purged once they have served', () => {
  let t: TestGateway;
  let other: Gateway;
  let customer: Awaited<ReturnType<typeof createCustomer>>;

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    other = await startGateway({ config: t.config, orm: t.orm, databaseUrl: t.databaseUrl, clock: t.clock, log: pino({ level: 'silent' }) }, 0, '127.0.0.1');
    const { currency } = await simpleShop(t);
    customer = await createCustomer(t, currency);
  });
  afterAll(async () => {
    await other.close();
    await t.close();
  });

  /** The scheduled jobs of a slot no earlier test ran (each schedule's slot runs once), moved `ms` on first. */
  const runScheduledAfter = async (ms: number) => {
    t.clock.advance(ms);
    await t.runScheduled();
  };
  const purgedTotal = async (table: string) => {
    const text = await (await t.fetch('/metrics')).text();
    return Number(new RegExp(`^gateway_rows_purged_total\\{table="${table}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  };
  const post = async (url: string, body: unknown, token = customer.token): Promise<Answer> => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Answer['body'] };
  };
  const apq = (query: string) => ({ persistedQuery: { version: 1, sha256Hash: documentHash(query) } });
  const codes = (a: Answer) => a.body.errors?.map((e) => e.extensions?.code);
  const documents = async (query: string) => (await t.sql(`select 1 from persisted_document where hash = $1`, [documentHash(query)])).length;

  describe('rate-limit counters (rate_limit_bucket)', () => {
    const buckets = async (like: string) => Number((await t.sql<{ n: string }>(`select count(*) as n from rate_limit_bucket where key like $1`, [like]))[0].n);

    it('the scheduled purge removes counters whose window ended, in batches, leaving live ones and one a session holds; a purged caller is counted afresh', async () => {
      const prefix = unique('rl');
      // A caller counted by a real request: its counter's window is running.
      expect((await post(t.url, { query: '{ __typename }' })).status).toBe(200);
      const [{ id }] = await t.sql<{ id: string }>(`select id from customer where external_id = $1`, [customer.externalId]);
      const own = `${t.config.rateLimit.keyPrefix}:customer:${id}`;
      expect(await buckets(own)).toBe(1);
      // 2 500 counters whose window ended (callers gone), 10 still running, and one ended counter a
      // stuck session holds locked (the limiter's old sweep, one statement, waited on it and failed).
      await t.sql(
        `insert into rate_limit_bucket (key, points, expire)
         select $1 || ':' || i, 3, case when i <= 2500 then $2::bigint - i else $3::bigint end from generate_series(1, 2510) i`,
        [`${prefix}`, Date.now() - 1_000, Date.now() + 10 * MINUTE],
      );
      const held = await holdLocks(t, `select 1 from rate_limit_bucket where key = $1 for update`, [`${prefix}:1`]);
      const before = await purgedTotal('rate_limit_bucket');
      try {
        await runScheduledAfter(5 * MINUTE);
      } finally {
        await held.release();
      }
      expect(await buckets(`${prefix}:%`)).toBe(11); // the 10 running and the held one
      expect(await buckets(`${prefix}:1`)).toBe(1);
      expect(await buckets(own)).toBe(1);
      expect((await purgedTotal('rate_limit_bucket')) - before).toBeGreaterThanOrEqual(2_499);

      // The caller's window ends; the purge removes its counter and its next request starts a new one.
      await t.sql(`update rate_limit_bucket set expire = $2 where key = $1`, [own, Date.now() - 1]);
      await runScheduledAfter(5 * MINUTE);
      expect(await buckets(own)).toBe(0);
      expect((await post(t.url, { query: '{ __typename }' })).status).toBe(200);
      expect(await t.sql(`select points from rate_limit_bucket where key = $1`, [own])).toEqual([{ points: 1 }]);
    });
  });

  describe('APQ documents (persisted_document)', () => {
    it('an APQ document is removed APQ_TTL_SECONDS after it was sent, a registered one never; an instance that never saw it answers PERSISTED_QUERY_NOT_FOUND until the text comes again', async () => {
      const old = `query Old${unique('q').replace(/-/g, '_')} { __typename }`;
      const young = `query Young${unique('q').replace(/-/g, '_')} { __typename }`;
      const registered = (await t.register('mobile', `query Registered${unique('q').replace(/-/g, '_')} { __typename }`)).operations[0].body;
      expect((await post(t.url, { query: old, extensions: apq(old) })).body.data).toEqual({ __typename: 'Query' });
      t.clock.advance(4 * MINUTE);
      expect((await post(t.url, { query: young, extensions: apq(young) })).body.data).toEqual({ __typename: 'Query' });
      expect([await documents(old), await documents(young)]).toEqual([1, 1]);
      const before = await purgedTotal('persisted_document');

      // 6 minutes after the first was sent, 2 after the second (APQ_TTL_SECONDS = 300); the registered one is older than both.
      await runScheduledAfter(2 * MINUTE);
      expect([await documents(old), await documents(young), await documents(registered)]).toEqual([0, 1, 1]);
      expect((await purgedTotal('persisted_document')) - before).toBeGreaterThanOrEqual(1);

      // The instance that never held it asks for the text, as APQ clients expect; the text stores it again.
      expect(codes(await post(other.url, { extensions: apq(old) }))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
      expect((await post(other.url, { query: old, extensions: apq(old) })).body.data).toEqual({ __typename: 'Query' });
      expect(await documents(old)).toBe(1);
      expect((await post(other.url, { extensions: apq(old) })).body.data).toEqual({ __typename: 'Query' });
      // The instance that had it serves it from memory (a hash names one text).
      expect((await post(t.url, { extensions: apq(old) })).body.data).toEqual({ __typename: 'Query' });
      // The registered document runs by its hash on the instance that never saw it, however old.
      await runScheduledAfter(60 * MINUTE);
      expect(await documents(registered)).toBe(1);
      expect((await post(other.url, { extensions: apq(registered) })).body.data).toEqual({ __typename: 'Query' });
    });

    it('a manifest registering a document the purge is about to remove (sent before as APQ) registers it: the purge skips it', async () => {
      const body = `query Both${unique('q').replace(/-/g, '_')} { __typename }`;
      expect((await post(t.url, { query: body, extensions: apq(body) })).body.data).toEqual({ __typename: 'Query' });
      t.clock.advance(10 * MINUTE);
      // The registration has stored its documents (the APQ one already there) and not yet its operations.
      const held = holdAnswers((text) => /^\s*insert into persisted_document \(hash, body, created_at\) select/.test(text));
      const manifest = { format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: documentHash(body), name: /query (\w+)/.exec(body)![1], type: 'query', body }] };
      const registering = t.gql(RegisterPersistedOperationsDocument, { input: { client: 'kiosk-14', manifest } }, t.operatorToken);
      await held.reached;
      try {
        await t.orm.em.fork().transactional((em) => purgeApqDocuments(em, t.clock.now(), t.config.apqTtlSeconds));
      } finally {
        held.release();
      }
      expect(dataOf(await registering).registerPersistedOperations).toEqual({ count: 1, userErrors: [] });
      expect(await documents(body)).toBe(1);
      // Registered now: a purge a day later keeps it.
      await t.orm.em.fork().transactional((em) => purgeApqDocuments(em, new Date(t.clock.now().getTime() + 24 * 60 * MINUTE), t.config.apqTtlSeconds));
      expect(await documents(body)).toBe(1);
    });
  });

  it('/metrics has a purge counter for every purged table from the start', async () => {
    const text = await (await t.fetch('/metrics')).text();
    for (const table of ['idempotency_record', 'rate_limit_bucket', 'persisted_document', 'outbox_event', 'webhook_delivery', 'webhook_attempt', 'job']) {
      expect(text).toMatch(new RegExp(`^gateway_rows_purged_total\\{table="${table}"\\} \\d+$`, 'm'));
    }
  });
});

describe('APQ_TTL_SECONDS', () => {
  const base = { NODE_ENV: 'test' };
  it('defaults to 300 seconds and takes 60 to 31536000', () => {
    expect(loadConfig(base).apqTtlSeconds).toBe(300);
    expect(loadConfig({ ...base, APQ_TTL_SECONDS: ' ' }).apqTtlSeconds).toBe(300);
    expect(loadConfig({ ...base, APQ_TTL_SECONDS: '60' }).apqTtlSeconds).toBe(60);
    expect(loadConfig({ ...base, APQ_TTL_SECONDS: '31536000' }).apqTtlSeconds).toBe(31_536_000);
  });
  it.each(['59', '31536001', '5m', '1.5', '-300'])('refuses "%s", naming the whole rule', (value) => {
    expect(() => loadConfig({ ...base, APQ_TTL_SECONDS: value })).toThrow(
      new ConfigError(
        `APQ_TTL_SECONDS must be a whole number of seconds from 60 to 31536000 (default 300): how long an automatic persisted query sent by a client is kept before it must send its text again, got "${value}"`,
      ),
    );
  });
});
