/** Building blocks both apps share: the page frame with its skip link and navigation, formatting. */
import { useEffect, useRef, type ReactNode } from 'react';
import { Link, useRoute } from 'wouter';

/** A navigation link that tells screen readers which page is current. */
export function NavLink({ href, children }: { href: string; children: ReactNode }) {
  const [active] = useRoute(href === '/' ? '/' : `${href}/*?`);
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
                <NavLink href={item.href}>{item.label}</NavLink>
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
 */
export function DataTable({ label, caption, columns, children }: { label: string; caption?: ReactNode; columns: readonly Column[]; children: ReactNode }) {
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
      </table>
    </div>
  );
}

/**
 * "Show older" under a Relay connection's list while it has a next page: asks `fetchMore` for the
 * page after `endCursor` (the cache's relayStylePagination appends it).
 */
export function ShowOlder({
  pageInfo,
  fetchMore,
}: {
  pageInfo: { hasNextPage: boolean; endCursor?: string | null } | undefined;
  fetchMore: (options: { variables: { after: string | null | undefined } }) => Promise<unknown>;
}) {
  if (!pageInfo?.hasNextPage) return null;
  return (
    <p>
      <button type="button" className="secondary" onClick={() => void fetchMore({ variables: { after: pageInfo.endCursor } })}>
        Show older
      </button>
    </p>
  );
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
export const formatDate = (iso: string | null | undefined) => (iso ? date.format(new Date(iso)) : '—');
/** Whether `iso` is the very start of a UTC day (00:00:00.000). */
const atUtcMidnight = (iso: string) => Date.parse(iso) % 86_400_000 === 0;
/**
 * An exclusive end (a store's `endsAt`, where the API stops at that instant) as a reader takes it:
 * "through 31 Dec 2026" (the last day included) when it is a UTC midnight, else "until 1 Jan 2027,
 * 15:00 UTC" (the instant itself). A bare "until 1 Jan 2027" read as 1 January included when the
 * store closed as it began (edges-21, newcomer-21).
 */
export const formatExclusiveEnd = (iso: string) =>
  atUtcMidnight(iso) ? `through ${date.format(new Date(Date.parse(iso) - 1))}` : `until ${formatDateTime(iso)}`;
/** A start (inclusive) as "from 1 Jan 2027", with its time ("from 1 Jan 2027, 15:00 UTC") when it is not a UTC midnight. */
export const formatStart = (iso: string) => `from ${atUtcMidnight(iso) ? formatDate(iso) : formatDateTime(iso)}`;
export const formatPoints = (n: number | string, code?: string) => `${Number(n).toLocaleString('en-GB')}${code ? ` ${code}` : ''}`;
export const formatMoney = (amount: string | number, currency: string) =>
  new Intl.NumberFormat('en-GB', { style: 'currency', currency }).format(Number(amount));

/** A fresh idempotency key (kept by the caller across retries of one action). */
export const newIdempotencyKey = () => crypto.randomUUID();
