import { createContext, useContext, useEffect, useId, useRef, useState, type FormEvent, type ReactNode, type Ref } from 'react';
import { fetchDevTokens, type DevTokens } from '../shared/dev-tokens';
import { problemOfUserError, problemOfUserErrors, ProblemAlert, useGuardedSend } from '../shared/errors';
import { Frame, Loading, newIdempotencyKey, PageTitle, useConfirmDialog, type NavItem } from '../shared/ui';
import { gatewayNow } from '../shared/gateway-time';
import { keepWrite, liveKeptWrite } from '../shared/session';

export const APP = 'Reward Gateway console';

/** The signed-in staff member's role, as their token says (the gateway checks it on every call). */
export const RoleContext = createContext<{ role: 'operator' | 'analyst'; staffId: string }>({ role: 'analyst', staffId: '' });
export const useRole = () => useContext(RoleContext);

/** The main navigation, in order. */
const NAV: NavItem[] = [
  { href: '/', label: 'Customers', also: '/customers/*' },
  { href: '/stores', label: 'Stores' },
  { href: '/offers', label: 'Offers' },
  { href: '/rules', label: 'Rules' },
  { href: '/partners', label: 'Partners' },
  { href: '/webhooks', label: 'Webhooks' },
  { href: '/audit', label: 'Audit log' },
  { href: '/analytics', label: 'Analytics' },
];

export function ConsoleShell({ onSignOut, children }: { onSignOut: () => void; children: ReactNode }) {
  const { role, staffId } = useRole();
  return (
    <Frame
      brand={APP}
      who={
        <div className="row">
          <span>
            {staffId} · <strong data-testid="role">{role === 'operator' ? 'Operator' : 'Analyst (read only)'}</strong>
          </span>
          <button type="button" className="secondary" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      }
      nav={NAV}
    >
      {children}
    </Frame>
  );
}

