import { parse } from 'graphql';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { registerForNewPartner } from '../support/registration.js';
import { manifestFromDocument } from '../../src/persisted/manifest.js';


/**
 * break37c (API): break37 made registration check "as a request is checked, so nothing registered
 * is refused at every send" (src/graphql/document-rules.ts `documentChecks`), and left the cost
 * out: "The one limit it cannot check is the cost (MAX_QUERY_COST), which depends on the variables
 * sent." An operation with no variables has one cost, the same at every send (src/graphql/cost.ts
 * counts literal `first` arguments): `rewardStores(first: 100) { … listings(first: 100) { … } }`
 * costs 40,401 against MAX_QUERY_COST 20,000. The operators' mutation registers it (`count: 1`) and
 * every send of it by the partner is QUERY_TOO_COMPLEX "Query Cost limit of 20000 exceeded, found
 * 40401.": exactly the fault break37 mended for depth, aliases and tokens (the integrator learns at
 * the till that an operation the gateway took can never run). A correct gateway refuses it at
 * registration, INVALID on the operation's body naming the limit, and the send of its id is then
 * PERSISTED_QUERY_NOT_ALLOWED.
 */
describe('break37c api: a registered operation whose cost is over MAX_QUERY_COST whatever is sent', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  it('is refused at registration, not at every send', async () => {
    const operation = manifestFromDocument(
      parse(`query AllListings { rewardStores(first: 100) { edges { node { id listings(first: 100) { edges { node { id priceInPoints } } } } } } }`),
    ).operations[0];
    const { registered, sent } = await registerForNewPartner(t, [operation]);
    // Before: registered (count 1), then every send "QUERY_TOO_COMPLEX: Query Cost limit of 20000 exceeded, found …".
    expect({ count: registered.count, userErrors: registered.userErrors, sent }).toEqual({
      count: null,
      userErrors: [{ code: 'INVALID', field: ['input', 'manifest', 'operations', '0', 'body'], message: expect.stringMatching(/^AllListings: .*Cost limit of 20000 exceeded/) }],
      sent: [expect.stringMatching(/^PERSISTED_QUERY_NOT_ALLOWED: /)],
    });
  });
});
