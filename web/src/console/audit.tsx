import { useQuery } from '@apollo/client/react';
import { problemOf, ProblemAlert } from '../shared/errors';
import { formatDateTime, Loading, PageTitle } from '../shared/ui';
import { ConsoleAuditLogDocument } from './gql/graphql';
import { APP } from './shell';

/** Every staff change, newest first. */
export function AuditLog() {
  const { data, error, fetchMore } = useQuery(ConsoleAuditLogDocument, { fetchPolicy: 'network-only' });
  const page = data?.auditLog;
  return (
    <>
      <PageTitle app={APP}>Audit log</PageTitle>
      <ProblemAlert problem={error ? problemOf(error) : null} />
      {!page && !error ? <Loading what="the audit log" /> : null}
      {page ? (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Audit log">
          <table>
            <caption className="sr-only">Staff changes, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">On</th>
                <th scope="col">Reason</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
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
          </table>
        </div>
      ) : null}
      {page?.pageInfo.hasNextPage ? (
        <p>
          <button
            type="button"
            className="secondary"
            onClick={() =>
              void fetchMore({ variables: { after: page.pageInfo.endCursor } })
            }
          >
            Show older
          </button>
        </p>
      ) : null}
    </>
  );
}
