import { recomputeAllTiers } from '../../src/tiers/tier.service.js';
import { UpsertCustomerDocument } from '../generated/graphql.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { holdLocks } from '../support/locks.js';
import { adjust, createCurrency, createCustomer, createTier, storedAndCurrentTier, tierMoves } from '../support/program.js';

const DAY = 86_400_000;

/**
 * A customer closed by staff while the daily tier batch places them (hostile pass 10). Every
 * writer of a customer takes the customer's event stream (its first event) before the customer's
 * row; the close took the row first (its status) and the stream after (the CUSTOMER_CLOSED event
 * that ends the customer's sockets), so a batch holding the stream and about to write the tier met
 * a close holding the row and about to record its event: 'deadlock detected', and the operator's
 * close failed with an internal error (or the batch did). Now the close takes the stream first.
 */
describe('closing a customer while the tier batch places them', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  it('both go through: the close answers CLOSED, and the batch writes down the tier the window left', async () => {
    await createCurrency(t, 'CLOSE_C');
    await createTier(t, { currency: 'CLOSE_C', code: 'CLOSE_BASE', rank: 31, threshold: 0 });
    await createTier(t, { currency: 'CLOSE_C', code: 'CLOSE_GOLD', rank: 32, threshold: 100, windowDays: 1 });
    const customer = await createCustomer(t, 'CLOSE_C');
    await adjust(t, customer.externalId, 'CLOSE_C', 200);
    expect(await storedAndCurrentTier(t, customer.externalId)).toEqual({ stored: 'CLOSE_GOLD', now: 'CLOSE_GOLD' });
    // The window passes: readers see BASE at once; the batch is to write it down.
    t.clock.advance(2 * DAY);

    // Something else holds the customer's stream (a purchase recording its event, say): the batch
    // queues on it first, then the close comes.
    const held = await holdLocks(t, `select s.customer_id from event_stream s join customer c on c.id = s.customer_id where c.external_id = $1 for update of s`, [customer.externalId]);
    try {
      const batch = t.orm.em.fork().transactional((em) => recomputeAllTiers(em, t.clock, null)).then(
        () => 'done',
        (error: Error) => error.message,
      );
      await held.blocking(1);
      const closing = t.gql(UpsertCustomerDocument, { input: { externalId: customer.externalId, status: 'CLOSED' } }, t.operatorToken);
      await held.waiters(2);
      await held.commit();
      const closed = await closing;
      expect({ errors: closed.errors, status: closed.data?.upsertCustomer.customer?.status }).toEqual({ errors: undefined, status: 'CLOSED' });
      expect(await batch).toBe('done');
    } finally {
      await held.end().catch(() => undefined);
    }
    expect(await storedAndCurrentTier(t, customer.externalId)).toEqual({ stored: 'CLOSE_BASE', now: 'CLOSE_BASE' });
    expect(await tierMoves(t, customer.externalId)).toEqual([
      [null, 'CLOSE_BASE'],
      ['CLOSE_BASE', 'CLOSE_GOLD'],
      ['CLOSE_GOLD', 'CLOSE_BASE'],
    ]);
  });
});
