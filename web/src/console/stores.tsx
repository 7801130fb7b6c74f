import { useApolloClient, useMutation, useQuery } from '@apollo/client/react';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { answeredByReplay } from '../shared/api';
import { problemOf, problemOfUserError, ProblemAlert, retryOf, useGuardedSend } from '../shared/errors';
import { DataTable, DAY_MS, formatDayOrInstant, formatExclusiveEnd, formatPoints, formatStart, Loading, newIdempotencyKey, PagesProblem, PageTitle, ShowOlder, useConfirmDialog, useFocusReturn, useNextPagesWhile } from '../shared/ui';
import { sameSet } from '../../../src/domain/lists.js';
import {
  ConsoleAddListingDocument,
  ConsoleCreateStoreDocument,
  ConsoleCurrenciesDocument,
  ConsoleOffersDocument,
  ConsoleRemoveListingDocument,
  ConsoleStoreListingsDocument,
  ConsoleStoresDocument,
  ConsoleUpdateListingDocument,
  ConsoleUpdateStoreDocument,
  type UpdateRewardStoreInput,
} from './gql/graphql';
import { ActionForm, APP, ConfirmActions, ConfirmWithReason, Field, int, list, ReadOnlyNote, ReasonField, reasonOf, text, useRole } from './shell';
import { gatewayTimeKnown } from '../shared/gateway-time';

/** A store as the Stores page lists it, for its edit. */
type ListedStore = {
  id: string;
  name: string;
  version: number;
  startsAt?: string | null;
  endsAt?: string | null;
  eligibility: { tiers: string[]; segments: string[]; minBalance?: number | null; minLifetimePoints?: number | null };
};

/** A date field's value (`YYYY-MM-DD`) of an instant's UTC day. */
const utcDay = (iso: string) => iso.slice(0, 10);
/**
 * The store's window as its form shows it: the UTC day it opens, and the last UTC day it is open
 * (its exclusive `endsAt` less 1 ms), both empty when unbounded.
 */
const windowDays = (store: ListedStore) => ({
  opens: store.startsAt ? utcDay(store.startsAt) : '',
  lastDay: store.endsAt ? utcDay(new Date(Date.parse(store.endsAt) - 1).toISOString()) : '',
});

