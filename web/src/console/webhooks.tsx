import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { problemOf, problemOfUserError, ProblemAlert, retryOf } from '../shared/errors';
import { DataTable, formatDateTime, Loading, PageTitle, ShowOlder } from '../shared/ui';
import { ConsoleFailedWebhookDeliveriesDocument, ConsoleReplayWebhookDeliveryDocument, ConsoleWebhookEndpointsDocument } from './gql/graphql';
import { APP, ReadOnlyNote, useRole } from './shell';

/**
 * Webhook endpoints and whether each receives (webhooks-22): an endpoint one of whose deliveries
 * failed every attempt reads "Failing since …" until one is delivered again; below, the FAILED
 * deliveries, newest first, which an operator sends again once the receiver is mended.
 */
export function Webhooks() {
  const { role } = useRole();
  const endpoints = useQuery(ConsoleWebhookEndpointsDocument, { fetchPolicy: 'network-only' });
  const failed = useQuery(ConsoleFailedWebhookDeliveriesDocument, { fetchPolicy: 'network-only' });
  const [replay] = useMutation(ConsoleReplayWebhookDeliveryDocument, { refetchQueries: [ConsoleWebhookEndpointsDocument, ConsoleFailedWebhookDeliveriesDocument] });
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
          caption="Endpoints, newest first. Failing: a delivery to it failed every attempt (about 29 hours of retries) and none has been delivered since."
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
      {failed.data && failed.data.webhookDeliveries.edges.length === 0 ? <p>No delivery has failed (within the event retention).</p> : null}
      {failed.data && failed.data.webhookDeliveries.edges.length > 0 ? (
        <DataTable
          label="Failed deliveries"
          caption="Deliveries that failed every attempt, newest first, kept for the event retention"
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
                  <button type="button" className="secondary" disabled={role !== 'operator'} onClick={() => void send(d.id, d.messageId)}>
                    Replay<span className="sr-only"> {d.messageId}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </DataTable>
      ) : null}
      <ShowOlder pageInfo={failed.data?.webhookDeliveries.pageInfo} fetchMore={failed.fetchMore} />
    </>
  );
}
