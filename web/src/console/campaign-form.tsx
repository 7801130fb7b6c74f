import { useMutation, useQuery } from '@apollo/client/react';
import { useCallback, useEffect, useRef, useState } from 'react';
import { minorDigits } from '../../../src/domain/minor-digits.js';
import { answeredByReplay } from '../shared/api';
import { formatMinimumMoney, formatMoney } from '../shared/money';
import { DAY_MS, FIRST_API_DAY, LAST_API_DAY } from '../shared/ui';
import { ConsoleCreateCampaignDocument, ConsoleCurrenciesDocument, ConsoleRulesDocument, type CampaignConditionsInput, type CampaignOutcomeInput } from './gql/graphql';
import { CurrencyChoice, entryText, splitEntries } from './rule-forms';
import { ActionForm, Field, int, text } from './shell';

/**
 * A campaign's end from the form's last day (`YYYY-MM-DD`, UTC): the start of the next UTC day, so
 * the day chosen is included (an end at that day's 00:00 left it out, and a one-day campaign was
 * refused "endsAt must be after startsAt": newcomer-19). The API's endsAt is exclusive.
 */
const dayAfter = (day: string) => new Date(Date.parse(day) + DAY_MS).toISOString();

/**
 * The campaign form's last "Last day": the API's DateTime runs from FIRST_API_DAY to LAST_API_DAY
 * (UTC), and the last day is sent as the next day's start, so it ends a day sooner (edges-21:
 * 9999-12-31 sent `+010000-01-01T00:00:00.000Z`). The browser refuses a day outside them before
 * anything is sent.
 */
const LAST_LAST_DAY = '9999-12-30';

const ISO_DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const ISO_DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** A campaign's conditions and money, as the Campaigns table and the form's notice read them. */
interface CampaignTerms {
  conditions: { minSpend?: string | null; skus: string[]; categories: string[]; channels: string[]; tiers: string[]; segments: string[]; firstPurchase: boolean; daysOfWeek: number[] };
  currency: { code: string; moneyCurrency: string };
}

/** Which sales a campaign applies to, in a few words ("Sat, Sun · spend ≥ €25.50 · tier GOLD"); "every sale" when it has no condition. */
export function appliesTo(c: CampaignTerms): string {
  const k = c.conditions;
  // each entry as the form takes it back ("Paris, FR" quoted), so a comma inside one does not read as two (hostile39d)
  const list = (label: string, items: string[]) => (items.length ? `${label} ${items.map(entryText).join(', ')}` : '');
  return (
    [
      // the till's own days (its occurredAt's offset), not UTC's like the Days column (newcomer-38)
      k.daysOfWeek.length ? `${k.daysOfWeek.map((d) => ISO_DAYS[d - 1]).join(', ')} (till's day)` : '',
      k.minSpend ? `spend ≥ ${formatMinimumMoney(k.minSpend, c.currency.moneyCurrency)}` : '',
      k.firstPurchase ? 'first sale only' : '',
      list(k.tiers.length > 1 ? 'tiers' : 'tier', k.tiers),
      list(k.segments.length > 1 ? 'segments' : 'segment', k.segments),
      list(k.channels.length > 1 ? 'channels' : 'channel', k.channels),
      list(k.categories.length > 1 ? 'categories' : 'category', k.categories),
      list(k.skus.length > 1 ? 'SKUs' : 'SKU', k.skus),
    ]
      .filter(Boolean)
      .join(' · ') || 'every sale'
  );
}

/** What a campaign awards, as the Campaigns table's Outcome column says it: "+50 BEANS", "×2", "offer Free large latte". */
export const outcomeText = (c: { bonusPoints?: number | null; multiplier?: number | null; offer?: { name: string } | null; currency: { code: string } }) =>
  [c.bonusPoints ? `+${c.bonusPoints} ${c.currency.code}` : '', c.multiplier ? `×${c.multiplier}` : '', c.offer ? `offer ${c.offer.name}` : ''].filter(Boolean).join(', ');

