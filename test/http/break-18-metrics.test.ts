import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { holdLocks } from '../support/locks.js';
import { eventually } from '../support/program.js';
import { seriesCount } from '../support/metrics.js';

/**
 * break-18: what /metrics (metrics-18) did not count, on a real gateway and database: a GraphQL
 * request answered by the request handler's own catch (503 SERVICE_UNAVAILABLE when the database
 * cut a statement of the gateway's, 500), node's refusals of requests it could not read, and an
 * instance's 503 SHUTTING_DOWN.
 */

const scrape = async (t: TestGateway) => {
  const res = await t.fetch('/metrics');
  expect(res.status).toBe(200);
  return res.text();
};

/** A connection to `port`, open; `send` writes `request` and resolves with what comes back until the server closes it (or 5 s). */
async function openConnection(port: number): Promise<{ socket: Socket; send(request: string): Promise<string> }> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  let text = '';
  socket.on('data', (chunk) => (text += chunk.toString('latin1')));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket,
    async send(request) {
      socket.write(request);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, 5_000)))]).finally(() => clearTimeout(timer));
      socket.destroy();
      return text;
    },
  };
}

const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);

describe('/metrics counts every answer (break-18)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ DB_STATEMENT_TIMEOUT_MS: '300' });
  });
  afterAll(() => t.close());

  it('counts a GraphQL request the database cut before Apollo ran (503 SERVICE_UNAVAILABLE) as failed, with its code', async () => {
    const before = await scrape(t);
    // the persisted document's lookup, a statement of the gateway's before Apollo, waits past its bound
    const stall = await holdLocks(t, 'lock table persisted_document in access exclusive mode', []);
    let res: Response;
    try {
      const hash = createHash('sha256').update('{ __typename }').digest('hex');
      res = await fetch(t.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }),
      });
    } finally {
      await stall.end();
    }
    expect(res.status).toBe(503);
    expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
    const text = await scrape(t);
    const grew = (series: string) => seriesCount(text, series) - seriesCount(before, series);
    expect({
      failed: grew('graphql_request_errors_total{client="other",operation="other",type="unknown",code="SERVICE_UNAVAILABLE"}'),
      errors: grew('graphql_errors_total{code="SERVICE_UNAVAILABLE"}'),
      responses: grew('http_responses_total{route="/graphql",code="503"}'),
    }).toEqual({ failed: 1, errors: 1, responses: 1 });
  });

  it("counts node's own refusals of requests it could not read (400, 431) as unrouted", async () => {
    const before = await scrape(t);
    const huge = await (await openConnection(t.gateway.port)).send(`GET /graphql?query=%7B__typename%7D HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    const garbage = await (await openConnection(t.gateway.port)).send('NOT HTTP AT ALL\r\n\r\n');
    // node's own answers, unchanged
    expect(huge).toBe('HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n');
    expect(garbage).toBe('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    const text = await scrape(t);
    const grew = (series: string) => seriesCount(text, series) - seriesCount(before, series);
    expect({ 431: grew('http_responses_total{route="unrouted",code="431"}'), 400: grew('http_responses_total{route="unrouted",code="400"}') }).toEqual({ 431: 1, 400: 1 });
  });
});

describe('/metrics counts the answers of an instance shutting down (break-18)', () => {
  it('counts a request refused 503 SHUTTING_DOWN while a request still runs', async () => {
    const t = await startTestGateway({ DB_STATEMENT_TIMEOUT_MS: '20000' });
    let closing: Promise<void> | undefined;
    try {
      // a request still running when the shutdown begins: its persisted document's lookup waits for a lock
      const stall = await holdLocks(t, 'lock table persisted_document in access exclusive mode', []);
      const hash = createHash('sha256').update('{ __typename }').digest('hex');
      const running = fetch(t.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }),
      }).then((res) => res.status);
      const idle = await openConnection(t.gateway.port);
      await eventually(async () => {
        const [{ n }] = await t.sql<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
        return n > 0;
      });
      closing = t.gateway.close();
      const refused = await idle.send('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(statusOf(refused)).toBe(503);
      expect(refused).toContain('SHUTTING_DOWN');
      await stall.end();
      expect(await running).toBe(200);
      await closing;
      const text = await t.gateway.metrics.render();
      expect(seriesCount(text, 'http_responses_total{route="unrouted",code="503"}')).toBe(1);
      expect(seriesCount(text, 'http_responses_total{route="/graphql",code="200"}')).toBe(1);
    } finally {
      await closing;
      await t.close();
    }
  });
});

describe('/metrics under hostile traffic (break-18: held)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  /** The series of the request metrics (graphql_*, http_*) a scrape shows. */
  const requestSeries = (text: string) => text.split('\n').filter((l) => /^(graphql_|http_)/.test(l)).map((l) => l.slice(0, l.lastIndexOf(' ')));

  /** One of each kind of hostile request, every name in it new. */
  const hostile = (i: number): Promise<unknown> => {
    const r = `${i}x${Math.random().toString(36).slice(2)}`;
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }).then((res) => res.arrayBuffer());
    const hash = createHash('sha256').update(r).digest('hex');
    return Promise.all([
      t.fetch(`/no-such-${r}`).then((res) => res.arrayBuffer()),
      fetch(`${t.url}?q=${r}`, { method: `M${r.replace(/[^a-z0-9]/gi, '')}` }).then((res) => res.arrayBuffer()),
      post({ query: `query Op${r.replace(/[^a-z0-9]/gi, '')} { __typename }` }, { 'apollographql-client-name': r, 'apollographql-client-version': r }),
      post({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }),
      post({ query: `{ nosuch${r.replace(/[^a-z0-9]/gi, '')} }` }),
      post({ query: `{ __typename }`, extensions: { code: r } }, { 'x-api-key': r }),
      post({ query: `{ me { externalId } }` }, { authorization: `Bearer ${r}`, 'x-big': 'a'.repeat(8_000) }),
    ]);
  };

  it('shows no more series after a thousand hostile requests with names never seen than after the first few', async () => {
    await scrape(t); // its own response is counted from the next scrape on
    for (let i = 0; i < 3; i++) await hostile(i);
    const before = requestSeries(await scrape(t));
    for (let batch = 0; batch < 25; batch++) await Promise.all(Array.from({ length: 6 }, (_, j) => hostile(100 + batch * 6 + j)));
    const after = requestSeries(await scrape(t));
    expect(after.filter((s) => !before.includes(s))).toEqual([]);
  });
});
