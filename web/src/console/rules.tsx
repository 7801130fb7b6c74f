import { useMutation, useQuery } from '@apollo/client/react';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { answeredByReplay } from '../shared/api';
import { problemOf, problemOfUserError, ProblemAlert, retryOf, useGuardedSend } from '../shared/errors';
import { DataTable, formatDate, formatDateTime, formatInstant, formatPoints, Loading, PagesProblem, PageTitle, useConfirmDialog, useFocusReturn, useNextPagesWhile } from '../shared/ui';
import { formatDecimal } from '../shared/money';
import {
  ConsoleCreateGiftListDocument,
  ConsoleCreateTierDocument,
  ConsoleCurrenciesDocument,
  ConsoleEndCampaignDocument,
  ConsoleOffersDocument,
  ConsoleRulesDocument,
  type CreateTierInput,
  type ConsoleCreateTierMutation,
} from './gql/graphql';
import { appliesTo, CreateCampaignForm, outcomeText } from './campaign-form';
import { SetActivityRuleForm, SetEconomyRuleForm, type RulesRead } from './rule-forms';
import { ActionForm, APP, ConfirmActions, Field, int, ReadOnlyNote, text, useRole } from './shell';

/** The last instant a campaign runs (its exclusive `endsAt` less 1 ms), whose UTC date the list shows as its last day. */
const lastDay = (endsAt: string) => new Date(Date.parse(endsAt) - 1).toISOString();

function CurrencySelect({ name }: { name: string }) {
  const { data } = useQuery(ConsoleCurrenciesDocument);
  return (
    <>
      <label htmlFor={`f-${name}`}>Currency</label>
      <select id={`f-${name}`} name={name}>
        {data?.currencies.map((c) => (
          <option key={c.code}>{c.code}</option>
        ))}
      </select>
    </>
  );
}

/** A tier the operator means to add, as its form gave it, and what its dry run said adding it moves. */
interface TierPreview {
  input: CreateTierInput;
  customersMoved: number;
  moves: NonNullable<ConsoleCreateTierMutation['createTier']['moves']>;
  accessLost: NonNullable<ConsoleCreateTierMutation['createTier']['accessLost']>;
}

/**
 * The stores and campaigns moved customers would no longer reach, as a sentence ("" for none): tier
 * lists match exactly, so members moved to a tier a GOLD-only store does not list are out of it
 * (newcomer-37).
 */
export const accessLostText = (lost: TierPreview['accessLost'], done = false) =>
  lost.length === 0
    ? ''
    : `Tier lists match exactly: ${lost
        .map((l) => `${l.kind === 'STORE' ? 'store' : 'campaign'} “${l.name}” (${l.tiers.join(', ')}) ${done ? 'lost' : 'would lose'} ${l.customers.toLocaleString('en-GB')} ${l.customers === 1 ? 'customer' : 'customers'}`)
        .join('; ')}. ${ACCESS_REMEDY}`;

/**
 * What to do about it: a store's tier list is edited on the Stores page (store-edit-39); a
 * campaign's conditions cannot be edited, so a campaign listing the new tier too is made beside it
 * and the old one may be ended (the thirty-eighth newcomer read "List the new tier there too" and
 * found no way to).
 */
const ACCESS_REMEDY = "To keep them: edit the store's tiers on the Stores page to list the new tier too; a campaign's tiers cannot be edited, so create one listing it too (the old one can be ended).";

/** "12 customers from GOLD to PLATINUM"; a null tier is "no tier". */
const moveText = (move: TierPreview['moves'][number]) =>
  `${move.customers.toLocaleString('en-GB')} ${move.customers === 1 ? 'customer' : 'customers'} from ${move.from ?? 'no tier'} to ${move.to ?? 'no tier'}`;

/** What adding a tier moves, as a clause: "no customer", or "12 customers: 10 from GREEN to GOLD; 2 from …". */
const movedText = (customersMoved: number, moves: TierPreview['moves']) =>
  customersMoved === 0 ? 'no customer' : `${customersMoved.toLocaleString('en-GB')} ${customersMoved === 1 ? 'customer' : 'customers'}: ${moves.map(moveText).join('; ')}`;

