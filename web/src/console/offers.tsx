import { useMutation, useQuery } from '@apollo/client/react';
import { useEffect, useState } from 'react';
import { answeredByReplay } from '../shared/api';
import { problemOf, ProblemAlert, retryOf } from '../shared/errors';
import { DataTable, Loading, PagesProblem, PageTitle, ShowOlder, useNextPagesWhile } from '../shared/ui';
import { ConsoleCreateOfferDocument, ConsoleOffersDocument, ConsoleUnpayableOffersDocument, ConsoleUpdateOfferDocument, type OfferBenefitKind } from './gql/graphql';
import { ActionForm, APP, Field, int, ReadOnlyNote, text } from './shell';

/** Offers at their current version; an edit makes a new version (offers already issued keep theirs). */
export function Offers() {
  const query = useQuery(ConsoleOffersDocument);
  const { data, error, fetchMore } = query;
  // Every offer, page after page: the table lists them all and the edit form chooses among them
  // (break32: the 51st offer could be neither seen nor edited).
  const offerPages = useNextPagesWhile(true, data?.offers.pageInfo, fetchMore);
  const [update] = useMutation(ConsoleUpdateOfferDocument, { refetchQueries: [ConsoleOffersDocument] });
  const [create] = useMutation(ConsoleCreateOfferDocument, { refetchQueries: [ConsoleOffersDocument] });
  const offers = data?.offers.edges.map((e) => e.node);
  const [editing, setEditing] = useState<string>('');
  const current = offers?.find((o) => o.offerId === editing) ?? offers?.[0];
  // The version the edit form was filled from, and whether the operator has typed in it since. The
  // offers are read again after every write on this page (and their later pages with them), so a
  // version another operator saved can arrive while this one types: the form keeps their typing
  // and its version (saving is then refused VERSION_CONFLICT) and says so, instead of refilling
  // itself from the new version and dropping what they typed without a word (break33's hostile pass).
  const [base, setBase] = useState<EditBase | null>(null);
  const [typed, setTyped] = useState(false);
  useEffect(() => {
    if (current && (!base || base.offerId !== current.offerId || (!typed && base.version !== current.version))) setBase(editBaseOf(current));
  }, [current, base, typed]);
  const movedOn = typed && base && current && base.offerId === current.offerId && current.version !== base.version ? current : null;

  return (
    <>
      <PageTitle app={APP}>Offers</PageTitle>
      <PagesProblem {...offerPages} />
      <ProblemAlert problem={error ? problemOf(error) : null} onRetry={retryOf(query)} />
      <ReadOnlyNote />
      {!offers && !error ? <Loading what="offers" /> : null}
      {offers ? (
        <DataTable
          label="Offers"
          rows={offers.length}
          empty="No offer yet: create one below."
          columns={[
            { label: 'Offer' },
            { label: 'Version', numeric: true },
            { label: 'Benefit' },
            { label: 'Valid' },
            { label: 'Channels' },
          ]}
        >
          <tbody>
            {offers.map((o) => (
              <tr key={o.offerId} data-testid="offer-row">
                <td>
                  <strong>{o.name}</strong>
                  {o.description ? <div className="muted">{o.description}</div> : null}
                </td>
                <td className="num">v{o.version}</td>
                <td>
                  {o.benefit.kind === 'PERCENT_OFF' ? `${o.benefit.percentOff}% off` : o.benefit.kind === 'AMOUNT_OFF' ? `${o.benefit.amountOff} off` : `free ${o.benefit.freeSku}`}
                  {o.benefit.maxDiscount ? ` (max ${o.benefit.maxDiscount})` : ''}
                </td>
                <td>{o.validDays ? `${o.validDays} days` : '—'}</td>
                <td>{o.channels.join(', ') || 'all'}</td>
              </tr>
            ))}
          </tbody>
        </DataTable>
      ) : null}
      <UnpayableOffers />
      <div className="grid" style={{ marginTop: '1rem' }}>
        <ActionForm
          title="Edit an offer"
          checkIn="the Offers table above after reloading the page (a saved edit shows as the offer's next version)"
          submitLabel="Save as a new version"
          onSubmit={async (form, idempotencyKey) => {
            // The form starts from the current texts, so an emptied one is meant to go: null clears it
            // (a blank text is refused by the gateway, and leaving it out would keep the old one).
            // It sends every text, so it names the version they were read from: when another
            // operator saved meanwhile the gateway refuses VERSION_CONFLICT instead of writing this
            // form's older texts back over theirs (break33); the refetch then fills the form anew.
            const { data: result, extensions } = await update({
              variables: {
                input: {
                  offerId: text(form, 'offerId') ?? '',
                  expectedVersion: int(form, 'expectedVersion'),
                  name: text(form, 'name'),
                  description: text(form, 'description') ?? null,
                  terms: text(form, 'terms') ?? null,
                  idempotencyKey,
                },
              },
            });
            const offer = result?.updateOffer.offer;
            // saved or refused, the form is filled again from the version now current (the refetch's)
            setTyped(false);
            return { userErrors: result?.updateOffer.userErrors, notice: offer ? `Saved “${offer.name}” as version ${offer.version}.` : undefined, replayed: answeredByReplay(extensions, 'updateOffer') };
          }}
        >
          <label htmlFor="f-offerId">Offer</label>
          <select
            id="f-offerId"
            name="offerId"
            value={current?.offerId ?? ''}
            onChange={(e) => {
              setEditing(e.target.value);
              setTyped(false);
            }}
          >
            {offers?.map((o) => (
              <option key={o.offerId} value={o.offerId}>
                {o.name} (v{o.version})
              </option>
            ))}
          </select>
          {movedOn ? (
            <div role="alert" className="alert" data-code="VERSION_CONFLICT">
              <p>
                Someone else saved version {movedOn.version} of this offer since this form was filled from version {base?.version}: saving this edit will be refused.
              </p>
              <p>
                <button type="button" onClick={() => setTyped(false)}>
                  Load version {movedOn.version} (drops what is typed here)
                </button>
              </p>
            </div>
          ) : null}
          <input key={`v-${base?.versionId}`} type="hidden" name="expectedVersion" defaultValue={base?.version} />
          <div onInput={() => setTyped(true)}>
            <Field key={`n-${base?.versionId}`} label="Name" name="name" defaultValue={base?.name} />
            <Field key={`d-${base?.versionId}`} label="Description" name="description" defaultValue={base?.description ?? ''} />
            <Field key={`t-${base?.versionId}`} label="Terms" name="terms" defaultValue={base?.terms ?? ''} />
          </div>
        </ActionForm>
        <ActionForm
          title="Create an offer"
          checkIn="the Offers table above after reloading the page (a created offer shows by its name)"
          submitLabel="Create offer"
          onSubmit={async (form, idempotencyKey) => {
            const kind = (text(form, 'kind') ?? 'AMOUNT_OFF') as OfferBenefitKind;
            const value = text(form, 'value') ?? '';
            // Number('abc') is NaN, which JSON sends as null: the gateway then answered "needs
            // percentOff", naming an API field the form does not show (newcomer-12).
            if (kind === 'PERCENT_OFF' && !/^\d+(\.\d+)?$/.test(value.trim())) {
              return { userErrors: [{ code: 'INVALID', message: `A percent off is a number such as 15, not "${value}".` }] };
            }
            const benefit = kind === 'PERCENT_OFF' ? { kind, percentOff: Number(value) } : kind === 'AMOUNT_OFF' ? { kind, amountOff: value } : { kind, freeSku: value };
            const { data: result, extensions } = await create({ variables: { input: { name: text(form, 'newName') ?? '', benefit, validDays: int(form, 'validDays'), idempotencyKey } } });
            return { userErrors: result?.createOffer.userErrors, notice: 'Offer created.', replayed: answeredByReplay(extensions, 'createOffer') };
          }}
        >
          <Field label="Name" name="newName" required />
          <label htmlFor="f-kind">Benefit</label>
          <select id="f-kind" name="kind">
            <option value="AMOUNT_OFF">Amount off</option>
            <option value="PERCENT_OFF">Percent off</option>
            <option value="FREE_ITEM">Free item</option>
          </select>
          <Field label="Amount, percent or free SKU" name="value" required />
          <Field label="Valid for days" name="validDays" type="number" min={1} />
        </ActionForm>
      </div>
    </>
  );
}

