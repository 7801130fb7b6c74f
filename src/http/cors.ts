import type { IncomingMessage, ServerResponse } from 'node:http';

/** Request headers a browser client may send: credentials, JSON, and Apollo Client's own. */
export const CORS_ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'x-api-key',
  'apollographql-client-name',
  'apollographql-client-version',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'accept',
];

/** Response headers a browser client may read besides the CORS-safelisted ones. */
const EXPOSED_HEADERS = ['retry-after', 'x-request-id', 'www-authenticate', 'idempotent-replayed'];

const METHODS = 'GET, POST, OPTIONS';

/**
 * CORS for `/graphql` with an allow-list of origins (`CORS_ORIGINS`): an allowed origin gets
 * `Access-Control-Allow-Origin` set to itself (never `*`) and credentials allowed; any other origin
 * gets no CORS headers at all, so the browser keeps the answer from the page. Preflights (OPTIONS)
 * are answered here: 204 for an allowed origin (or none), cached by the browser for
 * `CORS_MAX_AGE_SECONDS`; 403 for any other origin.
 */
export class Cors {
  private readonly exact = new Set<string>();
  /** `scheme://host` of entries written `scheme://host:*`. */
  private readonly anyPort = new Set<string>();

  constructor(
    origins: string[],
    private readonly maxAgeSeconds: number,
  ) {
    for (const origin of origins) {
      if (origin.endsWith(':*')) this.anyPort.add(origin.slice(0, -2));
      else this.exact.add(origin);
    }
  }

  allows(origin: string): boolean {
    if (this.exact.has(origin)) return true;
    const withoutPort = /^(https?:\/\/[^/:]+)(:\d{1,5})?$/.exec(origin);
    return !!withoutPort && this.anyPort.has(withoutPort[1]);
  }

  /**
   * Sets the CORS headers of a `/graphql` response and answers preflights. Returns true when it
   * answered the request (an OPTIONS), false when the request goes on to GraphQL.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    // Answers differ by Origin: caches (a CDN for public GETs) must keep them apart.
    res.setHeader('vary', 'Origin');
    const origin = req.headers.origin;
    const allowed = typeof origin === 'string' && this.allows(origin);
    if (allowed) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-credentials', 'true');
      res.setHeader('access-control-expose-headers', EXPOSED_HEADERS.join(', '));
    }
    if (req.method !== 'OPTIONS') return false;
    res.setHeader('allow', METHODS);
    if (allowed && req.headers['access-control-request-method'] !== undefined) {
      res.setHeader('access-control-allow-methods', METHODS);
      res.setHeader('access-control-allow-headers', CORS_ALLOWED_HEADERS.join(', '));
      res.setHeader('access-control-max-age', String(this.maxAgeSeconds));
    }
    res.statusCode = origin === undefined || allowed ? 204 : 403;
    res.end();
    return true;
  }
}
