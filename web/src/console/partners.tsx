import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { problemOf, ProblemAlert, retryOf } from '../shared/errors';
import { DataTable, formatDate, formatDateTime, Loading, PageTitle, useFocusReturn } from '../shared/ui';
import { ConsoleCreatePartnerDocument, ConsolePartnersDocument, ConsoleRegisterManifestDocument, ConsoleRevokePartnerDocument } from './gql/graphql';
import { ActionForm, APP, ConfirmWithReason, Field, ReadOnlyNote, ShownOnce, text, useRole } from './shell';

/**
 * Every scope a partner may hold, as the gateway knows them (src/partners/partner.service.ts,
 * PARTNER_SCOPES; test/web/newcomer-19-console.browser.test.ts checks the form offers each):
 * webhooks:manage was missing, so no partner made here could register its own webhook endpoint.
 */
const SCOPES = ['customers:read', 'offers:redeem', 'transactions:write', 'transactions:read', 'activities:write', 'webhooks:manage'];

/**
 * The revocation of a partner's key, asked first (newcomer-40's kind: Revoke revoked at one click,
 * with no question and no reason, and a revocation cannot be undone): what revoking does, an
 * optional reason for the audit log, "Revoke partner". Revoking again is safe (a partner revoked
 * again keeps its first revocation's time), so a lost answer offers "Try again" (web-24). Cancel or
 * Escape sends nothing; the focus starts on Cancel.
 */
function RevokePartner({ partner, onDone }: { partner: { id: string; name: string }; onDone: (notice: string | null) => void }) {
  const [revokePartner] = useMutation(ConsoleRevokePartnerDocument, { refetchQueries: [ConsolePartnersDocument] });
  const act = async (reason: string | null) => {
    const { data: result } = await revokePartner({ variables: { input: { partnerId: partner.id, reason } } });
    const payload = result?.revokePartner;
    if (payload?.userErrors.length) return { userError: payload.userErrors[0] };
    return { notice: payload?.partner ? `Partner “${partner.name}” revoked: its key no longer works.` : null };
  };
  return (
    <ConfirmWithReason
      title={`Revoke “${partner.name}”?`}
      confirmLabel="Revoke partner"
      sendingText="Revoking…"
      safeAgain="Try again: revoking a partner again is safe (it keeps its first revocation’s time)."
      act={act}
      onDone={onDone}
    >
      <p>Its API key stops working at once, for every request and open socket, and cannot be made to work again: to let it back, create a partner with a new key.</p>
    </ConfirmWithReason>
  );
}

