import { useMutation, useQuery } from '@apollo/client/react';
import { useEffect, useRef, useState } from 'react';
import { problemOf, problemOfUserError, ProblemAlert, retryOf, useGuardedSend } from '../shared/errors';
import { formatLocalDateTime, formatPoints, Loading, PageTitle } from '../shared/ui';
import { answeredByReplay } from '../shared/api';
import { dropKeptKey, keptKey } from '../shared/session';
import { MemberClaimGiftDocument, MemberGiftsDocument, MemberProfileDocument, MemberWalletDocument } from './gql/graphql';
import { APP } from './shell';

/** Threshold gift lists: how close the member is, and claiming one option (idempotent per attempt). */
export function Gifts() {
  const query = useQuery(MemberGiftsDocument);
  const { data, error } = query;
  const [claim, { loading }] = useMutation(MemberClaimGiftDocument, { refetchQueries: [MemberGiftsDocument, MemberProfileDocument, MemberWalletDocument] });
  // One claim at a time, none before the gateway's "not before" (a 429/503's retryAfter), as the purchase.
  const { held, problem, setProblem, send, tryAgain } = useGuardedSend({ checkIn: 'your Wallet' });
  const [done, setDone] = useState<string | null>(null);
  // One key per list and option until it succeeds: a retry of the same claim claims once. Kept by
  // the page (keptKey), so a claim whose outcome is unknown, the screen left and entered again,
  // is sent with the same key (break4-22).
  const lists = data?.me?.giftLists;
  // A claim disables every Claim button while it is sent, which took the focus to the page's body,
  // and its notice is at the top of the page, out of sight below a phone's first screen: nothing
  // seemed to happen (newcomer-22). The notice takes the focus (and so the view) once claimed; a
  // refused claim gives it back to the button that sent it (its error is announced).
  const notice = useRef<HTMLParagraphElement>(null);
  const opener = useRef<HTMLButtonElement | null>(null);
  const [refocus, setRefocus] = useState(false);
  useEffect(() => {
    if (!refocus || held || loading) return;
    setRefocus(false);
    if (notice.current) notice.current.focus();
    else if (!document.activeElement || document.activeElement === document.body) opener.current?.focus();
  }, [refocus, held, loading, done]);

  const onClaim = (listId: string, optionId: string, name: string) =>
    send(async () => {
      const slot = `${listId}/${optionId}`;
      const key = await keptKey('web', `gift:${slot}`);
      setDone(null);
      setRefocus(true);
      const { data: result, extensions } = await claim({ variables: { input: { giftListId: listId, optionId, idempotencyKey: key } } });
      const payload = result?.claimGift;
      // answered, refused or claimed, the key goes (web-24: a refusal frees it at the gateway anyway)
      dropKeptKey('web', `gift:${slot}`);
      if (payload?.userErrors.length) return setProblem(problemOfUserError(payload.userErrors[0]));
      // Answered from the first claim with this key (replay-22's mark): that claim went through, say
      // when, not "Claimed" as if claimed now (web-23).
      const first = answeredByReplay(extensions, 'claimGift') ? payload?.issuedOffer?.createdAt : undefined;
      setDone(first ? `You had already claimed “${name}” on ${formatLocalDateTime(first)}: that first try went through, so nothing more was used. It is in your wallet.` : `Claimed “${name}”: it is in your wallet.`);
    });

  return (
    <>
      <PageTitle app={APP}>Gifts</PageTitle>
      <ProblemAlert problem={error ? problemOf(error) : problem} onRetry={error ? retryOf(query) : tryAgain} />
      {done ? (
        <p className="notice" role="status" ref={notice} tabIndex={-1}>
          {done}
        </p>
      ) : null}
      {!lists && !error ? <Loading what="gift lists" /> : null}
      <div className="grid">
        {lists?.map((list) => (
          <section key={list.id} className="card" aria-labelledby={`gl-${list.id}`}>
            <h2 id={`gl-${list.id}`}>{list.name}</h2>
            <p>
              Each gift costs {formatPoints(list.threshold, list.currency.code)}
              {list.maxClaims ? `, up to ${list.maxClaims} per member (claimed ${list.claimedByMe ?? 0})` : ''}.
            </p>
            {/* claimableCount, not unlocked: the API keeps a list unlocked while the balance reaches its
                threshold, also once maxClaims is used up, when it reads "You can claim 0 now" (newcomer-21). */}
            {(list.claimableCount ?? 0) > 0 ? (
              <p className="badge ok">You can claim {list.claimableCount} now</p>
            ) : list.pointsToNext !== null && list.pointsToNext !== undefined ? (
              <p className="badge warn">{formatPoints(list.pointsToNext, list.currency.code)} to go</p>
            ) : (
              <p className="badge">All claimed</p>
            )}
            <ul>
              {list.options.map((o) => (
                <li key={o.id} className="row">
                  <span>{o.name}</span>
                  <button type="button" className="secondary" disabled={!list.claimableCount || loading || held} onClick={(event) => ((opener.current = event.currentTarget), void onClaim(list.id, o.id, o.name))}>
                    Claim<span className="sr-only"> {o.name}</span>
                  </button>
                </li>
              ))}
            </ul>
          </section>
        ))}
      </div>
    </>
  );
}
