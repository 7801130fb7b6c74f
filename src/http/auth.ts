import type { IncomingHttpHeaders } from 'node:http';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Metric } from 'prom-client';
// jose's own modules, not its index (start-25: the index loads every JWE/JWK/JWS module, ~46, on each start)
import * as joseErrors from 'jose/errors';
import { jwtVerify, type JWTVerifyGetKey } from 'jose/jwt/verify';
import type { JWTPayload } from 'jose';
import { SignJWT } from 'jose/jwt/sign';
import { systemClock, type Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Caller } from '../context.js';
import { CustomerCheck } from '../customers/customer-check.js';
import { CustomerStatus } from '../customers/customer.entity.js';
import { customerByExternalId, type CustomerRow } from '../customers/customer.service.js';
import { serviceUnavailable, unauthenticated } from '../graphql/errors.js';
import { partnerByApiKey } from '../partners/partner.service.js';
import { KeysUnavailable, RemoteKeys } from './jwks.js';

export interface Authenticated {
  caller: Caller;
  /** The signed-in customer's row, so the request need not read it again (absent when `customerCheck` is). */
  customer?: CustomerRow;
  /**
   * Present when authentication did not read the customer's row (`deferCustomerCheck` and their id
   * known): the request must settle it before it answers (CustomerCheck).
   */
  customerCheck?: CustomerCheck;
  /**
   * The last instant the bearer token is taken (ms since the epoch): its `exp` plus
   * JWT_CLOCK_TOLERANCE_SECONDS (`Config.jwtClockToleranceSeconds`), the instant `verify` starts refusing it. A socket closes at it
   * (src/http/ws.ts), so a token is honoured exactly as long on either transport. Absent for API keys
   * and anonymous callers.
   */
  acceptedUntil?: number;
}

/**
 * The instant (ms since the epoch) a token whose `exp` is `exp` (seconds since the epoch) stops being
 * taken, with a leeway of `toleranceSeconds` (JWT_CLOCK_TOLERANCE_SECONDS, `Config.jwtClockToleranceSeconds`):
 * how far the gateway's clock may disagree with the token issuer's. A token is still taken this long
 * after its `exp` (and this long before its `nbf`). The one leeway of every path that judges a
 * token's time: jose's verification (every HTTP request, a socket's connect and each of its
 * operations) and an open socket's own expiry (`Authenticated.acceptedUntil`). Before parity-12 the
 * socket compared the bare `exp` with its clock: a token 1 to 5 s past `exp` was served over HTTP and
 * refused 4401 "token expired" at a socket's connect, and an open socket closed 5 s before HTTP
 * stopped taking the same token.
 */
export const tokenAcceptedUntil = (exp: number, toleranceSeconds: number): number => (exp + toleranceSeconds) * 1000;

/**
 * The `WWW-Authenticate` value of every HTTP 401 the gateway sends (RFC 9110 §11.6.1 requires one
 * on a 401; RFC 6750 §3 defines the Bearer scheme's). One realm for the whole gateway: customers'
 * and staff's JWTs and the /metrics token are bearer tokens; a partner's `x-api-key` has no HTTP
 * authentication scheme of its own, and its 401s carry the same challenge (docs/decisions.md,
 * "401 answers carry a Bearer challenge").
 */
export const BEARER_CHALLENGE = 'Bearer realm="reward-gateway"';

const STAFF_ROLES = new Set(['operator', 'analyst']);
/**
 * The 401 for an `x-api-key` header sent empty (or white space only): the key was meant and is
 * missing, usually an unset variable in the partner's configuration (newcomer-19).
 */
const EMPTY_API_KEY = 'The x-api-key header is empty: put your API key (rg_…) in it.';
const VERIFIED_CACHE_SIZE = 10_000;
const CUSTOMER_ID_CACHE_SIZE = 10_000;

