import { useQuery } from '@apollo/client/react';
import type { FormEvent, ReactNode } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { problemOf, ProblemAlert, retryOf } from '../shared/errors';
import { DataTable, DAY_MS, FIRST_API_DAY, formatDate, formatInstant, LAST_API_DAY, Loading, PageTitle, ShowOlder } from '../shared/ui';
import { ConsoleAuditLogDocument, ConsoleAuditSubjectDocument, type AuditObjectFragment } from './gql/graphql';
import { hasReasonSearchWord } from '../../../src/audit/reason-search.js';
import { detailText } from './audit-details';
import { APP, Field, text } from './shell';

/** What an entry was made to, as the API reads it now (`AuditEntry.about`); null when it names nothing the API has an id for. */
type About = AuditObjectFragment;

/**
 * The audit log's filters (audit-46, audit-49), as the address's query holds them:
 * `?about=<global id>&actor=…&action=…&reason=…&from=YYYY-MM-DD&through=YYYY-MM-DD`: `reason`
 * words the reasons hold, `from` and `through` UTC days (`through` the last day shown, as a
 * store's "Last day open").
 */
export type AuditFilters = { about?: string; actor?: string; action?: string; reason?: string; from?: string; through?: string };

/** The first instant of a UTC day written `YYYY-MM-DD` (ISO 8601), or null when it is no day of the calendar ("2026-02-30", "yesterday"). */
function dayStart(day: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return null;
  const start = new Date(`${day}T00:00:00.000Z`);
  return !Number.isNaN(start.getTime()) && start.toISOString().startsWith(day) ? start : null;
}


/** The days the address holds, read (`dayStart`): each null when not given; `unreadable` names a field whose text is no day of the calendar. */
type Days = { from: Date | null; through: Date | null; unreadable: { field: 'From' | 'Through'; text: string } | null };

function daysOf(filters: AuditFilters): Days {
  const read = (text: string | undefined) => (text ? dayStart(text) : null);
  const from = read(filters.from);
  const through = read(filters.through);
  const unreadable = filters.from && !from ? { field: 'From' as const, text: filters.from } : filters.through && !through ? { field: 'Through' as const, text: filters.through } : null;
  return { from, through, unreadable };
}

/**
 * The API's window (`auditLog(from:, to:)`, [from, to)) of the days read: `from` at its day's
 * first instant, `to` at the first instant after the `through` day (none after the API's last day: a Through day of
 * 31 Dec 9999 sends no `to`, which is the same window).
 */
function windowOf(days: Days): { from?: string; to?: string } {
  const to = days.through && days.through.toISOString().slice(0, 10) !== LAST_API_DAY ? new Date(days.through.getTime() + DAY_MS).toISOString() : undefined;
  return { from: days.from?.toISOString(), to };
}

/** The days shown, in words for the filter line: "made on 2 Dec 2026", "made from 1 Dec 2026 through 3 Dec 2026", "made on or after 1 Dec 2026" (UTC). */
function daysText({ from, through }: Days): string {
  const day = (d: Date) => formatDate(d.toISOString());
  if (from && through) return from.getTime() === through.getTime() ? ` made on ${day(from)} (UTC)` : ` made from ${day(from)} through ${day(through)} (UTC)`;
  if (from) return ` made on or after ${day(from)} (UTC)`;
  return through ? ` made on or before ${day(through)} (UTC)` : '';
}

/** The console's address of the audit log narrowed to `filters` (those given; none: the whole log). */
export function auditPath(filters: AuditFilters): string {
  const query = new URLSearchParams(Object.entries(filters).filter((e): e is [string, string] => !!e[1])).toString();
  return query ? `/audit?${query}` : '/audit';
}

/**
 * An entry's object in words, as an operator knows it ("Ann Smith (cust-ann)", "store Everyday
 * rewards (EVERYDAY)"), or null for a kind the log shows by its recorded target. Read now: a
 * renamed store shows its present name.
 */
export function aboutLabel(about: About): string | null {
  switch (about.__typename) {
    case 'Customer':
      return about.customerName ? `${about.customerName} (${about.externalId})` : about.externalId;
    case 'RewardStore':
      return `store ${about.name} (${about.code})`;
    case 'Offer':
      return `offer ${about.name}`;
    case 'Listing':
      return `listing of ${about.offer.name}${about.store ? ` in ${about.store.name}` : ''}`;
    case 'Campaign':
      return `campaign ${about.name}`;
    case 'Partner':
      return `partner ${about.name}`;
    case 'Tier':
      return `tier ${about.name} (${about.code})`;
    case 'GiftList':
      return `gift list ${about.name}`;
    case 'WebhookEndpoint':
      return `webhook endpoint ${about.url}`;
    case 'EconomyRule':
      return `economy rule of ${about.currency.code}`;
    case 'ActivityRule':
      return `activity rule ${about.kind} of ${about.currency.code}`;
    case 'IssuedOffer':
      return `wallet offer ${about.code}`;
    case 'WebhookDelivery':
      return `webhook delivery ${about.eventType}`;
    default:
      return null;
  }
}