/** A textarea's lines, trimmed, empty ones left out. */
const lines = (form: FormData, name: string) =>
  String(form.get(name) ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

/** Whether two eligibility rule sets are the same (tiers and segments are sets: in any order, noticed-40). */
const sameRules = (a: ListedStore['eligibility'], b: ListedStore['eligibility']) =>
  sameSet(a.tiers, b.tiers) &&
  sameSet(a.segments, b.segments) &&
  (a.minBalance ?? null) === (b.minBalance ?? null) &&
  (a.minLifetimePoints ?? null) === (b.minLifetimePoints ?? null);

/**
 * Whether a store is open now by its window, and the window (newcomer-39: a store closed by its
 * last day read "open through 4 Dec 2026 (UTC)"): "open from … through …", "not open yet: from …",
 * "closed: it was open through …". `now`: the gateway's time (epoch ms), which the window is judged by.
 */
function windowText(store: { startsAt?: string | null; endsAt?: string | null }, now: number): string {
  const from = store.startsAt ? `${formatStart(store.startsAt)} ` : '';
  const until = store.endsAt ? formatExclusiveEnd(store.endsAt) : 'with no end';
  if (store.endsAt && Date.parse(store.endsAt) <= now) return `closed: it was open ${from}${until}`;
  if (store.startsAt && Date.parse(store.startsAt) > now) return `not open yet: ${from}${until}`;
  return `open ${from}${until}`;
}

/**
 * What a window edit does later, which the preview's counts (judged now) do not show (newcomer-39:
 * a last day ahead previewed "No member would gain or lose the store"): " From 24 Dec 2026 (UTC)
 * no member can shop here." for an end ahead, " It opens 27 Dec 2026 (UTC)." for a start ahead;
 * "" when the edit moves neither ahead of `now` (the gateway's time, epoch ms).
 */
function windowAhead(input: { startsAt?: string | null; endsAt?: string | null }, now: number): string {
  const ends = input.endsAt && Date.parse(input.endsAt) > now ? ` From ${formatDayOrInstant(input.endsAt)} no member can shop here.` : '';
  const opens = input.startsAt && Date.parse(input.startsAt) > now ? ` It opens ${formatDayOrInstant(input.startsAt)}.` : '';
  return `${opens}${ends}`;
}

/** "1 member", "3 members". */
const members = (n: number) => `${formatPoints(n)} member${n === 1 ? '' : 's'}`;

/** What an edit does to who may shop, as its dry run or its answer counted it. */
function accessText(lost: number, gained: number, done: boolean): string {
  if (!lost && !gained) return done ? 'No member gained or lost the store.' : 'No member would gain or lose the store.';
  // whole sentences (newcomer-39 read "2 members would be able to." as cut off)
  const parts = [
    lost ? `${members(lost)} who can shop here now ${done ? 'no longer can' : 'would no longer be able to'}` : '',
    gained ? `${members(gained)} ${done ? 'can now shop here' : 'would be able to shop here'}` : '',
  ];
  return `${parts.filter(Boolean).join('; ')}.`;
}

/**
 * The edit of a store's name and who may shop in it (store-edit-39: the thirty-eighth newcomer's
 * GOLD-only lounge could not take in a tier added above GOLD). "Preview changes" sends the edit as
 * a dry run and shows who would lose and gain the store; "Save changes" sends it with the version
 * the form was filled from (another operator's save meanwhile: VERSION_CONFLICT, the form is
 * filled again from theirs) and a key made with the preview (a lost answer offers "Try again").
 * Any change to the fields after the preview asks for a new one. Cancel or Escape sends nothing;
 * the focus starts on Cancel. `onDone` gets the notice to show once saved, null when cancelled.
 */
function EditStore({ store, onDone }: { store: ListedStore; onDone: (notice: string | null) => void }) {
  const [dryRun] = useMutation(ConsoleUpdateStoreDocument);
  const [save] = useMutation(ConsoleUpdateStoreDocument, { refetchQueries: [ConsoleStoresDocument] });
  const client = useApolloClient();
  const { held, sending, problem, setProblem, send, tryAgain } = useGuardedSend({ safeAgain: 'Try again: the edit is sent with its key, so sending it again saves it once.' });
  const { dialog, safe, onCancel } = useConfirmDialog({ busy: sending, onDismiss: () => onDone(null) });
  const [preview, setPreview] = useState<{ input: UpdateRewardStoreInput; lost: number; gained: number; changed: boolean } | null>(null);
  const previewShown = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (preview) previewShown.current?.focus();
  }, [preview]);
  /**
   * A refusal of the preview or the save: shown, and after VERSION_CONFLICT (another operator saved
   * since the form was filled, before the preview or between it and the save: hostile39b) the
   * stores are read again and the form is filled from the version saved (keyed on it below).
   */
  const refused = async (userError: { code: string; message: string }) => {
    setProblem(problemOfUserError(userError));
    setPreview(null);
    if (userError.code === 'VERSION_CONFLICT') await client.refetchQueries({ include: [ConsoleStoresDocument] });
  };
  const e = store.eligibility;
  const shown = windowDays(store);
  const previewIt = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    // A day left as shown keeps the stored instant (which may not be a UTC midnight: set through
    // the API); a day changed is that UTC day's start, and the last day runs through its end.
    const opens = text(form, 'editOpens') ?? '';
    const lastDay = text(form, 'editLastDay') ?? '';
    // Segments one per line (a segment may hold a comma: "Paris, FR"; hostile39b), tiers by comma
    // (codes have none). The rules are sent only when one of them changed, so a rename sends none.
    const eligibility = {
      tiers: list(form, 'editTiers'),
      segments: lines(form, 'editSegments'),
      minBalance: int(form, 'editMinBalance') ?? null,
      minLifetimePoints: int(form, 'editMinLifetime') ?? null,
    };
    const input: UpdateRewardStoreInput = {
      storeId: store.id,
      name: text(form, 'editName') ?? store.name,
      ...(opens === shown.opens ? {} : { startsAt: opens ? new Date(opens).toISOString() : null }),
      ...(lastDay === shown.lastDay ? {} : { endsAt: lastDay ? new Date(Date.parse(lastDay) + DAY_MS).toISOString() : null }),
      ...(sameRules(eligibility, e) ? {} : { eligibility }),
      expectedVersion: store.version,
      reason: reasonOf(form, 'editReason'),
    };
    return send(async () => {
      const { data } = await dryRun({ variables: { input: { ...input, dryRun: true } } });
      const payload = data?.updateRewardStore;
      if (payload?.userErrors.length) return refused(payload.userErrors[0]);
      if (payload) setPreview({ input: { ...input, idempotencyKey: newIdempotencyKey() }, lost: payload.accessLost ?? 0, gained: payload.accessGained ?? 0, changed: payload.changed ?? false });
    });
  };
  const confirm = () =>
    send(async () => {
      if (!preview) return;
      const { data } = await save({ variables: { input: preview.input } });
      const payload = data?.updateRewardStore;
      if (payload?.userErrors.length) return refused(payload.userErrors[0]);
      if (!payload?.rewardStore) return;
      onDone(`Store “${payload.rewardStore.name}” saved (version ${payload.rewardStore.version}). ${accessText(payload.accessLost ?? 0, payload.accessGained ?? 0, true)}`);
    });
  return (
    <dialog ref={dialog} aria-labelledby="edit-store-title" onCancel={onCancel}>
      <h2 id="edit-store-title">Edit store “{store.name}”</h2>
      <form key={store.version} onSubmit={previewIt} onInput={() => setPreview(null)}>
        <fieldset disabled={held} style={{ border: 0, padding: 0, margin: 0 }}>
          <legend className="sr-only">Edit store {store.name}</legend>
          <Field label="Name" name="editName" required defaultValue={store.name} />
          <Field label="Opens (UTC day; empty: open already)" name="editOpens" type="date" defaultValue={shown.opens} hint={store.startsAt ? `Now ${formatStart(store.startsAt)}.` : undefined} />
          <Field
            label="Last day open (UTC; empty: no end)"
            name="editLastDay"
            type="date"
            defaultValue={shown.lastDay}
            hint={`${store.endsAt ? `Now ${formatExclusiveEnd(store.endsAt)}. ` : ''}It stays open through this day; a day already past closes it for everyone.`}
          />
          <Field label="Only these tiers (comma-separated, each exactly: a higher tier is not included; empty: any)" name="editTiers" defaultValue={e.tiers.join(', ')} />
          <label htmlFor="f-editSegments">Only these segments (one per line, empty: anyone)</label>
          <textarea id="f-editSegments" name="editSegments" rows={Math.max(2, e.segments.length)} defaultValue={e.segments.join('\n')} />
          <Field label="Minimum balance (empty: none)" name="editMinBalance" type="number" min={0} defaultValue={e.minBalance ?? undefined} />
          <Field label="Minimum lifetime points (empty: none)" name="editMinLifetime" type="number" min={0} defaultValue={e.minLifetimePoints ?? undefined} />
          <ReasonField name="editReason" />
          <p>
            <button type="submit" className={preview ? 'secondary' : undefined}>
              Preview changes
            </button>
          </p>
        </fieldset>
      </form>
      {preview ? (
        // announced, and the focus put on it: the Preview button it came from was disabled while the
        // dry run was sent, which dropped the focus to the page's body (hostile39e)
        <p className={preview.lost ? 'warning' : undefined} data-testid="store-edit-preview" role="status" tabIndex={-1} ref={previewShown}>
          {preview.changed
            ? `${accessText(preview.lost, preview.gained, false)}${windowAhead(preview.input, gatewayTimeKnown())} Offers already bought stay in their wallets.`
            : 'Nothing would change: the store already is so.'}
        </p>
      ) : (
        <p className="muted">Preview the changes to see who would gain or lose the store; then save them.</p>
      )}
      <ConfirmActions
        {...{ problem, tryAgain, sending, safe }}
        held={held || !preview?.changed}
        confirmLabel="Save changes"
        sendingText="Saving…"
        onConfirm={confirm}
        onCancel={() => onDone(null)}
      />
    </dialog>
  );
}