/** Production: staff arrive from the program's identity provider at /console/#token=<JWT>. Development: demo staff. */
export function ConsoleSignIn({ onSignIn, notice }: { onSignIn: (token: string) => void; notice?: string }) {
  const [tokens, setTokens] = useState<DevTokens | null | undefined>(undefined);
  useEffect(() => {
    fetchDevTokens().then(setTokens, () => setTokens(null));
  }, []);
  return (
    <Frame brand={APP}>
      <PageTitle app={APP}>Staff sign in</PageTitle>
      {notice ? (
        <p role="alert" className="alert" data-testid="sign-in-notice">
          {notice}
        </p>
      ) : null}
      {tokens === undefined ? <Loading what="sign-in options" /> : null}
      {tokens === null ? <p>Sign in through the program's staff sign-in page: it brings you back here signed in.</p> : null}
      {tokens ? (
        <section aria-labelledby="demo-staff">
          <h2 id="demo-staff">Demo staff</h2>
          <p className="muted">Development only.</p>
          <div className="row">
            {tokens.staff.map((s) => (
              <button key={s.staffId} type="button" onClick={() => onSignIn(s.token)}>
                Continue as {s.role} ({s.staffId})
              </button>
            ))}
          </div>
        </section>
      ) : null}
    </Frame>
  );
}

/** Shown instead of enabled controls to analysts. */
export function ReadOnlyNote() {
  const { role } = useRole();
  if (role === 'operator') return null;
  return (
    <p className="badge warn" data-testid="read-only">
      Read only: analysts can look but not change anything.
    </p>
  );
}

/**
 * What a form's write answered: the API's refusal, or the notice to show; `replayed` when the
 * gateway answered it from an earlier submit with the same key (replay-22's mark,
 * `answeredByReplay`): the notice then says the earlier submit did it and this one changed nothing.
 */
type Outcome = { userErrors?: readonly { code: string; message: string }[] | null; notice?: string; replayed?: boolean } | undefined;

/**
 * A replayed submit's notice (web-23): a form sent again after "not known whether this went
 * through" whose first submit had gone through was told "Offer created." as if created now.
 */
const replayedNotice = (notice: string | undefined) =>
  `This was already done by an earlier submit whose answer was lost: nothing more was changed.${notice ? ` (${notice})` : ''}`;

/**
 * The key of a form's submit of `contents`, kept until it gets an answer, by operator (the console
 * token's `sub`) and form title (break4-22: kept in the form, it was lost when the operator left
 * the screen, and the same adjustment submitted again after "not known whether this went through"
 * went with a new key and adjusted twice). Kept in the tab's sessionStorage with the member app's
 * kept keys (`keepWrite`, web/src/shared/session.ts), so a reload keeps it too (web-23). The same
 * contents again answer the same key; other contents a new one (the gateway refuses a key reused
 * for other input). A kept submit past the gateway's retention of keys is forgotten (web-24): with
 * the same contents it throws KeptWriteExpired, unless the form is `safeAgain` (its key is not
 * sent: sending it again is harmless, however late), with other contents it is replaced. Dated and
 * aged by the gateway's clock (gateway-time.ts `gatewayNow`, apps-25), as the member app's keys.
 * @throws KeptWriteExpired (as the promise's rejection)
 */
async function pendingKey(title: string, contents: string, safeAgain: boolean): Promise<string> {
  const what = `form:${title}`;
  const kept = await liveKeptWrite('console', what, (write) => safeAgain || write.contents !== contents);
  if (kept?.contents === contents) return kept.key;
  const at = await gatewayNow();
  const key = newIdempotencyKey();
  keepWrite('console', what, { contents, key, at });
  return key;
}

/** Forgets the form's kept submit: it was answered (see pendingKey). */
const answered = (title: string) => keepWrite('console', `form:${title}`, null);

/**
 * Where a form's outcome shows, or why it is safe to send again: one of the two, so no form leaves
 * "Check whether it went through" without a place (apps-25: the keyed forms named none, and a kept
 * submit past the gateway's retention said only that).
 */
type WriteAdvice =
  | {
      /**
       * Where the operator sees whether the form's write went through, named as the page names it
       * ("the Ledger below"): said when a kept submit outlived the gateway's retention (KEY_EXPIRED)
       * and, for an unkeyed form, when its answer was lost (OUTCOME_UNKNOWN; WriteContext).
       */
      checkIn: string;
      safeAgain?: undefined;
    }
  | {
      /** An unkeyed form that is harmless to send again says so instead (WriteContext). */
      safeAgain: string;
      checkIn?: undefined;
    };

/**
 * A form that changes something: disabled for analysts, one submit at a time and none before the
 * gateway's "not before" (a 429/503's retryAfter), the API's refusals (all of them: a manifest's
 * problems are one per field; edges-28) or a confirmation shown in place (announced to screen readers).
 *
 * `onSubmit` gets an idempotency key for the mutations that take one (adjustPoints): the same key
 * for every submit of the same form contents until one gets an answer (saved, or refused with a
 * userError), so an operator who submits again after a lost answer ("The server cannot be
 * reached") does not adjust twice; changed contents are a new request with a new key (the gateway
 * refuses a key reused for other input; `subject`, the customer a form is shown for, counts as
 * contents). The pending key outlives the form (leaving the screen and coming back keeps it:
 * pendingKey). Nothing here sends a mutation again by itself: after a problem that says sending the
 * same request again is safe (a keyed form's unknown outcome, a `safeAgain` form's, nothing sent),
 * its alert has "Try again", which sends what was submitted (the same data and key), whatever the
 * fields say since (web-24).
 */
export function ActionForm({
  title,
  submitLabel,
  subject,
  checkIn,
  safeAgain,
  waitingFor,
  onSubmit,
  children,
}: WriteAdvice & {
  title: string;
  submitLabel: string;
  /**
   * What the form's fields still wait for ("the currencies"): while set, the form is shown disabled
   * with "Loading <waitingFor>…", so nothing is sent with a choice not yet offered (edges-21's flake:
   * a customer with no balance had no currency to choose until the currencies' answer came, and an
   * Adjust points sent before it went with none and was refused).
   */
  waitingFor?: string;
  /** What the form acts on when it is not one of its fields (the customer the Adjust points form is shown for): part of the request's contents. */
  subject?: string;
  onSubmit: (form: FormData, idempotencyKey: string) => Promise<Outcome>;
  children: ReactNode;
}) {
  const { role } = useRole();
  const { held, problem, setProblem, send, tryAgain } = useGuardedSend({ checkIn, safeAgain });
  const [notice, setNotice] = useState<string | null>(null);
  // The fieldset is disabled while the write is in flight, which takes the focus off the submit
  // button to the page's body: the next Tab went to "Skip to content" (newcomer-22). Once the form
  // is enabled again the button gets it back, unless the operator moved it meanwhile.
  const submitButton = useRef<HTMLButtonElement>(null);
  const [refocus, setRefocus] = useState(false);
  useEffect(() => {
    if (!refocus || held) return;
    setRefocus(false);
    if (!document.activeElement || document.activeElement === document.body) submitButton.current?.focus();
  }, [refocus, held]);
  const id = title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const contents = JSON.stringify([subject ?? null, [...data.entries()].map(([name, value]) => [name, String(value)])]);
    setNotice(null);
    return send(async () => {
      // asked at each send (a Try again too): the same contents keep their key until answered
      const key = await pendingKey(title, contents, safeAgain !== undefined);
      setNotice(null);
      setRefocus(true);
      const outcome = await onSubmit(data, key);
      answered(title);
      if (outcome?.userErrors?.length) setProblem(problemOfUserErrors(outcome.userErrors));
      else {
        setNotice(outcome?.replayed ? replayedNotice(outcome.notice) : (outcome?.notice ?? 'Saved.'));
        form.reset();
      }
    });
  };
  return (
    <section className="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      <form onSubmit={submit}>
        {waitingFor ? <Loading what={waitingFor} /> : null}
        <fieldset disabled={role !== 'operator' || held || waitingFor !== undefined} style={{ border: 0, padding: 0, margin: 0 }}>
          <legend className="sr-only">{title}</legend>
          {children}
          <p>
            <button type="submit" ref={submitButton}>
              {submitLabel}
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
    </section>
  );
}