/** The outcomes the form offers, one at a time (the API takes any mix; the console makes one choice: campaign-form-39). */
type OutcomeKind = 'bonus' | 'multiplier' | 'offer';
const OUTCOMES: { kind: OutcomeKind; label: string }[] = [
  { kind: 'bonus', label: 'Bonus points' },
  { kind: 'multiplier', label: 'Multiplier' },
  { kind: 'offer', label: 'An offer' },
];

/** An amount the minimum spend field would take in `money`, with its decimals ("25.50" EUR, "2.500" KWD, "1000" JPY). */
const exampleAmount = (money: string) => {
  const digits = minorDigits(money);
  return digits === 0 ? '1000' : `25.${'5'.padEnd(digits, '0')}`;
};

/** The decimals of `money` in words: "2 decimals", "no decimals". */
const decimalsOf = (money: string) => {
  const digits = minorDigits(money);
  return digits === 0 ? 'no decimals' : `${digits} decimal${digits === 1 ? '' : 's'}`;
};

/** A comma-separated list field's entries (CSV quoting, as the economy rule's SKUs: `splitEntries`), or the refusal to show. */
type Entries = { entries: string[] } | { error: string };
const entriesOf = (form: FormData, name: string, what: string, example: string): Entries => {
  const entries = splitEntries(text(form, name) ?? '');
  return entries === null ? { error: `${what}: a quote is not closed: write one with a comma as "${example}".` } : { entries };
};

/**
 * "Create a campaign" (campaign-form-39): every part of the API's `createCampaign`: its window, one
 * outcome (bonus points, a multiplier of the sale's points, or an offer from the offers the page
 * reads), each condition (optional; a sale must meet every one set) and its limits. The hints say
 * the units the API judges in: the minimum spend in the money of the chosen currency with that
 * money's decimals, tier codes matched exactly, days of the week as the till's day. What the API
 * stored is read back into the notice, in the Campaigns table's words; its refusals show as every
 * ActionForm's do, and the form's idempotency key is ActionForm's.
 */
export function CreateCampaignForm({ waitingFor, offers }: { waitingFor?: string; offers: readonly { offerId: string; name: string }[] | undefined }) {
  const [createCampaign] = useMutation(ConsoleCreateCampaignDocument, { refetchQueries: [ConsoleRulesDocument] });
  // ActionForm resets the form after a create: the fields that follow a choice (the currency's
  // money and tiers, the chosen outcome's field) start again with it (a new `generation` remounts them)
  const [generation, setGeneration] = useState(0);
  const remount = useCallback(() => setGeneration((g) => g + 1), []);
  return (
    <ActionForm
      title="Create a campaign"
      waitingFor={waitingFor}
      checkIn="the Campaigns table above after reloading the page (a created campaign shows by its name)"
      submitLabel="Create campaign"
      onSubmit={async (form, idempotencyKey) => {
        const outcome = outcomeOf(form);
        const conditions = conditionsOf(form);
        if ('error' in conditions) return { userErrors: [{ code: 'INVALID', message: conditions.error }] };
        const { data: result, extensions } = await createCampaign({
          variables: {
            input: {
              name: text(form, 'campaignName') ?? '',
              currency: text(form, 'campaignCurrency') ?? '',
              startsAt: new Date(text(form, 'startsAt') ?? '').toISOString(),
              endsAt: dayAfter(text(form, 'endsAt') ?? ''),
              conditions: conditions.conditions,
              outcome,
              limits: { perCustomer: int(form, 'perCustomer'), budgetPoints: int(form, 'budgetPoints') },
              idempotencyKey,
            },
          },
        });
        const payload = result?.createCampaign;
        const created = payload?.campaign;
        return {
          userErrors: payload?.userErrors,
          notice: created ? `Campaign created. “${created.name}”: ${outcomeText(created)}; applies to ${appliesTo(created)}.` : 'Campaign created.',
          replayed: answeredByReplay(extensions, 'createCampaign'),
        };
      }}
    >
      <CampaignFields key={generation} offers={offers} onReset={remount} />
    </ActionForm>
  );
}

