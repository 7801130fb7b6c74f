import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { Config } from '../config.js';
import { packageRoot } from '../persisted/contract.js';

/** Where `npm run build:web` (scripts/web-build.mjs) puts the production build of web/. */
export const WEB_DIST = path.join(packageRoot(), 'dist', 'web');

/**
 * The pages' own CSP (API answers keep `default-src 'none'`): scripts, styles, fonts and workers
 * only from the gateway itself; inline style attributes (charts and the explorer's editor set
 * them); images may be data: URLs; API calls and graphql-ws to the same host.
 */
const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "worker-src 'self' blob:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

/**
 * The apps' pages carry `<meta name="idempotency-retention-hours" content="24">` (web/index.html,
 * web/console/index.html): the page is served with this gateway's IDEMPOTENCY_RETENTION_HOURS in
 * it, so the apps forget a kept idempotency key once the gateway would have (web-24,
 * web/src/shared/session.ts `retentionHours`). The build's 24 is the setting's default.
 */
const RETENTION_META = /(<meta name="idempotency-retention-hours" content=")\d*(")/;

/** The pages `page` answers (the build's HTML entries), made once at start with the retention in them. */
const PAGES = ['/index.html', '/console/index.html', '/explorer/index.html'];

/** Member app routes (client-side routing): each answers the member app's page. */
const MEMBER_ROUTE = /^\/(?:$|stores(?:\/[^/.]+)?$|wallet$|history$|gifts$|sign-in$)/;
/** The console's routes, all under /console. */
const CONSOLE_ROUTE = /^\/console(?:\/[^.]*)?$/;

/** True for a browser's navigation to a URL: it asks for HTML, sends no GraphQL. */
export function isPageRequest(req: IncomingMessage, url: URL): boolean {
  return (
    (req.method === 'GET' || req.method === 'HEAD') &&
    (req.headers.accept ?? '').includes('text/html') &&
    !url.searchParams.has('query') &&
    !url.searchParams.has('extensions')
  );
}

/**
 * The browser apps, from the production build in dist/web: `/` and the member routes answer the
 * member app, `/console/…` the staff console, `/assets/…` the hashed bundles (cached for a year),
 * and, outside production, a browser's GET of /graphql the GraphiQL explorer (in production, a
 * short page saying the explorer is off). Files are listed once at start: only those are served,
 * so no request path reaches the file system. The pages are read once at start too, with this
 * gateway's retention written in (apps-25: each request read and rewrote them; the setting cannot
 * change while the gateway runs), and answered from memory.
 */
export class WebApp {
  private constructor(
    private readonly config: Config,
    private readonly files: Map<string, string>,
    private readonly pages: Map<string, Buffer>,
  ) {}

  /**
   * Lists the build's files and reads its pages (PAGES) with `config.idempotencyRetentionHours` in
   * their retention meta; an app without a build answers 503 with the command that builds it.
   * @throws the file system's error when the build's folder cannot be listed or a page read
   */
  static async load(config: Config, dir = WEB_DIST): Promise<WebApp> {
    const files = new Map<string, string>();
    if (existsSync(dir)) {
      for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const full = path.join(entry.parentPath, entry.name);
        files.set('/' + path.relative(dir, full).split(path.sep).join('/'), full);
      }
    }
    const pages = new Map<string, Buffer>();
    for (const name of PAGES) {
      const file = files.get(name);
      if (!file) continue;
      const html = (await readFile(file, 'utf8')).replace(RETENTION_META, `$1${config.idempotencyRetentionHours}$2`);
      pages.set(name, Buffer.from(html));
    }
    return new WebApp(config, files, pages);
  }

  /** Answers a request for a page or an asset; false when the path is not the web app's. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const pathname = url.pathname;
    if (pathname.startsWith('/assets/')) {
      const file = this.files.get(pathname);
      if (!file) return false;
      await this.sendFile(req, res, file, 'public, max-age=31536000, immutable');
      return true;
    }
    if (CONSOLE_ROUTE.test(pathname)) return this.page(req, res, '/console/index.html');
    if (MEMBER_ROUTE.test(pathname)) return this.page(req, res, '/index.html');
    return false;
  }

  /** A browser's GET of /graphql: the explorer in development, a note in production. */
  async explorer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.config.nodeEnv === 'production') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', 'content-security-policy': PAGE_CSP });
      res.end(
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>Reward Gateway API</title>' +
          '<main><h1>Reward Gateway API</h1><p>This is the GraphQL endpoint: send POST requests (or GET with a query). ' +
          'The explorer is off in production. The member app is at <a href="/">/</a>, the staff console at <a href="/console/">/console/</a>.</p></main></html>',
      );
      return;
    }
    this.page(req, res, '/explorer/index.html');
  }

  /** Answers the page `name` (one of PAGES) as read at start: `no-cache`, so a browser asks again after an upgrade. */
  private page(req: IncomingMessage, res: ServerResponse, name: string): boolean {
    const body = this.pages.get(name);
    if (!body) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end('The web app is not built: run `npm run build:web` (npm start does it when needed).');
      return true;
    }
    this.send(req, res, body, TYPES['.html'], 'no-cache');
    return true;
  }

  /** Sends the file `file` (an asset), read now. */
  private async sendFile(req: IncomingMessage, res: ServerResponse, file: string, cacheControl: string): Promise<void> {
    this.send(req, res, await readFile(file), TYPES[path.extname(file)] ?? 'application/octet-stream', cacheControl);
  }

  /** Answers 200 with `body` (none to a HEAD), its type and length, `cacheControl`, and an HTML page's CSP. */
  private send(req: IncomingMessage, res: ServerResponse, body: Buffer, type: string, cacheControl: string): void {
    res.writeHead(200, {
      'content-type': type,
      'content-length': body.length,
      'cache-control': cacheControl,
      ...(type.startsWith('text/html') ? { 'content-security-policy': PAGE_CSP } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}
