import { startTestGateway } from '../support/gateway.js';

/**
 * isolation-15: a worker runs its test files one after another in one thread. A file whose
 * `beforeAll` timed out while starting its gateway ended with the start still going, and nothing
 * closed that gateway: its job loops went on polling during the worker's later files (the statement
 * count of test/stores/listing-statements.test.ts read 16, not 6, after such a file). The next
 * file's first test gateway now closes every one a finished file left open.
 *
 * The earlier file is played here by starting a gateway while jest's state names another test file.
 */
describe('a test gateway left open by an earlier test file', () => {
  it('is closed when this file starts its own: it answers no more requests', async () => {
    const thisFile = expect.getState().testPath;
    expect.setState({ testPath: `${thisFile}.earlier` });
    let left;
    try {
      left = await startTestGateway();
    } finally {
      expect.setState({ testPath: thisFile });
    }
    expect((await left.gql(`{ __typename }`)).status).toBe(200);
    const t = await startTestGateway({}, { jobs: 'manual' });
    try {
      await expect(left.gql(`{ __typename }`)).rejects.toThrow(/ECONNREFUSED/);
      expect((await t.gql(`{ __typename }`)).status).toBe(200);
    } finally {
      await t.close();
      await left.close();
    }
  });
});
