import type { ApolloCache, Reference } from '@apollo/client';
import { useMutation, useQuery } from '@apollo/client/react';
import { useEffect, useRef, useState } from 'react';
import { answeredByReplay } from '../shared/api';
import { problemOf, problemOfUserError, ProblemAlert, retryOf, useGuardedSend } from '../shared/errors';
import { dropKeptKey, keptKey } from '../shared/session';
import { DataTable, formatDateTime, formatInstant, Loading, PageTitle, ShowOlder, useConfirmDialog } from '../shared/ui';
import {
  ConsoleEnableWebhookEndpointDocument,
  ConsoleFailedWebhookDeliveriesDocument,
  ConsolePartnersDocument,
  ConsoleRegisterWebhookEndpointDocument,
  ConsoleRemoveWebhookEndpointDocument,
  ConsoleReplayFailedWebhookDeliveriesDocument,
  ConsoleReplayWebhookDeliveryDocument,
  ConsoleRetryWebhookDeliveriesNowDocument,
  ConsoleWebhookEndpointsDocument,
  type WebhookEventType,
} from './gql/graphql';
import { ActionForm, APP, Field, ReadOnlyNote, ReasonField, reasonOf, ShownOnce, text, useRole } from './shell';
import { EVENT_TYPES } from './webhook-event-types';

/**
 * Why a partner's endpoint cannot have `event` (newcomer-46: the offer events stayed selectable
 * for a partner, and only the API's refusal said so): a partner never reads the wallet, and
 * receives the other events only with the scope that reads them. Null when it can, or for the
 * program's own endpoint (`partner` undefined).
 */
function cannotReceive(event: (typeof EVENT_TYPES)[number], partner: { name: string; scopes: readonly string[] } | undefined): string | null {
  if (!partner) return null;
  if (event.scope === null) return 'not for a partner';
  return partner.scopes.includes(event.scope) ? null : `needs the ${event.scope} scope, which partner ${partner.name} does not hold`;
}

/** An event type by the name its messages carry (`sale.processed`); the API's own name for one this console does not know. */
const wireName = (type: WebhookEventType) => EVENT_TYPES.find((e) => e.value === type)?.wire ?? type;

/**
 * "Register an endpoint" (webhook-register-46): the program's own endpoint or a partner's, its
 * events, a description and a reason. The signing secret is in the first answer only, so it is
 * shown once, above the form, until the operator says it is stored; a resend after a lost answer
 * (the form's idempotency key) registers nothing new and says the secret cannot be shown again.
 */
function RegisterEndpoint({ onRegistered }: { onRegistered: () => void }) {
  const partners = useQuery(ConsolePartnersDocument);
  const [register] = useMutation(ConsoleRegisterWebhookEndpointDocument);
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const [owner, setOwner] = useState('');
  const partner = partners.data?.partners.find((p) => p.id === owner);
  return (
    <>
      {secret ? (
        <ShownOnce testId="new-webhook-secret" thenFocus="f-url" onStored={() => setSecret(null)} credential={secret.secret}>
          The signing secret of <span className="code">{secret.url}</span>, shown this once: <code className="code">{secret.secret}</code>. The receiver checks each
          message's <code>webhook-signature</code> with it (Standard Webhooks).
        </ShownOnce>
      ) : null}
      <ActionForm
        title="Register an endpoint"
        checkIn="the Webhook endpoints table above after reloading the page (a registered endpoint shows by its URL)"
        submitLabel="Register endpoint"
        onSubmit={async (form, idempotencyKey) => {
          setSecret(null);
          const input = {
            url: text(form, 'url') ?? '',
            eventTypes: form.getAll('eventTypes').map(String) as WebhookEventType[],
            description: text(form, 'description') ?? null,
            partnerId: text(form, 'owner') ?? null,
            reason: reasonOf(form),
            idempotencyKey,
          };
          const { data } = await register({ variables: { input } });
          const payload = data?.registerWebhookEndpoint;
          const endpoint = payload?.endpoint;
          if (endpoint) onRegistered();
          if (endpoint && payload.secretWithheld) {
            return {
              notice: `${endpoint.url} was already registered by your earlier submit, whose answer was lost: its signing secret is shown only once. Remove it above and register it again to get a new one.`,
            };
          }
          if (endpoint && payload.secret) setSecret({ url: endpoint.url, secret: payload.secret });
          return { userErrors: payload?.userErrors, notice: endpoint ? `Registered ${endpoint.url} for ${endpoint.partner?.name ?? 'the program'}: copy its signing secret above now.` : undefined };
        }}
      >
        <Field label="URL (https://…)" name="url" required maxLength={2000} />
        <label htmlFor="f-owner">For</label>
        <select id="f-owner" name="owner" value={owner} onChange={(event) => setOwner(event.currentTarget.value)}>
          <option value="">the program</option>
          {partners.data?.partners
            .filter((p) => !p.revokedAt)
            .map((p) => (
              <option key={p.id} value={p.id}>
                partner {p.name}
              </option>
            ))}
        </select>
        <fieldset>
          <legend>Events</legend>
          {EVENT_TYPES.map((e) => {
            // A box that cannot be had is disabled, says why, and is drawn anew unticked (keyed by it): a
            // disabled box is not sent, so one left ticked would look chosen and not be.
            const why = cannotReceive(e, partner);
            return (
              <label key={e.value} className="check">
                <input key={why ? 'off' : 'on'} type="checkbox" name="eventTypes" value={e.value} disabled={!!why} /> <span className="code">{e.wire}</span> — {e.what}
                {why ? <span className="muted"> ({why})</span> : null}
              </label>
            );
          })}
        </fieldset>
        <Field label="Description (optional)" name="description" maxLength={500} />
        <ReasonField />
      </ActionForm>
    </>
  );
}

