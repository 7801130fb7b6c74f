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
import { gatewayNow } from './gateway-time';

export type AppName = 'web' | 'console';

const key = (app: AppName) => `reward-gateway:${app}:token`;

/**
 * The page's copy of each entry the tab's sessionStorage refused to keep (see stored and store).
 * Only this page writes the tab's sessionStorage (it is the tab's alone), so the last value the
 * page wrote is the entry's value, whether or not the storage took it.
 */
const inPage = new Map<string, string>();

/**
 * The tab's sessionStorage entry `name`: the page's copy when the storage refused the page's last
 * write of it (see store), else the storage's (what the tab kept before a reload); null when there
 * is none or the storage cannot be read. A member who blocks the site's data (Chromium's "not
 * allowed to save data", an embedding that denies storage) makes reading `window.sessionStorage`
 * throw a SecurityError: the app stopped at a blank page before its sign-in (break2-23).
 */
function stored(name: string): string | null {
  const copy = inPage.get(name);
  if (copy !== undefined) return copy;
  try {
    return window.sessionStorage.getItem(name);
  } catch {
    return null; // refused: nothing kept before this page
  }
}

/**
 * Keeps `value` as the tab's sessionStorage entry `name` (null: removes it). When the storage
 * refuses (blocked: a SecurityError; full: QuotaExceededError, a private window's quota), the page
 * keeps it instead, for as long as the page lasts (a reload then forgets it, as a closed tab
 * would: a token so kept signs out), and `stored` answers it: a value the storage did not take is
 * never lost between reads (break2-23: a full storage answered the entry as it stood before the
 * refused write, and each read of a kept key made a new one). Answers whether the storage took it.
 */
function store(name: string, value: string | null): boolean {
  try {
    if (value === null) window.sessionStorage.removeItem(name);
    else window.sessionStorage.setItem(name, value);
    inPage.delete(name);
    return true;
  } catch {
    if (value === null) inPage.delete(name);
    else inPage.set(name, value);
    return false;
  }
}

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
  if (handed) saveToken(app, handed);
  return currentToken(app);
}

/**
 * Where the signed-in member's (or operator's) kept writes live: one sessionStorage entry per app
 * and person (the token's `sub`, the token itself when it has none), a JSON object by subject
 * (web-23). sessionStorage, not memory: a member told "not known whether this went through" who
 * reloaded the page and bought the same offer again sent a new key and paid twice (break4-22 kept
 * them in memory). sessionStorage is the tab's, as the token is: it survives a reload and ends
 * with the tab; another tab of the same member has its own (a second tab's purchase is a purchase
 * of its own, as before).
 */
const keptName = (app: AppName) => {
  const token = currentToken(app);
  return `reward-gateway:${app}:kept:${(token && claimsOf(token).sub) ?? token ?? ''}`;
};

/**
 * One kept write: its idempotency key and, for a console form, the contents it was sent with (a
 * changed form is a new request with a new key: the gateway refuses a key reused for other input).
 */
export interface KeptWrite {
  key: string;
  contents?: string;
  /**
   * When the key was made, just before its write was first sent (epoch milliseconds by the
   * gateway's clock: gateway-time.ts `gatewayNow`; apps-25, as the page's clock before). Absent in
   * entries kept before web-24: taken as kept now.
   */
  at?: number;
}

/** IDEMPOTENCY_RETENTION_HOURS' default (src/config.ts): what a page without the gateway's meta assumes. */
const DEFAULT_RETENTION_HOURS = 24;

/** The page's retention once read (retentionHours): the page's meta does not change while it lasts. */
let retention: number | undefined;

/**
 * How long the gateway keeps a key's answer (hours): IDEMPOTENCY_RETENTION_HOURS, as the gateway
 * that served the page wrote it in its `<meta name="idempotency-retention-hours">` (src/http/web.ts),
 * else its default, 24. A whole number from 1 to 8760, as the gateway's setting (src/config.ts).
 * Read from the page once (apps-25: every kept-key use searched the document for it).
 */
export function retentionHours(): number {
  if (retention !== undefined) return retention;
  const content = typeof document === 'undefined' ? null : document.querySelector<HTMLMetaElement>('meta[name="idempotency-retention-hours"]')?.content;
  const hours = Number(content);
  retention = Number.isInteger(hours) && hours >= 1 && hours <= 8_760 ? hours : DEFAULT_RETENTION_HOURS;
  return retention;
}

/**
 * A kept write older than the gateway keeps its key (retentionHours, counted from when it was kept
 * by the gateway's clock, gateway-time.ts: the gateway counts from its answer, which came later,
 * and purges a quarter of an hour apart, so the app forgets first). Its outcome was
 * never learnt, and sending it again with that key is no longer "the same request": the gateway
 * may have forgotten the key (an adjustment would run again), or keeps it on the row it made for
 * ever (a purchase: "You had already bought …" for a purchase the member now means to make anew).
 * Raised, once, by the screen's next use of it (keptKey, the console's pendingSubmit), which
 * forgets it: the screen says so (`problemOf`: KEY_EXPIRED) and the next send is a new request.
 */
export class KeptWriteExpired extends Error {
  /** @param hours the retention it outlived (retentionHours) */
  constructor(readonly hours: number) {
    super(`This write was kept longer than the gateway keeps its key (${hours} h).`);
    this.name = 'KeptWriteExpired';
  }
}