/**
 * The notice of a created tier (`tier`: the API's answer, `code` as sent): what it moved, or, when
 * the answer was a repeat's (`replayed`: an earlier submit made it and its answer was lost), that
 * nothing more was changed and what that first request moved.
 */
const createdNotice = (code: string, tier: { name: string; code: string }, customersMoved: number, moves: TierPreview['moves'], replayed: boolean) =>
  replayed
    ? `Tier ${code} was already created by an earlier submit whose answer was lost: nothing more was changed. It moved ${movedText(customersMoved, moves)}.`
    : `Created tier “${tier.name}” (${tier.code}): it moved ${movedText(customersMoved, moves)}.`;

/**
 * Adding a tier (apps-25): every customer is placed on the ladder again, whatever the tier's
 * currency (money-24: a tier that took the whole demo off GOLD), so the operator first sees what it
 * moves: "Preview" sends `createTier` with `dryRun` (nothing written: safe to send again), and the
 * confirmation dialog says how many customers would move between which tiers; "Create tier" there
 * sends the same input for real. No idempotency key: the tier's code is the request's key (the same
 * tier sent again answers the first, replay-marked, and a lost answer's "Try again" is safe).
 * What the real request moved is said after it, since the ladder may change between the two.
 * `waitingFor` (as ActionForm's): the form stays disabled, "Loading …" shown, until the currencies
 * it offers have come (a Preview sent before them went with no currency and was refused: the
 * flake of apps-25's tier test, the kind edges-21 mended in the other forms).
 */
function CreateTier({ waitingFor }: { waitingFor?: string }) {
  const { role } = useRole();
  const [createTier] = useMutation(ConsoleCreateTierDocument);
  const { held, problem, setProblem, send, tryAgain } = useGuardedSend({ safeAgain: 'Try again: a preview writes nothing.' });
  const [previewing, setPreviewing] = useState<TierPreview | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const form = useRef<HTMLFormElement>(null);
  // The dialog's closing leaves the focus on the page's body; it goes back to Preview once the
  // form is enabled again (as the webhooks' Remove confirmation gives it back to its opener).
  const previewButton = useRef<HTMLButtonElement>(null);
  const [refocus, setRefocus] = useState(false);
  useEffect(() => {
    if (!refocus || previewing) return;
    setRefocus(false);
    previewButton.current?.focus();
  }, [refocus, previewing]);
  const preview = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const input: CreateTierInput = {
      currency: text(data, 'tierCurrency') ?? '',
      code: text(data, 'tierCode') ?? '',
      name: text(data, 'tierName') ?? '',
      rank: int(data, 'tierRank') ?? 0,
      threshold: int(data, 'tierThreshold') ?? 0,
      windowDays: int(data, 'tierWindowDays') ?? null,
      multiplier: Number(text(data, 'tierMultiplier') ?? '1'),
    };
    setNotice(null);
    const { code } = input;
    void send(async () => {
      const { data: result } = await createTier({ variables: { input: { ...input, dryRun: true } } });
      const payload = result?.createTier;
      if (payload?.userErrors.length) return setProblem(problemOfUserError(payload.userErrors[0]));
      // The request was already made (an earlier Create whose answer was lost): the gateway answers
      // the preview as its repeat, with the tier and what that request moved; there is nothing left
      // to create or confirm (break3-25: the dialog said "Adding it moves …" of a tier already added).
      if (payload && !payload.dryRun && payload.tier) {
        form.current?.reset();
        const lost = accessLostText(payload.accessLost ?? [], true);
        return setNotice(`${createdNotice(code, payload.tier, payload.customersMoved ?? 0, payload.moves ?? [], true)}${lost ? ` ${lost}` : ''}`);
      }
      if (payload) setPreviewing({ input, customersMoved: payload.customersMoved ?? 0, moves: payload.moves ?? [], accessLost: payload.accessLost ?? [] });
    });
  };
  return (
    <section className="card" aria-labelledby="create-tier">
      <h2 id="create-tier">Add a tier</h2>
      {waitingFor ? <Loading what={waitingFor} /> : null}
      <form ref={form} onSubmit={preview}>
        <fieldset disabled={role !== 'operator' || held || previewing !== null || waitingFor !== undefined} style={{ border: 0, padding: 0, margin: 0 }}>
          <legend className="sr-only">Add a tier</legend>
          <p className="muted">Every customer is placed on the ladder again when a tier is added: preview who moves before you create it.</p>
          <CurrencySelect name="tierCurrency" />
          <Field label="Code (capital letters, digits or _)" name="tierCode" required />
          <Field label="Name" name="tierName" required />
          <Field label="Rank (higher is better)" name="tierRank" type="number" min={0} max="1000" required />
          <Field label="Qualifying points" name="tierThreshold" type="number" min={0} required />
          <Field label="Window in days (empty: lifetime)" name="tierWindowDays" type="number" min={1} max="3650" />
          <Field label="Earn multiplier" name="tierMultiplier" type="number" min="0.01" max="100" step="any" defaultValue="1" />
          <p>
            <button type="submit" ref={previewButton}>
              Preview
            </button>
          </p>
        </fieldset>
      </form>
      <ProblemAlert problem={problem} onRetry={tryAgain} />
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      {previewing ? (
        <ConfirmCreateTier
          preview={previewing}
          onDone={(created) => {
            setPreviewing(null);
            setRefocus(true);
            if (created === null) return;
            setNotice(created);
            form.current?.reset();
          }}
        />
      ) : null}
    </section>
  );
}