/**
 * A failed delivery's attempts: its count, opening to every attempt, oldest first (its time to the
 * second, the receiver's status or that it did not answer, the error, how long it took), those
 * made by Retry now marked so (they are outside the schedule and not in the count). Before, the
 * console showed the count and the last error only, and an operator asking a partner "what did
 * your receiver answer, when" had to query `attemptLog` by hand.
 */
function AttemptLog({ attempts, log, messageId }: { attempts: number; log: readonly { attemptedAt: string; statusCode?: number | null; error?: string | null; durationMs: number; manual: boolean }[]; messageId: string }) {
  return (
    <details>
      <summary>
        {attempts}
        <span className="sr-only"> attempts of {messageId}</span>: each
      </summary>
      <ol className="attempt-log">
        {log.map((a, i) => (
          <li key={i}>
            {/* the error says "HTTP 503" itself for a status that failed: the status is written only when it says more */}
            {formatInstant(a.attemptedAt)}: {a.error ?? (a.statusCode != null ? `HTTP ${a.statusCode}` : 'no answer')}, {a.durationMs} ms
            {a.manual ? ', by Retry now (not counted)' : ''}
          </li>
        ))}
      </ol>
    </details>
  );
}

/** FAILED delivery lists in the cache (`webhookDeliveries(status: FAILED …)`, every page loaded): `keep` says which edges stay. */
function keepFailed(cache: ApolloCache, keep: (node: Reference, readField: (field: string, from: Reference) => unknown) => boolean): void {
  cache.modify<{ webhookDeliveries: { edges: readonly { node: Reference }[] } }>({
    fields: {
      webhookDeliveries(existing, { readField, storeFieldName }) {
        if (!existing || !storeFieldName.includes('"status":"FAILED"') || !('edges' in existing)) return existing;
        return { ...existing, edges: existing.edges.filter((edge) => keep(edge.node, (field, from) => readField(field, from))) };
      },
    },
  });
}

/**
 * What a bulk replay left FAILED, as a sentence after its count (edges-28: the screen said only
 * how many were sent again, and an operator took the deliveries still listed as failed since):
 * " None was left out." for none; " 3 deliveries were left out and stay failed: 2 SALE_REVERSED
 * deliveries: <why>. 1 …" per event type, with the gateway's reason (`skipped[].message`: the scope
 * the endpoint's partner lacks). Empty when not known (`skipped` null: a repeat of a request
 * answered before the gateway counted them).
 */
function skippedText(skipped: readonly { eventType: string; count: number; message: string }[] | null | undefined): string {
  if (!skipped) return '';
  const total = skipped.reduce((sum, s) => sum + s.count, 0);
  if (total === 0) return ' None was left out.';
  const deliveries = (n: number) => (n === 1 ? '1 delivery' : `${n} deliveries`);
  const why = skipped.map((s) => `${deliveries(s.count)} of ${s.eventType}: ${s.message}`).join(' ');
  return ` ${deliveries(total)} ${total === 1 ? 'was' : 'were'} left out and stay failed: ${why}`;
}

