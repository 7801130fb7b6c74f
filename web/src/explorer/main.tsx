/**
 * The GraphiQL explorer (development only: the gateway serves this page for a browser's GET of
 * /graphql unless NODE_ENV=production). Everything is bundled; nothing loads from a CDN. The demo
 * tokens from /dev/tokens are one click away above the editor.
 */
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { StrictMode, useEffect, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { createClient } from 'graphql-ws';
import { fetchDevTokens, type DevTokens } from '../shared/dev-tokens';
import './explorer.css';

function Explorer() {
  const [tokens, setTokens] = useState<DevTokens | null>(null);
  const [active, setActive] = useState<{ label: string; token: string } | null>(null);
  useEffect(() => {
    fetchDevTokens().then(setTokens, () => setTokens(null));
  }, []);
  const fetcher = useMemo(() => {
    const authorization = active ? `Bearer ${active.token}` : undefined;
    const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
    return createGraphiQLFetcher({
      url: '/graphql',
      headers: authorization ? { authorization } : {},
      wsClient: createClient({ url: wsUrl, connectionParams: authorization ? { authorization } : {}, lazy: true }),
    });
  }, [active]);
  const choices = tokens ? [...tokens.members.map((m) => ({ label: `Member ${m.name ?? m.externalId}`, token: m.token })), ...tokens.staff.map((s) => ({ label: `Staff ${s.role} (${s.staffId})`, token: s.token }))] : [];
  return (
    <div className="explorer">
      <header className="explorer-bar">
        <h1>Reward Gateway explorer</h1>
        <span id="token-label">Send as:</span>
        <div role="group" aria-labelledby="token-label" className="explorer-tokens">
          <button type="button" aria-pressed={active === null} onClick={() => setActive(null)}>
            No token
          </button>
          {choices.map((c) => (
            <button key={c.label} type="button" aria-pressed={active?.token === c.token} onClick={() => setActive(c)}>
              {c.label}
            </button>
          ))}
        </div>
        <span role="status" className="explorer-active">{active ? `Authorization: Bearer token of ${active.label}` : 'No Authorization header'}</span>
      </header>
      <main className="explorer-main">
        <GraphiQL key={active?.token ?? 'none'} fetcher={fetcher} defaultQuery={'# Pick a token above, then run:\n{\n  me { name tier { code } balances { available currency { code } } }\n}\n'} />
      </main>
    </div>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Explorer />
  </StrictMode>,
);