/** GraphQL Int's range (32-bit signed): what every whole-number input of the API takes at most. */
const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

/**
 * A credential the API answers once (a partner's API key, a webhook endpoint's signing secret):
 * `children` says whose it is and shows it, with a Copy button that puts `credential` on the
 * clipboard (newcomer-46: a 40-character key was selected by hand), until the operator presses
 * "I have stored it" (`onStored`). The button goes with it, so the focus then goes on to the
 * field `thenFocus` (the id of the form's first field), not to the page's body (newcomer-46).
 * Announced politely. Where the browser refuses the clipboard (no permission, a page not
 * served over https or from localhost), it says so: the credential stays shown to copy by hand.
 */
export function ShownOnce({ testId, thenFocus, onStored, credential, children }: { testId: string; thenFocus: string; onStored: () => void; credential: string; children: ReactNode }) {
  // what Copy did, and to which credential: a second one shown in its place (a partner created before "I have stored it") starts unsaid
  const [copy, setCopy] = useState<{ of: string; outcome: 'copied' | 'refused' } | null>(null);
  const copied = copy?.of === credential ? copy.outcome : null;
  return (
    <div className="notice" role="status" data-testid={testId}>
      <p>{children}</p>
      <button
        type="button"
        className="secondary"
        onClick={() => {
          // navigator.clipboard is undefined outside a secure context: refused, as a denied permission is
          (navigator.clipboard?.writeText(credential) ?? Promise.reject(new Error('no clipboard'))).then(
            () => setCopy({ of: credential, outcome: 'copied' }),
            () => setCopy({ of: credential, outcome: 'refused' }),
          );
        }}
      >
        Copy
      </button>{' '}
      {copied === 'copied' ? <span>Copied to the clipboard.</span> : null}
      {copied === 'refused' ? <span>The browser would not copy it: select it and copy it by hand.</span> : null}{' '}
      <button
        type="button"
        className="secondary"
        onClick={() => {
          onStored();
          document.getElementById(thenFocus)?.focus();
        }}
      >
        I have stored it
      </button>
    </div>
  );
}

/**
 * The optional "why" of a staff change (reason-40: the API keeps it on the change's audit entry, SPEC
 * §4), named `name` in its form: read it with `reasonOf`. At most 500 characters, the API's limit.
 */
export function ReasonField({ name = 'reason' }: { name?: string }) {
  return <Field label="Reason (kept in the audit log, optional)" name={name} maxLength={500} />;
}

/** The reason typed in `form`'s ReasonField `name`, trimmed; null when none (the API refuses a blank one). */
export function reasonOf(form: FormData, name = 'reason'): string | null {
  const value = form.get(name);
  return typeof value === 'string' && value.trim() ? value.trim() : null;
}

/**
 * A staff change that cannot be taken back, asked first (newcomer-40: a listing's Remove and a
 * partner's Revoke acted at one click): `title`, what it does (`children`), an optional reason for
 * the audit log (ReasonField), `confirmLabel` and Cancel, the focus starting on Cancel; Cancel or
 * Escape sends nothing. `act(reason)` sends the change and answers the userError that refused it,
 * or the notice to show once done (`onDone(notice)`; null: nothing to say). The change must be
 * naturally idempotent: a lost answer offers "Try again" with `safeAgain` (useGuardedSend, web-24).
 */