/** A listing as a store's table lists it, for its edit. */
type ListedListing = { id: string; priceInPoints: number; stockTotal?: number | null; stockRemaining?: number | null; perCustomerLimit?: number | null; sortOrder: number; version: number; offer: { name: string } };

/**
 * The edit of a listing (listing-edit-39: a restock, a new price or limit meant removing it and
 * listing the offer again, whose per-member counts started at 0): price, stock in all (those sold
 * included; a listing with unlimited stock stays so), limit per member and order. "Save changes"
 * sends the fields with the version the form was filled from (another operator's save meanwhile:
 * VERSION_CONFLICT, the form filled again from theirs) and a key made when the dialog opened (a
 * lost answer offers "Try again"). Cancel or Escape sends nothing; the focus starts on Cancel.
 */
function EditListing({ listing, onDone }: { listing: ListedListing; onDone: (notice: string | null) => void }) {
  const [save] = useMutation(ConsoleUpdateListingDocument, { refetchQueries: [ConsoleStoresDocument] });
  const client = useApolloClient();
  const { held, sending, problem, setProblem, send, tryAgain } = useGuardedSend({ safeAgain: 'Try again: the edit is sent with its key, so sending it again saves it once.' });
  const { dialog, safe, onCancel } = useConfirmDialog({ busy: sending, onDismiss: () => onDone(null) });
  const [key] = useState(newIdempotencyKey);
  const formRef = useRef<HTMLFormElement>(null);
  const stocked = listing.stockTotal != null;
  const sold = stocked ? listing.stockTotal! - (listing.stockRemaining ?? 0) : null;
  const confirm = (form: HTMLFormElement | null) =>
    send(async () => {
      if (!form?.reportValidity()) return;
      const data = new FormData(form);
      const { data: answer } = await save({
        variables: {
          input: {
            listingId: listing.id,
            priceInPoints: int(data, 'editPrice') ?? listing.priceInPoints,
            ...(stocked ? { stock: int(data, 'editStock') ?? listing.stockTotal } : {}),
            perCustomerLimit: int(data, 'editLimit') ?? null,
            sortOrder: int(data, 'editSort') ?? listing.sortOrder,
            expectedVersion: listing.version,
            idempotencyKey: key,
            reason: reasonOf(data, 'editReason'),
          },
        },
      });
      const payload = answer?.updateListing;
      if (payload?.userErrors.length) {
        setProblem(problemOfUserError(payload.userErrors[0]));
        if (payload.userErrors[0].code === 'VERSION_CONFLICT') await client.refetchQueries({ include: [ConsoleStoresDocument] });
        return;
      }
      const l = payload?.listing;
      if (!l) return;
      onDone(
        `“${listing.offer.name}” saved (version ${l.version}): ${formatPoints(l.priceInPoints)} points, ${l.stockTotal === null ? 'unlimited stock' : `${l.stockRemaining} of ${l.stockTotal} left`}, ${l.perCustomerLimit ? `at most ${l.perCustomerLimit} per member` : 'no limit per member'}.`,
      );
    });
  return (
    <dialog ref={dialog} aria-labelledby="edit-listing-title" onCancel={onCancel}>
      <h2 id="edit-listing-title">Edit listing “{listing.offer.name}”</h2>
      <form key={listing.version} ref={formRef} onSubmit={(e) => e.preventDefault()}>
        <fieldset disabled={held} style={{ border: 0, padding: 0, margin: 0 }}>
          <legend className="sr-only">Edit listing {listing.offer.name}</legend>
          <Field label="Price in points" name="editPrice" type="number" min={1} required defaultValue={listing.priceInPoints} hint="Purchases made before keep what they paid." />
          {stocked ? (
            <Field label="Stock in all (those sold included)" name="editStock" type="number" min={sold ?? 0} required defaultValue={listing.stockTotal ?? undefined} hint={`${sold} sold so far; ${listing.stockRemaining} left. The stock left moves by as much as this.`} />
          ) : (
            <p className="muted">Stock: unlimited, and stays so (to sell a limited number, list the offer again with a stock).</p>
          )}
          <Field label="Limit per member (empty: none)" name="editLimit" type="number" min={1} defaultValue={listing.perCustomerLimit ?? undefined} hint="Counts what each member bought of this listing already." />
          <Field label="Order in the store (lowest first)" name="editSort" type="number" defaultValue={listing.sortOrder} />
          <ReasonField name="editReason" />
        </fieldset>
      </form>
      <ConfirmActions {...{ problem, tryAgain, sending, held, safe }} confirmLabel="Save changes" sendingText="Saving…" onConfirm={() => confirm(formRef.current)} onCancel={() => onDone(null)} />
    </dialog>
  );
}