/**
 * The confirmation of a previewed tier: what its dry run said adding it moves; "Create tier" sends
 * it (a lost answer offers "Try again": the code is the key), Cancel or Escape sends nothing
 * (neither closes it while the tier is sent: edges-28).
 * `onDone` gets the notice to show once created, null when cancelled.
 */
function ConfirmCreateTier({ preview, onDone }: { preview: TierPreview; onDone: (created: string | null) => void }) {
  const [createTier] = useMutation(ConsoleCreateTierDocument, { refetchQueries: [ConsoleCurrenciesDocument] });
  const { held, sending, problem, setProblem, send, tryAgain } = useGuardedSend({
    safeAgain: "Try again: a tier's code is its key, so the same tier sent again is answered by the first and is not created twice.",
  });
  // The focus starts on Cancel: an Enter pressed again after the one that opened it creates nothing (break2-24).
  // While the tier is sent, neither Escape nor Cancel closes it: its answer shows (edges-28).
  const { dialog, safe, onCancel } = useConfirmDialog({ busy: sending, onDismiss: () => onDone(null) });
  const { code, name } = preview.input;
  const confirm = () =>
    send(async () => {
      const { data, extensions } = await createTier({ variables: { input: preview.input } });
      const payload = data?.createTier;
      if (payload?.userErrors.length) return setProblem(problemOfUserError(payload.userErrors[0]));
      if (!payload?.tier) return;
      const lost = accessLostText(payload.accessLost ?? [], true);
      onDone(`${createdNotice(code, payload.tier, payload.customersMoved ?? 0, payload.moves ?? [], answeredByReplay(extensions, 'createTier'))}${lost ? ` ${lost}` : ''}`);
    });
  return (
    <dialog ref={dialog} aria-labelledby="create-tier-title" onCancel={onCancel}>
      <h2 id="create-tier-title">
        Create tier “{name}” ({code})?
      </h2>
      <p data-testid="tier-preview">Adding it moves {movedText(preview.customersMoved, preview.moves)}.</p>
      {preview.accessLost.length ? (
        <p className="warning" data-testid="tier-access-lost">
          {accessLostText(preview.accessLost)}
        </p>
      ) : null}
      <p className="muted">That is the ladder as it is now: if it changes before you confirm, the answer says what was moved.</p>
      <ConfirmActions {...{ problem, tryAgain, sending, held, safe }} confirmLabel="Create tier" sendingText="Creating…" onConfirm={confirm} onCancel={() => onDone(null)} />
    </dialog>
  );
}

/** A campaign as the Campaigns table lists it, for its end's confirmation. */
type ListedCampaign = { id: string; name: string; startsAt: string; endsAt: string };

/** Whether a campaign's window holds no instant: ended before it started (endCampaign). */
const neverRan = (c: ListedCampaign) => Date.parse(c.endsAt) <= Date.parse(c.startsAt);

