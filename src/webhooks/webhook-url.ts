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
