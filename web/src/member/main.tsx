/**
 * The member app (`/`): a retailer's member signs in, sees balances, tier and expiring points,
 * shops the reward stores open to them, keeps bought offers in a wallet (code and QR for the
 * till), reads the point history and claims gifts. Balance and wallet update live over graphql-ws.
 */
import '../shared/styles.css';
import { ApolloProvider } from '@apollo/client/react';
import { StrictMode, useCallback, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Route, Switch } from 'wouter';
import { createApi } from '../shared/api';
import { claimsOf, clearToken, currentToken, dropKeptWrites, loadToken, saveToken, useHandedToken } from '../shared/session';
import { MemberShell } from './shell';
import { SignIn } from './sign-in';
import { Profile } from './profile';
import { Stores, Store } from './stores';
import { Wallet } from './wallet';
import { History } from './history';
import { Gifts } from './gifts';

/** Shown on the sign-in page when the token handed to the app is staff's. */
const NOT_A_MEMBER_SIGN_IN = "This is a staff sign-in, not a member's: members sign in here, staff use the console at /console/.";

function Root() {
  const [token, setToken] = useState(() => loadToken('web'));
  // Why the member was signed out when it was not their choice (the live feed's 4401), shown on the sign-in page.
  const [signedOutBecause, setSignedOutBecause] = useState<string | null>(null);
  // Each request reads the session's token afresh, as the live connection does after a 4401.
  const client = useMemo(() => createApi('web', () => currentToken('web')), []);
  const signIn = useCallback((next: string) => {
    saveToken('web', next);
    setSignedOutBecause(null);
    setToken(next);
  }, []);
  // Another token handed over while the app is open (token-19): see useHandedToken.
  const current = useCallback(() => currentToken('web'), []);
  const switched = useCallback((next: string) => {
    setSignedOutBecause(null);
    setToken(next);
  }, []);
  useHandedToken('web', client, current, switched);
  const signOut = useCallback(
    (because?: string) => {
      // The member's own choice forgets their kept write keys; a sign-out the gateway forced keeps
      // them for their next sign-in (dropKeptWrites, web-23).
      if (because === undefined) dropKeptWrites('web');
      clearToken('web');
      setSignedOutBecause(because ?? null);
      setToken(null);
      void client.clearStore();
    },
    [client],
  );

  // A staff token opened the member app: said so on the sign-in page, not a FORBIDDEN on every
  // page that no retry mends (newcomer-36).
  // The gateway's rule: no role (absent or null) or "customer" is a member's token.
  const role = token ? claimsOf(token).role : undefined;
  const staffToken = role !== undefined && role !== null && role !== 'customer';
  if (!token || staffToken) return <SignIn onSignIn={signIn} because={staffToken ? NOT_A_MEMBER_SIGN_IN : signedOutBecause} />;
  return (
    <ApolloProvider client={client}>
      <MemberShell key={token} token={token} onSignOut={signOut}>
        <Switch>
          <Route path="/" component={Profile} />
          <Route path="/stores" component={Stores} />
          <Route path="/stores/:code">{(params) => <Store code={params.code} />}</Route>
          <Route path="/wallet" component={Wallet} />
          <Route path="/history" component={History} />
          <Route path="/gifts" component={Gifts} />
          <Route path="/sign-in" component={Profile} />
        </Switch>
      </MemberShell>
    </ApolloProvider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