/**
 * The confirmation of ending a campaign now (newcomer-37: a mistaken campaign ran to its last day):
 * what ending does, an optional reason for the audit log, "End campaign" (ending again is safe, so a
 * lost answer offers "Try again"), Cancel or Escape sends nothing. The focus starts on Cancel.
 * `onDone` gets the notice to show once ended, null when cancelled.
 */
function ConfirmEndCampaign({ campaign, onDone }: { campaign: ListedCampaign; onDone: (notice: string | null) => void }) {
  const [endCampaign] = useMutation(ConsoleEndCampaignDocument, { refetchQueries: [ConsoleRulesDocument] });
  const { held, sending, problem, setProblem, send, tryAgain } = useGuardedSend({ safeAgain: 'Try again: ending a campaign again is safe (an ended campaign is answered as it is).' });
  const { dialog, safe, onCancel } = useConfirmDialog({ busy: sending, onDismiss: () => onDone(null) });
  const [reason, setReason] = useState('');
  const upcoming = Date.parse(campaign.startsAt) > Date.now();
  const confirm = () =>
    send(async () => {
      const { data } = await endCampaign({ variables: { input: { campaignId: campaign.id, reason: reason.trim() || null } } });
      const payload = data?.endCampaign;
      if (payload?.userErrors.length) return setProblem(problemOfUserError(payload.userErrors[0]));
      if (!payload?.campaign) return;
      const ended = payload.campaign;
      onDone(
        neverRan(ended)
          ? `Campaign “${ended.name}” will not run: it was ended before its start.`
          : `Campaign “${ended.name}” ended at ${formatInstant(ended.endsAt)}: sales made from then on earn nothing from it.`,
      );
    });
  return (
    <dialog ref={dialog} aria-labelledby="end-campaign-title" onCancel={onCancel}>
      <h2 id="end-campaign-title">End campaign “{campaign.name}” now?</h2>
      <p data-testid="end-campaign-effect">
        {upcoming
          ? 'It has not started: it will never run.'
          : 'Sales made from now on earn nothing from it. Sales made before now still do, also those a till sends later, and the points it awarded stay.'}{' '}
        This cannot be undone.
      </p>
      <label>
        Reason (kept in the audit log, optional)
        <input type="text" maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
      </label>
      <ConfirmActions {...{ problem, tryAgain, sending, held, safe }} confirmLabel="End campaign" sendingText="Ending…" onConfirm={confirm} onCancel={() => onDone(null)} />
    </dialog>
  );
}

