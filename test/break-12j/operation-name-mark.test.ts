import { startTestGateway } from '../support/gateway.js';
import { rawSocket } from '../support/ws.js';

/**
 * break-12j: edges-12d drops one leading byte order mark from a GET's parameters, as from a POST
 * body and a socket's message, and listed `operationName` with them. But a POST's or a socket's
 * `operationName` is a JSON string, compared exactly: a mark in it names no operation. GET ran
 * `\uFEFFNamed` as `Named` (200) where POST and the socket answer OPERATION_RESOLUTION_FAILURE.
 */
describe('an operationName starting with a byte order mark (break-12j)', () => {
  it('names no operation over GET, as over POST and the socket', async () => {
    const t = await startTestGateway({}, { jobs: 'manual' });
    try {
      const query = 'query Named { __typename }';
      const operationName = '\uFEFFNamed';
      const message = `Unknown operation named "${operationName}".`;
      const answer = async (res: Response) => [res.status, await res.json()];
      const refused = [400, { errors: [{ message, extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } }] }];
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${t.operatorToken}` };
      expect(await answer(await t.fetch('/graphql', { method: 'POST', headers, body: JSON.stringify({ query, operationName }) }))).toEqual(refused);
      expect(await answer(await t.fetch(`/graphql?${new URLSearchParams({ query, operationName })}`, { headers }))).toEqual(refused);
      const raw = await rawSocket(t.url, { authorization: `Bearer ${t.operatorToken}` });
      raw.send(JSON.stringify({ id: 'named', type: 'subscribe', payload: { query, operationName } }));
      expect(await raw.answer('named')).toEqual({ id: 'named', type: 'error', payload: [{ message, extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } }] });
      raw.socket.close();
      // The document's own mark is still dropped over GET, as graphql-js skips it anyway.
      expect(await answer(await t.fetch(`/graphql?${new URLSearchParams({ query: `\uFEFF${query}`, operationName: 'Named' })}`, { headers }))).toEqual([200, { data: { __typename: 'Query' } }]);
    } finally {
      await t.close();
    }
  });
});
