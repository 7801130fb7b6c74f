import { promises as dns, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
// jose's own modules, not its index (start-25)
import * as joseErrors from 'jose/errors';
import { createLocalJWKSet } from 'jose/jwks/local';
import type { JSONWebKeySet } from 'jose';
import type { JWTVerifyGetKey } from 'jose/jwt/verify';
import { Counter, Gauge, type Metric } from 'prom-client';
import type { Clock } from '../clock.js';
import { answerLookup } from './lookup-answer.js';

/** How JWT_JWKS_URL's keys are fetched and kept (`Config.jwks`). */
export interface JwksSettings {
  /** How long one fetch of the key set may take, in ms, connecting and reading included (JWT_JWKS_TIMEOUT_MS). */
  timeoutMs: number;
  /** How old the keys may grow before they are fetched again, in ms (JWT_JWKS_MAX_AGE_MS); they are served meanwhile. */
  maxAgeMs: number;
}

/**
 * After a fetch failed, how long until the next is tried, in ms: requests meanwhile are answered
 * from the keys held, or at once SERVICE_UNAVAILABLE when none are, instead of each waiting on
 * the host again.
 */
export const JWKS_RETRY_MS = 5_000;
/** How long after a fetch a token naming an unknown key id fetches again (jose's `cooldownDuration`), in ms. */
export const JWKS_UNKNOWN_KID_COOLDOWN_MS = 30_000;
/**
 * How long keys are served, in ms, past their last successful fetch while the host cannot be
 * reached (a day): past it a key the issuer may have withdrawn is no longer trusted, and tokens
 * are answered SERVICE_UNAVAILABLE until the host answers again.
 */
export const JWKS_MAX_STALE_MS = 86_400_000;
/** The largest key set taken, in bytes: a key set is a few KB. */
const MAX_BODY_BYTES = 1_000_000;

/**
 * How one fetch of JWT_JWKS_URL's key set ended: the `outcome` label of `gateway_jwks_fetches_total`
 * (a fixed set, so the series never grow with what a host answers):
 * - `ok`: a key set was taken (it replaces the keys held);
 * - `timeout`: no whole answer within JWT_JWKS_TIMEOUT_MS (a host that hangs, or sends too slowly);
 * - `http_error`: the host answered with a status other than 200;
 * - `invalid`: a 200 whose body is not a JSON Web Key Set (not JSON, no `keys` array, keys that are
 *   not objects, no key at all, over 1 MB);
 * - `network`: no HTTP answer at all: the name not resolved, the connection refused or reset, TLS
 *   refused (the log's reason is the system's code: ECONNREFUSED, ENOTFOUND, ECONNRESET …).
 */
export const JWKS_FETCH_OUTCOMES = ['ok', 'timeout', 'http_error', 'invalid', 'network'] as const;

/** One of JWKS_FETCH_OUTCOMES. */
export type JwksFetchOutcome = (typeof JWKS_FETCH_OUTCOMES)[number];

/**
 * Milliseconds from `at` to `now` (both by the gateway's clock), or Infinity when `at` is later than
 * `now`: the clock was stepped back since, and how long ago `at` was is unknown. Counted as long
 * ago, so the keys are fetched again at the next token: before (break-16), a clock stepped back an
 * hour held the keys as fresh (a rotated or withdrawn key still trusted, a new key id refused 401)
 * and a failed fetch as recent (no fetch, tokens answered 503) for that hour beyond the bounds.
 */
function elapsed(now: number, at: number): number {
  return now >= at ? now - at : Infinity;
}

/** A fetch that failed in a way the fetch itself recognised (anything else is `network`). */
class FetchFailure extends Error {
  constructor(
    readonly outcome: Exclude<JwksFetchOutcome, 'ok' | 'network'>,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Thrown by `RemoteKeys.getKey` when no key the gateway holds can decide a token (none fetched
 * yet, or the token names a key id not held) and the host did not answer: the token may well be
 * good, so the caller is told "try again" (SERVICE_UNAVAILABLE), never "your token is bad".
 */
export class KeysUnavailable extends Error {
  constructor(readonly reason: string) {
    super(`The token's signing keys could not be fetched (${reason})`);
  }
}

/**
 * The verification keys of JWT_JWKS_URL, for jose's `jwtVerify` (outside-15). jose's own
 * `createRemoteJWKSet` made every request wait on the host: once its keys were 10 minutes old
 * (`cacheMaxAge`) each verification awaited a new fetch, up to 5 s (`timeoutDuration`), and a host
 * that was down failed it with the keys still in hand (401 "The token is not valid." for good
 * tokens, or INTERNAL_SERVER_ERROR when the connection was refused); after a failure the next
 * request fetched again at once, each request waiting in turn. Here:
 *
 * - one fetch at a time, bounded by `timeoutMs`, shared by whoever needs it;
 * - keys older than `maxAgeMs` are fetched again in the background while the held ones are served
 *   (up to JWKS_MAX_STALE_MS past their last fetch);
 * - a failed fetch is not tried again for JWKS_RETRY_MS: a request that needs the host meanwhile
 *   (no keys yet, an unknown key id past the cooldown) fails at once with `KeysUnavailable`;
 * - the host's name is looked up by getaddrinfo at most once at a time (`sharedLookup`): a lookup
 *   the fetch's timeout abandoned keeps its libuv thread until the system resolver gives up, and a
 *   fetch meanwhile waits on that lookup instead of taking another thread.
 *
 * `getKey` throws jose's errors for tokens it can judge (JWKSNoMatchingKey for a key id the fresh
 * set lacks) and `KeysUnavailable` for those it cannot.
 *
 * `metrics` show the fetches in /metrics (leftovers-16), so an operator sees a failing key host
 * while the held keys still serve, before members are answered 503:
 * - `gateway_jwks_fetches_total{outcome}`: fetches by JWKS_FETCH_OUTCOMES, every outcome there
 *   from 0 (one fetch however many requests share it; none while JWKS_RETRY_MS holds them back);
 * - `gateway_jwks_keys_age_seconds`: seconds since the last successful fetch, by the gateway's
 *   clock; absent until the first. Past JWT_JWKS_MAX_AGE_MS a fetch is due (and tried in the
 *   background); past 86400 (JWKS_MAX_STALE_MS) the keys are no longer trusted and tokens they
 *   would decide are answered 503.
 */
export class RemoteKeys {
  private keys: { local: ReturnType<typeof createLocalJWKSet>; fetchedAt: number } | undefined;
  private pending: Promise<void> | undefined;
  private failed: { at: number; reason: string } | undefined;
  private readonly agent: http.Agent;
  /** When a fetch last succeeded (ms, the gateway's clock), kept when the keys are dropped as stale. */
  private lastFetchedAt: number | undefined;
  /** The keys of the last set taken (JSON), to tell a changed set from the same one fetched again. */
  private lastKeys: string | undefined;
  /** Told when a fetch brings a key set other than the one held before (`onChange`). */
  private readonly changeListeners: (() => Promise<void> | void)[] = [];
  /**
   * The fetch under way's outcome as its waiters get it: the fetch, then, when it brought a change,
   * that change's listeners (see `refresh`).
   */
  private answered: Promise<void> | undefined;
  /**
   * How many times the key set changed (a set other than the one held before was taken): a
   * verification that began under one generation and ended under another was judged by keys no
   * longer held (`Authenticator.verify` verifies it again).
   */
  generation = 0;
  private readonly fetches = new Counter({
    name: 'gateway_jwks_fetches_total',
    help: "Fetches of JWT_JWKS_URL's signing keys by outcome: ok, timeout (none within JWT_JWKS_TIMEOUT_MS), http_error (not HTTP 200), invalid (not a JSON Web Key Set), network (no answer: refused, reset, name not resolved)",
    labelNames: ['outcome'],
    registers: [],
  });
  /** The metrics above, for the gateway's /metrics (`Metrics` registers them; prom-client's default registry is not used). */
  readonly metrics: Metric[];

  /** @param onFailure told of each failed fetch and why (`no answer within 2000 ms`, `HTTP 500`, ECONNREFUSED): the log's warning */
  constructor(
    private readonly url: URL,
    private readonly settings: JwksSettings,
    private readonly clock: Clock,
    private readonly onFailure: (reason: string) => void = () => undefined,
  ) {
    // no keep-alive: a fetch every JWT_JWKS_MAX_AGE_MS has no use for an idle socket
    const options = { keepAlive: false, lookup: sharedLookup() };
    this.agent = url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
    for (const outcome of JWKS_FETCH_OUTCOMES) this.fetches.inc({ outcome }, 0);
    const age: Gauge = new Gauge({
      name: 'gateway_jwks_keys_age_seconds',
      help: "Seconds since JWT_JWKS_URL's signing keys were last fetched successfully, by the gateway's clock (absent until the first); past JWT_JWKS_MAX_AGE_MS they are due again, past 86400 no longer trusted",
      registers: [],
      collect: () => {
        if (this.lastFetchedAt === undefined) age.remove();
        else age.set((this.clock.now().getTime() - this.lastFetchedAt) / 1000);
      },
    });
    age.remove();
    this.metrics = [this.fetches, age];
  }

  /**
   * Calls `listener` each time a fetch brings a key set that differs from the last one taken (a key
   * added, withdrawn or replaced; not the first set), and waits for it before the fetch's waiters
   * carry on: a withdrawn key's sessions are judged before a request that brought the new set is
   * answered (break38 live). A listener's failure is its own.
   */
  onChange(listener: () => Promise<void> | void): void {
    this.changeListeners.push(listener);
  }

  /** jose's key lookup: the key for a token's protected header, as the class says. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const now = this.clock.now().getTime();
    if (this.keys && now - this.keys.fetchedAt > JWKS_MAX_STALE_MS) this.keys = undefined;
    if (!this.keys) await this.refresh(now);
    else if (elapsed(now, this.keys.fetchedAt) > this.settings.maxAgeMs && this.mayFetch(now)) this.refresh(now).catch(() => undefined);
    try {
      return await this.keys!.local(header, token);
    } catch (error) {
      if (!(error instanceof joseErrors.JWKSNoMatchingKey) || elapsed(now, this.keys!.fetchedAt) < JWKS_UNKNOWN_KID_COOLDOWN_MS) throw error;
      // a key id not held: the issuer may have added it since (a rotation)
      await this.refresh(now);
      return this.keys!.local(header, token);
    }
  };

  /** Whether a fetch may start now: none is running, and the last failure is JWKS_RETRY_MS old. */
  private mayFetch(now: number): boolean {
    return !this.pending && (!this.failed || elapsed(now, this.failed.at) >= JWKS_RETRY_MS);
  }

  /** Fetches the keys (or joins the fetch under way); rejects with KeysUnavailable when it fails or may not be tried yet. */
  private refresh(now: number): Promise<void> {
    if (!this.pending && !this.mayFetch(now)) return Promise.reject(new KeysUnavailable(this.failed!.reason));
    if (this.pending) return this.answered!;
    let changed = false;
    this.pending = this.fetchKeys()
      .then((set) => {
        let local: ReturnType<typeof createLocalJWKSet>;
        try {
          local = createLocalJWKSet(set);
        } catch (error) {
          throw new FetchFailure('invalid', error instanceof Error ? error.message : String(error));
        }
        const fetchedAt = this.clock.now().getTime();
        this.keys = { local, fetchedAt };
        this.lastFetchedAt = fetchedAt;
        this.failed = undefined;
        this.fetches.inc({ outcome: 'ok' });
        const keys = JSON.stringify(set.keys);
        if (this.lastKeys !== undefined && keys !== this.lastKeys) {
          this.generation += 1;
          changed = true;
        }
        this.lastKeys = keys;
      })
      .catch((error: unknown) => {
        // (by shape, not `instanceof Error`: node's own errors come from another realm under jest's vm)
        const { code, message, outcome } = (error ?? {}) as { code?: string; message?: string; outcome?: JwksFetchOutcome };
        const reason = code ?? message ?? String(error);
        this.failed = { at: this.clock.now().getTime(), reason };
        this.fetches.inc({ outcome: outcome ?? 'network' });
        this.onFailure(reason);
        throw new KeysUnavailable(reason);
      })
      .finally(() => {
        this.pending = undefined;
      });
    // The waiters of this fetch wait for its own change's listeners, which run once it has ended:
    // a listener whose check needs another fetch starts it and waits for that one only. Waiting for
    // "the last change's listeners" (break38b live) made such a listener wait for itself, and the
    // withdrawn key's socket was never closed (break38d: the clock stepped back, the keys read old).
    this.answered = this.pending.then(async () => {
      if (changed) await Promise.allSettled(this.changeListeners.map(async (listener) => listener()));
    });
    return this.answered;
  }

  /**
   * One GET of the key set, bounded by `timeoutMs`; rejects with the reason (`no answer within 2000
   * ms`, `HTTP 500`, ECONNREFUSED), a FetchFailure naming its outcome where the fetch knows it
   * (anything else is the connection's own error: `network`).
   */
  private fetchKeys(): Promise<JSONWebKeySet> {
    const { timeoutMs } = this.settings;
    const signal = AbortSignal.timeout(timeoutMs);
    const failed = (error: Error) => (signal.aborted ? new FetchFailure('timeout', `no answer within ${timeoutMs} ms`) : error);
    return new Promise<JSONWebKeySet>((resolve, reject) => {
      const request = (this.url.protocol === 'https:' ? https : http).get(this.url, { agent: this.agent, signal, headers: { accept: 'application/jwk-set+json, application/json' } }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return reject(new FetchFailure('http_error', `HTTP ${res.statusCode}`));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
          // rejected first: the destroy's own error comes after, and a settled promise ignores it
          reject(new FetchFailure('invalid', 'key set larger than 1 MB'));
          request.destroy();
        });
        res.on('end', () => {
          try {
            const set = JSON.parse(Buffer.concat(chunks).toString('utf8')) as JSONWebKeySet;
            if (!Array.isArray(set?.keys)) throw new FetchFailure('invalid', 'not a JSON Web Key Set');
            // An issuer that publishes no key is misconfigured, not withdrawing every key at once:
            // taken, it would refuse every token and close every socket 4401, which clients do not
            // retry (break38b live). The held keys serve on, as after any failed fetch.
            if (set.keys.length === 0) throw new FetchFailure('invalid', 'a key set with no keys');
            resolve(set);
          } catch (error) {
            reject(error instanceof SyntaxError ? new FetchFailure('invalid', 'not JSON') : error);
          }
        });
        res.on('error', (error) => reject(failed(error)));
      });
      request.on('error', (error) => reject(failed(error)));
    });
  }
}

/**
 * `dns.lookup` (getaddrinfo, on libuv's pool) with at most one lookup of a name in flight: callers
 * while one runs share its answer. A lookup whose caller gave up (a fetch's timeout) still holds
 * its thread until the system resolver's own timeouts end; without this each retry took another.
 */
export function sharedLookup(): LookupFunction {
  const running = new Map<string, Promise<LookupAddress[]>>();
  return (hostname, options, callback) => {
    let lookup = running.get(hostname);
    if (!lookup) {
      lookup = dns.lookup(hostname, { all: true });
      running.set(hostname, lookup);
      lookup.then(
        () => running.delete(hostname),
        () => running.delete(hostname),
      );
    }
    lookup.then(
      (all) => answerLookup(hostname, all, options, callback),
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}
