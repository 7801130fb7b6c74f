import { useQuery } from '@apollo/client/react';
import { problemOf, ProblemAlert } from '../shared/errors';
import { formatDateTime, formatPoints, Loading, PageTitle } from '../shared/ui';
import { MemberHistoryDocument } from './gql/graphql';
import { APP } from './shell';

const KIND_TEXT: Record<string, string> = { EARN: 'Earned', SPEND: 'Spent', EXPIRE: 'Expired', ADJUST: 'Adjusted', REVERSAL: 'Returned' };

/** The member's ledger, newest first, a page at a time. */
export function History() {
  const { data, error, fetchMore } = useQuery(MemberHistoryDocument);
  const page = data?.me?.pointHistory;
  return (
    <>
      <PageTitle app={APP}>Point history</PageTitle>
      <ProblemAlert problem={error ? problemOf(error) : null} />
      {!page && !error ? <Loading what="your history" /> : null}
      {page ? (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Point history">
          <table>
            <caption className="sr-only">Point movements, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">What</th>
                <th scope="col" className="num">
                  Points
                </th>
                <th scope="col" className="num">
                  Balance after
                </th>
              </tr>
            </thead>
            <tbody>
              {page.edges.map(({ node: e }) => (
                <tr key={e.id}>
                  <td>{formatDateTime(e.createdAt)}</td>
                  <td>
                    {KIND_TEXT[e.kind] ?? e.kind}
                    {e.reason ? `: ${e.reason}` : ''}
                  </td>
                  <td className="num">{(e.amount > 0 ? '+' : '') + formatPoints(e.amount, e.currency.code)}</td>
                  <td className="num">{formatPoints(e.balanceAfter)}</td>
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
