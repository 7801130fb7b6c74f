import { ConnectionException } from '@mikro-orm/core';
import { databaseUnavailable, markTransactionNotBegun } from '../../src/db/unavailable.js';

/** An error as pg raises it: `message`, and a SQLSTATE or a socket's code. */
const pgError = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});

/**
 * Which failures of a transaction's BEGIN are a connection found gone (begin-503): only those, and
 * only at BEGIN, answer SERVICE_UNAVAILABLE; the same loss after BEGIN stays an internal error.
 * The HTTP answers are in test/db/connection-loss.test.ts and test/db/break-12e-pool.test.ts.
 */
describe('databaseUnavailable of a connection lost at BEGIN', () => {
  it.each([
    ['57P01, pg_terminate_backend', pgError('terminating connection due to administrator command', '57P01')],
    ['a reset socket', pgError('read ECONNRESET', 'ECONNRESET')],
    ['pg: connection terminated', pgError('Connection terminated unexpectedly')],
    ['pg: client not queryable', pgError('Client has encountered a connection error and is not queryable')],
    ['class 08', pgError('connection failure', '08006')],
  ])('%s at BEGIN is unavailable, also as MikroORM wraps it', (_name, error) => {
    markTransactionNotBegun(error);
    expect(databaseUnavailable(error)).toBe('connection lost at BEGIN');
    expect(databaseUnavailable(new ConnectionException(error))).toBe('connection lost at BEGIN');
  });

  it('the same loss after BEGIN (a statement of the transaction, its COMMIT) is not', () => {
    expect(databaseUnavailable(pgError('terminating connection due to administrator command', '57P01'))).toBeNull();
    expect(databaseUnavailable(pgError('Connection terminated unexpectedly'))).toBeNull();
  });

  it('a BEGIN that fails for another reason (a bug) is not', () => {
    expect(databaseUnavailable(markTransactionNotBegun(pgError('syntax error at or near "begn"', '42601')))).toBeNull();
  });
});
