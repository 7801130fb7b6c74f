import { useApolloClient, useQuery } from '@apollo/client/react';
import { useEffect, useState, type ReactNode } from 'react';
import { createLiveClient, subscribeAfter, type AnswerWithinContext, type LiveEnd, type OwnRetriesContext } from '../shared/api';
import { retryWaitMs } from '../shared/backoff';
import { currentToken } from '../shared/session';
import { ERROR_MESSAGES, problemOf, ProblemAlert, retryOf } from '../shared/errors';
import { Frame, formatPoints, formatPointsChange, type NavItem } from '../shared/ui';
import {
  MemberBalanceChangedDocument,
  MemberLastEventIdDocument,
  MemberProfileDocument,
  MemberWalletChangedDocument,
  type MemberBalanceChangedSubscription,
  type MemberWalletChangedSubscription,
} from './gql/graphql';

export const APP = 'Bean & Leaf rewards';

type LiveState = 'connecting' | 'connected' | 'offline' | 'closed';

/**
 * Codes of a failed resume-point read (`lastEventId`) that reading again can mend: the gateway busy
 * (SERVICE_UNAVAILABLE, RATE_LIMITED, SHUTTING_DOWN, a 503/429), no answer (NETWORK: fetch failed;
 * NO_ANSWER: nothing came within POINT_ANSWER_WITHIN_MS; OFFLINE: the browser is offline, and the
 * wait ends when it is back online, web-23), or a fault on its side (INTERNAL_SERVER_ERROR,
 * also a proxy's 502/504). The shell reads again
 * after `retryWaitMs` until it is answered (live-22). UNAUTHENTICATED signs the member out; any
 * other code (the app's version unknown to the gateway, FORBIDDEN) is shown with "Try again".
 */
export const POINT_RETRIED_CODES: ReadonlySet<string> = new Set(['SERVICE_UNAVAILABLE', 'RATE_LIMITED', 'SHUTTING_DOWN', 'NETWORK', 'NO_ANSWER', 'OFFLINE', 'INTERNAL_SERVER_ERROR']);

/**
 * How long one attempt to read the resume point waits for its answer (milliseconds; `answerWithin`):
 * a read the network left hanging is taken as failed and sent again, as the live socket takes a
 * ping without its pong for dead (LIVE_PONG_TIMEOUT_MS). The read is one indexed row.
 */
export const POINT_ANSWER_WITHIN_MS = 10_000;

/** Thrown by the shell's waits once it is unmounted or restarted: nothing is to be done with it. */
const GONE = Symbol('the shell effect ended');

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

/** How many of the latest live announcements stay in the live region (older ones are removed, unread again). */
const KEPT_ANNOUNCEMENTS = 3;

/**
 * The member's frame: who is signed in and their balance, the navigation, and the live feed.
 * Each balance or wallet event refetches what is on screen and is announced to screen readers.
 * The screens read only after the member's resume point (`lastEventId`), and the subscriptions
 * start after it and resume after their last event on every reconnection (live-21): a change is
 * either in what the screens read or in what the feed replays, never in neither. A read of that
 * point the gateway could not answer is sent again with back-off until it is, first or after
 * EVENT_ID_EXPIRED, the badge ("Offline") and a notice saying so meanwhile (live-22).
 */
