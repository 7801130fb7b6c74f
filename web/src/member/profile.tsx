import { useQuery } from '@apollo/client/react';
import { problemOf, ProblemAlert, retryOf } from '../shared/errors';
import { formatLocalDateTime, formatPoints, Loading, PageTitle } from '../shared/ui';
import { formatMoney, timesWhole } from '../shared/money';
import { MemberProfileDocument } from './gql/graphql';
import { APP } from './shell';

/** Balances, tier and the way to the next one, points expiring soon. */
export function Profile() {
  const query = useQuery(MemberProfileDocument);
  const { data, error } = query;
  const me = data?.me;
  return (
    <>
      <PageTitle app={APP}>My points</PageTitle>
      <ProblemAlert problem={error ? problemOf(error) : null} onRetry={retryOf(query)} />
      {!me && !error ? <Loading what="your points" /> : null}
      {me ? (
        <div className="grid">
          {me.balances.length === 0 ? (
            // A new member has no account until something credits one: the page showed no points at
            // all, only the tier card (newcomer-22).
            <section className="card" aria-labelledby="bal-none">
              <h2 id="bal-none">{me.tier?.currency.name ?? 'Points'}</h2>
              <p className="big" data-testid="balance-none">
                {formatPoints(0, me.tier?.currency.code)}
              </p>
              <p>No points yet: your purchases at the till earn them, and they show here.</p>
            </section>
          ) : null}
          {me.balances.map((b) => (
            <section key={b.currency.code} className="card" aria-labelledby={`bal-${b.currency.code}`}>
              <h2 id={`bal-${b.currency.code}`}>{b.currency.name}</h2>
              <p className="big" data-testid={`balance-${b.currency.code}`}>
                {formatPoints(b.available, b.currency.code)}
              </p>
              <p className="muted">worth {formatMoney(timesWhole(b.currency.pointValue, b.available), b.currency.moneyCurrency)}</p>
              <p>
                Pending: {formatPoints(b.pending, b.currency.code)} · Earned in all: {formatPoints(b.lifetimeEarned, b.currency.code)}
              </p>
              <h3>Expiring soon</h3>
              {b.expiringSoon.length === 0 ? (
                <p className="muted">Nothing expires soon.</p>
              ) : (
                <ul>
                  {b.expiringSoon.map((e) => (
                    <li key={e.expiresAt}>
                      {formatPoints(e.amount, b.currency.code)} expire {formatLocalDateTime(e.expiresAt)}
                    </li>
                  ))}
                </ul>
              )}
            </section>
          ))}
          {/* No tier and none to reach: the program has no ladder, so no card claiming a top tier (newcomer-18). */}
          {me.tier || me.nextTier ? (
            <section className="card" aria-labelledby="tier-h">
              <h2 id="tier-h">Tier</h2>
              <p className="big" data-testid="tier">
                {me.tier?.name ?? 'None'}
              </p>
              {me.nextTier ? (
                <>
                  <p>
                    {/* In the next tier's own currency (NextTier.currency, web-23): the member's tier or one
                        balance told the unit, and said "BEANS" for a tier counting STARS. */}
                    {formatPoints(me.nextTier.pointsNeeded, me.nextTier.currency.code)} more to earn for {me.nextTier.name}
                  </p>
                  <div
                    className="progress"
                    role="progressbar"
                    aria-label={`Progress to ${me.nextTier.name}`}
                    aria-valuemin={0}
                    aria-valuemax={me.nextTier.threshold}
                    aria-valuenow={Math.max(0, me.nextTier.threshold - me.nextTier.pointsNeeded)}
                  >
                    <div style={{ width: `${(100 * Math.max(0, me.nextTier.threshold - me.nextTier.pointsNeeded)) / Math.max(1, me.nextTier.threshold)}%` }} />
                  </div>
                </>
              ) : (
                <p>You are at the top tier.</p>
              )}
            </section>
          ) : null}
        </div>
      ) : null}
    </>
  );
}