/**
 * The removal of a listing, asked first (newcomer-40: "Remove" took a listing off sale at one
 * click, with no question, no reason and no word after): what removing does, an optional reason for
 * the audit log, "Remove listing". Removing again is safe (a listing already removed is answered as
 * it is), so a lost answer offers "Try again". Cancel or Escape sends nothing; the focus starts on Cancel.
 */
function RemoveListing({ listing, storeName, onDone }: { listing: ListedListing; storeName: string; onDone: (notice: string | null) => void }) {
  const [removeListing] = useMutation(ConsoleRemoveListingDocument, { refetchQueries: [ConsoleStoresDocument] });
  const client = useApolloClient();
  const act = async (reason: string | null) => {
    const { data: result } = await removeListing({ variables: { input: { listingId: listing.id, reason } } });
    const payload = result?.removeListing;
    if (payload?.userErrors.length) return { userError: payload.userErrors[0] };
    if (!payload?.listing) return { notice: null };
    // off its store's table at once, on whichever page of listings it was (the refetch reads each
    // store's first page again, and the pages shown after it are kept: keptPagination)
    client.cache.evict({ id: client.cache.identify({ __typename: 'Listing', id: payload.listing.id }) });
    client.cache.gc();
    return { notice: `“${listing.offer.name}” removed from “${storeName}”: members can no longer buy it there. Offers already bought stay in their wallets.` };
  };
  return (
    <ConfirmWithReason
      title={`Remove “${listing.offer.name}” from “${storeName}”?`}
      confirmLabel="Remove listing"
      sendingText="Removing…"
      safeAgain="Try again: removing a listing again is safe (one already removed is left as it is)."
      act={act}
      onDone={onDone}
    >
      <p>
        Members can no longer buy it in this store; offers already bought stay in their wallets. It cannot be put back: to sell it again, list the offer again (its
        per-member counts then start at 0).
      </p>
    </ConfirmWithReason>
  );
}

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
  const stores = data?.rewardStores.edges.map((e) => e.node);
  // the store or listing whose edit dialog is open, and the notice of the last one saved
  const [editing, setEditing] = useState<{ store?: string; listing?: string; removing?: string } | null>(null);
  const [edited, setEdited] = useState<string | null>(null);
  const editingStore = stores?.find((s) => s.id === editing?.store);
  const listingEdited = stores?.flatMap((s) => s.listings.edges.map((e) => e.node)).find((l) => l.id === editing?.listing);
  const listingRemoved = stores
    ?.flatMap((s) => s.listings.edges.map((e) => ({ listing: e.node, storeName: s.name })))
    .find((l) => l.listing.id === editing?.removing);
  // Where the focus goes once an edit dialog closes (hostile39e: it was left on the page's body, so
  // the next Tab started again at the top): the saved notice, or the Edit button that opened it.
  const focusReturn = useFocusReturn(editing !== null);
  const noticeShown = focusReturn.notice;
  const openEdit = (what: { store?: string; listing?: string; removing?: string }, button: HTMLElement) => {
    focusReturn.opened(button);
    setEdited(null);
    setEditing(what);
  };
  const editDone = (notice: string | null) => {
    setEditing(null);
    if (notice) setEdited(notice);
    focusReturn.closed(notice !== null);
  };

  return (
    <>
      <PageTitle app={APP}>Stores</PageTitle>
      <ProblemAlert problem={error ? problemOf(error) : null} onRetry={retryOf(query)} />
      <ReadOnlyNote />
      <PagesProblem {...storePages} />
      <PagesProblem {...offerPages} />
      {edited ? (
        <p className="notice" role="status" tabIndex={-1} ref={noticeShown}>
          {edited}
        </p>
      ) : null}
      {editingStore ? <EditStore store={editingStore} onDone={editDone} /> : null}
      {listingEdited ? <EditListing listing={listingEdited} onDone={editDone} /> : null}
      {listingRemoved ? <RemoveListing listing={listingRemoved.listing} storeName={listingRemoved.storeName} onDone={editDone} /> : null}
      {!stores && !error ? <Loading what="stores" /> : null}
      {stores?.map((s) => (
        <section key={s.id} className="card" aria-labelledby={`store-${s.id}`} style={{ marginBottom: '1rem' }}>
          <h2 id={`store-${s.id}`}>
            {s.name} <span className="muted">({s.code})</span>
          </h2>
          <p className="muted">
            {s.currency.code} · {windowText(s, gatewayTimeKnown())} · who:{' '}
            {[
              s.eligibility.tiers.length ? `tiers ${s.eligibility.tiers.join(', ')}` : '',
              s.eligibility.segments.length ? `segments ${s.eligibility.segments.join(', ')}` : '',
              s.eligibility.minBalance ? `balance ≥ ${s.eligibility.minBalance}` : '',
              s.eligibility.minLifetimePoints ? `lifetime ≥ ${s.eligibility.minLifetimePoints}` : '',
            ]
              .filter(Boolean)
              .join('; ') || 'everyone'}{' '}
            <button
              type="button"
              className="secondary"
              disabled={role !== 'operator'}
              onClick={(event) => openEdit({ store: s.id }, event.currentTarget)}
            >
              Edit<span className="sr-only"> {s.name}</span>
            </button>
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
                    <button
                      type="button"
                      className="secondary"
                      disabled={role !== 'operator'}
                      onClick={(event) => openEdit({ listing: l.id }, event.currentTarget)}
                    >
                      Edit<span className="sr-only"> {l.offer.name}</span>
                    </button>{' '}
                    <button type="button" className="secondary" disabled={role !== 'operator'} onClick={(event) => openEdit({ removing: l.id }, event.currentTarget)}>
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