/** An endpoint as the Remove confirmation names it. */
interface Removing {
  id: string;
  url: string;
  owner: string;
  /** The button that opened the confirmation: the focus goes back to it (or to its row's next button) when it closes. */
  opener: HTMLButtonElement | null;
}

/**
 * The confirmation before an endpoint is removed (webhooks-24): what removing does and how it is
 * undone. A modal dialog (Escape or Cancel closes it, nothing sent); one send at a time. Once
 * "Remove endpoint" is pressed, neither closes it until the answer comes (edges-28): it then closes
 * and the page says what happened.
 */
function ConfirmRemove({ endpoint, onDone }: { endpoint: Removing; onDone: (problem: ReturnType<typeof problemOf> | null, removed: boolean) => void }) {
  const [remove, { loading }] = useMutation(ConsoleRemoveWebhookEndpointDocument);
  // The focus starts on Cancel: an Enter pressed again after the one that opened it changes nothing (break2-24).
  const { dialog, safe, onCancel } = useConfirmDialog({ busy: loading, onDismiss: () => onDone(null, false) });
  const formRef = useRef<HTMLFormElement>(null);
  const confirm = async () => {
    try {
      const { data } = await remove({ variables: { input: { endpointId: endpoint.id, reason: formRef.current ? reasonOf(new FormData(formRef.current)) : null } } });
      const refused = data?.removeWebhookEndpoint.userErrors[0];
      onDone(refused ? problemOfUserError(refused) : null, !refused);
    } catch (e) {
      // Removing twice is harmless (the second changes nothing): say so rather than "check first".
      onDone(problemOf(e, { safeAgain: 'Removing it again is harmless: the State column says whether it was removed.' }), false);
    }
  };
  return (
    <dialog ref={dialog} aria-labelledby="remove-endpoint-title" onCancel={onCancel}>
      <h2 id="remove-endpoint-title">Remove this endpoint?</h2>
      <p>
        <span className="code">{endpoint.url}</span> ({endpoint.owner}) gets nothing more: no new event is sent to it, and its deliveries waiting for a retry end
        FAILED. It can be enabled again later, with the same secret; events of the time it was removed are not sent.
      </p>
      <form ref={formRef} onSubmit={(e) => e.preventDefault()}>
        <fieldset disabled={loading} style={{ border: 0, padding: 0, margin: 0 }}>
          <legend className="sr-only">Remove {endpoint.url}</legend>
          <ReasonField />
        </fieldset>
      </form>
      {loading ? <p className="muted" aria-live="polite">Removing… its answer shows once it comes.</p> : null}
      <div className="row">
        <button type="button" onClick={() => void confirm()} disabled={loading}>
          Remove endpoint
        </button>
        <button type="button" className="secondary" ref={safe} disabled={loading} onClick={() => onDone(null, false)}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}

/**
 * An endpoint's deliveries being retried (WebhookEndpoint.retrying, webhook-health-39): "Retrying —
 * 12 deliveries, failing since 5 Dec 2026, 14:02 UTC (HTTP 503)". Before, such an endpoint read
 * "Receiving" through the schedule's ~29 hours, until a delivery ran out of attempts.
 */
function retryingState(r: { count: number; firstFailedAt: string; lastError: string; nextAttemptAt: string }): string {
  // the next attempt too (newcomer-39: after the receiver was mended nothing said when the page would recover)
  return `Retrying — ${r.count} ${r.count === 1 ? 'delivery' : 'deliveries'}, failing since ${formatDateTime(r.firstFailedAt)} (${r.lastError}); next attempt ${formatInstant(r.nextAttemptAt)}`;
}

/**
 * How often (ms) and at most how many times the page reads the endpoints again after "Retry now"
 * (webhook-retry-40b): until the attempts it brought forward have been made (`retryNowSettled`),
 * which is at the workers' next run after the answer's `dueAt` (now, or WEBHOOK_BACKOFF_MS, 5 s,
 * after a delivery's last attempt). Before, one read 2 s after the press could come before them and
 * left "… will be sent now" and the old next attempt on the page.
 */
const RETRY_NOW_POLL_MS = 1_000;
const RETRY_NOW_POLLS = 30;

/**
 * What "Retry now" answered, in words: "2 deliveries to <url> will be sent now." (webhook-retry-40),
 * or, when it brought none forward, why nothing changed.
 */
function retryNowText(url: string, broughtForward: number): string {
  if (broughtForward === 0) return `No delivery to ${url} was waiting for its next attempt: each is being sent now or was sent already.`;
  return `${deliveriesText(broughtForward)} to ${url} will be sent now.`;
}

/** "1 delivery", "2 deliveries". */
const deliveriesText = (n: number) => (n === 1 ? '1 delivery' : `${n} deliveries`);

/**
 * Whether the attempts a "Retry now" brought forward (the last due at `dueAt`, the server's UTC
 * instant) have been made, from the endpoint as read since: nothing is retried any more
 * (`retrying` null: delivered), or the soonest next attempt is after `dueAt` (each failed again and
 * waits for its scheduled attempt). Compares the server's instants only, never this browser's clock.
 */
function retryNowSettled(retrying: { nextAttemptAt: string } | null, dueAt: string): boolean {
  return retrying === null || Date.parse(retrying.nextAttemptAt) > Date.parse(dueAt);
}

/**
 * What the attempts of a settled "Retry now" did, in words (webhook-retry-40b): "Delivered: …", or
 * "… failed again at <instant>: HTTP 503; next attempt <instant> …" with the endpoint's
 * `retrying` as read after them.
 */
function retryNowOutcome(url: string, broughtForward: number, retrying: { lastFailedAt: string; lastError: string; nextAttemptAt: string } | null): string {
  if (retrying === null) return `Delivered: ${url} received the ${deliveriesText(broughtForward)} sent now.`;
  return (
    `The retry to ${url} failed again at ${formatInstant(retrying.lastFailedAt)}: ${retrying.lastError}; next attempt ${formatInstant(retrying.nextAttemptAt)}. ` +
    'A retry is an attempt outside the schedule: the deliveries keep their scheduled attempts.'
  );
}

/**
 * Webhook endpoints and whether each receives (webhooks-22): an endpoint one of whose deliveries
 * failed every attempt reads "Failing since …" until one is delivered again, and one whose
 * deliveries are being retried "Retrying — …" (webhook-health-39); below, the FAILED
 * deliveries, newest first, which an operator sends again once the receiver is mended. A removed
 * endpoint's FAILED deliveries are listed for the record, without a Replay (the API refuses it:
 * INVALID, "Its endpoint was removed."; webhooks-23). Operators remove an endpoint (after a
 * confirmation) and enable a removed one again (webhooks-24): the answer's endpoint updates its row,
 * its failed deliveries' rows and the replay form's list in the cache.
 */
export function Webhooks() {
  const { role } = useRole();
  const endpoints = useQuery(ConsoleWebhookEndpointsDocument, { fetchPolicy: 'network-only' });
  const failed = useQuery(ConsoleFailedWebhookDeliveriesDocument, { fetchPolicy: 'network-only' });
  // A replayed delivery is PENDING again: it leaves the FAILED list where it is, every page loaded
  // with "Show older" kept (webhooks-23). Before, both lists were refetched, which reloads a
  // connection's first page only: after a replay among older deliveries the operator was back at
  // the newest 30 and had to page down again for the next one. An endpoint's state changes only
  // when a delivery is answered, after this answer: it is read when the page is opened.
  const [replay] = useMutation(ConsoleReplayWebhookDeliveryDocument, {
    update(cache, { data }) {
      const replayed = data?.replayWebhookDelivery.delivery;
      if (replayed && replayed.status !== 'FAILED') keepFailed(cache, (node, readField) => readField('id', node) !== replayed.id);
    },
  });
  // Every FAILED delivery of one endpoint at once (webhooks-23): they leave the list the same way.
  // Not when the answer is a replay of an earlier submit whose answer was lost (break2-23): the
  // gateway then sent nothing, and the endpoint's deliveries listed may have failed since (the
  // operator reloaded to check): they were taken off the list as if sent, and stayed FAILED. The
  // list is read again instead, so it shows what is still failed.
  const [replayAll] = useMutation(ConsoleReplayFailedWebhookDeliveriesDocument, {
    update(cache, { data, extensions }) {
      const endpoint = data?.replayFailedWebhookDeliveries.endpoint;
      if (endpoint && !answeredByReplay(extensions, 'replayFailedWebhookDeliveries'))
        keepFailed(cache, (node, readField) => readField('id', readField('endpoint', node) as Reference) !== endpoint.id);
    },
  });
  const [enable] = useMutation(ConsoleEnableWebhookEndpointDocument);
  const [retryNow] = useMutation(ConsoleRetryWebhookDeliveriesNowDocument);
  // The endpoint whose "Retry now" is being sent (its button is disabled until the answer), and the page's later read.
  const [retryingNow, setRetryingNow] = useState<string | null>(null);
  const reread = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  // The poll after a "Retry now": which press it serves (a newer press takes over).
  const pressed = useRef(0);
  useEffect(() => () => clearTimeout(reread.current), []);
  const [removing, setRemoving] = useState<Removing | null>(null);
  const replayable = (endpoints.data?.webhookEndpoints.edges ?? []).map((e) => e.node).filter((e) => !e.disabledAt);
  // A replay is keyed (web-24): a resend after a lost answer, once the first replay's round has
  // ended (delivered, or failed again), sent the delivery once more. The key is kept by the page per
  // operator and delivery (keptKey) until the replay is answered, so "Try again", the Replay button
  // pressed again, or after a reload, sends the same one.
  const { problem, setProblem, send, tryAgain } = useGuardedSend({ checkIn: 'the Failed deliveries table below (a delivery being sent again leaves it)' });
  const [notice, setNotice] = useState<string | null>(null);
  const error = endpoints.error ?? failed.error;

  const replayOne = (deliveryId: string, messageId: string) =>
    send(async () => {
      setNotice(null);
      const what = `replay:${deliveryId}`;
      const { data, extensions } = await replay({ variables: { input: { deliveryId, idempotencyKey: await keptKey('console', what) } } });
      dropKeptKey('console', what);
      const result = data?.replayWebhookDelivery;
      const refused = result?.userErrors[0];
      if (refused) return setProblem(problemOfUserError(refused));
      if (!answeredByReplay(extensions, 'replayWebhookDelivery')) return setNotice(`${messageId} is being sent again.`);
      // The first Replay, whose answer was lost, went through: nothing was sent now. The delivery as it
      // is now: its round may have ended since (failed again: it is listed again, and a Replay sends it).
      if (result?.delivery?.status === 'FAILED') void failed.refetch().catch(() => undefined);
      setNotice(
        `${messageId} was already set to be sent again by an earlier Replay whose answer was lost: nothing more was sent.` +
          (result?.delivery?.status === 'FAILED' ? ' It has failed again since: replay it again to send it.' : result?.delivery?.status === 'DELIVERED' ? ' It has been delivered since.' : ''),
      );
    });

  const enableAgain = async (id: string, url: string) => {
    setProblem(null);
    setNotice(null);
    try {
      const { data } = await enable({ variables: { input: { endpointId: id } } });
      const refused = data?.enableWebhookEndpoint.userErrors[0];
      if (refused) setProblem(problemOfUserError(refused));
      else setNotice(`${url} receives again: events from now on are sent to it (none of the time it was removed). Replay its failed deliveries below to send those.`);
    } catch (e) {
      setProblem(problemOf(e, { safeAgain: 'Enabling it again is harmless: the State column says whether it receives.' }));
    }
  };
  // "Retry now" (webhook-retry-40): the deliveries being retried get an attempt at the dispatcher's
  // next run (or WEBHOOK_BACKOFF_MS after their last one) instead of at their next attempt on the
  // back-off schedule (up to 6 h away). The page reads the endpoints at once and then every
  // RETRY_NOW_POLL_MS until those attempts were made (webhook-retry-40b), and says what they did:
  // delivered, or failed again (the deliveries keep their scheduled attempts).
  const sendNow = async (id: string, url: string) => {
    setProblem(null);
    setNotice(null);
    setRetryingNow(id);
    const press = ++pressed.current;
    clearTimeout(reread.current);
    try {
      const { data } = await retryNow({ variables: { input: { endpointId: id } } });
      const result = data?.retryWebhookDeliveriesNow;
      const refused = result?.userErrors[0];
      if (refused) setProblem(problemOfUserError(refused));
      else setNotice(retryNowText(url, result?.broughtForward ?? 0));
      const dueAt = refused ? null : (result?.dueAt ?? null);
      const broughtForward = result?.broughtForward ?? 0;
      const poll = async (left: number) => {
        const read = await endpoints.refetch().catch(() => undefined);
        if (press !== pressed.current || dueAt === null) return;
        const endpoint = read?.data?.webhookEndpoints.edges.find((e) => e.node.id === id)?.node;
        if (!endpoint) return;
        if (retryNowSettled(endpoint.retrying ?? null, dueAt)) return setNotice(retryNowOutcome(url, broughtForward, endpoint.retrying ?? null));
        if (left > 0) reread.current = setTimeout(() => void poll(left - 1), RETRY_NOW_POLL_MS);
      };
      void poll(RETRY_NOW_POLLS);
    } catch (e) {
      setProblem(problemOf(e, { safeAgain: 'Retrying now again is harmless: it sends only what still waits for its next attempt.' }));
    } finally {
      setRetryingNow(null);
    }
  };
  const removed = (problem: ReturnType<typeof problemOf> | null, done: boolean) => {
    const was = removing;
    setRemoving(null);
    setProblem(problem);
    setNotice(done && was ? `${was.url} was removed: nothing more is sent to it.` : null);
    // Back to the button that opened it, or, once removed, the row's Enable again that replaced it.
    requestAnimationFrame(() => {
      const row = was?.opener?.closest('tr');
      (was?.opener?.isConnected ? was.opener : row?.querySelector<HTMLButtonElement>('button'))?.focus();
    });
  };

  return (
    <>
      <PageTitle app={APP}>Webhooks</PageTitle>
      {removing ? <ConfirmRemove endpoint={removing} onDone={removed} /> : null}
      <ProblemAlert problem={error ? problemOf(error) : problem} onRetry={error ? retryOf(endpoints.error ? endpoints : failed) : tryAgain} />
      <ReadOnlyNote />
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      {!endpoints.data && !endpoints.error ? <Loading what="webhook endpoints" /> : null}
      {endpoints.data ? (
        <DataTable
          label="Webhook endpoints"
          rows={endpoints.data.webhookEndpoints.edges.length}
          empty="No endpoint is registered: register one below (a partner with the webhooks:manage scope may register its own through the API: README, Webhooks)."
          caption="Endpoints, newest first. Retrying: deliveries to it failed and wait for their next attempt (how many, since when the first of them failed, the last error). Failing: a delivery to it failed every attempt (at least about 29 hours of retries) and none has been delivered since."
          columns={[{ label: 'URL' }, { label: 'Partner' }, { label: 'Events' }, { label: 'Registered' }, { label: 'State' }, { label: 'Change' }]}
        >
          <tbody>
            {endpoints.data.webhookEndpoints.edges.map(({ node: e }) => (
              <tr key={e.id} data-testid="webhook-endpoint-row">
                <td>
                  <span className="code">{e.url}</span>
                  {/* what the operator who registered it wrote, so the next one knows what it is for (newcomer-46: stored and never shown) */}
                  {e.description ? <span className="muted"> — {e.description}</span> : null}
                </td>
                <td>{e.partner?.name ?? 'the program'}</td>
                {/* by the names their messages carry, as the Register form lists them (newcomer-46: SALE_PROCESSED here, sale.processed there) */}
                <td className="code">{e.eventTypes.map(wireName).join(', ')}</td>
                <td>{formatDateTime(e.createdAt)}</td>
                <td>
                  {e.disabledAt ? (
                    `Removed ${formatDateTime(e.disabledAt)}`
                  ) : e.failingSince || e.retrying ? (
                    <>
                      {e.failingSince ? <span className="state off">Failing since {formatDateTime(e.failingSince)}</span> : null}
                      {e.failingSince && e.retrying ? ' ' : null}
                      {e.retrying ? <span className="state warn">{retryingState(e.retrying)}</span> : null}
                    </>
                  ) : (
                    'Receiving'
                  )}
                </td>
                <td>
                  {e.disabledAt ? (
                    <button type="button" className="secondary" disabled={role !== 'operator'} onClick={() => void enableAgain(e.id, e.url)}>
                      Enable again<span className="sr-only"> {e.url}</span>
                    </button>
                  ) : (
                    <>
                      {e.retrying ? (
                        <button type="button" disabled={role !== 'operator' || retryingNow === e.id} onClick={() => void sendNow(e.id, e.url)}>
                          Retry now<span className="sr-only"> {e.url}</span>
                        </button>
                      ) : null}
                      {e.retrying ? ' ' : null}
                      <button
                        type="button"
                        className="secondary"
                        disabled={role !== 'operator'}
                        onClick={(event) => {
                          setProblem(null);
                          setNotice(null);
                          setRemoving({ id: e.id, url: e.url, owner: e.partner?.name ?? 'the program', opener: event.currentTarget });
                        }}
                      >
                        Remove<span className="sr-only"> {e.url}</span>
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </DataTable>
      ) : null}
      <ShowOlder pageInfo={endpoints.data?.webhookEndpoints.pageInfo} fetchMore={endpoints.fetchMore} />
      <h2>Failed deliveries</h2>
      {!failed.data && !failed.error ? <Loading what="failed deliveries" /> : null}
      {failed.data && failed.data.webhookDeliveries.edges.length === 0 ? (
        // Replays can empty the pages loaded while older ones are left to show.
        <p>{failed.data.webhookDeliveries.pageInfo.hasNextPage ? 'None of those shown is left failed: show older ones.' : 'No delivery has failed (within the event retention).'}</p>
      ) : null}
      {failed.data && failed.data.webhookDeliveries.edges.length > 0 ? (
        <DataTable
          label="Failed deliveries"
          rows={failed.data.webhookDeliveries.edges.length}
          empty="No delivery has failed."
          caption="Deliveries that failed every attempt, newest first, kept for the event retention. A removed endpoint's are not sent again."
          columns={[{ label: 'Message' }, { label: 'Event' }, { label: 'Endpoint' }, { label: 'Attempts' }, { label: 'Last error' }, { label: 'Failed' }, { label: 'Send again' }]}
        >
          <tbody>
            {failed.data.webhookDeliveries.edges.map(({ node: d }) => (
              <tr key={d.id} data-testid="failed-delivery-row">
                <td className="code">{d.messageId}</td>
                <td>{d.eventType}</td>
                <td className="code">{d.endpoint.url}</td>
                <td>
                  <AttemptLog attempts={d.attempts} log={d.attemptLog} messageId={d.messageId} />
                </td>
                <td>{d.lastError ?? ''}</td>
                <td>{formatDateTime(d.finishedAt)}</td>
                <td>
                  {d.endpoint.disabledAt ? (
                    `Endpoint removed ${formatDateTime(d.endpoint.disabledAt)}`
                  ) : (
                    <button type="button" className="secondary" disabled={role !== 'operator'} onClick={() => void replayOne(d.id, d.messageId)}>
                      Replay<span className="sr-only"> {d.messageId}</span>
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </DataTable>
      ) : null}
      <ShowOlder pageInfo={failed.data?.webhookDeliveries.pageInfo} fetchMore={failed.fetchMore} />
      {replayable.length > 0 ? (
        <ActionForm
          title="Replay an endpoint's failed deliveries"
          checkIn="the Failed deliveries table above after reloading the page (a delivery being sent again leaves it)"
          submitLabel="Replay all failed"
          onSubmit={async (form, idempotencyKey) => {
            const { data, extensions } = await replayAll({ variables: { input: { endpointId: text(form, 'endpointId') ?? '', idempotencyKey } } });
            const result = data?.replayFailedWebhookDeliveries;
            const count = result?.replayed ?? 0;
            const deliveries = `${count === 1 ? '1 delivery' : `${count} deliveries`} to ${result?.endpoint?.url ?? 'the endpoint'}`;
            const left = skippedText(result?.skipped);
            if (result?.endpoint && answeredByReplay(extensions, 'replayFailedWebhookDeliveries')) {
              // The first submit's count; nothing was sent now (see replayAll's update).
              void failed.refetch().catch(() => undefined);
              return {
                userErrors: result.userErrors,
                replayed: true,
                notice: `${deliveries} ${count === 1 ? 'was' : 'were'} set to be sent again then; any listed below failed since and were not: replay again to send them.${left}`,
              };
            }
            return { userErrors: result?.userErrors, notice: `${deliveries} ${count === 1 ? 'is' : 'are'} being sent again.${left}` };
          }}
        >
          <label htmlFor="f-endpointId">Endpoint (once its receiver is mended: every FAILED delivery to it is sent again)</label>
          <select id="f-endpointId" name="endpointId" defaultValue={(replayable.find((e) => e.failingSince) ?? replayable[0]).id}>
            {replayable.map((e) => (
              <option key={e.id} value={e.id}>
                {e.url} ({e.partner?.name ?? 'the program'}){e.failingSince ? ', failing' : ''}
              </option>
            ))}
          </select>
        </ActionForm>
      ) : null}
      <RegisterEndpoint onRegistered={() => void endpoints.refetch().catch(() => undefined)} />
    </>
  );
}