/** What the "Edit an offer" form was filled from: one version of one offer. */
interface EditBase {
  offerId: string;
  /** The version's own id (the fields are keyed by it, so a new base fills them anew). */
  versionId: string;
  version: number;
  name: string;
  description: string | null;
  terms: string | null;
}

const editBaseOf = (o: { offerId: string; id: string; version: number; name: string; description?: string | null; terms?: string | null }): EditBase => ({
  offerId: o.offerId,
  versionId: o.id,
  version: o.version,
  name: o.name,
  description: o.description ?? null,
  terms: o.terms ?? null,
});

/** What holds each offer no till can apply (unpayableOffers), as staff read the holder. */
const HOLDER_LABEL: Record<string, string> = { LISTING: 'Listing', GIFT_LIST: 'Gift list', CAMPAIGN: 'Campaign', ISSUED_OFFER: 'Wallet item' };

/**
 * Offers no till can apply in their money (`unpayableOffers`, offsale-12b): the listings, gift
 * lists and campaigns holding one (edit the offer to an amount of the money, or remove the listing)
 * and the wallet items (replace them: issueReplacementOffer with unusable). Shown on the Offers page
 * only when there is any, with the gateway's reason for each.
 */
export function UnpayableOffers() {
  const query = useQuery(ConsoleUnpayableOffersDocument, { fetchPolicy: 'network-only' });
  const { data, error, fetchMore } = query;
  const page = data?.unpayableOffers;
  // Nothing until the answer says there is any (or the read failed): a heading shown while loading
  // flashed "Offers no till can apply" on every visit to a program that has none (flaky-24).
  if (!error && (!page || page.edges.length === 0)) return null;
  return (
    <section aria-labelledby="unpayable-title" style={{ marginTop: '1rem' }}>
      <h2 id="unpayable-title">Offers no till can apply</h2>
      <ProblemAlert problem={error ? problemOf(error) : null} onRetry={retryOf(query)} />
      {page ? (
        <DataTable
          label="Offers no till can apply"
          rows={page.edges.length}
          empty="Every offer can be applied in its money."
          caption="Edit the offer to an amount of its money (or remove the listing); replace wallet items"
          columns={[{ label: 'Held by' }, { label: 'Offer' }, { label: 'Money' }, { label: 'Why' }]}
        >
          <tbody>
            {page.edges.map(({ node: u }) => (
              <tr key={`${u.holder}:${u.holderId}:${u.offer.id}`} data-testid="unpayable-row">
                <td>
                  {HOLDER_LABEL[u.holder] ?? u.holder} <code>{u.holderId}</code>
                </td>
                <td>
                  <strong>{u.offer.name}</strong> v{u.offer.version}
                </td>
                <td>{u.moneyCurrency ?? 'not recorded'}</td>
                <td>{u.message}</td>
              </tr>
            ))}
          </tbody>
        </DataTable>
      ) : null}
      <ShowOlder pageInfo={page?.pageInfo} fetchMore={fetchMore} />
    </section>
  );
}