/** An entry's "On": its object in words, or the target it recorded when it names none (`aboutLabel`). */
const onText = (entry: { about: About | null; target: string }) => (entry.about && aboutLabel(entry.about)) ?? entry.target;

/**
 * Every staff change, newest first, or only those the address's filters keep (audit-46): the
 * changes to one object (its "On" cell, or a customer page's "Changes to this customer"), by one
 * actor (a "Who" cell) or of one action (an "Action" cell). Each of those cells links to the log
 * narrowed to it, added to the filters already on; "Show all changes" takes them all off.
 */
export function AuditLog() {
  const search = useSearch();
  const params = new URLSearchParams(search);
  // blank is no filter (an address ending `?action=` or `?action=%20` lists everything, as the API refuses a blank one)
  const param = (name: string) => params.get(name)?.trim() || undefined;
  const filters: AuditFilters = { about: param('about'), actor: param('actor'), action: param('action'), reason: param('reason'), from: param('from'), through: param('through') };
  const days = daysOf(filters);
  // Days this page cannot ask for, said in its own words without asking the API (whose words name
  // `to`, no field of this page): a last day before the first, or an address's day that is no day
  // of the calendar (an edited link: "2026-12-2", "2031-02-30").
  const daysProblem = days.unreadable
    ? `The address's ${days.unreadable.field} day, “${days.unreadable.text}”, is no day of the calendar (written YYYY-MM-DD).`
    : days.from && days.through && days.through < days.from
      ? 'The last day is before the first day: no change can be in that window. Choose the days again.'
      : null;
  const { about, actor, action, reason } = filters;
  const query = useQuery(ConsoleAuditLogDocument, { variables: { about, actor, action, reason, ...windowOf(days) }, fetchPolicy: 'network-only', skip: !!daysProblem });
  const { data, error, fetchMore } = query;
  const page = daysProblem ? undefined : data?.auditLog;
  const filtered = !!(filters.about || filters.actor || filters.action || filters.reason || filters.from || filters.through);
  // The object filtered to, named as its own entries name it: an offer as it is now, though the
  // address names an older version of it. Else as read on its own (ConsoleAuditSubject): a
  // customer's page also holds their wallet offers' entries (audit-47), and may show none of
  // their own. Else (that read failed, or found nothing) as the first entry names its object.
  const subjectQuery = useQuery(ConsoleAuditSubjectDocument, { variables: { id: filters.about ?? '' }, skip: !filters.about });
  const subject = subjectQuery.data?.node;
  const isSubject = (about: About) => about.id === filters.about || (subject?.__typename === 'Offer' && about.__typename === 'Offer' && about.offerId === subject.offerId);
  const edges = page?.edges ?? [];
  const own = edges.find((e) => e.node.about && isSubject(e.node.about))?.node;
  const first = edges[0]?.node;
  const aboutText = own ? onText(own) : ((subject && aboutLabel(subject)) ?? (first ? onText(first) : 'this object'));
  // the line is a status, read out again at each change of its text: drawn once both reads have answered
  // (not beside a refusal: the alert says what could not be read, and the line would name it as shown)
  const settled = !subjectQuery.loading && page !== undefined;
  const narrowed = (more: AuditFilters) => auditPath({ ...filters, ...more });
  return (
    <>
      {/* A new heading for each set of filters (a click on a cell, Show all changes, Back): it takes the focus, as a page's heading does, and a keyboard user goes on from the top of what is now shown (newcomer-46: the focus fell to the page's body). */}
      <PageTitle app={APP} key={search}>
        Audit log
      </PageTitle>
      <NarrowForm key={`narrow-${search}`} filters={filters} />
      {filtered && settled ? (
        // a long unbroken search (a ticket's address) wraps rather than widening a phone's page
        <p role="status" data-testid="audit-filters" style={{ overflowWrap: 'anywhere' }}>
          Showing only the changes
          {filters.about ? ` to ${aboutText}` : ''}
          {filters.actor ? ` by ${filters.actor}` : ''}
          {filters.action ? ` of ${filters.action}` : ''}
          {filters.reason ? ` whose reason holds “${filters.reason}”` : ''}
          {daysText(days)}. <Link href="/audit">Show all changes</Link>
        </p>
      ) : null}
      {daysProblem ? (
        <p role="alert">
          {daysProblem} <Link href="/audit">Show all changes</Link>
        </p>
      ) : error && problemOf(error).code === 'BAD_USER_INPUT' ? (
        // an address whose filter the API refuses (an edited or truncated link): no form to mend, so say what the address holds
        <p role="alert">The audit log cannot read this address's filter ({problemOf(error).detail}). <Link href="/audit">Show all changes</Link></p>
      ) : (
        <ProblemAlert problem={error ? problemOf(error) : null} onRetry={retryOf(query)} />
      )}
      {!page && !error && !daysProblem ? <Loading what="the audit log" /> : null}
      {page ? (
        <DataTable
          label="Audit log"
          caption={filtered ? 'Staff changes that match the filters, newest first' : 'Staff changes, newest first'}
          rows={page.edges.length}
          empty={filtered ? 'No change matches.' : 'Nothing recorded yet.'}
          columns={[
            { label: 'When' },
            { label: 'Who' },
            { label: 'Action' },
            { label: 'On' },
            { label: 'Reason' },
            { label: 'Details' },
          ]}
        >
          <tbody>
            {page.edges.map(({ node: a }) => (
              <tr key={a.id} data-testid="audit-row">
                {/* to the second: two changes in one minute read in their order (newcomer-46) */}
                <td>{formatInstant(a.at)}</td>
                <td>{a.actor === filters.actor ? a.actor : <FilterLink to={narrowed({ actor: a.actor })}>{a.actor}</FilterLink>}</td>
                <td>{a.action === filters.action ? a.action : <FilterLink to={narrowed({ action: a.action })}>{a.action}</FilterLink>}</td>
                <td>{a.about && !filters.about ? <FilterLink to={narrowed({ about: a.about.id })}>{onText(a)}</FilterLink> : onText(a)}</td>
                <td>{a.reason ?? ''}</td>
                <td>
                  <Details details={a.details} />
                </td>
              </tr>
            ))}
          </tbody>
        </DataTable>
      ) : null}
      <ShowOlder pageInfo={page?.pageInfo} fetchMore={fetchMore} />
      <span id={FILTER_HINT} hidden>
        Shows only the changes with this value, with the filters already on.
      </span>
    </>
  );
}

