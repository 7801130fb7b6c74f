import pino from 'pino';
import { documentHash } from '../../src/persisted/manifest.js';
import { startGateway, type Gateway } from '../../src/http/server.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, simpleShop, unique } from '../support/program.js';

const MINUTE = 60_000;

interface Answer {
  data?: Record<string, unknown> | null;
  errors?: { extensions?: { code?: string } }[];
}

/**
 * break-14, a hostile pass over retain-14's APQ purge: a client that sends its text (after a
 * PERSISTED_QUERY_NOT_FOUND, or with every request) must then be served by its hash on any instance
 * for APQ_TTL_SECONDS (300 here). Two gateway instances on one database, behind a balancer that
 * may send any request to either.
 */
describe('an APQ document whose text was sent again (break-14)', () => {
  let t: TestGateway;
  let other: Gateway;
  let token = '';

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    other = await startGateway({ config: t.config, orm: t.orm, databaseUrl: t.databaseUrl, clock: t.clock, log: pino({ level: 'silent' }) }, 0, '127.0.0.1');
    const { currency } = await simpleShop(t);
    token = (await createCustomer(t, currency)).token;
  });
  afterAll(async () => {
    await other.close();
    await t.close();
  });

  const post = async (url: string, body: unknown): Promise<Answer> => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    return (await res.json()) as Answer;
  };
  const apq = (query: string) => ({ persistedQuery: { version: 1, sha256Hash: documentHash(query) } });
  const codes = (a: Answer) => a.errors?.map((e) => e.extensions?.code);
  const runScheduledAfter = async (ms: number) => {
    t.clock.advance(ms);
    await t.runScheduled();
  };

  it('is stored again when the text reaches the instance that still holds it in memory, and found by hash on the other', async () => {
    const text = `query Cached${unique('q').replace(/-/g, '_')} { __typename }`;
    expect((await post(t.url, { query: text, extensions: apq(text) })).data).toEqual({ __typename: 'Query' });
    await runScheduledAfter(6 * MINUTE); // purged: past APQ_TTL_SECONDS
    expect(codes(await post(other.url, { extensions: apq(text) }))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    // the client sends the text; the balancer gives it to the first instance, which still caches it
    expect((await post(t.url, { query: text, extensions: apq(text) })).data).toEqual({ __typename: 'Query' });
    // its next request by hash, to the other instance (before: PERSISTED_QUERY_NOT_FOUND again, for
    // as long as the text kept reaching the first instance)
    expect((await post(other.url, { extensions: apq(text) })).data).toEqual({ __typename: 'Query' });
  });

  it('is kept APQ_TTL_SECONDS after its text was last sent, not after it was first sent', async () => {
    const text = `query Resent${unique('q').replace(/-/g, '_')} { __typename }`;
    expect((await post(other.url, { query: text, extensions: apq(text) })).data).toEqual({ __typename: 'Query' });
    t.clock.advance(4 * MINUTE);
    // sent again, to the instance that never held it (a client that sends its text with every request)
    expect((await post(t.url, { query: text, extensions: apq(text) })).data).toEqual({ __typename: 'Query' });
    // 2 minutes after that send, 6 after the first: the purge runs
    await runScheduledAfter(2 * MINUTE);
    // a third instance, which holds nothing in memory (before: PERSISTED_QUERY_NOT_FOUND, removed
    // 2 minutes after its text was sent)
    const third = await startGateway({ config: t.config, orm: t.orm, databaseUrl: t.databaseUrl, clock: t.clock, log: pino({ level: 'silent' }) }, 0, '127.0.0.1');
    try {
      expect((await post(third.url, { extensions: apq(text) })).data).toEqual({ __typename: 'Query' });
    } finally {
      await third.close();
    }
  });
});
