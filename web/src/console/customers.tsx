import { useMutation, useQuery } from '@apollo/client/react';
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { searchKey } from '../../../src/customers/search-key.js';
import { answeredByReplay } from '../shared/api';
import { problemOf, ProblemAlert, retryOf } from '../shared/errors';
import { DataTable, formatDateTime, formatPoints, formatPointsChange, formatUtcDate, Loading, PageTitle, ShowOlder } from '../shared/ui';
import { ConsoleAdjustPointsDocument, ConsoleCurrenciesDocument, ConsoleCustomerDocument, ConsoleCustomerHistoryDocument, ConsoleCustomerSearchDocument, ConsoleCustomerWalletDocument } from './gql/graphql';
import { auditPath } from './audit';
import { ActionForm, APP, Field, int, ReadOnlyNote, text } from './shell';

/** What the search box asks for: its label, the placeholder shows the kinds of text it takes. */
export const CUSTOMER_SEARCH_LABEL = 'Email, name or customer id';

/** The fewest characters the API's search takes (customers(search:)); a shorter text is looked up as an exact customer id. */
const SEARCH_MIN = 2;

/**
 * Find a customer by an email, a name or the retailer's id (customer-search-40): the matches, or
 * straight to the customer whose id is exactly what was typed; their profile, ledger and wallet;
 * adjust their points. `externalId`: the customer's page; else `?search=` in the address lists
 * the matches (so Back returns to them).
 */
export function Customers({ externalId }: { externalId?: string }) {
  const [, navigate] = useLocation();
  useSearch(); // drawn again when the address's query changes; read raw below
  const searched = new URLSearchParams(window.location.search).get('search')?.trim() || null;
  const [search, setSearch] = useState(externalId ?? searched ?? '');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const text = search.trim();
    if (!text) return;
    // One character is no search (the API refuses it) but may be a whole id: looked up as one, as before.
    navigate([...text].length < SEARCH_MIN ? customerPath(text) : `/?search=${encodeURIComponent(text)}`);
  };
  const title = externalId ? `Customer ${externalId}` : searched ? `Customers matching ${searched}` : 'Customers';
  return (
    <>
      <PageTitle app={APP}>{title}</PageTitle>
      <form role="search" onSubmit={submit} className="card">
        <label htmlFor="customer-search">{CUSTOMER_SEARCH_LABEL}</label>
        <div className="row">
          <input id="customer-search" type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="ann@example.com, Ann Smith or cust-alice" autoComplete="off" />
          <button type="submit">Find</button>
        </div>
      </form>
      {externalId ? <Customer externalId={externalId} /> : searched ? <SearchResults key={searched} search={searched} /> : null}
    </>
  );
}

/** The console's address of a customer's page. */
function customerPath(externalId: string): string {
  return `/customers/${encodeURIComponent(externalId)}`;
}

/**
 * The customer id in the page's address (`/console/customers/<id>`), decoded once from the address
 * as `customerPath` wrote it. Not wouter's route parameter: wouter runs `decodeURI` over the path
 * first, so an id with `%` ("50%off", written `50%25off`) reached `decodeURIComponent` as
 * `50%off` and threw (customer-search-40), and `a%2541` read as `aA`. Reads wouter's own
 * `path` when the address is not one of a customer (never, on that route).
 */
export function customerIdOfAddress(path: string): string {
  const raw = /\/customers\/([^/]*)\/?$/.exec(window.location.pathname)?.[1];
  try {
    return decodeURIComponent(raw ?? path);
  } catch {
    return raw ?? path;
  }
}

/**
 * The customers matching `search`, 30 a page, best match first (ConsoleCustomerSearch). When one
 * customer only has `search` as its whole id or email, case (and an email's accents) ignored (the API puts those first), the
 * console goes straight to that customer, in place of this list, as the id lookup always did.
 */
