/**
 * Which endpoint URLs the gateway will send webhooks to. Pure: no network, no DNS.
 * Rules (docs/decisions.md, "Partner webhooks"): an absolute `https://` URL, or `http://` to a
 * loopback host (`localhost`, `127.0.0.1`, `[::1]`) when WEBHOOK_ALLOW_HTTP_LOCALHOST is on (the
 * default outside production); no user name or password in it (they would travel to logs and
 * proxies); no fragment (never sent); at most 2,000 characters.
 */

/** Why a URL was refused; each reason has one stable message (the refusal's code is INVALID). */
export type WebhookUrlProblem = 'MALFORMED' | 'SCHEME' | 'HTTP_NOT_LOCALHOST' | 'CREDENTIALS' | 'FRAGMENT' | 'TOO_LONG';

export const WEBHOOK_URL_MESSAGES: Record<WebhookUrlProblem, string> = {
  MALFORMED: 'url is not an absolute URL.',
  SCHEME: 'url must use https.',
  HTTP_NOT_LOCALHOST: 'url must use https (http is allowed only for localhost in development and tests).',
  CREDENTIALS: 'url must not contain a user name or password; authenticate with the signature instead.',
  FRAGMENT: 'url must not contain a fragment (#…).',
  TOO_LONG: 'url must be at most 2000 characters.',
};

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The problem with `raw` as a webhook endpoint URL, or null when it may be used. */
export function webhookUrlProblem(raw: string, allowHttpLocalhost: boolean): WebhookUrlProblem | null {
  if (raw.length > 2000) return 'TOO_LONG';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'MALFORMED';
  }
  if (url.username || url.password) return 'CREDENTIALS';
  if (raw.includes('#')) return 'FRAGMENT';
  if (url.protocol === 'https:') return url.hostname ? null : 'MALFORMED';
  if (url.protocol === 'http:') return allowHttpLocalhost && LOOPBACK.has(url.hostname) ? null : 'HTTP_NOT_LOCALHOST';
  return 'SCHEME';
}

/** RFC 3986 §2.3's unreserved characters: percent-encoded or not, they are the same URI. */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * The form two endpoint URLs are compared in: equal forms name one receiver (webhooks-24's one
 * endpoint per URL and owner; break2-24). `URL` already folds the scheme and host case, an IDN to
 * its punycode, IPv4 and IPv6 spellings, the default port, an empty path to `/` and dot segments.
 * On top of it, the equivalences of RFC 3986 §6.2.2 and RFC 9110 §4.2.3 that `URL` keeps apart:
 * a percent-encoded unreserved character is the character (`%7E` is `~`), and percent-encodings'
 * hex digits are upper case (`%c3%a9` is `%C3%A9`, as `URL` writes `é`); and the names the
 * connection goes to alike: a host's trailing dot (the same DNS name, as `internalHostOf` reads
 * it) and an IPv4-mapped IPv6 address (`[::ffff:8.8.8.8]` is `8.8.8.8`). Kept apart, as the
 * receiver may route them apart: path case, a trailing slash, the query's order, an empty query.
 * `raw`: a URL `webhookUrlProblem` accepted (no user info, no fragment); one `URL` cannot read is
 * answered as it is.
 */
export function endpointUrlKey(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return raw;
  }
  let host = url.hostname.replace(/\.$/, '');
  const mapped = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/.exec(host);
  if (mapped) {
    const [hi, lo] = [parseInt(mapped[1], 16), parseInt(mapped[2], 16)];
    host = [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
  }
  const encodings = (s: string) =>
    s.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => {
      const c = String.fromCharCode(parseInt(hex, 16));
      return UNRESERVED.test(c) ? c : `%${hex.toUpperCase()}`;
    });
  return `${url.protocol}//${host}${url.port ? `:${url.port}` : ''}${encodings(url.pathname)}${encodings(url.search)}`;
}