/** The outcome the form's choice names, with its one value. */
function outcomeOf(form: FormData): CampaignOutcomeInput {
  switch (text(form, 'outcome') as OutcomeKind | undefined) {
    case 'multiplier':
      return { multiplier: Number(text(form, 'multiplier')) };
    case 'offer':
      return { offerId: text(form, 'campaignOffer') ?? '' };
    default:
      return { bonusPoints: int(form, 'bonusPoints') };
  }
}

/** The conditions the form sets (the others left out: no condition), null for none, or what is wrong with a list. */
function conditionsOf(form: FormData): { conditions: CampaignConditionsInput | null } | { error: string } {
  const lists = {
    skus: entriesOf(form, 'skus', 'SKUs', 'GIFT,CARD'),
    categories: entriesOf(form, 'categories', 'Categories', 'BEER, WINE'),
    channels: entriesOf(form, 'channels', 'Channels', 'STORE, DRIVE'),
    tiers: entriesOf(form, 'tiers', 'Tiers', 'GOLD'),
    segments: entriesOf(form, 'segments', 'Segments', 'friends, family'),
  };
  const conditions: CampaignConditionsInput = {};
  for (const [name, read] of Object.entries(lists) as [keyof typeof lists, Entries][]) {
    if ('error' in read) return read;
    if (read.entries.length) conditions[name] = read.entries;
  }
  const minSpend = text(form, 'minSpend');
  if (minSpend !== undefined) conditions.minSpend = minSpend;
  if (form.get('firstPurchase') === 'on') conditions.firstPurchase = true;
  const days = form.getAll('daysOfWeek').map(Number);
  if (days.length) conditions.daysOfWeek = days;
  return { conditions: Object.keys(conditions).length ? conditions : null };
}

/**
 * The campaign form's fields below its name. `onReset`: called when the form is reset (after a
 * create), so the owner mounts them anew, with the first currency and bonus points chosen again.
 */