function SearchResults({ search }: { search: string }) {
  const [, navigate] = useLocation();
  const query = useQuery(ConsoleCustomerSearchDocument, { variables: { search } });
  const { data, error, fetchMore } = query;
  const page = data?.customers;
  // A whole id or email, in any case (the API ranks those first), that names one customer only:
  // "c-00042" typed for C-00042 listed one row (newcomer-40). Two such (ids differing by case, or an
  // email two customers share) are listed for the operator to choose. An email is compared as the
  // API compares it, by its search key, so "zoe.noel@…" typed for "Zoë.Noël@…" goes too (search-46).
  const key = searchKey(search);
  const whole = (n: { externalId: string; email?: string | null } | undefined) =>
    !!n && (n.externalId.toLowerCase() === search.toLowerCase() || (n.email != null && searchKey(n.email) === key));
  const exact = whole(page?.edges[0]?.node) && !whole(page?.edges[1]?.node) ? page!.edges[0].node.externalId : null;
  useEffect(() => {
    if (exact !== null) navigate(customerPath(exact), { replace: true });
  }, [exact]);
  if (error) return <ProblemAlert problem={problemOf(error)} onRetry={retryOf(query)} />;
  if (!page || exact !== null) return <Loading what="the customers" />;
  const count = page.edges.length;
  return (
    <>
      <p role="status" data-testid="customer-search-summary">
        {count === 0
          ? `No customer matches “${search}”.`
          : `${count} ${count === 1 ? 'customer matches' : 'customers match'} “${search}”${page.pageInfo.hasNextPage ? ', and more: “Show more customers” below the list' : ''}.`}
      </p>
      <DataTable
        label="Customers found"
        caption={`Customers matching “${search}”: a whole id or email first, then ids and emails starting so, then names`}
        rows={count}
        empty="No customer has an email, id or name starting so. Try fewer letters, or the start of another word of the name."
        columns={[{ label: 'Name' }, { label: 'Email' }, { label: 'Customer id' }, { label: 'Status' }, { label: 'Tier' }]}
      >
        <tbody>
          {page.edges.map(({ node: c }) => (
            <tr key={c.id}>
              <td>
                <Link href={customerPath(c.externalId)}>{c.name ?? c.externalId}</Link>
              </td>
              <td>{c.email ?? ''}</td>
              <td className="code">{c.externalId}</td>
              <td>
                <span className="badge">{c.status}</span>
              </td>
              <td>{c.tier?.name ?? 'none'}</td>
            </tr>
          ))}
        </tbody>
      </DataTable>
      <ShowOlder pageInfo={page.pageInfo} fetchMore={fetchMore} edges={page.edges} label="Show more customers" />
    </>
  );
}

