import { useQuery } from '@apollo/client/react';
import { QRCodeSVG } from 'qrcode.react';
import { problemOf, ProblemAlert, retryOf } from '../shared/errors';
import { formatLocalDateTime, Loading, PageTitle, ShowOlder } from '../shared/ui';
import { MemberWalletDocument } from './gql/graphql';
import { APP } from './shell';

const STATUS_TEXT: Record<string, { text: string; tone: string }> = {
  ISSUED: { text: 'Ready to use', tone: 'ok' },
  LOCKED: { text: 'Being used at a till', tone: 'warn' },
  REDEEMED: { text: 'Redeemed', tone: '' },
  EXPIRED: { text: 'Expired', tone: 'off' },
  VOIDED: { text: 'Voided', tone: 'off' },
};

/**
 * How an offer came to the member, said with when (`IssuedOffer.source`, `createdAt`): where the
 * wallet said "Version 1", the offer's version, an operator's word that told a member nothing
 * (newcomer-22, web-23). A source the app does not know yet says only when.
 */
const SOURCE_TEXT: Record<string, string> = {
  PURCHASE: 'Bought',
  GIFT: 'Claimed as a gift',
  CAMPAIGN: 'Received from a promotion',
  STAFF: 'Given to you by the program',
};

/** Offers the member holds: the code as text and as a QR code for the till, state and expiry. */
export function Wallet() {
  const query = useQuery(MemberWalletDocument);
  const { data, error, fetchMore } = query;
  const items = data?.me?.wallet.edges.map((e) => e.node);
  return (
    <>
      <PageTitle app={APP}>Wallet</PageTitle>
      <ProblemAlert problem={error ? problemOf(error) : null} onRetry={retryOf(query)} />
      {!items && !error ? <Loading what="your wallet" /> : null}
      {items?.length === 0 ? <p>Your wallet is empty. Offers you buy or receive appear here.</p> : null}
      <ul className="grid" style={{ listStyle: 'none', padding: 0 }}>
        {items?.map((item) => {
          const status = STATUS_TEXT[item.status] ?? { text: item.status, tone: '' };
          const usable = item.status === 'ISSUED' || item.status === 'LOCKED';
          return (
            <li key={item.id} className="card" data-testid="wallet-item" data-status={item.status} data-code={item.code}>
              <h2>{item.offer.name}</h2>
              <p className="muted" data-testid="wallet-origin">
                {SOURCE_TEXT[item.source] ?? 'Added'} {formatLocalDateTime(item.createdAt)}
              </p>
              <p>
                <span className={`badge ${status.tone}`} data-testid="wallet-status">
                  {status.text}
                </span>
              </p>
              <p>
                Code: <span className="code">{item.code}</span>
              </p>
              {usable ? (
                <div className="qr">
                  <QRCodeSVG value={item.code} size={148} marginSize={2} title={`QR code of ${item.code}`} role="img" aria-label={`QR code of ${item.code}`} />
                </div>
              ) : null}
              <p className="muted">
                {item.redeemedAt ? `Redeemed ${formatLocalDateTime(item.redeemedAt)}` : item.expiresAt ? `Valid until ${formatLocalDateTime(item.expiresAt)}` : 'No expiry'}
              </p>
            </li>
          );
        })}
      </ul>
      <ShowOlder pageInfo={data?.me?.wallet.pageInfo} edges={data?.me?.wallet.edges} fetchMore={fetchMore} label="Show older offers" />
    </>
  );
}
