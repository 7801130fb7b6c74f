import { useMutation, useQuery } from '@apollo/client/react';
import { useState, type ChangeEvent } from 'react';
import {
  ConsoleCurrenciesDocument,
  ConsoleRulesDocument,
  ConsoleSetActivityRuleDocument,
  ConsoleSetEconomyRuleDocument,
  type ActivityKind,
  type ConsoleRulesQuery,
  type Rounding,
} from './gql/graphql';
import { ActionForm, Field, int, text } from './shell';
import { sameSet } from '../../../src/domain/lists.js';

type EconomyRule = ConsoleRulesQuery['economyRules'][number];
type ActivityRule = ConsoleRulesQuery['activityRules'][number];

export const ACTIVITY_KINDS: ActivityKind[] = ['SIGN_UP', 'REFERRAL', 'REVIEW', 'SOCIAL_SHARE', 'EVENT_CHECK_IN', 'BIRTHDAY', 'SURVEY'];

/** The API's bounds of a category multiplier (CategoryMultiplierInput). */
const MULTIPLIER_MAX = 100;

/**
 * The entries of a comma-separated text, an entry in double quotes when it holds a comma, a quote
 * (doubled) or, for a category, an equals sign, as a CSV field is (RFC 4180): a SKU or category
 * may hold any of them (break33's second hostile pass: "GIFT,CARD" shown as `GIFT,CARD` came back
 * as two SKUs, and the gift card earned points again). Spaces around an entry go; empty entries
 * are left out. `null` when a quote is not closed.
 */
export function splitEntries(value: string): string[] | null {
  const entries: string[] = [];
  let entry = '';
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === '"' && value[i + 1] === '"') (entry += '"'), i++;
      else if (c === '"') quoted = false;
      else entry += c;
    } else if (c === '"' && entry.trim() === '') (quoted = true), (wasQuoted = true), (entry = '');
    else if (c === ',' || c === '\n') {
      if (wasQuoted || entry.trim() !== '') entries.push(wasQuoted ? entry : entry.trim());
      (entry = ''), (wasQuoted = false);
    } else if (!(wasQuoted && /\s/.test(c))) entry += c;
  }
  if (quoted) return null;
  if (wasQuoted || entry.trim() !== '') entries.push(wasQuoted ? entry : entry.trim());
  return entries;
}

