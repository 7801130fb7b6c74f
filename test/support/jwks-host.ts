import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, type CryptoKey } from 'jose';
import type { TestGateway } from './gateway.js';
import { unique } from './program.js';

/**
 * How a test's JWKS host answers a request: `answer` serves the key set (200); `hang` reads the
 * request and never answers; `fail` answers 500; `garbage` answers 200 with a body that is not
 * JSON; `empty` answers 200 with a key set of no keys (`{"keys":[]}`); `reset` closes the connection
 * without an answer.
 */
export type JwksHostMode = 'answer' | 'hang' | 'fail' | 'garbage' | 'empty' | 'reset';

/** A JWKS host the test controls (JWT_JWKS_URL of a test gateway), on loopback. */
export interface JwksHost {
  url: string;
  /** Requests it got so far. */
  readonly requests: number;
  /** How the next requests are answered. */
  set(mode: JwksHostMode): void;
  /** The same as `set('hang')`. */
  hang(): void;
  /** Serves the key set from now on, to the requests held by `hang` too. */
  answer(): void;
  close(): Promise<void>;
}

/** Starts a JwksHost serving `body` (a JSON Web Key Set's text), answering at first. */
export async function jwksHost(body: string): Promise<JwksHost> {
  const held: ServerResponse[] = [];
  let mode: JwksHostMode = 'answer';
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    if (mode === 'answer') res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    else if (mode === 'fail') res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
    else if (mode === 'garbage') res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
    else if (mode === 'empty') res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}');
    else if (mode === 'reset') req.socket.destroy();
    else held.push(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const set = (next: JwksHostMode) => {
    mode = next;
    if (next === 'answer') for (const res of held.splice(0)) res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  };
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
    get requests() {
      return requests;
    },
    set,
    hang: () => set('hang'),
    answer: () => set('answer'),
    close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The HTTP status a member's `{ me { externalId } }` with the bearer token `jwt` is answered with. */
export async function meStatus(t: TestGateway, jwt: string): Promise<number> {
  const res = await t.fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${jwt}` },
    body: JSON.stringify({ query: '{ me { externalId } }' }),
  });
  await res.text();
  return res.status;
}

/**
 * A token signed by an issuer's key (JWT_JWKS_URL's kind): `kid` and `alg` in its header, `sub`, a
 * staff `role` if given, a unique `jti`, valid a week.
 */
export function signWith(key: CryptoKey, header: { alg: string; kid: string }, sub: string, role?: string): Promise<string> {
  return new SignJWT(role ? { role, jti: unique('jti') } : { jti: unique('jti') })
    .setProtectedHeader(header)
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + 7 * 86_400)
    .sign(key);
}

/** A GraphQL POST with the bearer `token`: its HTTP status and body. */
export async function bearerGql(t: TestGateway, token: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await t.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, body: (await res.json()) as { data?: Record<string, any>; errors?: { extensions?: { code?: string } }[] } };
}