/** What a request lets authentication leave to it. */
export interface AuthenticateOptions {
  /**
   * The request settles a `CustomerCheck` itself: before it runs anything but a query it knows to
   * be one, and before it answers (src/http/server.ts, HTTP POST). For a customer whose id is
   * known, authentication then reads nothing and returns the pending check.
   */
  deferCustomerCheck?: boolean;
}

/**
 * The 401 sentence for an Authorization header that is not `Bearer <JWT>`, saying which part is
 * wrong (newcomer-12: "Bearer garbage" got the same sentence as "Basic …", which left a developer
 * guessing): another scheme is named (when it is a plain word), a bearer credential that is not a
 * JWT is told a JWT's shape (RFC 7519 §3: header.payload.signature, each base64url), a bare JWT
 * that the Bearer word goes first, "Bearer" with nothing after it that the token's variable may be
 * unset, and a credential in quotes or angle brackets to drop them (newcomer-34). Under 123 bytes,
 * so it fits a WebSocket close reason as it is.
 */
export function notBearerJwt(authorization: string): string {
  if (/^[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*$/.test(authorization)) return 'Authorization must be "Bearer <JWT>": the word Bearer and a space go before the token.';
  const scheme = /^([A-Za-z][A-Za-z0-9-]{0,19})(?:\s|$)/.exec(authorization)?.[1];
  if (scheme === undefined || (scheme.toLowerCase() !== 'bearer' && scheme.length === authorization.length)) return 'Authorization must be "Bearer <JWT>".';
  if (scheme.toLowerCase() !== 'bearer') return `Authorization must be "Bearer <JWT>", not the ${scheme} scheme.`;
  const credential = authorization.slice(scheme.length).trim();
  // newcomer-34: `-H "authorization: Bearer $TOKEN"` with TOKEN unset, and a token pasted with its quotes or the docs' <…>
  if (credential === '') return 'Authorization has nothing after "Bearer": is the variable holding your token set?';
  if (/^["'<‹]|["'>›]$/.test(credential)) return 'Authorization must be "Bearer <JWT>": send the token without quotes or < > around it.';
  return 'Authorization must be "Bearer <JWT>": a JWT is three base64url parts joined by dots.';
}

/**
 * Turns request credentials into a caller. Customers and staff present a bearer JWT (HS256 with
 * JWT_SECRET, or RS256/ES256 against JWT_JWKS_URL); `exp` and `sub` are required. Anything
 * presented that does not check out is UNAUTHENTICATED: a bad credential never falls back to
 * anonymous.
 */
export class Authenticator {
  private readonly secret: Uint8Array;
  private readonly jwks: JWTVerifyGetKey | undefined;
  /** JWT_JWKS_URL's keys, when set: their `generation` tells a verification the keys changed under it. */
  private readonly remote: RemoteKeys | undefined;
  /**
   * Tokens already verified, until they expire (at most a minute): an app sends the same token on
   * every request, and verifying its signature again was an eighth of the gateway's CPU per page.
   */
  private readonly verified = new Map<string, { claims: JWTPayload & { role?: unknown }; until: number; generation: number }>();
  /**
   * `customer.id` by `customer.external_id` (a token's subject), of customers found active here,
   * the oldest dropped first past 10,000. An external id never changes and is never given to
   * another customer (it is the upsert's key; no statement updates or deletes a customer row), and
   * every deferred check matches both (`CustomerCheck`), so a stale entry can only be refused, never
   * name someone else. An entry is dropped when a check finds its customer inactive.
   */
  private readonly customerIds = new Map<string, number>();
  /** What /metrics shows of the token keys' fetches (`RemoteKeys.metrics`); none without JWT_JWKS_URL. */
  readonly metrics: readonly Metric[];
  /** Told when JWT_JWKS_URL's key set changed (`onKeysChanged`). */
  private readonly keysChangedListeners: (() => Promise<void>)[] = [];

  /**
   * @param clock when JWT_JWKS_URL's keys were fetched and are due again (`RemoteKeys`)
   * @param log where a failed fetch of those keys is warned of (the issuer is down or hangs)
   */
  constructor(
    private readonly config: Config,
    clock: Clock = systemClock,
    log?: Logger,
  ) {
    this.secret = new TextEncoder().encode(config.jwtSecret);
    const jwksUrl = config.jwtJwksUrl;
    const remote = jwksUrl
      ? new RemoteKeys(new URL(jwksUrl), config.jwks, clock, (reason) => log?.warn({ url: jwksUrl, reason }, `could not fetch the token keys (JWT_JWKS_URL): ${reason}`))
      : undefined;
    this.jwks = remote?.getKey;
    this.remote = remote;
    this.metrics = remote?.metrics ?? [];
    remote?.onChange(async () => {
      // A token verified under the old set is not taken on that word any more (a withdrawn key's).
      this.verified.clear();
      await Promise.allSettled(this.keysChangedListeners.map((listener) => listener()));
    });
  }

  /**
   * Calls `listener` when JWT_JWKS_URL's key set changes (a key withdrawn or replaced: see
   * RemoteKeys.onChange), after the cache of verified tokens is emptied; the fetch's waiters wait for
   * it. The WebSocket server judges its open sessions' tokens again then (break38 live). Answers the
   * function that stops the calls.
   */
  onKeysChanged(listener: () => Promise<void>): () => void {
    this.keysChangedListeners.push(listener);
    return () => {
      const at = this.keysChangedListeners.indexOf(listener);
      if (at >= 0) this.keysChangedListeners.splice(at, 1);
    };
  }

  /**
   * Verifies a bearer token's signature and claims again, without the cache (an open socket's, after
   * the keys changed). Throws as `authenticate` does for a token: UNAUTHENTICATED when it no longer
   * checks out, SERVICE_UNAVAILABLE when the keys could not be fetched (undecided).
   */
  async reverifyToken(token: string): Promise<void> {
    await this.verifySignature(token);
  }

  /**
   * The caller of a request by its headers (`authorization`, `x-api-key`); UNAUTHENTICATED (HTTP 401)
   * when credentials are presented and do not check out. For a customer token it reads the
   * customer's row (one statement) unless `options.deferCustomerCheck` and the customer's id is
   * known: then it reads nothing and returns `customerCheck` for the request to settle.
   */
  async authenticate(headers: IncomingHttpHeaders | Record<string, unknown>, em: SqlEntityManager, options: AuthenticateOptions = {}): Promise<Authenticated> {
    const authorization = headers.authorization;
    const apiKey = headers['x-api-key'];
    if (apiKey !== undefined) {
      if (authorization !== undefined) throw unauthenticated('Send either a bearer token or an API key, not both.');
      if (typeof apiKey !== 'string') throw unauthenticated('Malformed x-api-key header.');
      // An empty header is a key the client meant to send and did not (an unset variable in its
      // configuration): say so, rather than the unknown-or-revoked answer that sends it to the
      // operator about a key it never sent (newcomer-19).
      if (apiKey.trim() === '') throw unauthenticated(EMPTY_API_KEY);
      const partner = await partnerByApiKey(em, apiKey.trim());
      if (!partner) throw unauthenticated('Unknown or revoked API key.');
      return { caller: { kind: 'partner', partnerId: partner.id, name: partner.name, scopes: partner.scopes } };
    }
    if (authorization === undefined || authorization === '') {
      // An API key (`rg_` and 32 or more key characters) sent under another header's name
      // (`api-key`, `x-api-token`, …) was answered as no credentials at all ("Sign in first"),
      // which never names the header to use (newcomer-36).
      const misplaced = Object.entries(headers).find(([, value]) => typeof value === 'string' && /^rg_[A-Za-z0-9_-]{32,}$/.test(value.trim()));
      if (misplaced) throw unauthenticated(`An API key goes in the x-api-key header; this request sent one in ${JSON.stringify(misplaced[0].slice(0, 64))}.`);
      return { caller: { kind: 'anonymous' } };
    }
    if (typeof authorization !== 'string') throw unauthenticated('Malformed Authorization header.');
    const match = /^Bearer\s+([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*)$/i.exec(authorization.trim());
    if (!match) {
      // A partner's key put where tokens go (`Authorization: Bearer rg_…`, or bare): say where it goes.
      if (/^(?:Bearer\s+)?rg_\S*$/i.test(authorization.trim())) throw unauthenticated('An API key goes in the x-api-key header, not in Authorization.');
      throw unauthenticated(notBearerJwt(authorization.trim()));
    }
    const claims = await this.verify(match[1]);
    const acceptedUntil = tokenAcceptedUntil(claims.exp!, this.config.jwtClockToleranceSeconds);
    const role = claims.role ?? 'customer';
    if (role === 'customer') {
      const externalId = claims.sub!;
      const knownId = options.deferCustomerCheck ? this.customerIds.get(externalId) : undefined;
      if (knownId !== undefined) {
        const customerCheck = new CustomerCheck(knownId, externalId);
        return { caller: { kind: 'customer', customerId: knownId, externalId, status: undefined }, customerCheck, acceptedUntil };
      }
      const customer = await customerByExternalId(em, externalId);
      if (!customer || customer.status === CustomerStatus.CLOSED) {
        this.customerIds.delete(externalId);
        throw inactiveCustomer();
      }
      if (!this.customerIds.has(externalId)) {
        if (this.customerIds.size >= CUSTOMER_ID_CACHE_SIZE) this.customerIds.delete(this.customerIds.keys().next().value!);
        this.customerIds.set(externalId, customer.id);
      }
      return { caller: { kind: 'customer', customerId: customer.id, externalId: customer.externalId, status: customer.status }, customer, acceptedUntil };
    }
    if (typeof role === 'string' && STAFF_ROLES.has(role)) {
      return { caller: { kind: 'staff', staffId: claims.sub!, role: role as 'operator' | 'analyst' }, acceptedUntil };
    }
    // newcomer-34: name the roles there are (a staff token signed with "admin" was told only that it was unknown)
    throw unauthenticated('This token\'s role is not one this gateway knows: a customer\'s token has none, staff\'s is "operator" or "analyst".');
  }

  /** Drops what is cached of the customer `externalId` (a deferred check found them inactive): their next request reads them first. */
  forgetCustomer(externalId: string): void {
    this.customerIds.delete(externalId);
  }

  /**
   * How many times JWT_JWKS_URL's key set has changed (0 without it): a session authenticated under
   * one generation and kept under another is verified again (the WebSocket connect).
   */
  get keysGeneration(): number {
    return this.remote?.generation ?? 0;
  }

  private async verify(token: string): Promise<JWTPayload & { role?: unknown }> {
    const now = Date.now();
    const hit = this.verified.get(token);
    // Taken only under the key set it was verified by: between a change's count and its listeners'
    // emptying of this cache, an entry of the old set was a hit (break38c).
    const generation = this.keysGeneration;
    if (hit && hit.until > now && hit.generation === generation) return hit.claims;
    const claims = await this.verifySignature(token);
    // The key set changed while this verified (the keys were fetched meanwhile, often by this very
    // request's background refresh): judged by keys no longer held, it is verified again by the new
    // ones rather than taken, and cached, on the old ones' word (break38b live: a withdrawn key's token
    // was cached again after the change emptied the cache).
    if (this.keysGeneration !== generation) return this.verify(token);
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    // Kept while jose would take it again (the same leeway), at most a minute.
    this.verified.set(token, { claims, until: Math.min(tokenAcceptedUntil(claims.exp ?? 0, this.config.jwtClockToleranceSeconds), now + 60_000), generation });
    return claims;
  }

  private async verifySignature(token: string): Promise<JWTPayload & { role?: unknown }> {
    try {
      const options = {
        requiredClaims: ['exp', 'sub'],
        issuer: this.config.jwtIssuer,
        audience: this.config.jwtAudience,
        clockTolerance: this.config.jwtClockToleranceSeconds,
      };
      const { payload } = this.jwks
        ? await jwtVerify(token, this.jwks, { ...options, algorithms: ['RS256', 'ES256'] })
        : await jwtVerify(token, this.secret, { ...options, algorithms: ['HS256'] });
      if (typeof payload.sub !== 'string' || !/^[^\u0000]{1,200}$/.test(payload.sub)) {
        throw unauthenticated('The token has no valid subject.');
      }
      return payload;
    } catch (error) {
      if (error instanceof KeysUnavailable) throw keysUnavailable();
      if (error instanceof joseErrors.JWTExpired) throw unauthenticated('The token has expired.');
      if (error instanceof joseErrors.JWTClaimValidationFailed) throw unauthenticated(claimRefusal(error.claim, error.reason));
      if (error instanceof joseErrors.JOSEAlgNotAllowed) throw unauthenticated('The token is signed with an algorithm this gateway does not accept.');
      if (error instanceof joseErrors.JWSSignatureVerificationFailed) throw unauthenticated('The token\'s signature does not verify.');
      if (error instanceof joseErrors.JOSEError) throw unauthenticated('The token is not valid.');
      throw error;
    }
  }
}

/**
 * What a token whose claims do not check out is told (UNAUTHENTICATED, HTTP 401), per claim:
 * jose's "missing required "exp" claim" used to reach the client as "The token is not valid.",
 * which does not tell an integrator that the token lacks an expiry (edges-11). The contract
 * requires `exp` (README, "Who is calling"), and the gateway requires it of staff tokens too: a
 * token without one would never expire, and a subscription lives only as long as its token.
 * `reason` is jose's: `missing`, `invalid` (not a number) or `check_failed`.
 */
function claimRefusal(claim: string, reason: string): string {
  if (claim === 'exp') {
    return reason === 'missing'
      ? 'The token has no exp claim: this gateway takes only tokens that expire (exp is required).'
      : 'The token\'s exp claim must be a number of seconds since 1970.';
  }
  if (claim === 'sub') return 'The token has no valid subject.';
  if (claim === 'nbf') return 'The token is not valid yet (nbf).';
  if (claim === 'iss') return 'The token is not from the issuer this gateway accepts (iss).';
  if (claim === 'aud') return 'The token is not for this gateway (aud).';
  return `The token's ${claim} claim is not valid.`;
}

/**
 * SERVICE_UNAVAILABLE (503, Retry-After) for a token that cannot be checked now: JWT_JWKS_URL did
 * not give the keys to decide it (none fetched yet, or the token names a key id not held) within
 * JWT_JWKS_TIMEOUT_MS. The token may be good: the client sends it again, rather than signing in
 * again as a 401 would have it do (outside-15).
 */
export function keysUnavailable() {
  return serviceUnavailable("The token could not be checked: its issuer's signing keys could not be fetched just now. Nothing was done; send the request again shortly.");
}

/** UNAUTHENTICATED (401) for a customer token whose customer is missing or CLOSED. */
export function inactiveCustomer() {
  return unauthenticated('No active customer for this token.');
}

/** Signs a token with the configured HS256 secret: for the demo tokens printed at start-up and tests. */
export async function signToken(config: Config, claims: { sub: string; role?: string }, ttlSeconds = 30 * 86_400): Promise<string> {
  const jwt = new SignJWT(claims.role ? { role: claims.role } : {})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds);
  if (config.jwtIssuer) jwt.setIssuer(config.jwtIssuer);
  if (config.jwtAudience) jwt.setAudience(config.jwtAudience);
  return jwt.sign(new TextEncoder().encode(config.jwtSecret));
}