export function MemberShell({ token, onSignOut, children }: { token: string; onSignOut: (because?: string) => void; children: ReactNode }) {
  const client = useApolloClient();
  // The screens read only once the resume point is read (live-21): see the effect below.
  const [started, setStarted] = useState(false);
  const [startFailed, setStartFailed] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  const profile = useQuery(MemberProfileDocument, { skip: !started });
  const [live, setLive] = useState<LiveState>('connecting');
  // The last few announcements, each its own node added to the live region: a screen reader reads
  // each addition, where a region whose one text is replaced may drop a message replaced before it
  // was read (a till's redemption followed at once by the sale's points: lists-32-live's flake).
  const [announcements, setAnnouncements] = useState<{ id: number; text: string }[]>([]);
  const setAnnouncement = (text: string) => setAnnouncements((shown) => [...shown.slice(-(KEPT_ANNOUNCEMENTS - 1)), { id: (shown.at(-1)?.id ?? 0) + 1, text }]);

  useEffect(() => {
    let gone = false;
    setStartFailed(null);
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
    // The resume point is read before what the screens show (live-21). An event is written in its
    // change's transaction, so a change whose event is at or before this point has committed and
    // every read begun after shows it; one after it is replayed to the subscriptions, which start
    // `after` it. Read after the screens (or beside them), a change committed in between was in
    // neither: the header kept the old balance until the next event.
    const lastEventId = () =>
      client
        .query({
          query: MemberLastEventIdDocument,
          fetchPolicy: 'network-only',
          // One attempt per read: readPoint's back-off is the only one (break2-22).
          context: { answerWithinMs: POINT_ANSWER_WITHIN_MS, ownRetries: true } satisfies AnswerWithinContext & OwnRetriesContext,
        })
        .then(({ data }) => data!.lastEventId);
    // The waits between reads of the point: ended early when the browser is back online or the tab
    // is shown again, unless the gateway's hint still runs (as the live socket's waits), and all
    // when the effect ends.
    const sleeping = new Map<ReturnType<typeof setTimeout>, { resolve: () => void; notBefore: number }>();
    const sleep = (ms: number, hintSeconds = 0) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => (sleeping.delete(timer), resolve()), ms);
        sleeping.set(timer, { resolve, notBefore: Date.now() + hintSeconds * 1000 });
      });
    const wake = (all: boolean) => {
      for (const [timer, { resolve, notBefore }] of sleeping) {
        if (!all && Date.now() < notBefore) continue;
        clearTimeout(timer);
        sleeping.delete(timer);
        resolve();
      }
    };
    const online = () => wake(false);
    const visible = () => (document.visibilityState === 'visible' ? wake(false) : undefined);
    window.addEventListener('online', online);
    document.addEventListener('visibilitychange', visible);
    /**
     * The resume point, read until it is answered (live-22): a read the gateway could not answer
     * (busy, no answer, a fault: POINT_RETRIED_CODES) is sent again after `retryWaitMs` (capped full
     * jitter, never sooner than the gateway's `retryAfter`), the badge and the notice saying the feed
     * is down meanwhile. Each read is one request (`ownRetries`: break2-22), so the waits grow from
     * 1 s to the 30 s cap between single requests. Before, one failed
     * read after EVENT_ID_EXPIRED ended both subscriptions for good under "Offline", and a failed
     * first read waited for the member's "Try again". Rejects with GONE once the effect has ended,
     * else with the error of a code reading again cannot mend (UNAUTHENTICATED among them).
     */
    const readPoint = async (): Promise<string> => {
      for (let failures = 0; ; failures++) {
        try {
          const point = await lastEventId();
          if (gone) throw GONE;
          pointDown = false;
          return point;
        } catch (error) {
          if (gone || error === GONE) throw GONE;
          const problem = problemOf(error);
          if (!POINT_RETRIED_CODES.has(problem.code)) throw error;
          pointDown = true;
          setLive((now) => (now === 'closed' ? now : 'offline'));
          await sleep(retryWaitMs(failures, problem.retryAfter), problem.retryAfter);
          if (gone) throw GONE;
        }
      }
    };
    // A point read that reading again cannot mend: a refused token signs the member out, as the
    // live socket's 4401 for the only token the tab has; anything else is shown with "Try again".
    const failed = (error: unknown) => {
      if (gone || error === GONE) return;
      if (problemOf(error).code === 'UNAUTHENTICATED') return onSignOut(LIVE_END_MESSAGES['signed-out']);
      setStartFailed(error);
    };
    /** Whether the live socket is open now (its `connected` and `closed` events). */
    let socketOpen = false;
    /** Whether the last read of the point failed: the feed is down, whatever the socket, until one is answered. */
    let pointDown = false;
    /** "Live" on an open socket, unless the feed waits for a point. */
    const up = () => setLive((now) => (now === 'closed' ? now : pointDown ? 'offline' : 'connected'));
    // EVENT_ID_EXPIRED (a disconnection longer than the replay window): a new point, then the screens
    // read again. The two subscriptions' refusals share one read (a refresh begun after it serves both).
    let rereading: Promise<string> | null = null;
    const restartAfter = () =>
      (rereading ??= readPoint()
        .then(
          (point) => {
            // Live again once the point is read (the badge said "Offline" while it was not).
            if (socketOpen) up();
            refresh();
            return point;
          },
          (error: unknown) => {
            failed(error);
            throw error;
          },
        )
        .finally(() => (rereading = null)));
    let connections = 0;
    const offConnected = ws.on('connected', () => {
      socketOpen = true;
      setLive(pointDown ? 'offline' : 'connected');
      // Each subscription resumes after its last event, so what changed while disconnected is
      // replayed; this reads what no event announces (stock, new listings) once more.
      if (connections++ > 0) refresh();
    });
    // "Offline" (reconnecting), unless the feed stopped for good.
    const down = () => setLive((now) => (now === 'closed' ? now : 'offline'));
    const offClosed = ws.on('closed', () => ((socketOpen = false), down()));
    // A subscription the gateway ended busy was sent again on the open socket, after its last
    // event: live again (lead-13: the badge said "Offline" for good), and what changed is replayed.
    const offResubscribed = ws.on('resubscribed', up);
    let stopBalance = () => {};
    let stopWallet = () => {};
    readPoint().then((point) => {
      setStarted(true);
      // "Connecting…" again after failed reads: the socket opens with the subscriptions below.
      setLive((now) => (now === 'offline' ? 'connecting' : now));
      stopBalance = subscribeAfter<MemberBalanceChangedSubscription>(ws, MemberBalanceChangedDocument, point, {
        eventIdOf: (data) => data.balanceChanged.eventId,
        data: ({ balanceChanged: b }) => {
          // The change with the page's thousands separator: "(-1000)" read beside "1,000 BEANS" (newcomer-22).
          const change = b.change ? ` (${formatPointsChange(b.change.amount)})` : '';
          setAnnouncement(`Your balance is now ${formatPoints(b.available, b.currency.code)}${change}.`);
          refresh();
        },
        // An event the gateway could not resolve: the feed goes on; read what it would have said.
        missed: refresh,
        ended: down,
        expired: restartAfter,
      });
      stopWallet = subscribeAfter<MemberWalletChangedSubscription>(ws, MemberWalletChangedDocument, point, {
        eventIdOf: (data) => data.walletChanged.eventId,
        data: ({ walletChanged: w }) => {
          setAnnouncement(`Wallet: an offer was ${w.change.toLowerCase().replace(/_/g, ' ')}.`);
          // The offer as it is now, on whichever page of the wallet it is shown: the refresh below
          // reads the first page again and keeps the pages after it as they were read (break32e).
          const offer = w.issuedOffer;
          if (offer) {
            const { id, status, expiresAt, lockExpiresAt, redeemedAt } = offer;
            client.cache.modify({ id: client.cache.identify({ __typename: 'IssuedOffer', id }), fields: { status: () => status, expiresAt: () => expiresAt, lockExpiresAt: () => lockExpiresAt, redeemedAt: () => redeemedAt } });
          }
          refresh();
        },
        missed: refresh,
        ended: down,
        expired: restartAfter,
      });
    }, failed);
    return () => {
      gone = true;
      wake(true);
      window.removeEventListener('online', online);
      document.removeEventListener('visibilitychange', visible);
      stopBalance();
      stopWallet();
      offConnected();
      offClosed();
      offResubscribed();
      dispose();
    };
  }, [client, token, onSignOut, attempt]);

  const failure = startFailed ?? profile.error;
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
      <div aria-live="polite" aria-relevant="additions" className="sr-only" data-testid="live-announcement">
        {announcements.map(({ id, text }) => (
          <p key={id} data-testid="live-message">
            {text}
          </p>
        ))}
      </div>
      {live === 'offline' && !startFailed ? (
        <p className="notice" role="status" data-testid="live-stale">
          {started ? 'Not connected: your balance and wallet may be out of date. Reconnecting…' : 'Not connected yet: your points and rewards show once the app reaches the service. Reconnecting…'}
        </p>
      ) : null}
      {live === 'closed' ? (
        <p className="alert" role="alert" data-testid="live-ended">
          {LIVE_END_MESSAGES['account-closed']}
        </p>
      ) : null}
      {failure ? <ProblemAlert problem={problemOf(failure)} onRetry={startFailed ? undefined : retryOf(profile)} /> : null}
      {failure && problemOf(failure).code === 'UNAUTHENTICATED' ? (
        <p>
          <button type="button" onClick={() => onSignOut(problemOf(failure).message)}>
            Sign in again
          </button>
        </p>
      ) : null}
      {startFailed ? (
        <p>
          <button type="button" onClick={() => setAttempt((n) => n + 1)}>
            Try again
          </button>
        </p>
      ) : null}
      {started ? children : null}
    </Frame>
  );
}
