/** Building blocks both apps share: the page frame with its skip link and navigation, formatting. */
import { useEffect, useRef, useState, type ReactNode, type SyntheticEvent } from 'react';
import { problemOf, ProblemAlert } from './errors';
import { Link, useRoute } from 'wouter';

/**
 * A navigation link that tells screen readers (and the tab's look) which page is current: `href`
 * and what is under it, and the `also` route's pages (a customer's page, /customers/<id>, is the
 * Customers tab's though its href is /: newcomer-40).
 */
export function NavLink({ href, also, children }: { href: string; also?: string; children: ReactNode }) {
  const own = href === '/' ? '/' : `${href}/*?`;
  const [here] = useRoute(own);
  const [under] = useRoute(also ?? own);
  const active = here || under;
  return (
    <Link href={href} aria-current={active ? 'page' : undefined}>
      {children}
    </Link>
  );
}

/** One entry of the main navigation: where it goes and what it says. */
export interface NavItem {
  href: string;
  label: string;
  /** A route of other pages the entry is current on (a wouter pattern), beside `href` and what is under it. */
  also?: string;
}

/** The frame of every screen: skip link, banner, navigation (`nav`, in order), and one main region with a heading. */
export function Frame({ brand, who, nav, children }: { brand: string; who?: ReactNode; nav?: readonly NavItem[]; children: ReactNode }) {
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <p className="title">{brand}</p>
        {who ? <div className="who">{who}</div> : null}
      </header>
      {nav ? (
        <nav className="tabs" aria-label="Main">
          <ul>
            {nav.map((item) => (
              <li key={item.href}>
                <NavLink href={item.href} also={item.also}>
                  {item.label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
      ) : null}
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

/** A column of a DataTable: its header text, whether it holds numbers (right-aligned), whether its header is for screen readers only. */
export interface Column {
  label: string;
  numeric?: boolean;
  srOnly?: boolean;
}

/**
 * A table in a labelled, keyboard-scrollable region (narrow screens scroll it sideways), with a
 * caption for screen readers when given and one header row of `columns`; `children` is its `<tbody>`.
 * `rows` is how many rows `children` holds (undefined while its data loads); with none, one row
 * spanning the columns says `empty`: what the list is empty of and how it fills. Required of every
 * table, as a table of bare headers read as broken or still loading (newcomer-24: a new member's
 * history, a customer's ledger and wallet, the webhook endpoints before any was registered).
 */
export function DataTable({
  label,
  caption,
  columns,
  rows,
  empty,
  children,
}: {
  label: string;
  caption?: ReactNode;
  columns: readonly Column[];
  rows: number | undefined;
  empty: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label={label}>
      <table>
        {caption ? <caption className="sr-only">{caption}</caption> : null}
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.label} scope="col" className={c.numeric ? 'num' : undefined}>
                {c.srOnly ? <span className="sr-only">{c.label}</span> : c.label}
              </th>
            ))}
          </tr>
        </thead>
        {children}
        {rows === 0 ? (
          <tbody>
            <tr>
              <td colSpan={columns.length} className="empty" data-testid="table-empty">
                {empty}
              </td>
            </tr>
          </tbody>
        ) : null}
      </table>
    </div>
  );
}

/** The last list (a DataTable's focusable region) drawn before `element` among its earlier siblings; null when none is. */
function regionBefore(element: Element | null): HTMLElement | null {
  for (let node = element?.previousElementSibling; node; node = node.previousElementSibling) {
    const regions = node.matches('[role="region"]') ? [node] : [...node.querySelectorAll('[role="region"]')];
    const last = regions.at(-1);
    if (last instanceof HTMLElement) return last;
  }
  return null;
}

/** The `fetchMore` of a query whose connection takes `after` (Apollo's, or one that maps `after` onto the query's own cursor variable). */
export type FetchMore = (options: { variables: { after: string | null | undefined } }) => Promise<unknown>;

/**
 * "Show older" (or `label`: "Show more offers") under a Relay connection's list while it has a next
 * page: asks `fetchMore` for the page after `endCursor` (the cache appends it, src/shared/api.ts).
 * Every list the apps show pages this way, so no row is out of reach past the first page (break32:
 * the wallet, stores, listings, offers and a customer's lists showed their first page only). A
 * page that could not be read says so, with "Try again" (break32e: the button did nothing).
 */
export function ShowOlder({
  pageInfo,
  fetchMore,
  label = 'Show older',
  edges,
}: {
  pageInfo: { hasNextPage: boolean; endCursor?: string | null } | undefined;
  fetchMore: FetchMore;
  label?: string;
  /** The list's edges with their cursors: rows shown past the pages' end (kept by a refresh, keptPagination) are read again at once. */
  edges?: readonly { cursor?: string | null }[];
}) {
  const [failed, setFailed] = useState<unknown>(null);
  const paragraph = useRef<HTMLParagraphElement>(null);
  // A refresh read the first page again and kept the rows shown after it (break32g): read their
  // pages again now, so no row on screen stays as it was before the refresh.
  const last = edges?.[edges.length - 1]?.cursor;
  const stale = Boolean(pageInfo?.hasNextPage && pageInfo.endCursor && last && last !== pageInfo.endCursor);
  const again = useNextPagesWhile(stale, pageInfo, fetchMore);
  // The last page read, the button goes, and the focus with it fell to the page's body
  // (newcomer-46): it goes to the list the pages were added to (noted when the button was
  // pressed), where the operator reads on; once the render without the button is committed.
  const pressedUnder = useRef<HTMLElement | null>(null);
  const hasNextPage = Boolean(pageInfo?.hasNextPage);
  useEffect(() => {
    const list = pressedUnder.current;
    if (hasNextPage || !list) return;
    pressedUnder.current = null;
    if (document.activeElement === null || document.activeElement === document.body) list.focus();
  }, [hasNextPage]);
  if (!hasNextPage || !pageInfo) return null;
  const more = () => {
    setFailed(null);
    pressedUnder.current = regionBefore(paragraph.current);
    void fetchMore({ variables: { after: pageInfo.endCursor } }).catch((error: unknown) => setFailed(error));
  };
  return (
    <>
      <PagesProblem {...again} />
      <ProblemAlert problem={failed ? problemOf(failed) : null} />
      {stale ? null : (
        <p ref={paragraph}>
          <button type="button" className="secondary" onClick={more}>
            {label}
          </button>
        </p>
      )}
    </>
  );
}

/**
 * Reads a connection's next pages one after another while `wanted` and it has a next page (each
 * page's arrival, appended by the cache, asks for the one after it): for what needs the whole list
 * rather than a page on screen, such as the listing form's choice of offer, or the store a member's
 * link names. Answers the read that failed (null while none has), and `retry`, which asks for that
 * page again; show them with `PagesProblem` (break32e: a failed page was dropped without a word and
 * never asked again).
 */
export function useNextPagesWhile(wanted: boolean, pageInfo: { hasNextPage: boolean; endCursor?: string | null } | undefined, fetchMore: FetchMore): { failed: unknown; retry: () => void } {
  const next = wanted && pageInfo?.hasNextPage ? pageInfo.endCursor : null;
  const [failed, setFailed] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (!next) return;
    let current = true;
    setFailed(null);
    fetchMore({ variables: { after: next } }).catch((error: unknown) => current && setFailed(error));
    return () => {
      current = false;
    };
    // on the cursor (and a retry) only: fetchMore is a new function at each render of the query's hook
  }, [next, attempt]);
  return { failed: next ? failed : null, retry: () => setAttempt((n) => n + 1) };
}

