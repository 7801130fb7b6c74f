import { useApolloClient, useQuery } from '@apollo/client/react';
import { useEffect, useState, type ReactNode } from 'react';
import { createLiveClient, subscribeById, type LiveEnd } from '../shared/api';
import { currentToken } from '../shared/session';
import { ERROR_MESSAGES, problemOf, ProblemAlert } from '../shared/errors';
import { Frame, formatPoints, type NavItem } from '../shared/ui';
import {
  MemberBalanceChangedDocument,
  MemberProfileDocument,
  MemberWalletChangedDocument,
  type MemberBalanceChangedSubscription,
  type MemberWalletChangedSubscription,
} from './gql/graphql';

export const APP = 'Bean & Leaf rewards';

type LiveState = 'connecting' | 'connected' | 'offline' | 'closed';

/** What the member reads when the live feed stops for good (src/http/ws.ts: 4401, 4403). */
export const LIVE_END_MESSAGES: Record<LiveEnd['kind'], string> = {
  // The sentence a refused token gets over HTTP (UNAUTHENTICATED): one reading of one problem.
  'signed-out': ERROR_MESSAGES.UNAUTHENTICATED,
  'account-closed': 'This account is closed, so live updates have stopped. Contact the program if you think this is a mistake.',
};

/** The main navigation, in order. */
const NAV: NavItem[] = [
  { href: '/', label: 'My points' },
  { href: '/stores', label: 'Rewards' },
  { href: '/wallet', label: 'Wallet' },
  { href: '/history', label: 'History' },
  { href: '/gifts', label: 'Gifts' },
];

/**
 * The member's frame: who is signed in and their balance, the navigation, and the live feed.
 * Each balance or wallet event refetches what is on screen and is announced to screen readers.
 */
export function MemberShell({ token, onSignOut, children }: { token: string; onSignOut: (because?: string) => void; children: ReactNode }) {
  const client = useApolloClient();
  const profile = useQuery(MemberProfileDocument);
  const [live, setLive] = useState<LiveState>('connecting');
  const [announcement, setAnnouncement] = useState('');

  useEffect(() => {
    // The token is read again at each new connection: a 4401 connects again only with another one.
    const { ws, dispose } = createLiveClient(
      'web',
      () => currentToken('web'),
      (end) => {
        if (end.kind === 'signed-out') return onSignOut(LIVE_END_MESSAGES['signed-out']);
        setLive('closed');
      },
    );
    // One refresh at a time, and one more after it when events came in meanwhile: a refresh asked
    // for while another was in flight joined it (Apollo dedupes identical in-flight queries) and
    // kept what that request had read before the newer change (test/web/web-app.browser.test.ts,
    // "a balance change that arrives while the page is still refreshing …").
    let refreshing = false;
    let again = false;
    const refresh = () => {
      if (refreshing) {
        again = true;
        return;
      }
      refreshing = true;
      void Promise.resolve(client.refetchQueries({ include: 'active' }))
        .catch(() => undefined)
        .finally(() => {
          refreshing = false;
          if (again) {
            again = false;
            refresh();
          }
        });
    };
    const offConnected = ws.on('connected', () => {
      setLive('connected');
      refresh(); // anything that changed while disconnected
    });
    // "Offline" (reconnecting), unless the feed stopped for good.
    const down = () => setLive((now) => (now === 'closed' ? now : 'offline'));
    const offClosed = ws.on('closed', down);
    // A subscription the gateway ended busy was sent again on the open socket: live again, and
    // what changed while it was down is read now (lead-13: the badge said "Offline" for good).
    const offResubscribed = ws.on('resubscribed', () => {
      setLive((now) => (now === 'closed' ? now : 'connected'));
      refresh();
    });
    const stopBalance = subscribeById<MemberBalanceChangedSubscription>(ws, MemberBalanceChangedDocument, {
      data: ({ balanceChanged: b }) => {
        const change = b.change ? ` (${b.change.amount > 0 ? '+' : ''}${b.change.amount})` : '';
        setAnnouncement(`Your balance is now ${formatPoints(b.available, b.currency.code)}${change}.`);
        refresh();
      },
      // An event the gateway could not resolve: the feed goes on; read what it would have said.
      missed: refresh,
      ended: down,
    });
    const stopWallet = subscribeById<MemberWalletChangedSubscription>(ws, MemberWalletChangedDocument, {
      data: ({ walletChanged: w }) => {
        setAnnouncement(`Wallet: an offer was ${w.change.toLowerCase().replace(/_/g, ' ')}.`);
        refresh();
      },
      missed: refresh,
      ended: down,
    });
    return () => {
      stopBalance();
      stopWallet();
      offConnected();
      offClosed();
      offResubscribed();
      dispose();
    };
  }, [client, token, onSignOut]);

  const me = profile.data?.me;
  const balance = me?.balances[0];
  return (
    <Frame
      brand={APP}
      who={
        <div className="row">
          {me ? <span>Signed in as {me.name ?? me.externalId}</span> : null}
          {balance ? (
            <span>
              Balance: <strong data-testid="header-balance">{formatPoints(balance.available, balance.currency.code)}</strong>
            </span>
          ) : null}
          <span className="badge" data-live={live}>
            {live === 'connected' ? 'Live' : live === 'connecting' ? 'Connecting…' : live === 'closed' ? 'Stopped' : 'Offline'}
          </span>
          <button type="button" className="secondary" onClick={() => onSignOut()}>
            Sign out
          </button>
        </div>
      }
      nav={NAV}
    >
      <div aria-live="polite" className="sr-only" data-testid="live-announcement">
        {announcement}
      </div>
      {live === 'offline' ? (
        <p className="notice" role="status" data-testid="live-stale">
          Not connected: your balance and wallet may be out of date. Reconnecting…
        </p>
      ) : null}
      {live === 'closed' ? (
        <p className="alert" role="alert" data-testid="live-ended">
          {LIVE_END_MESSAGES['account-closed']}
        </p>
      ) : null}
      {profile.error ? <ProblemAlert problem={problemOf(profile.error)} /> : null}
      {profile.error && problemOf(profile.error).code === 'UNAUTHENTICATED' ? (
        <p>
          <button type="button" onClick={() => onSignOut()}>
            Sign in again
          </button>
        </p>
      ) : null}
      {children}
    </Frame>
  );
}
