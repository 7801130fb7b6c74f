import { useApolloClient, useMutation, useQuery } from '@apollo/client/react';
import { answeredByReplay } from '../shared/api';
import { problemOf, problemOfUserError, ProblemAlert, retryOf, useGuardedSend } from '../shared/errors';
import { DataTable, formatExclusiveEnd, formatPoints, formatStart, Loading, PagesProblem, PageTitle, ShowOlder, useNextPagesWhile } from '../shared/ui';
import {
  ConsoleAddListingDocument,
  ConsoleCreateStoreDocument,
  ConsoleCurrenciesDocument,
  ConsoleOffersDocument,
  ConsoleRemoveListingDocument,
  ConsoleStoreListingsDocument,
  ConsoleStoresDocument,
} from './gql/graphql';
import { ActionForm, APP, Field, int, list, ReadOnlyNote, text, useRole } from './shell';

/** Reward stores, who may shop in them, their listings and stock. */
export function Stores() {
  const { role } = useRole();
  const query = useQuery(ConsoleStoresDocument);
  const { data, error, fetchMore } = query;
  const offers = useQuery(ConsoleOffersDocument);
  // Every store and every offer, page after page: the page shows each store, and the listing form
  // chooses among all of them (break32: the 21st store and the 51st offer could not be reached).
  const storePages = useNextPagesWhile(true, data?.rewardStores.pageInfo, fetchMore);
  const offerPages = useNextPagesWhile(true, offers.data?.offers.pageInfo, offers.fetchMore);
  const client = useApolloClient();
  /** A store's next listings, appended to its table by the cache (RewardStore.listings' relayStylePagination). */
  const moreListings = (storeId: string) => async ({ variables }: { variables: { after: string | null | undefined } }) =>
    client.query({ query: ConsoleStoreListingsDocument, variables: { id: storeId, after: variables.after }, fetchPolicy: 'network-only' });
  const currencies = useQuery(ConsoleCurrenciesDocument);
  const refetch = { refetchQueries: [ConsoleStoresDocument] };
  const [createStore] = useMutation(ConsoleCreateStoreDocument, refetch);
  const [addListing] = useMutation(ConsoleAddListingDocument, refetch);
  const [removeListing] = useMutation(ConsoleRemoveListingDocument, refetch);
  // Removing is naturally idempotent (a listing already removed is answered as it is, nothing
  // written): after a lost answer "Try again" sends the same removal (web-24).
  const { problem, setProblem, send, tryAgain } = useGuardedSend({ safeAgain: 'Try again: removing a listing again is safe (one already removed is left as it is).' });
  const stores = data?.rewardStores.edges.map((e) => e.node);

  const remove = (listingId: string) =>
    send(async () => {
      const { data: result } = await removeListing({ variables: { input: { listingId } } });
      if (result?.removeListing.userErrors.length) setProblem(problemOfUserError(result.removeListing.userErrors[0]));
      // off its store's table at once, on whichever page of listings it was (the refetch reads each
      // store's first page again, and the pages shown after it are kept: keptPagination)
      else if (result?.removeListing.listing) {
        client.cache.evict({ id: client.cache.identify({ __typename: 'Listing', id: result.removeListing.listing.id }) });
        client.cache.gc();
      }
    });

  return (
    <>
      <PageTitle app={APP}>Stores</PageTitle>
      <ProblemAlert problem={error ? problemOf(error) : problem} onRetry={error ? retryOf(query) : tryAgain} />
      <ReadOnlyNote />
      <PagesProblem {...storePages} />
      <PagesProblem {...offerPages} />
      {!stores && !error ? <Loading what="stores" /> : null}
      {stores?.map((s) => (
        <section key={s.id} className="card" aria-labelledby={`store-${s.id}`} style={{ marginBottom: '1rem' }}>
          <h2 id={`store-${s.id}`}>
            {s.name} <span className="muted">({s.code})</span>
          </h2>
          <p className="muted">
            {s.currency.code} · {s.startsAt ? formatStart(s.startsAt) : 'open'} {s.endsAt ? formatExclusiveEnd(s.endsAt) : ''} · who:{' '}
            {[
              s.eligibility.tiers.length ? `tiers ${s.eligibility.tiers.join(', ')}` : '',
              s.eligibility.segments.length ? `segments ${s.eligibility.segments.join(', ')}` : '',
              s.eligibility.minBalance ? `balance ≥ ${s.eligibility.minBalance}` : '',
              s.eligibility.minLifetimePoints ? `lifetime ≥ ${s.eligibility.minLifetimePoints}` : '',
            ]
              .filter(Boolean)
              .join('; ') || 'everyone'}
          </p>
          <DataTable
            label="Listings"
            rows={s.listings.edges.length}
            empty="Nothing is listed in this store: add a listing below."
            caption={`Listings of ${s.name}`}
            columns={[
              { label: 'Offer' },
              { label: 'Price', numeric: true },
              { label: 'Stock', numeric: true },
              { label: 'Per member', numeric: true },
              { label: 'Actions', srOnly: true },
            ]}
          >
            <tbody>
              {s.listings.edges.map(({ node: l }) => (
                <tr key={l.id}>
                  <td>
                    {l.offer.name} (v{l.offer.version})
                  </td>
                  <td className="num">{formatPoints(l.priceInPoints)}</td>
                  <td className="num">{l.stockTotal === null ? 'unlimited' : `${l.stockRemaining} of ${l.stockTotal}`}</td>
                  <td className="num">{l.perCustomerLimit ?? '—'}</td>
                  <td>
                    <button type="button" className="secondary" disabled={role !== 'operator'} onClick={() => void remove(l.id)}>
                      Remove<span className="sr-only"> {l.offer.name}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </DataTable>
          <ShowOlder pageInfo={s.listings.pageInfo} edges={s.listings.edges} fetchMore={moreListings(s.id)} label="Show more listings" />
        </section>
      ))}
      <div className="grid">
        <ActionForm
          title="Add a listing"
          checkIn="the store's Listings table above after reloading the page (an added listing shows by its offer)"
          submitLabel="Add listing"
          onSubmit={async (form, idempotencyKey) => {
            const { data: result, extensions } = await addListing({
              variables: {
                input: {
                  storeId: text(form, 'storeId') ?? '',
                  offerId: text(form, 'offerId') ?? '',
                  priceInPoints: int(form, 'price') ?? 0,
                  stock: int(form, 'stock'),
                  perCustomerLimit: int(form, 'perCustomerLimit'),
                  idempotencyKey,
                },
              },
            });
            return { userErrors: result?.addListing.userErrors, notice: 'Listing added.', replayed: answeredByReplay(extensions, 'addListing') };
          }}
        >
          <label htmlFor="f-storeId">Store</label>
          <select id="f-storeId" name="storeId">
            {stores?.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
          <label htmlFor="f-offerId">Offer</label>
          <select id="f-offerId" name="offerId">
            {offers.data?.offers.edges.map(({ node: o }) => (
              <option key={o.offerId} value={o.offerId}>
                {o.name}
              </option>
            ))}
          </select>
          <Field label="Price in points" name="price" type="number" min={1} required />
          <Field label="Stock (empty: unlimited)" name="stock" type="number" min={0} />
          <Field label="Limit per member (empty: none)" name="perCustomerLimit" type="number" min={1} />
        </ActionForm>
        <ActionForm
          title="Create a store"
          waitingFor={currencies.data || !currencies.loading ? undefined : 'the currencies'}
          submitLabel="Create store"
          // A store's code is its key (README "Idempotency"): the same store sent again is answered
          // by the first, marked, and created once; another store under the code is ALREADY_EXISTS.
          safeAgain="Try again: a store's code is its key, so the same store sent again is answered by the first and is not created twice."
          onSubmit={async (form) => {
            const tiers = list(form, 'tiers');
            const { data: result, extensions } = await createStore({
              variables: { input: { code: text(form, 'code') ?? '', name: text(form, 'name') ?? '', currency: text(form, 'storeCurrency') ?? '', eligibility: tiers.length ? { tiers } : undefined } },
            });
            return { userErrors: result?.createRewardStore.userErrors, notice: 'Store created.', replayed: answeredByReplay(extensions, 'createRewardStore') };
          }}
        >
          <Field label="Code" name="code" required />
          <Field label="Name" name="name" required />
          <label htmlFor="f-storeCurrency">Currency</label>
          <select id="f-storeCurrency" name="storeCurrency">
            {currencies.data?.currencies.map((c) => (
              <option key={c.code}>{c.code}</option>
            ))}
          </select>
          <Field label="Only these tiers (comma-separated, empty: all)" name="tiers" />
        </ActionForm>
      </div>
    </>
  );
}