function Customer({ externalId }: { externalId: string }) {
  const query = useQuery(ConsoleCustomerDocument, { variables: { externalId } });
  const { data, error, loading } = query;
  const currencies = useQuery(ConsoleCurrenciesDocument);
  // An adjustment moves the balances and writes a ledger entry: both are read again.
  const [adjust] = useMutation(ConsoleAdjustPointsDocument, { refetchQueries: [ConsoleCustomerDocument, ConsoleCustomerHistoryDocument] });
  const customer = data?.customer;
  // The program's currencies once answered, else the customer's own (none for a customer with no
  // balance yet: the form then waits for the answer, ActionForm's waitingFor).
  const currencyChoices = currencies.data?.currencies ?? customer?.balances.map((b) => b.currency) ?? [];
  if (error) return <ProblemAlert problem={problemOf(error)} onRetry={retryOf(query)} />;
  if (loading && !customer) return <Loading what="the customer" />;
  if (!customer)
    return (
      <p role="alert">
        No customer has the id “{externalId}”.{[...externalId].length < SEARCH_MIN ? ` To find one by a name or an email, type at least ${SEARCH_MIN} characters.` : ''}
      </p>
    );
  return (
    <>
      <section className="card" aria-labelledby="profile-h">
        <h2 id="profile-h">{customer.name ?? customer.externalId}</h2>
        <p>
          {customer.email ?? 'No email'} · <span className="badge">{customer.status}</span> · member since {formatUtcDate(customer.createdAt)}
        </p>
        {/* Why a customer cannot buy (or earn): who suspended or closed them, when, and the reason they gave (status-45). */}
        {customer.status !== 'ACTIVE' ? (
          <p data-testid="customer-status-change">
            {customer.statusChange ? (
              <>
                {customer.status === 'SUSPENDED' ? 'Suspended' : 'Closed'} by {customer.statusChange.actor} on {formatDateTime(customer.statusChange.at)}:{' '}
                {customer.statusChange.reason ? <q>{customer.statusChange.reason}</q> : 'no reason given'}
              </>
            ) : (
              'No record of who set this status.'
            )}
          </p>
        ) : null}
        {/* Everything staff changed about this customer (their creation, status and profile writes, adjustments), newest first (audit-46). */}
        <p>
          <Link href={auditPath({ about: customer.id })}>Changes to this customer</Link>
        </p>
        <p>
          Tier: <strong>{customer.tier?.name ?? 'none'}</strong>
          {customer.nextTier ? ` · ${formatPoints(customer.nextTier.pointsNeeded, customer.nextTier.currency.code)} to ${customer.nextTier.name}` : ''}
          {customer.segments.length ? ` · segments: ${customer.segments.join(', ')}` : ''}
        </p>
        <div className="stats">
          {customer.balances.map((b) => (
            <div key={b.currency.code} className="card">
              <p className="muted">{b.currency.code} available</p>
              <p className="big" data-testid={`staff-balance-${b.currency.code}`}>
                {formatPoints(b.available)}
              </p>
              <p className="muted">
                {/* The card's label names its unit, for these as for the figure above. An expiry to the minute, in UTC as the console's other times (polish-22). */}
                pending {formatPoints(b.pending)} · lifetime {formatPoints(b.lifetimeEarned)}
                {b.expiringSoon[0] ? ` · ${formatPoints(b.expiringSoon[0].amount)} expire ${formatDateTime(b.expiringSoon[0].expiresAt)}` : ''}
              </p>
            </div>
          ))}
        </div>
      </section>

      <ReadOnlyNote />
      <ActionForm
        title="Adjust points"
        checkIn="the Ledger below after reloading the page (an adjustment shows there with its reason)"
        submitLabel="Adjust points"
        subject={customer.externalId}
        waitingFor={currencyChoices.length || !currencies.loading ? undefined : 'the currencies'}
        onSubmit={async (form, idempotencyKey) => {
          const amount = int(form, 'amount') ?? 0;
          // Unset is the API's own rule (a credit counts, a debit does not: AdjustPointsInput); only
          // an operator's explicit choice is sent (edges-21: an unticked box sent false, so a +150
          // goodwill counted nothing towards tiers where an integrator's +150 counted).
          const qualifying = QUALIFYING_CHOICES[String(form.get('qualifying') ?? '')];
          const { data: result, extensions } = await adjust({
            variables: {
              input: { customerExternalId: customer.externalId, currency: text(form, 'currency') ?? '', amount, reason: text(form, 'reason') ?? '', qualifying, idempotencyKey },
            },
          });
          const payload = result?.adjustPoints;
          // With its unit and thousands separator, as the ledger below: "Adjusted by -1000: the
          // balance is now 327." had neither (newcomer-22).
          const unit = text(form, 'currency') ?? undefined;
          const entry = payload?.entry;
          // Answered from an earlier submit with this key (replay-22's mark): that one adjusted, this
          // one changed nothing; its balance is the one after that first adjustment (web-23).
          if (entry && answeredByReplay(extensions, 'adjustPoints')) {
            return {
              notice: `Already adjusted by ${formatPoints(entry.amount, unit)} at ${formatDateTime(entry.createdAt)} by an earlier submit whose answer was lost: nothing more was changed. The balance was ${formatPoints(entry.balanceAfter, unit)} after it.`,
            };
          }
          return {
            userErrors: payload?.userErrors,
            notice: entry ? `Adjusted by ${formatPoints(entry.amount, unit)}: the balance is now ${formatPoints(entry.balanceAfter, unit)}.` : undefined,
          };
        }}
      >
        <label htmlFor="f-currency">Currency</label>
        <select id="f-currency" name="currency" defaultValue={customer.balances[0]?.currency.code}>
          {currencyChoices.map((c) => (
            <option key={c.code}>{c.code}</option>
          ))}
        </select>
        <Field label="Points (negative to debit)" name="amount" type="number" required />
        <Field label="Reason (kept in the audit log)" name="reason" required />
        <label htmlFor="f-qualifying">Counts towards lifetime points and tiers</label>
        <select id="f-qualifying" name="qualifying" defaultValue="">
          <option value="">As usual: points added count, points taken off do not</option>
          <option value="yes">Yes (points taken off lower them too)</option>
          <option value="no">No (goodwill that does not count)</option>
        </select>
      </ActionForm>

      <Ledger externalId={customer.externalId} />
      <Wallet externalId={customer.externalId} />
    </>
  );
}