/** Economy rules, campaigns, activity rules, gift lists, and tiers. */
export function Rules() {
  const query = useQuery(ConsoleRulesDocument);
  const { data, error } = query;
  const currencies = useQuery(ConsoleCurrenciesDocument);
  // The forms' currency lists (CurrencySelect) are empty until this answer: the forms wait for it.
  const currenciesPending = currencies.data || !currencies.loading ? undefined : 'the currencies';
  const offers = useQuery(ConsoleOffersDocument);
  // Every offer, page after page, for the gift list's and the campaign's pickers (as the Offers
  // page reads them, break32): the first page alone left the 51st offer out of both.
  const offerPages = useNextPagesWhile(true, offers.data?.offers.pageInfo, offers.fetchMore);
  const offerList = offers.data?.offers.edges.map((e) => e.node);
  const refetch = { refetchQueries: [ConsoleRulesDocument] };
  const [createGiftList] = useMutation(ConsoleCreateGiftListDocument, refetch);
  // The rule forms start from the rules as read, so they wait for them too (break33, rules).
  const rulesRead: RulesRead = { data, refetch: () => query.refetch(), waitingFor: currenciesPending ?? (data ? undefined : 'the rules') };
  const { role } = useRole();
  const [ending, setEnding] = useState<ListedCampaign | null>(null);
  const [endedNotice, setEndedNotice] = useState<string | null>(null);
  // the focus once the End dialog closes: back to its End now button, or on the notice when ended (noticed-40)
  const endFocus = useFocusReturn(ending !== null);

  return (
    <>
      <PageTitle app={APP}>Rules</PageTitle>
      <ProblemAlert problem={error ? problemOf(error) : null} onRetry={retryOf(query)} />
      <PagesProblem {...offerPages} />
      <ReadOnlyNote />
      {!data && !error ? <Loading what="rules" /> : null}

      <h2>Currencies and tiers</h2>
      <DataTable
        label="Currencies and tiers"
        rows={currencies.data?.currencies.length}
        empty="No currency yet: an operator creates one with the API's createCurrency."
        columns={[{ label: 'Currency' }, { label: 'Point value' }, { label: 'Expiry' }, { label: 'Tiers' }]}>
        <tbody>
          {currencies.data?.currencies.map((c) => (
            <tr key={c.code}>
              <td>
                {c.name} ({c.code})
              </td>
              <td>
                {/* The API answers the column's scale ("0.010000"); staff set "0.01" (newcomer-24). */}
                {formatDecimal(c.pointValue)} {c.moneyCurrency}
              </td>
              <td>{c.expiryDays ? `${c.expiryDays} days` : 'never'}</td>
              <td>
                {currencies.data?.tiers
                  .filter((t) => t.currency.code === c.code)
                  // lowest rank first; the code is what store and campaign tier lists name, and the window what the threshold counts (newcomer-38)
                  .map((t) => `${t.name} (${t.code}) from ${formatPoints(t.threshold)} ${t.windowDays ? `in ${t.windowDays} days` : 'lifetime'}${t.multiplier !== 1 ? ` ×${t.multiplier}` : ''}`)
                  .join(' · ')}
              </td>
            </tr>
          ))}
        </tbody>
      </DataTable>

      <h2>Economy rules</h2>
      <DataTable
        label="Economy rules"
        rows={data?.economyRules.length}
        empty="No economy rule: sales earn no points until one is set below."
        columns={[{ label: 'Currency' }, { label: 'Points per unit', numeric: true }, { label: 'Rounding' }, { label: 'Pending' }, { label: 'Category multipliers' }, { label: 'Excluded SKUs' }]}
      >
        <tbody>
          {data?.economyRules.map((r) => (
            <tr key={r.id}>
              <td>{r.currency.code}</td>
              <td className="num">{formatDecimal(r.pointsPerUnit)}</td>
              <td>{r.rounding}</td>
              <td>{r.pendingDays ? `${r.pendingDays} days` : 'none'}</td>
              <td>{r.categoryMultipliers.map((m) => `${m.category} ×${m.multiplier}`).join(', ') || 'none'}</td>
              <td>{r.excludedSkus.join(', ') || 'none'}</td>
            </tr>
          ))}
        </tbody>
      </DataTable>

      <h2>Campaigns</h2>
      <DataTable
        label="Campaigns"
        rows={data?.campaigns.length}
        empty="No campaign: create one below."
        columns={[
          { label: 'Campaign' },
          // UTC days, as the form sets them ("Starts (UTC)", "Last day (UTC)"): the dates said no zone (newcomer-22).
          { label: 'Days (UTC)' },
          { label: 'Applies to' },
          { label: 'Outcome' },
          { label: 'Limits' },
          { label: 'Awarded', numeric: true },
          { label: 'State' },
        ]}
      >
        <tbody>
          {data?.campaigns.map((c) => (
            <tr key={c.id}>
              <td>{c.name}</td>
              <td>{neverRan(c) ? `${formatDate(c.startsAt)}: never ran` : `${formatDate(c.startsAt)} – ${formatDate(lastDay(c.endsAt))}`}</td>
              <td>{appliesTo(c)}</td>
              <td>{outcomeText(c)}</td>
              <td>{[c.perCustomer ? `${c.perCustomer} per member` : '', c.budgetPoints ? `budget ${formatPoints(c.budgetPoints)}` : ''].filter(Boolean).join(', ') || '—'}</td>
              <td className="num">
                {formatPoints(c.pointsAwarded)} {c.currency.code}
              </td>
              <td>
                {neverRan(c) ? (
                  'cancelled'
                ) : c.endedAt || Date.parse(c.endsAt) <= Date.now() ? (
                  `${c.endedAt ? 'ended early' : 'ended'} ${formatInstant(c.endsAt)}`
                ) : (
                  <button type="button" className="secondary" disabled={role !== 'operator'} onClick={(event) => (endFocus.opened(event.currentTarget), setEndedNotice(null), setEnding(c))}>
                    End now<span className="sr-only"> {c.name}</span>
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </DataTable>
      {endedNotice ? (
        <p className="notice" role="status" tabIndex={-1} ref={endFocus.notice}>
          {endedNotice}
        </p>
      ) : null}
      {ending ? (
        <ConfirmEndCampaign
          campaign={ending}
          onDone={(notice) => {
            setEnding(null);
            setEndedNotice(notice);
            endFocus.closed(notice !== null);
          }}
        />
      ) : null}

      {/* beside the table it adds to, the width of the page: the campaign's conditions are many */}
      <CreateCampaignForm waitingFor={currenciesPending} offers={offerList} />

      <h2>Activity rules</h2>
      <DataTable
        label="Activity rules"
        rows={data?.activityRules.length}
        empty="No activity rule: reported activities earn nothing until one is set below."
        columns={[
          { label: 'Activity' },
          { label: 'Points', numeric: true },
          { label: 'Cap' },
          { label: 'Active' },
          { label: 'Updated' },
        ]}
      >
        <tbody>
          {data?.activityRules.map((r) => (
            <tr key={r.id}>
              <td>{r.kind}</td>
              <td className="num">
                {formatPoints(r.points)} {r.currency.code}
              </td>
              <td>{r.capPerPeriod ? `${r.capPerPeriod} ${r.periodDays ? `per ${r.periodDays} days` : 'for life'}` : 'none'}</td>
              <td>{r.active ? 'yes' : 'no'}</td>
              <td>{formatDateTime(r.updatedAt)}</td>
            </tr>
          ))}
        </tbody>
      </DataTable>

      <h2>Gift lists</h2>
      <DataTable
        label="Gift lists"
        rows={data?.giftLists.length}
        empty="No gift list: create one below."
        columns={[{ label: 'List' }, { label: 'Threshold', numeric: true }, { label: 'Claims' }, { label: 'Options' }]}>
        <tbody>
          {data?.giftLists.map((g) => (
            <tr key={g.id}>
              <td>{g.name}</td>
              <td className="num">
                {formatPoints(g.threshold)} {g.currency.code}
              </td>
              <td>{g.maxClaims ?? 'unlimited'}</td>
              <td>{g.options.map((o) => o.name).join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </DataTable>

      <div className="grid" style={{ marginTop: '1rem' }}>
        <CreateTier waitingFor={currenciesPending} />
        <SetEconomyRuleForm rules={rulesRead} />
        <SetActivityRuleForm rules={rulesRead} />
        <ActionForm
          title="Create a gift list"
          waitingFor={currenciesPending}
          checkIn="the Gift lists table above after reloading the page (a created list shows by its name)"
          submitLabel="Create gift list"
          onSubmit={async (form, idempotencyKey) => {
            const offerIds = form.getAll('giftOffers').map(String);
            const { data: result, extensions } = await createGiftList({
              variables: { input: { currency: text(form, 'giftCurrency') ?? '', name: text(form, 'giftName') ?? '', threshold: int(form, 'threshold') ?? 0, offerIds, maxClaims: int(form, 'maxClaims'), idempotencyKey } },
            });
            return { userErrors: result?.createGiftList.userErrors, notice: 'Gift list created.', replayed: answeredByReplay(extensions, 'createGiftList') };
          }}
        >
          <CurrencySelect name="giftCurrency" />
          <Field label="Name" name="giftName" required />
          <Field label="Threshold (points per claim)" name="threshold" type="number" min={1} required />
          <Field label="Claims per member (empty: unlimited)" name="maxClaims" type="number" min={1} />
          <label htmlFor="f-giftOffers">Offers to pick from</label>
          <select id="f-giftOffers" name="giftOffers" multiple size={4}>
            {offerList?.map((o) => (
              <option key={o.offerId} value={o.offerId}>
                {o.name}
              </option>
            ))}
          </select>
        </ActionForm>
      </div>
    </>
  );
}
