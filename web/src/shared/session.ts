/**
 * Who is signed in, per app (the member app and the console keep separate sessions in
 * sessionStorage, so a tab's sign-in ends with the tab).
 *
 * In production the retailer's identity provider signs the member in and sends the browser to
 * `https://<gateway>/#token=<JWT>` (the console: `/console/#token=<JWT>`): the fragment never
 * reaches a server or a log; the app keeps the token and removes it from the address bar.
 * In development the sign-in page lists the demo accounts (GET /dev/tokens).
 */
export type AppName = 'web' | 'console';

const key = (app: AppName) => `reward-gateway:${app}:token`;

/** Takes a token handed over in the URL fragment, if any; then the session's token, if any. */
export function loadToken(app: AppName): string | null {
  const match = /(?:^#|&)token=([A-Za-z0-9\-_.]+)/.exec(location.hash);
  if (match) {
    sessionStorage.setItem(key(app), match[1]);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(key(app));
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
