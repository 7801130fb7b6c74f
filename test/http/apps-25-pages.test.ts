import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { WebApp } from '../../src/http/web.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const HOUR = 3_600_000;
const page = { accept: 'text/html' };
const INDEX = '<!doctype html><meta name="idempotency-retention-hours" content="24"><title>member</title>';

/**
 * apps-25: the apps' pages are read once, at start, with IDEMPOTENCY_RETENTION_HOURS written in,
 * and answered from memory with the headers as before (each request read and rewrote the file); and
 * every answer's `Date` is the gateway's clock, which the apps age their kept keys by.
 */
describe('pages read once; Date by the gateway clock (apps-25)', () => {
  let dir: string;
  let server: Server;
  let base: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'apps-25-web-'));
    await writeFile(path.join(dir, 'index.html'), INDEX);
    const web = await WebApp.load(loadConfig({ NODE_ENV: 'test', IDEMPOTENCY_RETENTION_HOURS: '5' }), dir);
    server = createServer((req, res) => void web.handle(req, res, new URL(req.url ?? '/', 'http://web')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('answers the page as read at start, with the retention in it, even once the file changed', async () => {
    await writeFile(path.join(dir, 'index.html'), INDEX.replace('member', 'changed'));
    const expected = INDEX.replace('content="24"', 'content="5"');
    const [got, head] = await Promise.all([fetch(`${base}/wallet`, { headers: page }), fetch(`${base}/`, { method: 'HEAD', headers: page })]);
    expect({ body: await got.text(), type: got.headers.get('content-type'), cache: got.headers.get('cache-control'), length: head.headers.get('content-length'), headBody: await head.text() }).toEqual({
      body: expected,
      type: 'text/html; charset=utf-8',
      cache: 'no-cache',
      length: String(Buffer.byteLength(expected)),
      headBody: '',
    });
  });

  describe('the Date of the answers', () => {
    let t: TestGateway;
    beforeAll(async () => {
      t = await startTestGateway();
    });
    afterAll(() => t.close());

    it("is the gateway's clock: moved three hours, the Date says so", async () => {
      t.clock.advance(3 * HOUR);
      const before = t.clock.now().getTime();
      const res = await t.fetch('/healthz');
      const after = t.clock.now().getTime();
      const date = Date.parse(res.headers.get('date') ?? '');
      expect(date).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
      expect(date).toBeLessThanOrEqual(after);
    });
  });
});
