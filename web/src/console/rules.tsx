import { useMutation, useQuery } from '@apollo/client/react';
import { answeredByReplay } from '../shared/api';
import { problemOf, ProblemAlert, retryOf } from '../shared/errors';
import { DataTable, formatDate, formatDateTime, formatPoints, Loading, PageTitle } from '../shared/ui';
import {
  ConsoleCreateCampaignDocument,
  ConsoleCreateGiftListDocument,
  ConsoleCurrenciesDocument,
  ConsoleOffersDocument,
  ConsoleRulesDocument,
  ConsoleSetActivityRuleDocument,
  ConsoleSetEconomyRuleDocument,
  type ActivityKind,
  type Rounding,
} from './gql/graphql';
import { ActionForm, APP, Field, int, list, ReadOnlyNote, text } from './shell';

const DAY_MS = 86_400_000;
/**
 * A campaign's end from the form's last day (`YYYY-MM-DD`, UTC): the start of the next UTC day, so
 * the day chosen is included (an end at that day's 00:00 left it out, and a one-day campaign was
 * refused "endsAt must be after startsAt": newcomer-19). The API's endsAt is exclusive.
 */
const dayAfter = (day: string) => new Date(Date.parse(day) + DAY_MS).toISOString();
/** The last instant a campaign runs (its exclusive `endsAt` less 1 ms), whose UTC date the list shows as its last day. */
const lastDay = (endsAt: string) => new Date(Date.parse(endsAt) - 1).toISOString();
/**
 * The days the campaign form takes: the API's DateTime runs from 0001-01-01 to 9999-12-31 (UTC), and
 * the last day is sent as the next day's start, so it ends a day sooner (edges-21: 9999-12-31 sent
 * `+010000-01-01T00:00:00.000Z`). The browser refuses a day outside them before anything is sent.
 */
const FIRST_DAY = '0001-01-01';
const LAST_START = '9999-12-31';
const LAST_LAST_DAY = '9999-12-30';

const ACTIVITY_KINDS: ActivityKind[] = ['SIGN_UP', 'REFERRAL', 'REVIEW', 'SOCIAL_SHARE', 'EVENT_CHECK_IN', 'BIRTHDAY', 'SURVEY'];

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

