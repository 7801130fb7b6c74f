import { useApolloClient, useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { Link } from 'wouter';
import { problemOf, problemOfUserError, ProblemAlert, retryOf, useGuardedSend } from '../shared/errors';
import { formatLocalDateTime, formatLocalExclusiveEnd, formatPoints, Loading, PagesProblem, PageTitle, ShowOlder, useConfirmDialog, useFocusReturn, useNextPagesWhile } from '../shared/ui';
import { answeredByReplay } from '../shared/api';
import { dropKeptKey, keptKey } from '../shared/session';
import { MemberListingDocument, MemberProfileDocument, MemberPurchaseDocument, MemberStoreDocument, MemberStoresDocument, MemberWalletDocument, type MemberStoreQuery } from './gql/graphql';
import { APP } from './shell';

/** The reward stores open to the member. */
export function Stores() {
  const query = useQuery(MemberStoresDocument);
  const { data, error, fetchMore } = query;
  const stores = data?.me?.eligibleRewardStores.edges.map((e) => e.node);
  return (
    <>
      <PageTitle app={APP}>Rewards</PageTitle>
      <ProblemAlert problem={error ? problemOf(error) : null} onRetry={retryOf(query)} />
      {!stores && !error ? <Loading what="stores" /> : null}
      {stores?.length === 0 ? <p>No reward store is open to you right now.</p> : null}
      <ul className="grid" style={{ listStyle: 'none', padding: 0 }}>
        {stores?.map((s) => (
          <li key={s.id} className="card">
            <h2>
              <Link href={`/stores/${encodeURIComponent(s.code)}`}>{s.name}</Link>
            </h2>
            <p className="muted">
              Paid in {s.currency.name}
              {s.endsAt ? `, open ${formatLocalExclusiveEnd(s.endsAt)}` : ''}
            </p>
          </li>
        ))}
      </ul>
      <ShowOlder pageInfo={data?.me?.eligibleRewardStores.pageInfo} edges={data?.me?.eligibleRewardStores.edges} fetchMore={fetchMore} label="Show more stores" />
    </>
  );
}

type Listing = NonNullable<Extract<NonNullable<MemberStoreQuery['node']>, { __typename?: 'RewardStore' }>['listings']>['edges'][number]['node'];

/** One store's offers, with what the member can afford, and buying with a confirmation step. */
export function Store({ code }: { code: string }) {
  const stores = useQuery(MemberStoresDocument);
  const storeRef = stores.data?.me?.eligibleRewardStores.edges.find((e) => e.node.code === code)?.node;
  // A link to a store past the list's first page: its next pages are read until the store is found.
  const storePages = useNextPagesWhile(Boolean(stores.data) && !storeRef, stores.data?.me?.eligibleRewardStores.pageInfo, stores.fetchMore);
  const storeQuery = useQuery(MemberStoreDocument, {
    variables: { id: storeRef?.id ?? '' },
    skip: !storeRef,
  });
  const { data, error, fetchMore } = storeQuery;
  const store = data?.node?.__typename === 'RewardStore' ? data.node : undefined;
  const [buying, setBuying] = useState<Listing | null>(null);
  const [bought, setBought] = useState<Bought | null>(null);
  // Where the keyboard's focus goes when the dialog closes (newcomer-21: it was left on the body, so
  // the next Tab started again at the top): the Buy button that opened it, or, once bought, the
  // notice saying what was bought (that Buy button may be disabled by then).
  const focusReturn = useFocusReturn<HTMLDivElement>(buying !== null, focusOpenerOrItsCard);
  // Each listing's idempotency key until a purchase of it is answered bought (web-22): a dialog
  // closed after "not known whether this went through" and opened again sends the same key, so the
  // gateway answers the first purchase instead of buying a second time. Kept by the page, not this
  // screen, so leaving the store and coming back keeps it too (break4-22: it bought twice). Taken
  // when Confirm sends it, not when the dialog opens (break2-23): a dialog cancelled kept a key of
  // a purchase never sent, which a duplicated tab copies with its sessionStorage; the purchase
  // made with it in one tab then answered the other tab's purchase as "already bought", and the
  // member who meant to buy a second one got none.
  // Dropped once a purchase is answered, bought or refused (web-24: a refusal kept it, and it frees
  // the key anyway): a key kept is then always a purchase whose outcome was never learnt, which
  // the member is told of when it outlived the gateway's retention (keptKey's KeptWriteExpired).
  const keyOf = (listingId: string) => () => keptKey('web', `purchase:${listingId}`);
  const dropKeyOf = (listingId: string) => () => dropKeptKey('web', `purchase:${listingId}`);

  const title = store?.name ?? storeRef?.name ?? 'Store';
  return (
    <>
      <PageTitle app={APP}>{title}</PageTitle>
      <PagesProblem {...storePages} />
      <p>
        <Link href="/stores">All rewards</Link>
      </p>
      <ProblemAlert problem={error ? problemOf(error) : stores.error ? problemOf(stores.error) : null} onRetry={retryOf(error ? storeQuery : stores)} />
      {stores.data && !storeRef && !stores.data.me?.eligibleRewardStores.pageInfo.hasNextPage ? <p role="alert">This store is not open to you.</p> : null}
      {storeRef && !store && !error ? (
        // read and answered null: the store closed, or stopped being open to the member, since the
        // list was read (hostile39e: it read "Loading offers…" for ever, a refused purchase's dialog gone)
        data ? (
          <p role="alert">This store is no longer open to you: it closed, or who may shop in it changed{buying ? '. Nothing was bought' : ''}.</p>
        ) : (
          <Loading what="offers" />
        )
      ) : null}
      {bought ? (
        <div className="notice" role="status" ref={focusReturn.notice} tabIndex={-1} data-replayed={bought.alreadyAt ? 'true' : undefined}>
          {bought.alreadyAt ? (
            <>
              You had already bought “{bought.name}” on {formatLocalDateTime(bought.alreadyAt)}: that first try went through, so nothing more was spent.
            </>
          ) : (
            <>Bought “{bought.name}”.</>
          )}{' '}
          It is in your <Link href="/wallet">wallet</Link> with code <span className="code">{bought.code}</span>.
        </div>
      ) : null}
      {store ? (
        <ul className="grid" style={{ listStyle: 'none', padding: 0 }}>
          {store.listings.edges.map(({ node: l }) => {
            // The API's affordable is about points alone: a member who bought as many as the listing
            // allows was offered Buy, and refused LIMIT_REACHED after confirming (newcomer-21).
            const limitReached = l.perCustomerLimit != null && (l.purchasedByMe ?? 0) >= l.perCustomerLimit;
            return (
              // Focusable from script only: where the focus goes back when this card's Buy button
              // was disabled while its dialog was open (focusOpenerOrItsCard).
              <li key={l.id} className="card" data-testid="listing" tabIndex={-1}>
                <h2>{l.offer.name}</h2>
                {l.offer.description ? <p>{l.offer.description}</p> : null}
                <p>
                  <strong>{formatPoints(l.priceInPoints, store.currency.code)}</strong>
                </p>
                <p>
                  {limitReached ? (
                    <span className="badge">
                      {/* what they bought, which a limit lowered since may be below (hostile39c) */}
                      You have bought it {l.purchasedByMe} {l.purchasedByMe === 1 ? 'time' : 'times'}, the most allowed
                    </span>
                  ) : l.affordable ? (
                    <span className="badge ok">You can afford this</span>
                  ) : (
                    <span className="badge warn">{formatPoints(l.pointsMissing ?? 0, store.currency.code)} missing</span>
                  )}
                </p>
                <p className="muted">
                  {l.stockRemaining === null ? 'In stock' : l.stockRemaining > 0 ? `${l.stockRemaining} left` : 'Sold out'}
                  {l.perCustomerLimit ? ` · up to ${l.perCustomerLimit} per member (you have ${l.purchasedByMe ?? 0})` : ''}
                  {l.offer.validDays ? ` · valid ${l.offer.validDays} days` : ''}
                </p>
                <button
                  type="button"
                  disabled={limitReached || !l.affordable || l.stockRemaining === 0}
                  onClick={(event) => (focusReturn.opened(event.currentTarget), setBought(null), setBuying(l))}
                >
                  Buy<span className="sr-only"> {l.offer.name}</span>
                </button>
              </li>
            );
          })}
        </ul>
      ) : null}
      {store ? <ShowOlder pageInfo={store.listings.pageInfo} edges={store.listings.edges} fetchMore={fetchMore} label="Show more offers" /> : null}
      {buying && store ? (
        <ConfirmPurchase
          // the listing as the store reads it now: a price changed since the dialog opened shows in it
          // once read again (a PRICE_CHANGED refusal reads the store again), and is the price sent (hostile39d)
          listing={store.listings.edges.find((e) => e.node.id === buying.id)?.node ?? buying}
          currency={store.currency.code}
          keyOf={keyOf(buying.id)}
          dropKey={dropKeyOf(buying.id)}
          onDone={(result) => (setBuying(null), focusReturn.closed(result !== null), result && (dropKeptKey('web', `purchase:${buying.id}`), setBought(result)))}
        />
      ) : null}
    </>
  );
}

/**
 * Gives the focus back to the Buy button that opened the purchase dialog, when the dialog closed
 * without a purchase. That button may no longer take the focus (live-22): disabled meanwhile by
 * the live feed (the member reached the listing's per-member limit, or spent the points, in another
 * tab; the listing sold out), so `focus()` did nothing and the keyboard's place was lost to the
 * page's body. Then its listing's card takes the focus (tabIndex -1: it says why Buy is off), or,
 * when the listing is gone from the page, the page's heading (PageTitle's h1, tabIndex -1).
 * @param button the Buy button that opened the dialog (null: none known)
 */
function focusOpenerOrItsCard(button: HTMLElement | null): void {
  if (button?.isConnected && !(button instanceof HTMLButtonElement && button.disabled)) return button.focus();
  const card = button?.isConnected ? button.closest<HTMLElement>('li.card') : null;
  (card ?? document.querySelector<HTMLElement>('h1'))?.focus();
}

/**
 * A purchase answered: the offer's name, its code, and, when the gateway answered it from an earlier
 * request with the same key (replay-22's mark), when that first purchase was made.
 */
interface Bought {
  name: string;
  code: string;
  /** The first purchase's time (ISO) when this answer was a replay of it; null for a purchase made now. */
  alreadyAt: string | null;
}

/**
 * The confirmation step. An answer marked a replay (`answeredByReplay`: a "Try again" after an
 * unknown outcome, or the dialog opened again, whose first request had bought) says when the
 * purchase was made and that nothing more was spent, not "Bought" as if bought now (web-23).
 * `keyOf` answers the listing's idempotency key, kept from the first Confirm until a purchase of it is
 * answered bought (the store keeps it across openings of the dialog), used for every retry, so a
 * retry after a lost answer or an answer that never came (OUTCOME_UNKNOWN) never buys twice. It is
 * asked for when a purchase is sent, never before (break2-23: see the store's keyOf).
 */
function ConfirmPurchase({
  listing: asRead,
  currency,
  keyOf,
  dropKey,
  onDone,
}: {
  listing: Listing;
  currency: string;
  keyOf: () => Promise<string>;
  /** Forgets the key once a purchase is refused (a refusal frees it at the gateway). */
  dropKey: () => void;
  onDone: (bought: Bought | null) => void;
}) {
  const client = useApolloClient();
  // The listing read again by id after PRICE_CHANGED, for when the store's pages read no longer hold
  // it (an edit moved it past them: hostile39e); the store's copy (`asRead`) otherwise.
  const [fresh, setFresh] = useState<Listing | null>(null);
  const listing = fresh && fresh.id === asRead.id && fresh.priceInPoints !== asRead.priceInPoints ? fresh : asRead;
  // One send at a time, none before the gateway's "not before" (its retryAfter). Where a purchase
  // shows, for a kept key past the gateway's retention (KEY_EXPIRED, web-24).
  const { held, sending, problem, setProblem, send } = useGuardedSend({ checkIn: `your Wallet for “${listing.offer.name}”` });
  const [purchase, { loading }] = useMutation(MemberPurchaseDocument, {
    refetchQueries: [MemberProfileDocument, MemberStoreDocument, MemberWalletDocument],
  });
  // The focus starts on Cancel: an Enter pressed again after the one that opened it changes nothing (break2-24).
  // While the purchase is sent, neither Escape nor Cancel closes it: its answer (bought, refused,
  // not known) shows in it (edges-28: Escape closed it and a refusal or an unknown outcome was lost).
  const busy = sending || loading;
  const { dialog, safe, onCancel } = useConfirmDialog({ busy, onDismiss: () => onDone(null) });

  const confirm = () =>
    send(async () => {
      const { data, extensions } = await purchase({
        // the price this dialog showed: a price changed since is refused PRICE_CHANGED, nothing spent (hostile39c)
        variables: { input: { listingId: listing.id, idempotencyKey: await keyOf(), expectedPriceInPoints: listing.priceInPoints } },
      });
      const result = data?.purchaseOffer;
      if (result?.userErrors.length) {
        dropKey();
        if (result.userErrors[0].code === 'PRICE_CHANGED') {
          const { data: read } = await client.query({ query: MemberListingDocument, variables: { id: listing.id }, fetchPolicy: 'network-only' });
          if (read?.node?.__typename === 'Listing') setFresh({ ...listing, ...read.node });
        }
        return setProblem(problemOfUserError(result.userErrors[0]));
      }
      if (result?.purchase)
        onDone({
          name: listing.offer.name,
          code: result.purchase.issuedOffer.code,
          alreadyAt: answeredByReplay(extensions, 'purchaseOffer') ? result.purchase.createdAt : null,
        });
    });

  return (
    <dialog ref={dialog} aria-labelledby="confirm-title" onCancel={onCancel}>
      <h2 id="confirm-title">Buy “{listing.offer.name}”?</h2>
      <p>
        This spends <strong>{formatPoints(listing.priceInPoints, currency)}</strong>. The offer goes to your wallet.
      </p>
      {listing.offer.terms ? <p className="muted">Terms: {listing.offer.terms}</p> : null}
      <ProblemAlert problem={problem} />
      {busy ? <p className="muted" aria-live="polite">Buying… its answer shows here.</p> : null}
      <div className="row">
        <button type="button" onClick={confirm} disabled={loading || held}>
          {problem ? 'Try again' : 'Confirm purchase'}
        </button>
        <button type="button" className="secondary" ref={safe} disabled={busy} onClick={() => onDone(null)}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}
