import { useEffect, useState } from 'react';
import { fetchDevTokens, type DevTokens } from '../shared/dev-tokens';
import { Frame, Loading, PageTitle } from '../shared/ui';
import { APP } from './shell';

/**
 * Sign-in. Production: the retailer's identity provider sends the member to `/#token=<JWT>`
 * (see session.ts); without one this page says so. Development: pick a demo member.
 */
export function SignIn({ onSignIn, because }: { onSignIn: (token: string) => void; because?: string | null }) {
  const [tokens, setTokens] = useState<DevTokens | null | undefined>(undefined);
  useEffect(() => {
    fetchDevTokens().then(setTokens, () => setTokens(null));
  }, []);
  return (
    <Frame brand={APP}>
      <PageTitle app={APP}>Sign in</PageTitle>
      {because ? (
        <p role="alert" className="alert" data-testid="signed-out-because">
          {because}
        </p>
      ) : null}
      {tokens === undefined ? <Loading what="sign-in options" /> : null}
      {tokens === null ? (
        <p>Sign in through your retailer's website or app: it brings you back here signed in.</p>
      ) : null}
      {tokens ? (
        <section aria-labelledby="demo-members">
          <h2 id="demo-members">Demo members</h2>
          <p className="muted">Development only: pick a member of the demo program.</p>
          <ul className="grid" style={{ listStyle: 'none', padding: 0 }}>
            {tokens.members.map((m) => (
              <li key={m.externalId} className="card">
                <button type="button" onClick={() => onSignIn(m.token)}>
                  Continue as {m.name ?? m.externalId}
                </button>
                <p className="muted">{m.externalId}</p>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </Frame>
  );
}
