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