/**
 * The kept write of `what`, or null; a kept write past the retention by the gateway's clock
 * (`gatewayNow`, apps-25: the device's clock, set back, kept it past; set forward, dropped it early)
 * is forgotten and raised as `KeptWriteExpired` (see there), unless `unless` says it is not the same
 * request anyway (a console form whose contents changed): then it is forgotten silently.
 * @throws KeptWriteExpired (as the promise's rejection)
 */
export async function liveKeptWrite(app: AppName, what: string, unless?: (write: KeptWrite) => boolean): Promise<KeptWrite | null> {
  const kept = keptWrite(app, what);
  if (!kept || kept.at === undefined || (await gatewayNow()) - kept.at < retentionHours() * 3_600_000) return kept;
  keepWrite(app, what, null);
  if (unless?.(kept)) return null;
  throw new KeptWriteExpired(retentionHours());
}

/**
 * The signed-in person's kept writes by subject ({} when none): the entry as the page last kept it
 * (`stored`: the page's copy when the storage refused it, so a key never changes from one read to
 * the next, and a screen asks for its key at every render), else as the tab kept it before a reload.
 */
function keptWrites(app: AppName): Record<string, KeptWrite> {
  try {
    const entry = stored(keptName(app));
    const parsed: unknown = entry === null ? null : JSON.parse(entry);
    if (parsed && typeof parsed === 'object') return parsed as Record<string, KeptWrite>;
  } catch {
    // unreadable: nothing kept before this page
  }
  return {};
}

/** Keeps (`write`) or forgets (null) the signed-in person's write of `what`; the entry goes when nothing is left. */
export function keepWrite(app: AppName, what: string, write: KeptWrite | null): void {
  const all = keptWrites(app);
  if (write) all[what] = write;
  else delete all[what];
  store(keptName(app), Object.keys(all).length ? JSON.stringify(all) : null);
}

/** The signed-in person's kept write of `what`, if any (see keptKey, and the console's pendingSubmit). */
export function keptWrite(app: AppName, what: string): KeptWrite | null {
  return keptWrites(app)[what] ?? null;
}

/**
 * The idempotency key (a random UUID) of a write the signed-in member means to make once: a
 * listing's purchase (`purchase:<listingId>`), a gift list option's claim (`gift:<listId>/<optionId>`).
 * The same key is answered for the same member and subject until `dropKeptKey` (the write answered
 * done), whichever screen asks, however often it was left and entered again, and across reloads of
 * the tab (web-23): a member told "not known whether this went through" who leaves the store, or
 * reloads, and buys the same offer again sends the first key, and the gateway answers the first
 * purchase instead of buying again (break4-22; web-22 kept it in the store screen). Kept in the
 * tab's sessionStorage per member (`keptName`), so a token handed over for another member never
 * sends this member's key; forgotten when the member signs out (`dropKeptWrites`). A refused write
 * keeps its key: the gateway frees the key of a refusal (README "Idempotency"), so the retry is a
 * new request. Kept no longer than the gateway keeps keys (web-24; web-23 kept them for ever):
 * past IDEMPOTENCY_RETENTION_HOURS the gateway answers an adjustment's or create's key as a new
 * request, and a purchase's or claim's from its row ("You had already bought …" days later, when
 * the member meant a new purchase); the first use after that throws `KeptWriteExpired` (the screen
 * says the first outcome was never learnt and where to look) and the next is a new key. Dated and
 * aged by the gateway's clock (`gatewayNow`, apps-25), which may take a request to learn.
 * @throws KeptWriteExpired (as the promise's rejection)
 */
export async function keptKey(app: AppName, what: string): Promise<string> {
  const kept = await liveKeptWrite(app, what);
  if (kept) return kept.key;
  const at = await gatewayNow();
  // another use of the same subject kept one while the gateway's time was asked: that one is the key
  const meanwhile = keptWrite(app, what);
  if (meanwhile) return meanwhile.key;
  const key = crypto.randomUUID();
  keepWrite(app, what, { key, at });
  return key;
}

/** Forgets the kept key of `what` for the signed-in member (see keptKey): its write was answered done, the next is a new one. */
export function dropKeptKey(app: AppName, what: string): void {
  keepWrite(app, what, null);
}

/**
 * Forgets every kept write of the signed-in person (call before the token goes): the person chose
 * to sign out, so the next one on this device starts clean. A sign-out the gateway forced (an
 * expired or refused token) keeps them: the same person signing in again may still be waiting to
 * learn whether a purchase went through.
 */
export function dropKeptWrites(app: AppName): void {
  store(keptName(app), null);
}

/** The session's token, if any (what every request and live connection sends). */
export function currentToken(app: AppName): string | null {
  return stored(key(app));
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

/**
 * Keeps `token` as the session's, in the tab's sessionStorage. A storage that refuses it (full:
 * saveToken threw in the sign-in's click and the member could not sign in, web-24) loses the token
 * it held, which may be another member's, and the page keeps the new one (see store): this page
 * goes on with it, and a reload signs out. Never throws.
 */
export function saveToken(app: AppName, token: string): void {
  if (store(key(app), token)) return;
  try {
    window.sessionStorage.removeItem(key(app));
  } catch {
    // blocked: nothing was kept there
  }
}

/** Forgets the session's token (the storage's, and the page's copy). Never throws. */
export function clearToken(app: AppName): void {
  store(key(app), null);
}

/** The token's claims, read without verifying (the gateway verifies; this only shapes the screens). */
export function claimsOf(token: string): { sub?: string; role?: string | null; exp?: number } {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload)) as { sub?: string; role?: string | null; exp?: number };
  } catch {
    return {};
  }
}