/** What `useNextPagesWhile` answers when a page could not be read: the problem, with "Try again". */
export function PagesProblem({ failed, retry }: { failed: unknown; retry: () => void }) {
  return <ProblemAlert problem={failed ? problemOf(failed) : null} onRetry={retry} />;
}

/** A page's heading; the document title follows it, and focus moves to it when the page changes. */
export function PageTitle({ children, app }: { children: string; app: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${children} · ${app}`;
    ref.current?.focus();
  }, [children, app]);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}

/** Shown while data loads: announced politely. */
export function Loading({ what }: { what: string }) {
  return (
    <p role="status" className="muted">
      Loading {what}…
    </p>
  );
}

const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
const date = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' });

export const formatDateTime = (iso: string | null | undefined) => (iso ? `${dateTime.format(new Date(iso))} UTC` : '—');
const instant = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' });
/** A date and time to the second, "5 Dec 2026, 14:30:12 UTC": where the minute alone misleads (a campaign's end: sales in the seconds before it earn). */
export const formatInstant = (iso: string | null | undefined) => (iso ? `${instant.format(new Date(iso))} UTC` : '—');
/** A UTC day without its zone, "3 Dec 2026": only where a heading says UTC (the console's "Days (UTC)", "Created (UTC)"). */
export const formatDate = (iso: string | null | undefined) => (iso ? date.format(new Date(iso)) : '—');
/** A UTC day that says so, "3 Dec 2026 (UTC)", where nothing around it does (polish-22: "member since 3 Dec 2026"). */
export const formatUtcDate = (iso: string | null | undefined) => (iso ? `${date.format(new Date(iso))} (UTC)` : '—');
/** A day in milliseconds: the console's days are UTC days of 24 hours, as the API's. */
export const DAY_MS = 86_400_000;
/** The first and the last UTC day the API's DateTime holds (0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z): a date field's `min` and `max`. */
export const FIRST_API_DAY = '0001-01-01';
export const LAST_API_DAY = '9999-12-31';
/** Whether `iso` is the very start of a UTC day (00:00:00.000). */
const atUtcMidnight = (iso: string) => Date.parse(iso) % DAY_MS === 0;
/**
 * An exclusive end (a store's `endsAt`, where the API stops at that instant) as a reader takes it:
 * "through 31 Dec 2026 (UTC)" (the last UTC day included) when it is a UTC midnight, else "until 1
 * Jan 2027, 15:00 UTC" (the instant itself). A bare "until 1 Jan 2027" read as 1 January included
 * when the store closed as it began (edges-21, newcomer-21); the day says its zone as the instant
 * does (polish-22).
 */
export const formatExclusiveEnd = (iso: string) =>
  atUtcMidnight(iso) ? `through ${formatUtcDate(new Date(Date.parse(iso) - 1).toISOString())}` : `until ${formatDateTime(iso)}`;
/** A start (inclusive) as "from 1 Jan 2027 (UTC)", with its time ("from 1 Jan 2027, 15:00 UTC") when it is not a UTC midnight. */
/** An instant as its UTC day ("1 Jan 2027 (UTC)") when it is a UTC midnight, else with its time ("1 Jan 2027, 15:00 UTC"). */
export const formatDayOrInstant = (iso: string) => (atUtcMidnight(iso) ? formatUtcDate(iso) : formatDateTime(iso));
export const formatStart = (iso: string) => `from ${formatDayOrInstant(iso)}`;
export const formatPoints = (n: number | string, code?: string) => `${Number(n).toLocaleString('en-GB')}${code ? ` ${code}` : ''}`;
/** A signed change of points with its unit, "+1,000 BEANS" / "-80 BEANS" (0 unsigned), as the history and the live feed say it. */
export const formatPointsChange = (n: number, code?: string) => `${n > 0 ? '+' : ''}${formatPoints(n, code)}`;

// The member app's instants, as its reader's own clock and calendar have them (newcomer-22): the
// browser's time zone, named beside every time ("3 Dec 2026, 07:17 CET"; "UTC" for a reader in
// UTC). The console keeps UTC (above): staff set campaigns and stores by UTC days (newcomer-19).
const localDateTime = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' });
const localDate = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium' });
/** An instant in the reader's time zone, named: "3 Dec 2026, 07:17 CET"; "—" for none. */
export const formatLocalDateTime = (iso: string | null | undefined) => (iso ? localDateTime.format(new Date(iso)) : '—');
/** Whether `iso` is the very start of a day in the reader's time zone. */
const atLocalMidnight = (iso: string) => {
  const at = new Date(iso);
  return at.getHours() === 0 && at.getMinutes() === 0 && at.getSeconds() === 0 && at.getMilliseconds() === 0;
};
/**
 * An exclusive end in the reader's time zone: "through 11 Dec 2026" when it is the start of the
 * reader's 12 December (the last day included), else "until 12 Dec 2026, 01:00 CET" (the instant,
 * its zone named). A store closing at 00:00 UTC closes at 01:00 in Paris and at 19:00 the day before
 * in New York: "through 11 Dec" (formatExclusiveEnd, UTC days) told the New York member an evening
 * the store is already closed.
 */
export const formatLocalExclusiveEnd = (iso: string) =>
  atLocalMidnight(iso) ? `through ${localDate.format(new Date(Date.parse(iso) - 1))}` : `until ${formatLocalDateTime(iso)}`;
/** A fresh idempotency key (kept by the caller across retries of one action). */
export const newIdempotencyKey = () => crypto.randomUUID();

/**
 * A confirmation's modal `<dialog>`, shown when mounted (closed when unmounted), with the focus on
 * `safe`: its button that changes nothing (Cancel). `showModal` focuses the dialog's first
 * focusable element, the confirming button, so the Enter that opened the dialog, pressed again (a
 * double press, a held key repeating), confirmed it unread: a webhook endpoint removed, a purchase
 * made (break2-24). WAI-ARIA's alert dialog pattern: for a destructive action, focus the least
 * destructive one.
 *
 * `busy`: true while the dialog's write is in flight. Escape then does not dismiss it (edges-28:
 * Escape while a purchase was being sent closed the dialog, and its outcome, refused or unknown,
 * was set on a dialog no longer there: the member never saw it). The dialog stays until the answer
 * shows in it, as the caller disables its Cancel meanwhile. Chromium lets a second Escape with no
 * click between close a dialog whose `cancel` was refused (its close watcher's anti-abuse rule,
 * which skips the `cancel` event): the dialog is then shown again at once.
 * `onDismiss`: what Escape does when not busy (the caller's Cancel), also when the browser closed
 * the dialog without a `cancel` event.
 * Answers the refs for the `<dialog>` and for the safe button, and `onCancel` for the `<dialog>`.
 */
export function useConfirmDialog({ busy = false, onDismiss }: { busy?: boolean; onDismiss: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const safe = useRef<HTMLButtonElement>(null);
  const now = useRef({ busy, onDismiss });
  now.current = { busy, onDismiss };
  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    d.showModal();
    safe.current?.focus();
    // Closed by the browser without a cancel event (or with one refused and closed anyway): shown
    // again while busy, else dismissed as Escape dismisses it. Unmounting closes it after this
    // listener is removed (the close event is queued), so that close is not seen here.
    const closed = () => {
      if (!d.isConnected || d.open) return;
      if (now.current.busy) d.showModal();
      else now.current.onDismiss();
    };
    d.addEventListener('close', closed);
    return () => {
      d.removeEventListener('close', closed);
      d.close();
    };
  }, []);
  /** The `<dialog>`'s cancel (Escape): refused while busy, else the caller's dismissal. */
  const onCancel = (event: SyntheticEvent<HTMLDialogElement>) => {
    event.preventDefault();
    if (!now.current.busy) now.current.onDismiss();
  };
  return { dialog, safe, onCancel };
}

/**
 * Where the focus goes once a page's dialog closes and leaves the page (hostile39e, the Stores
 * page's Edit dialogs; noticed-40, the Rules page's End campaign): closing a `<dialog>` that is
 * then unmounted leaves the focus on the page's body, and the next Tab starts again at the top.
 * Call `opened(button)` with the button that opens the dialog, and `closed(toNotice)` when it
 * closes: the focus then goes to the notice (`notice`, a ref for an element with tabIndex -1 that
 * says what was done) when `toNotice`, else back to that button, once `open` is false (the dialog
 * is out of the page and the notice rendered). `backToOpener`: how the focus goes back to the
 * button (default: `focus()`; the member's store gives it to the listing's card when its Buy button
 * was disabled meanwhile, newcomer-21's focusOpenerOrItsCard).
 */
export function useFocusReturn<N extends HTMLElement = HTMLParagraphElement>(open: boolean, backToOpener: (button: HTMLElement | null) => void = (button) => button?.focus()) {
  const opener = useRef<HTMLElement | null>(null);
  const notice = useRef<N>(null);
  const [refocus, setRefocus] = useState<'notice' | 'opener' | null>(null);
  const back = useRef(backToOpener);
  back.current = backToOpener;
  useEffect(() => {
    if (!refocus || open) return;
    if (refocus === 'notice') notice.current?.focus();
    else back.current(opener.current);
    setRefocus(null);
  }, [refocus, open]);
  const opened = (button: HTMLElement) => {
    opener.current = button;
  };
  const closed = (toNotice: boolean) => setRefocus(toNotice ? 'notice' : 'opener');
  return { notice, opened, closed };
}
