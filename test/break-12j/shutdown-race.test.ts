import { startTestGateway } from '../support/gateway.js';
import { heldOperation } from '../support/held-operation.js';
import { eventually } from '../support/program.js';

/**
 * break-12j: edges-12d refuses a socket's subscribe read once shutdown has begun and lets the
 * operations already running finish. An operation read just before, still in its checks
 * (credentials, the rate-limit point, the trusted-document read) when shutdown began, is neither:
 * it was taken, so it must be answered before the socket's 1001, as one already executing is.
 */
describe('a socket operation still in its checks when shutdown begins (break-12j)', () => {
  it('is answered before the socket closes 1001 (the shutdown waited only for operations past their checks, and closed the socket under it)', async () => {
    const t = await startTestGateway({}, { jobs: 'manual' });
    let closing: Promise<void> | undefined;
    let held: Awaited<ReturnType<typeof heldOperation>> | undefined;
    try {
      // The operation's rate-limit point waits on a lock the test holds: it is in its checks.
      held = await heldOperation(t, 'rate_limit_bucket', 'checking', '{ me { balances { available } } }');
      closing = t.gateway.close();
      // Released once shutdown has begun (the store's own bound would release it otherwise).
      await eventually(async () => !t.gateway.server.listening);
      await held.release();

      expect(await held.raw.answer('checking')).toEqual({ id: 'checking', type: 'next', payload: { data: { me: { balances: [{ available: 100 }] } } } });
      await closing;
      expect((await held.raw.closed).code).toBe(1001);
    } finally {
      await held?.end();
      await (closing ?? Promise.resolve());
      await t.close();
    }
  });
});
