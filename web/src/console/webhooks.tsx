import type { ApolloCache, Reference } from '@apollo/client';
import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { answeredByReplay } from '../shared/api';
import { problemOf, problemOfUserError, ProblemAlert, retryOf } from '../shared/errors';
import { DataTable, formatDateTime, Loading, PageTitle, ShowOlder } from '../shared/ui';
import {
  ConsoleFailedWebhookDeliveriesDocument,
  ConsoleReplayFailedWebhookDeliveriesDocument,
  ConsoleReplayWebhookDeliveryDocument,
  ConsoleWebhookEndpointsDocument,
} from './gql/graphql';
import { ActionForm, APP, ReadOnlyNote, text, useRole } from './shell';

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
 * Webhook endpoints and whether each receives (webhooks-22): an endpoint one of whose deliveries
 * failed every attempt reads "Failing since …" until one is delivered again; below, the FAILED
 * deliveries, newest first, which an operator sends again once the receiver is mended. A removed
 * endpoint's FAILED deliveries are listed for the record, without a Replay (the API refuses it:
 * INVALID, "Its endpoint was removed."; webhooks-23).
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
  const replayable = (endpoints.data?.webhookEndpoints.edges ?? []).map((e) => e.node).filter((e) => !e.disabledAt);
  const [problem, setProblem] = useState<ReturnType<typeof problemOf> | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const error = endpoints.error ?? failed.error;

  const send = async (deliveryId: string, messageId: string) => {
    setProblem(null);
    setNotice(null);
    try {
      const { data } = await replay({ variables: { input: { deliveryId } } });
      const refused = data?.replayWebhookDelivery.userErrors[0];
      if (refused) setProblem(problemOfUserError(refused));
      else setNotice(`${messageId} is being sent again.`);
    } catch (e) {
      setProblem(problemOf(e, { checkIn: `the Failed deliveries table below (${messageId} leaves it once it is being sent again)` }));
    }
  };

  return (
    <>
      <PageTitle app={APP}>Webhooks</PageTitle>
      <ProblemAlert problem={error ? problemOf(error) : problem} onRetry={retryOf(endpoints.error ? endpoints : failed)} />
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
          empty="No endpoint is registered. An operator registers one with the API's registerWebhookEndpoint, and a partner with the webhooks:manage scope its own (README, Webhooks)."
          caption="Endpoints, newest first. Failing: a delivery to it failed every attempt (at least about 29 hours of retries) and none has been delivered since."
          columns={[{ label: 'URL' }, { label: 'Partner' }, { label: 'Events' }, { label: 'Registered' }, { label: 'State' }]}
        >
          <tbody>
            {endpoints.data.webhookEndpoints.edges.map(({ node: e }) => (
              <tr key={e.id} data-testid="webhook-endpoint-row">
                <td className="code">{e.url}</td>
                <td>{e.partner?.name ?? 'the program'}</td>
                <td>{e.eventTypes.join(', ')}</td>
                <td>{formatDateTime(e.createdAt)}</td>
                <td>
                  {e.disabledAt ? (
                    `Removed ${formatDateTime(e.disabledAt)}`
                  ) : e.failingSince ? (
                    <strong className="badge warn">Failing since {formatDateTime(e.failingSince)}</strong>
                  ) : (
                    'Receiving'
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
                <td>{d.attempts}</td>
                <td>{d.lastError ?? ''}</td>
                <td>{formatDateTime(d.finishedAt)}</td>
                <td>
                  {d.endpoint.disabledAt ? (
                    `Endpoint removed ${formatDateTime(d.endpoint.disabledAt)}`
                  ) : (
                    <button type="button" className="secondary" disabled={role !== 'operator'} onClick={() => void send(d.id, d.messageId)}>
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
          submitLabel="Replay all failed"
          onSubmit={async (form, idempotencyKey) => {
            const { data, extensions } = await replayAll({ variables: { input: { endpointId: text(form, 'endpointId') ?? '', idempotencyKey } } });
            const result = data?.replayFailedWebhookDeliveries;
            const count = result?.replayed ?? 0;
            const deliveries = `${count === 1 ? '1 delivery' : `${count} deliveries`} to ${result?.endpoint?.url ?? 'the endpoint'}`;
            if (result?.endpoint && answeredByReplay(extensions, 'replayFailedWebhookDeliveries')) {
              // The first submit's count; nothing was sent now (see replayAll's update).
              void failed.refetch().catch(() => undefined);
              return {
                userErrors: result.userErrors,
                replayed: true,
                notice: `${deliveries} ${count === 1 ? 'was' : 'were'} set to be sent again then; any listed below failed since and were not: replay again to send them.`,
              };
            }
            return { userErrors: result?.userErrors, notice: `${deliveries} ${count === 1 ? 'is' : 'are'} being sent again.` };
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
    </>
  );
}