/**
 * An entry's details (the JSON recorded with it: the change's input, or what it changed from and
 * to) as lines an operator reads, one per field, `name value` (newcomer-46: one line of raw JSON).
 * Nothing for none.
 */
function Details({ details }: { details: unknown }) {
  if (details === null || details === undefined) return null;
  if (typeof details !== 'object' || Array.isArray(details)) return <span>{detailText(details)}</span>;
  return (
    <dl className="details">
      {Object.entries(details).map(([name, value]) => (
        <div key={name}>
          <dt>{name}</dt> <dd>{detailText(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

/**
 * Words the reasons hold, and the days to show (audit-49): the first and the last UTC day, any
 * left empty for none. It keeps the other filters on; "Show" puts what it holds in the address
 * (so Back and a shared link keep them), and empty fields take them off.
 */
function NarrowForm({ filters }: { filters: AuditFilters }) {
  const [, navigate] = useLocation();
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const reason = text(form, 'auditReason');
    // the API's rule, said at the field: a word of 3 letters or digits in a row, accents aside ("  ab  " passed the field's own minLength)
    const field = event.currentTarget.elements.namedItem('auditReason') as HTMLInputElement;
    field.setCustomValidity(reason && !hasReasonSearchWord(reason) ? 'Type a word of at least 3 letters or digits in a row.' : '');
    if (!field.reportValidity()) return;
    navigate(auditPath({ ...filters, reason, from: text(form, 'auditFrom'), through: text(form, 'auditThrough') }));
  };
  return (
    // a field's refusal (submit's) is cleared as it is edited, or the browser would hold every submit back
    <form className="card" onSubmit={submit} onInput={(event) => (event.target as HTMLInputElement).setCustomValidity?.('')} aria-label="Narrow the log">
      <Field label="Reason holds (a word of at least 3 letters or digits; case and accents aside)" name="auditReason" type="search" maxLength={320} defaultValue={filters.reason} />
      <div className="row">
        <Field label="From (UTC day; empty: from the first change)" name="auditFrom" type="date" min={FIRST_API_DAY} max={LAST_API_DAY} defaultValue={filters.from} />
        <Field label="Through (UTC day; empty: to the latest)" name="auditThrough" type="date" min={FIRST_API_DAY} max={LAST_API_DAY} defaultValue={filters.through} />
      </div>
      <p>
        <button type="submit">Show</button>
      </p>
    </form>
  );
}

/** The id of the hidden sentence every filter link is described by. */
const FILTER_HINT = 'audit-filter-hint';

/**
 * A Who, Action or On cell's link to the log narrowed to its value: named by the value it shows,
 * and described (to a screen reader, as the link's description) as adding a filter, which the
 * cell's text alone does not say (newcomer-46).
 */
function FilterLink({ to, children }: { to: string; children: ReactNode }) {
  return (
    <Link href={to} aria-describedby={FILTER_HINT}>
      {children}
    </Link>
  );
}