export function ConfirmWithReason(p: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  sendingText: string;
  safeAgain: string;
  act: (reason: string | null) => Promise<{ userError: { code: string; message: string; field?: readonly string[] | null } } | { notice: string | null }>;
  onDone: (notice: string | null) => void;
}) {
  const { held, sending, problem, setProblem, send, tryAgain } = useGuardedSend({ safeAgain: p.safeAgain });
  const { dialog, safe, onCancel } = useConfirmDialog({ busy: sending, onDismiss: () => p.onDone(null) });
  const formRef = useRef<HTMLFormElement>(null);
  const titleId = useId();
  const confirm = () =>
    send(async () => {
      const answer = await p.act(formRef.current ? reasonOf(new FormData(formRef.current)) : null);
      if ('userError' in answer) setProblem(problemOfUserError(answer.userError));
      else if (answer.notice !== null) p.onDone(answer.notice);
    });
  return (
    <dialog ref={dialog} aria-labelledby={titleId} onCancel={onCancel}>
      <h2 id={titleId}>{p.title}</h2>
      {p.children}
      <form ref={formRef} onSubmit={(e) => e.preventDefault()}>
        <fieldset disabled={held} style={{ border: 0, padding: 0, margin: 0 }}>
          <legend className="sr-only">{p.title}</legend>
          <ReasonField />
        </fieldset>
      </form>
      <ConfirmActions {...{ problem, tryAgain, sending, held, safe }} confirmLabel={p.confirmLabel} sendingText={p.sendingText} onConfirm={confirm} onCancel={() => p.onDone(null)} />
    </dialog>
  );
}

/** A labelled input (ids derived from the form's name). */
export function Field({ label, name, type = 'text', required, defaultValue, hint, ...rest }: { label: string; name: string; type?: string; required?: boolean; defaultValue?: string | number; hint?: string; min?: number | string; max?: string; step?: string; pattern?: string; inputMode?: 'decimal' | 'numeric'; minLength?: number; maxLength?: number }) {
  const id = `f-${name}`;
  // A number field holds a GraphQL Int unless it says narrower: past it the API's refusal was the
  // raw coercion text ("Variable "$input" got invalid value 99999999999 at "input.amount"; Int
  // cannot represent non 32-bit signed integer value"), now the browser's own range message (newcomer-24).
  const intRange = type === 'number' ? { min: INT_MIN, max: String(INT_MAX) } : {};
  return (
    <div>
      <label htmlFor={id}>{label}</label>
      <input id={id} name={name} type={type} required={required} defaultValue={defaultValue} aria-describedby={hint ? `${id}-hint` : undefined} {...intRange} {...rest} />
      {hint ? (
        <p id={`${id}-hint`} className="muted">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

export const text = (form: FormData, name: string) => {
  const value = String(form.get(name) ?? '').trim();
  return value === '' ? undefined : value;
};
/**
 * A number field's value as a number: as the browser took it (`1e3` is 1000, which its validation
 * passed as a whole number), not cut at its first non-digit (`Number.parseInt` saved "1e3" as a
 * price of 1 point: hostile39c). A value that is not a whole number goes as it is, and the API
 * refuses it by name.
 */
export const int = (form: FormData, name: string) => {
  const value = text(form, name);
  return value === undefined ? undefined : Number(value);
};
export const list = (form: FormData, name: string) =>
  (text(form, name) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * The foot of a confirmation dialog: the send's problem (with "Try again" when safe), "… its answer
 * shows here" while it is sent, the confirming button (held while a send runs or waits) and Cancel
 * (`safe`: the focus starts on it; disabled while sending, so the answer shows: edges-28).
 */
export function ConfirmActions(p: {
  problem: Parameters<typeof ProblemAlert>[0]['problem'];
  tryAgain: (() => void) | undefined;
  sending: boolean;
  held: boolean;
  safe: Ref<HTMLButtonElement>;
  confirmLabel: string;
  sendingText: string;
  onConfirm: () => unknown;
  onCancel: () => void;
}) {
  return (
    <>
      <ProblemAlert problem={p.problem} onRetry={p.tryAgain} />
      {p.sending ? <p className="muted" aria-live="polite">{p.sendingText} its answer shows here.</p> : null}
      <div className="row">
        <button type="button" onClick={() => void p.onConfirm()} disabled={p.held}>
          {p.confirmLabel}
        </button>
        <button type="button" className="secondary" ref={p.safe} disabled={p.sending} onClick={p.onCancel}>
          Cancel
        </button>
      </div>
    </>
  );
}