/**
 * A customer's ledger, newest first, 30 entries a page (ConsoleCustomerHistory): a document of its
 * own, so its next pages, and the pages kept past the first after a refresh, are read without
 * reading the wallet (break33: the one document asked both, so neither re-read its kept rows).
 */
function Ledger({ externalId }: { externalId: string }) {
  const query = useQuery(ConsoleCustomerHistoryDocument, { variables: { externalId } });
  const { data, error, fetchMore } = query;
  const history = data?.customer?.pointHistory;
  if (error) return <ProblemAlert problem={problemOf(error)} onRetry={retryOf(query)} />;
  if (!history) return <Loading what="the ledger" />;
  return (
    <>
      <h2>Ledger</h2>
      <DataTable
        label="Ledger"
        rows={history.edges.length}
        empty="No points have moved for this customer yet."
        columns={[
          { label: 'When' },
          { label: 'Kind' },
          { label: 'Source' },
          { label: 'Reason' },
          { label: 'Amount', numeric: true },
          { label: 'Balance after', numeric: true },
        ]}
      >
        <tbody>
          {history.edges.map(({ node: e }) => {
            const sentence = e.description;
            return (
              <tr key={e.id}>
                <td>{formatDateTime(e.createdAt)}</td>
                <td>{e.kind}</td>
                <td>{e.source}</td>
                <td>
                  {sentence}
                  {/* Staff debug with the API's own key (what partners and webhooks see): under the sentence unless it is in it. */}
                  {e.reason && !sentence.includes(e.reason) ? (
                    <small className="muted raw-reason" data-testid="raw-reason">
                      {e.reason}
                    </small>
                  ) : null}
                </td>
                <td className="num">{formatPointsChange(e.amount, e.currency.code)}</td>
                <td className="num">{formatPoints(e.balanceAfter)}</td>
              </tr>
            );
          })}
        </tbody>
      </DataTable>
      <ShowOlder pageInfo={history.pageInfo} fetchMore={fetchMore} edges={history.edges} />
    </>
  );
}

/** A customer's wallet, 30 offers a page (ConsoleCustomerWallet), paged and read again as the ledger is. */
function Wallet({ externalId }: { externalId: string }) {
  const query = useQuery(ConsoleCustomerWalletDocument, { variables: { externalId } });
  const { data, error, fetchMore } = query;
  const wallet = data?.customer?.wallet;
  if (error) return <ProblemAlert problem={problemOf(error)} onRetry={retryOf(query)} />;
  if (!wallet) return <Loading what="the wallet" />;
  return (
    <>
      <h2>Wallet</h2>
      <DataTable
        label="Wallet"
        rows={wallet.edges.length}
        empty="This customer's wallet is empty: offers bought, claimed or awarded show here."
        columns={[{ label: 'Offer' }, { label: 'Code' }, { label: 'Status' }, { label: 'Source' }, { label: 'Expires' }]}>
        <tbody>
          {wallet.edges.map(({ node: w }) => (
            <tr key={w.id}>
              <td>
                {w.offer.name} (v{w.offer.version})
              </td>
              <td className="code">{w.code}</td>
              <td>{w.status}</td>
              <td>{w.source}</td>
              <td>{formatDateTime(w.expiresAt)}</td>
            </tr>
          ))}
        </tbody>
      </DataTable>
      <ShowOlder pageInfo={wallet.pageInfo} fetchMore={fetchMore} edges={wallet.edges} label="Show older offers" />
    </>
  );
}

/** The "Counts towards lifetime points and tiers" choice as AdjustPointsInput.qualifying: unset keeps the API's rule. */
const QUALIFYING_CHOICES: Record<string, boolean | undefined> = { '': undefined, yes: true, no: false };
