/**
 * The staff console (`/console/`): customers (profile, ledger, wallet, point adjustments), stores,
 * listings and stock, offers and their versions, economy rules, campaigns, activity rules, gift
 * lists, partners (keys shown once, manifests), webhook endpoints (failing ones) and failed
 * deliveries to replay, the audit log and program analytics. Operators
 * change things; analysts see the same screens read only (the gateway enforces it either way).
 */
import '../shared/styles.css';
import { ApolloProvider } from '@apollo/client/react';
import { lazy, StrictMode, Suspense, useCallback, useMemo, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Route, Router, Switch } from 'wouter';
import { createApi } from '../shared/api';
import { claimsOf, clearToken, dropKeptWrites, loadToken, saveToken, useHandedToken } from '../shared/session';
import { ConsoleShell, ConsoleSignIn, RoleContext } from './shell';
import { customerIdOfAddress, Customers } from './customers';
import { Stores } from './stores';
import { Offers } from './offers';
import { Rules } from './rules';
import { Partners } from './partners';
import { AuditLog } from './audit';
import { Webhooks } from './webhooks';
import { Loading } from '../shared/ui';

// The charts (recharts) load only when the analytics page is opened.
const Analytics = lazy(() => import('./analytics').then((m) => ({ default: m.Analytics })));

/** Shown on the sign-in page when the token handed to the console is a member's. */
const NOT_A_STAFF_SIGN_IN = "This is a member's sign-in, not staff's: the console needs a staff sign-in (operator or analyst). Members use the app at /.";

function Root() {
  const [token, setToken] = useState(() => loadToken('console'));
  const tokenRef = useRef(token);
  tokenRef.current = token;
  const client = useMemo(() => createApi('console', () => tokenRef.current), []);
  const signIn = useCallback((next: string) => {
    saveToken('console', next);
    setToken(next);
  }, []);
  // Another staff token handed over while the console is open (token-19): see useHandedToken.
  const current = useCallback(() => tokenRef.current, []);
  useHandedToken('console', client, current, setToken);
  const signOut = useCallback(() => {
    dropKeptWrites('console'); // the operator's pending submits (web-23)
    clearToken('console');
    setToken(null);
    void client.clearStore();
  }, [client]);
  const claims = token ? claimsOf(token) : {};
  // A member's token (a subject, no staff role) opened the console: said so, not shown as an
  // analyst's read-only console (newcomer-36). A token that cannot be read goes to the gateway,
  // whose 401 the console shows.
  const membersToken = token !== null && claims.sub !== undefined && (claims.role === undefined || claims.role === null || claims.role === 'customer');

  return (
    <Router base="/console">
      {!token || membersToken ? (
        <ConsoleSignIn onSignIn={signIn} notice={membersToken ? NOT_A_STAFF_SIGN_IN : undefined} />
      ) : (
        <ApolloProvider key={token} client={client}>
          <RoleContext.Provider value={{ role: claims.role === 'operator' ? 'operator' : 'analyst', staffId: claims.sub ?? '' }}>
            <ConsoleShell onSignOut={signOut}>
              <Switch>
                <Route path="/">{() => <Customers />}</Route>
                <Route path="/customers/:externalId">{(p) => <Customers externalId={customerIdOfAddress(p.externalId)} />}</Route>
                <Route path="/stores" component={Stores} />
                <Route path="/offers" component={Offers} />
                <Route path="/rules" component={Rules} />
                <Route path="/partners" component={Partners} />
                <Route path="/webhooks" component={Webhooks} />
                <Route path="/audit" component={AuditLog} />
                <Route path="/analytics">
                  <Suspense fallback={<Loading what="charts" />}>
                    <Analytics />
                  </Suspense>
                </Route>
                <Route>
                  <p role="alert">There is no such page in the console.</p>
                </Route>
              </Switch>
            </ConsoleShell>
          </RoleContext.Provider>
        </ApolloProvider>
      )}
    </Router>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