function CampaignFields({ offers, onReset }: { offers: readonly { offerId: string; name: string }[] | undefined; onReset: () => void }) {
  const { data } = useQuery(ConsoleCurrenciesDocument);
  const [chosen, setChosen] = useState('');
  const [outcome, setOutcome] = useState<OutcomeKind>('bonus');
  const own = useRef<HTMLFieldSetElement>(null);
  useEffect(() => {
    const form = own.current?.form;
    if (!form) return;
    form.addEventListener('reset', onReset);
    return () => form.removeEventListener('reset', onReset);
  }, [onReset]);
  const currency = chosen || data?.currencies[0]?.code || '';
  const money = data?.currencies.find((c) => c.code === currency)?.moneyCurrency ?? '';
  const tiers = data?.tiers.filter((t) => t.currency.code === currency).map((t) => t.code) ?? [];
  const example = money ? exampleAmount(money) : '';
  const finer = minorDigits(money) === 0 ? `${example}.5` : `${example}1`;
  return (
    <>
      <div className="grid">
        <Field label="Name" name="campaignName" required />
        <div>
          <CurrencyChoice name="campaignCurrency" value={currency} onChange={setChosen} />
        </div>
        <Field label="Starts (UTC)" name="startsAt" type="date" required min={FIRST_API_DAY} max={LAST_API_DAY} />
        <Field label="Last day (UTC)" name="endsAt" type="date" required min={FIRST_API_DAY} max={LAST_LAST_DAY} hint="It runs through this day: the same day as the start for one day." />
      </div>

      <fieldset ref={own} className="group">
        <legend>Outcome (choose one)</legend>
        <div className="row">
          {OUTCOMES.map((o) => (
            <label key={o.kind} className="check">
              <input type="radio" name="outcome" value={o.kind} checked={outcome === o.kind} onChange={() => setOutcome(o.kind)} /> {o.label}
            </label>
          ))}
        </div>
        {outcome === 'bonus' ? (
          <Field label="Bonus points per sale" name="bonusPoints" type="number" min={1} max="1000000000" required hint={`Points of ${currency || 'the currency'} added to each sale it applies to.`} />
        ) : null}
        {outcome === 'multiplier' ? (
          <Field
            label="Multiplier of the sale's points"
            name="multiplier"
            type="number"
            min="0.01"
            max="100"
            step="0.0001"
            required
            hint="Multiplies the points the economy rule gives the sale, the member's tier multiplier already in them: 2 doubles them (the campaign adds as many again), 1.5 adds half. From 0.01 to 100, at most 4 decimals; 1 or less adds nothing."
          />
        ) : null}
        {outcome === 'offer' ? (
          <div>
            <label htmlFor="f-campaignOffer">Offer to award</label>
            <select id="f-campaignOffer" name="campaignOffer" required aria-describedby="f-campaignOffer-hint">
              {offers === undefined ? <option value="">Loading the offers…</option> : offers.length ? null : <option value="">No offer yet: create one on the Offers page</option>}
              {offers?.map((o) => (
                <option key={o.offerId} value={o.offerId}>
                  {o.name}
                </option>
              ))}
            </select>
            <p id="f-campaignOffer-hint" className="muted">
              Issued to the member's wallet for each sale it applies to. An offer with an amount off must be in {money ? `${money}'s decimals` : "the currency's money"}.
            </p>
          </div>
        ) : null}
      </fieldset>

      <fieldset className="group">
        <legend>Conditions (each optional: a sale must meet every one set)</legend>
        <div className="grid">
          <Field
            label={`Minimum spend in ${money || "the currency's money"} (empty: any)`}
            name="minSpend"
            pattern={'\\d{1,12}(\\.\\d{1,4})?'}
            inputMode="decimal"
            hint={
              money
                ? `What the member paid after discounts, in ${money}, the money of ${currency}, which has ${decimalsOf(money)}: ${example} is ${formatMoney(example, money)}. Written with a point, no sign or symbol; a finer amount is rounded up (${finer} needs ${formatMinimumMoney(finer, money)}).`
                : undefined
            }
          />
          <Field label="Categories (comma-separated; any of them; empty: any)" name="categories" hint="A line in one of these categories. Case and spacing do not count; one with a comma in double quotes." />
          <Field label="SKUs (comma-separated; any of them; empty: any)" name="skus" hint="A line of one of these SKUs. Case and spacing do not count; one with a comma in double quotes." />
          <Field label="Channels (comma-separated; empty: any)" name="channels" hint="Sold on one of these channels, as the till sends them (STORE, APP, …)." />
          <Field
            label="Tiers (codes, comma-separated; empty: any)"
            name="tiers"
            hint={`The member's tier is exactly one of these codes: a higher tier is not included, so list each tier meant. ${tiers.length ? `${currency}'s tiers: ${tiers.join(', ')}.` : `${currency || 'This currency'} has no tier.`}`}
          />
          <Field label="Segments (comma-separated; empty: anyone)" name="segments" hint="The member carries one of these segments, spelled exactly as on the customer (case counts)." />
        </div>
        <label className="check">
          <input type="checkbox" name="firstPurchase" /> Only a member's first sale
        </label>
        <fieldset className="group" aria-describedby="f-daysOfWeek-hint">
          <legend>Days of the week (the till's day; none ticked: every day)</legend>
          <p id="f-daysOfWeek-hint" className="muted">
            The day where the till sold, by the time it sent: 08:00 on Wednesday in Tokyo is a Wednesday, though it is Tuesday in UTC. The campaign's first and last days above are UTC days.
          </p>
          <div className="row">
            {ISO_DAY_NAMES.map((day, i) => (
              <label key={day} className="check">
                <input type="checkbox" name="daysOfWeek" value={i + 1} /> {day}
              </label>
            ))}
          </div>
        </fieldset>
      </fieldset>

      <fieldset className="group">
        <legend>Limits (each optional)</legend>
        <div className="grid">
          <Field label="At most per member (empty: no limit)" name="perCustomer" type="number" min={1} max="1000000" hint="How many of one member's sales may earn from it." />
          <Field label="Budget in points (empty: none)" name="budgetPoints" type="number" min={1} max="2000000000" hint="The points it may award in all." />
        </div>
      </fieldset>
    </>
  );
}
