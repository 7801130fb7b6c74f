/**
 * Who is signed in, per app (the member app and the console keep separate sessions in
 * sessionStorage, so a tab's sign-in ends with the tab).
 *
 * In production the retailer's identity provider signs the member in and sends the browser to
 * `https://<gateway>/#token=<JWT>` (the console: `/console/#token=<JWT>`): the fragment never
 * reaches a server or a log; the app keeps the token and removes it from the address bar.
 * In development the sign-in page lists the demo accounts (GET /dev/tokens).
 */
import { useEffect } from 'react';

export type AppName = 'web' | 'console';

const key = (app: AppName) => `reward-gateway:${app}:token`;

/**
 * A token handed over in the URL fragment (`#token=<JWT>`), removed from the address bar; null
 * when the fragment carries none. Nothing is stored: the caller decides (`loadToken` at start,
 * `useHandedToken` afterwards).
 */
export function handedToken(): string | null {
  const match = /(?:^#|&)token=([A-Za-z0-9\-_.]+)/.exec(location.hash);
  if (!match) return null;
  history.replaceState(null, '', location.pathname + location.search);
  return match[1];
}

/** Takes a token handed over in the URL fragment, if any; then the session's token, if any. */
export function loadToken(app: AppName): string | null {
  const handed = handedToken();
  if (handed) sessionStorage.setItem(key(app), handed);
  return currentToken(app);
}

/** Kept write keys by app, member and subject (see keptKey): the page's, not a screen's. */
const keptKeys = new Map<string, string>();
const keptKeyName = (app: AppName, what: string) => {
  const token = currentToken(app);
  return JSON.stringify([app, (token && claimsOf(token).sub) ?? token ?? '', what]);
};

/**
 * The idempotency key (a random UUID) of a write the signed-in member means to make once: a
 * listing's purchase (`purchase:<listingId>`), a gift list option's claim (`gift:<listId>/<optionId>`).
 * The same key is answered for the same member and subject until `dropKeptKey` (the write answered
 * done), whichever screen asks and however often it was left and entered again: a member told
 * "not known whether this went through" who leaves the store and buys the same offer again sends the
 * first key, and the gateway answers the first purchase instead of buying again (break4-22; web-22
 * kept it in the store screen, which forgot it when left). Kept in memory only (not across a
 * reload), per member: the token's `sub` (the token itself when it has none), so a token handed
 * over for another member never sends this member's key. A refused write keeps its key: the
 * gateway frees the key of a refusal (README "Idempotency"), so the retry is a new request.
 */
export function keptKey(app: AppName, what: string): string {
  const name = keptKeyName(app, what);
  let kept = keptKeys.get(name);
  if (!kept) keptKeys.set(name, (kept = crypto.randomUUID()));
  return kept;
}

/** Forgets the kept key of `what` for the signed-in member (see keptKey): its write was answered done, the next is a new one. */
export function dropKeptKey(app: AppName, what: string): void {
  keptKeys.delete(keptKeyName(app, what));
}

/** The session's token, if any (what every request and live connection sends). */
export function currentToken(app: AppName): string | null {
  return sessionStorage.getItem(key(app));
}

/**
 * Switches the app to a token handed over in the URL fragment after it loaded (token-19): the
 * identity provider sent a tab that already had the app open to `#token=<JWT>` again (another
 * member on a shared device, or a fresh token), which changes only the fragment and reloads
 * nothing. A token other than `current()` empties `client`'s cache first (it holds what the
 * previous holder read), is then saved as the session's and handed to `apply` (which shows it: the
 * screens, keyed by the token, start again). The fragment is removed from the address bar either
 * way. `current` and `apply` must be stable (useCallback).
 */
export function useHandedToken(app: AppName, client: { clearStore(): Promise<unknown> }, current: () => string | null, apply: (token: string) => void): void {
  useEffect(() => {
    const take = () => {
      const handed = handedToken();
      if (!handed || handed === current()) return;
      void client.clearStore().then(() => {
        saveToken(app, handed);
        apply(handed);
      });
    };
    window.addEventListener('hashchange', take);
    return () => window.removeEventListener('hashchange', take);
  }, [app, client, current, apply]);
}

export function saveToken(app: AppName, token: string): void {
  sessionStorage.setItem(key(app), token);
}

export function clearToken(app: AppName): void {
  sessionStorage.removeItem(key(app));
}

/** The token's claims, read without verifying (the gateway verifies; this only shapes the screens). */
export function claimsOf(token: string): { sub?: string; role?: string; exp?: number } {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload)) as { sub?: string; role?: string; exp?: number };
  } catch {
    return {};
  }
}
