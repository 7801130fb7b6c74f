import { Writable } from 'node:stream';
import pino from 'pino';
import { ConfigError, loadConfig } from '../../src/config.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/**
 * Who may read /metrics (trial finding): it names partners, their registered operations and how
 * many of each they ran. With METRICS_TOKEN set only `Authorization: Bearer <METRICS_TOKEN>` reads
 * it; without, it stays open outside production (the demo, the suite) and is not served in
 * production (docs/decisions.md, "/metrics answers to METRICS_TOKEN").
 */
describe('/metrics access', () => {
  const TOKEN = 'metrics-token-for-tests-0123456789';
  const scrape = (t: TestGateway, authorization?: string) => t.fetch('/metrics', authorization === undefined ? {} : { headers: { authorization } });

  describe('with METRICS_TOKEN set', () => {
    let t: TestGateway;
    beforeAll(async () => {
      t = await startTestGateway({ METRICS_TOKEN: TOKEN });
    });
    afterAll(() => t.close());

    it('refuses a scrape without the token: 401, a JSON error and a Bearer challenge, no metrics', async () => {
      for (const authorization of [undefined, 'Bearer wrong-token-of-the-same-size-0123', `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, TOKEN, `Basic ${TOKEN}`]) {
        const res = await scrape(t, authorization);
        expect([authorization, res.status]).toEqual([authorization, 401]);
        expect(res.headers.get('www-authenticate')).toBe('Bearer realm="reward-gateway"');
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        const text = await res.text();
        expect(JSON.parse(text)).toEqual({ errors: [{ message: expect.stringMatching(/METRICS_TOKEN/), extensions: { code: 'UNAUTHENTICATED' } }] });
        expect(text).not.toContain('graphql_requests_total');
      }
    });

    it('serves the metrics to the right token', async () => {
      const res = await scrape(t, `Bearer ${TOKEN}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('www-authenticate')).toBeNull();
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await res.text()).toContain('# TYPE graphql_requests_total counter');
    });
  });

  it('is not served in production without METRICS_TOKEN, and start-up warns once', async () => {
    const lines: { level: number; msg: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as { level: number; msg: string });
        done();
      },
    });
    const t = await startTestGateway({ NODE_ENV: 'production' }, { log: pino({ level: 'warn' }, sink) });
    try {
      const res = await scrape(t);
      expect(res.status).toBe(404);
      expect(res.headers.get('www-authenticate')).toBeNull();
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ errors: [{ message: 'Not found: set METRICS_TOKEN to scrape metrics.', extensions: { code: 'NOT_FOUND' } }] });
      // No token opens it, whatever is sent.
      expect((await scrape(t, 'Bearer anything-at-all-0123456789')).status).toBe(404);
      const warnings = lines.filter((l) => /METRICS_TOKEN/.test(l.msg));
      expect(warnings.map((l) => l.level)).toEqual([40]);
    } finally {
      await t.close();
    }
  });

  it('is served as before outside production without METRICS_TOKEN', async () => {
    const t = await startTestGateway({ NODE_ENV: 'development' });
    try {
      const res = await scrape(t);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('# TYPE graphql_requests_total counter');
    } finally {
      await t.close();
    }
  });

  it('METRICS_TOKEN must be a bearer token of at least 16 characters', () => {
    expect(loadConfig({ METRICS_TOKEN: ` ${TOKEN} ` }).metricsToken).toBe(TOKEN);
    expect(loadConfig({ METRICS_TOKEN: '' }).metricsToken).toBeUndefined();
    for (const bad of ['short-token', 'has spaces in the middle of it', 'non-ascii-token-\u00e9\u00e9\u00e9\u00e9']) {
      expect(() => loadConfig({ METRICS_TOKEN: bad })).toThrow(
        new ConfigError('METRICS_TOKEN must be at least 16 characters, printable ASCII without spaces (e.g. the output of `openssl rand -hex 32`)'),
      );
    }
  });
});