/** Economy rules, campaigns, activity rules and gift lists. */
export function Rules() {
  const query = useQuery(ConsoleRulesDocument);
  const { data, error } = query;
  const currencies = useQuery(ConsoleCurrenciesDocument);
  const offers = useQuery(ConsoleOffersDocument);
  const refetch = { refetchQueries: [ConsoleRulesDocument] };
  const [setEconomy] = useMutation(ConsoleSetEconomyRuleDocument, refetch);
  const [createCampaign] = useMutation(ConsoleCreateCampaignDocument, refetch);
  const [setActivity] = useMutation(ConsoleSetActivityRuleDocument, refetch);
  const [createGiftList] = useMutation(ConsoleCreateGiftListDocument, refetch);

  return (
    <>
      <PageTitle app={APP}>Rules</PageTitle>
      <ProblemAlert problem={error ? problemOf(error) : null} onRetry={retryOf(query)} />
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
                {c.pointValue.includes('.') ? c.pointValue.replace(/\.?0+$/, '') : c.pointValue} {c.moneyCurrency}
              </td>
              <td>{c.expiryDays ? `${c.expiryDays} days` : 'never'}</td>
              <td>
                {currencies.data?.tiers
                  .filter((t) => t.currency.code === c.code)
                  .map((t) => `${t.name} from ${formatPoints(t.threshold)}${t.multiplier !== 1 ? ` ×${t.multiplier}` : ''}`)
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
              <td className="num">{Number(r.pointsPerUnit).toLocaleString('en-GB', { maximumFractionDigits: 4 })}</td>
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
          { label: 'Outcome' },
          { label: 'Limits' },
          { label: 'Awarded', numeric: true },
        ]}
      >
        <tbody>
          {data?.campaigns.map((c) => (
            <tr key={c.id}>
              <td>{c.name}</td>
              <td>
                {formatDate(c.startsAt)} – {formatDate(lastDay(c.endsAt))}
              </td>
              <td>{[c.bonusPoints ? `+${c.bonusPoints} ${c.currency.code}` : '', c.multiplier ? `×${c.multiplier}` : '', c.offer ? `offer ${c.offer.name}` : ''].filter(Boolean).join(', ')}</td>
              <td>{[c.perCustomer ? `${c.perCustomer} per member` : '', c.budgetPoints ? `budget ${formatPoints(c.budgetPoints)}` : ''].filter(Boolean).join(', ') || '—'}</td>
              <td className="num">
                {formatPoints(c.pointsAwarded)} {c.currency.code}
              </td>
            </tr>
          ))}
        </tbody>
      </DataTable>

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
        <ActionForm
          title="Set the economy rule"
          submitLabel="Set economy rule"
          safeAgain="Try again: it sets the currency's rule to these values, so setting it twice leaves the rule as setting it once."
          onSubmit={async (form) => {
            const { data: result } = await setEconomy({
              variables: {
                input: {
                  currency: text(form, 'ecoCurrency') ?? '',
                  pointsPerUnit: text(form, 'pointsPerUnit') ?? '',
                  rounding: (text(form, 'rounding') ?? 'FLOOR') as Rounding,
                  pendingDays: int(form, 'pendingDays') ?? 0,
                  excludedSkus: list(form, 'excludedSkus'),
                },
              },
            });
            const rule = result?.setEconomyRule.rule;
            return { userErrors: result?.setEconomyRule.userErrors, notice: rule ? `${rule.currency.code}: ${rule.pointsPerUnit} points per unit, ${rule.rounding}, pending ${rule.pendingDays} days.` : undefined };
          }}
        >
          <p className="muted">Replaces the currency's rule as a whole.</p>
          <CurrencySelect name="ecoCurrency" />
          <Field label="Points per unit of money" name="pointsPerUnit" required />
          <label htmlFor="f-rounding">Rounding</label>
          <select id="f-rounding" name="rounding">
            <option>FLOOR</option>
            <option>ROUND</option>
            <option>CEIL</option>
          </select>
          <Field label="Pending days" name="pendingDays" type="number" min={0} />
          <Field label="Excluded SKUs (comma-separated)" name="excludedSkus" />
        </ActionForm>
        <ActionForm
          title="Create a campaign"
          submitLabel="Create campaign"
          onSubmit={async (form, idempotencyKey) => {
            const { data: result, extensions } = await createCampaign({
              variables: {
                input: {
                  name: text(form, 'campaignName') ?? '',
                  currency: text(form, 'campaignCurrency') ?? '',
                  startsAt: new Date(text(form, 'startsAt') ?? '').toISOString(),
                  endsAt: dayAfter(text(form, 'endsAt') ?? ''),
                  outcome: { bonusPoints: int(form, 'bonusPoints') },
                  limits: { perCustomer: int(form, 'perCustomer') },
                  idempotencyKey,
                },
              },
            });
            return { userErrors: result?.createCampaign.userErrors, notice: 'Campaign created.', replayed: answeredByReplay(extensions, 'createCampaign') };
          }}
        >
          <Field label="Name" name="campaignName" required />
          <CurrencySelect name="campaignCurrency" />
          <Field label="Starts (UTC)" name="startsAt" type="date" required min={FIRST_DAY} max={LAST_START} />
          <Field label="Last day (UTC)" name="endsAt" type="date" required min={FIRST_DAY} max={LAST_LAST_DAY} hint="It runs through this day: the same day as the start for one day." />
          <Field label="Bonus points per sale" name="bonusPoints" type="number" min={1} required />
          <Field label="At most per member" name="perCustomer" type="number" min={1} />
        </ActionForm>
        <ActionForm
          title="Set an activity rule"
          submitLabel="Set activity rule"
          safeAgain="Try again: it sets the activity's rule to these values, so setting it twice leaves the rule as setting it once."
          onSubmit={async (form) => {
            const { data: result } = await setActivity({
              variables: {
                input: {
                  currency: text(form, 'activityCurrency') ?? '',
                  kind: (text(form, 'activityKind') ?? 'REVIEW') as ActivityKind,
                  points: int(form, 'activityPoints') ?? 0,
                  capPerPeriod: int(form, 'capPerPeriod'),
                  periodDays: int(form, 'periodDays'),
                  active: form.get('activityActive') === 'on',
                },
              },
            });
            return { userErrors: result?.setActivityRule.userErrors, notice: 'Activity rule set.' };
          }}
        >
          <CurrencySelect name="activityCurrency" />
          <label htmlFor="f-activityKind">Activity</label>
          <select id="f-activityKind" name="activityKind">
            {ACTIVITY_KINDS.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
          <Field label="Points" name="activityPoints" type="number" min={0} required />
          <Field label="Cap per period" name="capPerPeriod" type="number" min={1} />
          <Field label="Period in days (empty: for life)" name="periodDays" type="number" min={1} />
          <label className="check">
            <input type="checkbox" name="activityActive" defaultChecked /> Active
          </label>
        </ActionForm>
        <ActionForm
          title="Create a gift list"
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
            {offers.data?.offers.edges.map(({ node: o }) => (
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