/** Partners with API keys: create one (its key is shown once), revoke one (asked first), register its operations. */
export function Partners() {
  const { role } = useRole();
  const query = useQuery(ConsolePartnersDocument);
  const { data, error } = query;
  const refetch = { refetchQueries: [ConsolePartnersDocument] };
  const [createPartner] = useMutation(ConsoleCreatePartnerDocument, refetch);
  const [register] = useMutation(ConsoleRegisterManifestDocument);
  const [newKey, setNewKey] = useState<{ name: string; key: string } | null>(null);
  const partners = data?.partners;
  // the partner whose Revoke dialog is open, and the notice of the last one revoked; the focus goes
  // back to the Revoke button, or to the notice once revoked (the button is then gone)
  const [revoking, setRevoking] = useState<{ id: string; name: string } | null>(null);
  const [revoked, setRevoked] = useState<string | null>(null);
  const focusReturn = useFocusReturn(revoking !== null);
  const revokeDone = (notice: string | null) => {
    setRevoking(null);
    if (notice) setRevoked(notice);
    focusReturn.closed(notice !== null);
  };

  return (
    <>
      <PageTitle app={APP}>Partners</PageTitle>
      <ProblemAlert problem={error ? problemOf(error) : null} onRetry={retryOf(query)} />
      <ReadOnlyNote />
      {revoked ? (
        <p className="notice" role="status" tabIndex={-1} ref={focusReturn.notice}>
          {revoked}
        </p>
      ) : null}
      {revoking ? <RevokePartner partner={revoking} onDone={revokeDone} /> : null}
      {newKey ? (
        <ShownOnce testId="new-key" thenFocus="f-partnerName" onStored={() => setNewKey(null)} credential={newKey.key}>
          The API key of <strong>{newKey.name}</strong>, shown this once (only its hash is kept): <code className="code">{newKey.key}</code>
        </ShownOnce>
      ) : null}
      {!partners && !error ? <Loading what="partners" /> : null}
      {partners ? (
        <DataTable
          label="Partners"
          rows={partners.length}
          empty="No partner yet: create one below."
          columns={[
            { label: 'Partner' },
            { label: 'Key starts' },
            { label: 'Scopes' },
            // A UTC day, said in the heading as the campaigns' "Days (UTC)"; a revocation is an instant (polish-22).
            { label: 'Created (UTC)' },
            { label: 'State' },
          ]}
        >
          <tbody>
            {partners.map((p) => (
              <tr key={p.id}>
                <td>{p.name}</td>
                <td className="code">{p.keyPrefix}…</td>
                <td>{p.scopes.join(', ')}</td>
                <td>{formatDate(p.createdAt)}</td>
                <td>
                  {p.revokedAt ? (
                    `revoked ${formatDateTime(p.revokedAt)}`
                  ) : (
                    <button
                      type="button"
                      className="secondary"
                      disabled={role !== 'operator'}
                      onClick={(event) => {
                        focusReturn.opened(event.currentTarget);
                        setRevoked(null);
                        setRevoking({ id: p.id, name: p.name });
                      }}
                    >
                      Revoke<span className="sr-only"> {p.name}</span>
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </DataTable>
      ) : null}
      <div className="grid" style={{ marginTop: '1rem' }}>
        <ActionForm
          title="Create a partner"
          checkIn="the Partners table above after reloading the page (a created partner shows by its name)"
          submitLabel="Create partner"
          onSubmit={async (form, idempotencyKey) => {
            const scopes = form.getAll('scopes').map(String);
            const { data: result } = await createPartner({ variables: { input: { name: text(form, 'partnerName') ?? '', scopes, idempotencyKey } } });
            const payload = result?.createPartner;
            if (payload?.apiKey && payload.partner) setNewKey({ name: payload.partner.name, key: payload.apiKey });
            // a resend after a lost answer: the partner was created by the first submit, whose answer held its key
            if (payload?.apiKeyWithheld) {
              return {
                notice: `Partner “${payload.partner?.name}” was already created by your earlier submit, whose answer was lost: its API key is shown only once. Revoke it below and create it again to get a key.`,
              };
            }
            return { userErrors: payload?.userErrors, notice: 'Partner created: copy its key above now.' };
          }}
        >
          <Field label="Name" name="partnerName" required />
          <fieldset>
            <legend>Scopes</legend>
            {SCOPES.map((s) => (
              <label key={s} className="check">
                <input type="checkbox" name="scopes" value={s} /> {s}
              </label>
            ))}
          </fieldset>
        </ActionForm>
        <ActionForm
          title="Register a partner's operations"
          submitLabel="Register manifest"
          safeAgain="Try again: sending the same manifest again is safe, an operation already registered is not added twice (the count says how many were new)."
          onSubmit={async (form) => {
            let manifest: unknown;
            try {
              manifest = JSON.parse(text(form, 'manifest') ?? '');
            } catch {
              return { userErrors: [{ code: 'INVALID', message: 'The manifest is not valid JSON.' }] };
            }
            const client = text(form, 'client') ?? '';
            const { data: result } = await register({ variables: { input: { client, manifest } } });
            const payload = result?.registerPersistedOperations;
            // Named, as the form is reset: "1 operation(s) added." said nothing of whose list grew (newcomer-23).
            const name = partners?.find((p) => p.id === client)?.name ?? client;
            return { userErrors: payload?.userErrors, notice: `Registered for “${name}”: ${payload?.count ?? 0} operation(s) added (those it already had are unchanged).` };
          }}
        >
          <label htmlFor="f-client">Partner</label>
          {/* No partner chosen by default: the newest one was, and a manifest went to the wrong partner unnoticed (newcomer-23). */}
          <select id="f-client" name="client" required defaultValue="">
            <option value="" disabled>
              Choose a partner…
            </option>
            {partners
              ?.filter((p) => !p.revokedAt)
              .map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
          </select>
          <label htmlFor="f-manifest">Persisted query manifest (JSON)</label>
          <textarea id="f-manifest" name="manifest" rows={6} required aria-describedby="f-manifest-hint" />
          <p id="f-manifest-hint" className="muted">
            {'{ "format": "apollo-persisted-query-manifest", "version": 1, "operations": [...] }'}
          </p>
        </ActionForm>
      </div>
    </>
  );
}
