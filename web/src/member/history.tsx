import { useQuery } from '@apollo/client/react';
import { problemOf, ProblemAlert, retryOf } from '../shared/errors';
import { DataTable, formatLocalDateTime, formatPoints, formatPointsChange, Loading, PageTitle, ShowOlder } from '../shared/ui';
import { MemberHistoryDocument } from './gql/graphql';
import { APP } from './shell';

/** The member's ledger, newest first, a page at a time. */
export function History() {
  const query = useQuery(MemberHistoryDocument);
  const { data, error, fetchMore } = query;
  const page = data?.me?.pointHistory;
  return (
    <>
      <PageTitle app={APP}>Point history</PageTitle>
      <ProblemAlert problem={error ? problemOf(error) : null} onRetry={retryOf(query)} />
      {!page && !error ? <Loading what="your history" /> : null}
      {page ? (
        <DataTable
          label="Point history"
          caption="Point movements, newest first"
          rows={page.edges.length}
          empty="No points yet: what you earn at the till and spend on rewards is listed here."
          columns={[
            { label: 'When' },
            { label: 'What' },
            { label: 'Points', numeric: true },
            { label: 'Balance after', numeric: true },
          ]}
        >
          <tbody>
            {page.edges.map(({ node: e }) => (
              <tr key={e.id}>
                <td>{formatLocalDateTime(e.createdAt)}</td>
                <td>{e.description}</td>
                <td className="num">{formatPointsChange(e.amount, e.currency.code)}</td>
                <td className="num">{formatPoints(e.balanceAfter, e.currency.code)}</td>
              </tr>
            ))}
          </tbody>
        </DataTable>
      ) : null}
      <ShowOlder pageInfo={page?.pageInfo} edges={page?.edges} fetchMore={fetchMore} />
    </>
  );
}