/** An entry as `splitEntries` reads it back: quoted when it holds a comma, a quote, `=`, a line break or spaces at an end. */
export const entryText = (entry: string) => (/[,"=\n]|^\s|\s$/.test(entry) ? `"${entry.replace(/"/g, '""')}"` : entry);

/**
 * A multiplier as the form shows it: a plain decimal, never in exponent form (0.0000001, not the
 * `1e-7` JavaScript prints, which the form then refused as its own text: break33's second hostile pass).
 */
export function plainDecimal(n: number): string {
  const shown = String(n);
  if (!/e/i.test(shown)) return shown;
  return n.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
}

/** Multipliers as the form's text shows them: "COFFEE=2, TEA=1.5" (a category with a comma in quotes). */
export const multipliersText = (multipliers: readonly { category: string; multiplier: number }[]) => multipliers.map((m) => `${entryText(m.category)}=${plainDecimal(m.multiplier)}`).join(', ');

/**
 * The form's multipliers text ("COFFEE=2, TEA=1.5"; `"BEER, WINE"=2` for a category with a comma;
 * empty: none) as the API takes them, or what is wrong with it, said of the entry at fault.
 */
export function parseMultipliers(value: string): { multipliers: { category: string; multiplier: number }[] } | { error: string } {
  const multipliers: { category: string; multiplier: number }[] = [];
  const seen = new Set<string>();
  // split at commas outside quotes: each entry's category may be quoted, its number is not
  const entries = splitMultiplierEntries(value);
  if (entries === null) return { error: 'A quote is not closed: write a category with a comma as "BEER, WINE"=2.' };
  for (const { category, number, raw } of entries) {
    if (category === null) return { error: `“${raw}” is not CATEGORY=MULTIPLIER (for example COFFEE=2).` };
    if (!/^\d+(\.\d+)?$/.test(number) || !(Number(number) <= MULTIPLIER_MAX)) return { error: `The multiplier of ${category} is a number from 0 to ${MULTIPLIER_MAX} such as 2 or 1.5, not “${number}”.` };
    // compared as the gateway's itemKey does: NFKC (full-width letters), spacing, a case fold (ß and SS);
    // invisible marks the gateway also drops are left to its own refusal
    const key = category.normalize('NFKC').replace(/\s+/g, ' ').trim().toLowerCase().toUpperCase().normalize('NFC');
    if (seen.has(key)) return { error: `${category} is given twice: give each category once.` };
    seen.add(key);
    multipliers.push({ category, multiplier: Number(number) });
  }
  return { multipliers };
}

/** The text's CATEGORY=NUMBER entries (`category` null for one with no `=`); null when a quote is not closed. */
function splitMultiplierEntries(value: string): { category: string | null; number: string; raw: string }[] | null {
  const out: { category: string | null; number: string; raw: string }[] = [];
  let i = 0;
  while (i < value.length) {
    while (i < value.length && /[\s,]/.test(value[i])) i++;
    if (i >= value.length) break;
    let category = '';
    const start = i;
    if (value[i] === '"') {
      i++;
      for (; i < value.length; i++) {
        if (value[i] === '"' && value[i + 1] === '"') (category += '"'), i++;
        else if (value[i] === '"') break;
        else category += value[i];
      }
      if (i >= value.length) return null;
      i++;
      while (i < value.length && /[ \t]/.test(value[i])) i++;
    } else {
      while (i < value.length && !/[=,\n]/.test(value[i])) category += value[i++];
      category = category.trim();
    }
    if (value[i] !== '=' || category === '') {
      while (i < value.length && !/[,\n]/.test(value[i])) i++;
      out.push({ category: null, number: '', raw: value.slice(start, i).trim() });
      continue;
    }
    i++;
    let number = '';
    while (i < value.length && !/[,\n]/.test(value[i])) number += value[i++];
    out.push({ category, number: number.trim(), raw: value.slice(start, i).trim() });
  }
  return out;
}

/**
 * What a rule form was filled from: the operator's choice (`key`, the currency or currency and
 * kind), the rule that choice had then (null: none yet) and `fill`, which changes only when the form
 * is filled again (another choice, "Load", a save, a refusal), so a background read of the rules
 * never replaces what the operator typed (the fields are keyed by it, not by the rule's version).
 */
interface Filled<R> {
  key: string;
  rule: R | null;
  fill: number;
}

/**
 * A rule form's filling (break33, rules): it starts from the chosen rule as read and names that
 * rule's version (0: none) as the set's `expectedVersion`. `current` is the chosen rule as the cache
 * has it now: when it is newer than the one filled from, the form says a save would be refused.
 */
function useFilled<R extends { version: number }>(key: string, current: R | null, ready: boolean) {
  const [filled, setFilled] = useState<Filled<R> | null>(null);
  // another choice (or the first render with the rules) fills the form from that choice's rule
  if (ready && (filled === null || filled.key !== key)) setFilled({ key, rule: current, fill: (filled?.fill ?? 0) + 1 });
  const refill = (rule: R | null, forKey = key) => setFilled((f) => ({ key: forKey, rule, fill: (f?.fill ?? 0) + 1 }));
  const from = filled?.key === key ? filled : null;
  const newer = from !== null && current !== null && current.version > (from.rule?.version ?? 0) ? current : null;
  return { from, newer, refill, fieldKey: `${key}#${from?.fill ?? 0}` };
}

/** Says a newer version of the rule arrived while the form holds an older one, and offers to load it. */
function NewerVersion({ what, from, newer, onLoad }: { what: string; from: { version: number } | null; newer: { version: number } | null; onLoad: () => void }) {
  if (!newer) return null;
  return (
    <div role="alert" className="alert" data-testid="rule-changed">
      <p>
        Someone else changed {what} since this form was filled ({from ? `from version ${from.version}` : 'when it had none'}; it is now version {newer.version}): saving this form will be refused.
      </p>
      <p>
        <button type="button" className="secondary" onClick={onLoad}>
          Load version {newer.version} (replaces what you typed here)
        </button>
      </p>
    </div>
  );
}

/** A controlled choice among the currencies. */
export function CurrencyChoice({ name, value, onChange }: { name: string; value: string; onChange: (code: string) => void }) {
  const { data } = useQuery(ConsoleCurrenciesDocument);
  return (
    <>
      <label htmlFor={`f-${name}`}>Currency</label>
      <select id={`f-${name}`} name={name} value={value} onChange={(e) => onChange(e.target.value)}>
        {data?.currencies.map((c) => (
          <option key={c.code}>{c.code}</option>
        ))}
      </select>
    </>
  );
}

/** The answer VERSION_CONFLICT: the form is then filled from the rule as it is now. */
const conflicted = (errors: readonly { code: string }[] | undefined) => errors?.some((e) => e.code === 'VERSION_CONFLICT') ?? false;

const ALREADY_SET = 'It already had these values (set by an earlier submit whose answer was lost, or by another operator): nothing more was changed.';

const economyNotice = (r: EconomyRule) =>
  `${r.currency.code}: ${r.pointsPerUnit} points per unit, ${r.rounding}, pending ${r.pendingDays} days, multipliers ${multipliersText(r.categoryMultipliers) || 'none'} (version ${r.version}).`;

const activityNotice = (r: ActivityRule) => `Activity rule set: ${r.kind} in ${r.currency.code}, ${r.points} points, ${r.active ? 'active' : 'inactive'} (version ${r.version}).`;

/** A decimal without its trailing zeros: "10.0000" and "10" are one. */
const canonicalDecimal = (d: string) => (d.includes('.') ? d.replace(/0+$/, '').replace(/\.$/, '') : d);

/** Whether the rule holds what the form sent (a refused save whose values are already the rule's). */
function sameEconomy(rule: EconomyRule, sent: { pointsPerUnit: string; rounding: Rounding; pendingDays: number; excludedSkus: string[]; categoryMultipliers: { category: string; multiplier: number }[] }) {
  return (
    canonicalDecimal(rule.pointsPerUnit) === canonicalDecimal(sent.pointsPerUnit.trim()) &&
    rule.rounding === sent.rounding &&
    rule.pendingDays === sent.pendingDays &&
    // sets: the same SKUs and multipliers in another order are the same rule (noticed-40)
    sameSet(rule.excludedSkus, sent.excludedSkus) &&
    sameSet(
      rule.categoryMultipliers.map((m) => JSON.stringify([m.category, m.multiplier])),
      sent.categoryMultipliers.map((m) => JSON.stringify([m.category, m.multiplier])),
    )
  );
}

/** What the rule forms need of the Rules page: its rules as read, whether they are, and a way to read them again. */
export interface RulesRead {
  data: ConsoleRulesQuery | undefined;
  refetch: () => Promise<{ data?: ConsoleRulesQuery }>;
  /** What the forms still wait for ("the currencies"), or undefined. */
  waitingFor: string | undefined;
}

/**
 * "Set the economy rule" (break33, rules): `setEconomyRule` replaces the currency's whole rule, so
 * the form starts from the chosen currency's rule, every field the API takes (the category
 * multipliers too: it had no field for them and every save wiped them), and sends the version it
 * was filled from: a save after another operator's is refused VERSION_CONFLICT, and the form is
 * filled again from theirs.
 */
export function SetEconomyRuleForm({ rules }: { rules: RulesRead }) {
  const [setEconomy] = useMutation(ConsoleSetEconomyRuleDocument, { refetchQueries: [ConsoleRulesDocument] });
  const currencies = useQuery(ConsoleCurrenciesDocument);
  const [chosen, setChosen] = useState('');
  const currency = chosen || currencies.data?.currencies[0]?.code || '';
  const ruleOf = (data: ConsoleRulesQuery | undefined, code: string) => data?.economyRules.find((r) => r.currency.code === code) ?? null;
  const current = ruleOf(rules.data, currency);
  const { from, newer, refill, fieldKey } = useFilled<EconomyRule>(currency, current, rules.waitingFor === undefined);
  const rule = from?.rule ?? null;
  // said of the text typed in this filling only: a filling anew starts from the rule's own, which parses
  const [typedError, setTypedError] = useState<{ fieldKey: string; error: string } | null>(null);
  const multipliersError = typedError?.fieldKey === fieldKey ? typedError.error : null;
  const checkMultipliers = (event: ChangeEvent<HTMLInputElement>) => {
    const parsed = parseMultipliers(event.currentTarget.value);
    const error = 'error' in parsed ? parsed.error : null;
    // the browser then refuses the submit and points at this field with the same words
    event.currentTarget.setCustomValidity(error ?? '');
    setTypedError(error ? { fieldKey, error } : null);
  };
  return (
    <ActionForm
      title="Set the economy rule"
      waitingFor={rules.waitingFor}
      submitLabel="Set economy rule"
      safeAgain="Try again: it sets the currency's rule to these values, so setting it twice leaves the rule as setting it once."
      onSubmit={async (form) => {
        const parsed = parseMultipliers(text(form, 'categoryMultipliers') ?? '');
        if ('error' in parsed) return { userErrors: [{ code: 'INVALID', message: `Category multipliers: ${parsed.error}` }] };
        const excludedSkus = splitEntries(text(form, 'excludedSkus') ?? '');
        if (excludedSkus === null) return { userErrors: [{ code: 'INVALID', message: 'Excluded SKUs: a quote is not closed: write a SKU with a comma as "GIFT,CARD".' }] };
        const code = text(form, 'ecoCurrency') ?? '';
        const input = {
          currency: code,
          pointsPerUnit: text(form, 'pointsPerUnit') ?? '',
          rounding: (text(form, 'rounding') ?? 'FLOOR') as Rounding,
          pendingDays: int(form, 'pendingDays') ?? 0,
          excludedSkus,
          categoryMultipliers: parsed.multipliers,
        };
        const { data: result } = await setEconomy({ variables: { input: { ...input, expectedVersion: int(form, 'expectedVersion') ?? 0 } } });
        const payload = result?.setEconomyRule;
        if (payload?.rule) {
          refill(payload.rule, code);
          return { userErrors: [], notice: economyNotice(payload.rule) };
        }
        if (!conflicted(payload?.userErrors)) return { userErrors: payload?.userErrors };
        const now = ruleOf((await rules.refetch()).data, code);
        refill(now, code);
        // the rule already holds these values: set by this form's earlier submit whose answer was lost ("Try again"), or by another operator
        if (now && sameEconomy(now, input)) return { userErrors: [], notice: `${economyNotice(now)} ${ALREADY_SET}` };
        return { userErrors: payload?.userErrors };
      }}
    >
      <p className="muted">Replaces the currency's rule as a whole: the form starts from its current rule.</p>
      <CurrencyChoice name="ecoCurrency" value={currency} onChange={setChosen} />
      <NewerVersion what={`the economy rule of ${currency}`} from={rule} newer={newer} onLoad={() => refill(newer)} />
      <input key={`v-${fieldKey}`} type="hidden" name="expectedVersion" defaultValue={rule?.version ?? 0} />
      <Field key={`p-${fieldKey}`} label="Points per unit of money" name="pointsPerUnit" required defaultValue={rule?.pointsPerUnit ?? ''} />
      <label htmlFor="f-rounding">Rounding</label>
      <select key={`r-${fieldKey}`} id="f-rounding" name="rounding" defaultValue={rule?.rounding ?? 'FLOOR'}>
        <option>FLOOR</option>
        <option>ROUND</option>
        <option>CEIL</option>
      </select>
      <Field key={`d-${fieldKey}`} label="Pending days" name="pendingDays" type="number" min={0} defaultValue={rule?.pendingDays ?? 0} />
      <div key={`m-${fieldKey}`}>
        <label htmlFor="f-categoryMultipliers">Category multipliers (CATEGORY=MULTIPLIER, comma-separated, a category with a comma in double quotes; empty: none)</label>
        <input
          id="f-categoryMultipliers"
          name="categoryMultipliers"
          defaultValue={multipliersText(rule?.categoryMultipliers ?? [])}
          placeholder="COFFEE=2, TEA=1.5"
          onChange={checkMultipliers}
          aria-invalid={multipliersError ? true : undefined}
          aria-describedby={multipliersError ? 'f-categoryMultipliers-error' : undefined}
        />
        {multipliersError ? (
          <p id="f-categoryMultipliers-error" className="alert" data-testid="multipliers-error">
            {multipliersError}
          </p>
        ) : null}
      </div>
      <Field key={`x-${fieldKey}`} label="Excluded SKUs (comma-separated; one with a comma in double quotes)" name="excludedSkus" defaultValue={rule?.excludedSkus.map(entryText).join(', ') ?? ''} />
    </ActionForm>
  );
}

/**
 * "Set an activity rule" (break33, rules): starts from the chosen currency and kind's rule (its
 * Active box as the rule is: ticked by default, it switched back on a rule another operator had
 * switched off) and sends the version it was filled from, as the economy rule's form does.
 */
export function SetActivityRuleForm({ rules }: { rules: RulesRead }) {
  const [setActivity] = useMutation(ConsoleSetActivityRuleDocument, { refetchQueries: [ConsoleRulesDocument] });
  const currencies = useQuery(ConsoleCurrenciesDocument);
  const [chosen, setChosen] = useState('');
  const [kind, setKind] = useState<ActivityKind>('SIGN_UP');
  const currency = chosen || currencies.data?.currencies[0]?.code || '';
  const ruleOf = (data: ConsoleRulesQuery | undefined, code: string, k: ActivityKind) => data?.activityRules.find((r) => r.currency.code === code && r.kind === k) ?? null;
  const current = ruleOf(rules.data, currency, kind);
  const keyOf = (code: string, k: ActivityKind) => `${code} ${k}`;
  const { from, newer, refill, fieldKey } = useFilled<ActivityRule>(keyOf(currency, kind), current, rules.waitingFor === undefined);
  const rule = from?.rule ?? null;
  return (
    <ActionForm
      title="Set an activity rule"
      waitingFor={rules.waitingFor}
      submitLabel="Set activity rule"
      safeAgain="Try again: it sets the activity's rule to these values, so setting it twice leaves the rule as setting it once."
      onSubmit={async (form) => {
        const code = text(form, 'activityCurrency') ?? '';
        const k = (text(form, 'activityKind') ?? 'REVIEW') as ActivityKind;
        const input = {
          currency: code,
          kind: k,
          points: int(form, 'activityPoints') ?? 0,
          capPerPeriod: int(form, 'capPerPeriod') ?? null,
          periodDays: int(form, 'periodDays') ?? null,
          active: form.get('activityActive') === 'on',
        };
        const { data: result } = await setActivity({ variables: { input: { ...input, expectedVersion: int(form, 'expectedVersion') ?? 0 } } });
        const payload = result?.setActivityRule;
        if (payload?.rule) {
          refill(payload.rule, keyOf(code, k));
          return { userErrors: [], notice: activityNotice(payload.rule) };
        }
        if (!conflicted(payload?.userErrors)) return { userErrors: payload?.userErrors };
        const now = ruleOf((await rules.refetch()).data, code, k);
        refill(now, keyOf(code, k));
        if (now && now.points === input.points && now.capPerPeriod === input.capPerPeriod && now.periodDays === input.periodDays && now.active === input.active) {
          return { userErrors: [], notice: `${activityNotice(now)} ${ALREADY_SET}` };
        }
        return { userErrors: payload?.userErrors };
      }}
    >
      <CurrencyChoice name="activityCurrency" value={currency} onChange={setChosen} />
      <label htmlFor="f-activityKind">Activity</label>
      <select id="f-activityKind" name="activityKind" value={kind} onChange={(e) => setKind(e.target.value as ActivityKind)}>
        {ACTIVITY_KINDS.map((k) => (
          <option key={k}>{k}</option>
        ))}
      </select>
      <NewerVersion what={`the ${kind} rule of ${currency}`} from={rule} newer={newer} onLoad={() => refill(newer)} />
      <input key={`v-${fieldKey}`} type="hidden" name="expectedVersion" defaultValue={rule?.version ?? 0} />
      <Field key={`p-${fieldKey}`} label="Points" name="activityPoints" type="number" min={0} required defaultValue={rule?.points ?? ''} />
      <Field key={`c-${fieldKey}`} label="Cap per period" name="capPerPeriod" type="number" min={1} defaultValue={rule?.capPerPeriod ?? ''} />
      <Field key={`d-${fieldKey}`} label="Period in days (empty: for life)" name="periodDays" type="number" min={1} defaultValue={rule?.periodDays ?? ''} />
      <label className="check" key={`a-${fieldKey}`}>
        {/* a new rule starts active; an existing one as it is */}
        <input type="checkbox" id="f-activityActive" name="activityActive" defaultChecked={rule?.active ?? true} /> Active
      </label>
    </ActionForm>
  );
}
