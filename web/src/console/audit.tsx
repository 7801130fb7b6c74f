import { useQuery } from '@apollo/client/react';
import { problemOf, ProblemAlert, retryOf } from '../shared/errors';
import { DataTable, formatDateTime, Loading, PageTitle, ShowOlder } from '../shared/ui';
import { ConsoleAuditLogDocument } from './gql/graphql';
import { APP } from './shell';

/** Every staff change, newest first. */
export function AuditLog() {
  const query = useQuery(ConsoleAuditLogDocument, { fetchPolicy: 'network-only' });
  const { data, error, fetchMore } = query;
  const page = data?.auditLog;
  return (
    <>
      <PageTitle app={APP}>Audit log</PageTitle>
      <ProblemAlert problem={error ? problemOf(error) : null} onRetry={retryOf(query)} />
      {!page && !error ? <Loading what="the audit log" /> : null}
      {page ? (
        <DataTable
          label="Audit log"
          caption="Staff changes, newest first"
          rows={page.edges.length}
          empty="Nothing recorded yet."
          columns={[
            { label: 'When' },
            { label: 'Who' },
            { label: 'Action' },
            { label: 'On' },
            { label: 'Reason' },
            { label: 'Details' },
          ]}
        >
          <tbody>
            {page.edges.map(({ node: a }) => (
              <tr key={a.id} data-testid="audit-row">
                <td>{formatDateTime(a.at)}</td>
                <td>{a.actor}</td>
                <td>{a.action}</td>
                <td>{a.target}</td>
                <td>{a.reason ?? ''}</td>
                <td>
                  <code style={{ wordBreak: 'break-all' }}>{a.details ? JSON.stringify(a.details) : ''}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </DataTable>
      ) : null}
      <ShowOlder pageInfo={page?.pageInfo} fetchMore={fetchMore} />
    </>
  );
}
