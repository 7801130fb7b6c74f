import { Customer } from '../../src/customers/customer.entity.js';
import { requestEntityManager } from '../../src/db/orm.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, simpleShop } from '../support/program.js';

/**
 * `requestEntityManager` makes each request's EntityManager without `fork()`'s per-call work
 * (src/db/orm.ts). It must answer as a fork does: its own identity map and unit of work, reads and
 * writes on the pool (in and out of a transaction), the ORM's event manager, and the root
 * EntityManager still refusing to be used outside a request.
 */
describe('requestEntityManager', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(async () => {
    await t.close();
  });

  it('is the same kind of EntityManager as a fork of the root, with the same settings', () => {
    const made = requestEntityManager(t.orm);
    const fork = t.orm.em.fork();
    expect(made.constructor).toBe(fork.constructor);
    expect(made.getEventManager()).toBe(fork.getEventManager());
    expect(made.getTransactionContext()).toBe(fork.getTransactionContext());
    expect(made.isInTransaction()).toBe(false);
    expect(made.global).toBe(false);
    expect(made.id).not.toBe(fork.id);
    expect(made.id).not.toBe(requestEntityManager(t.orm).id);
  });

  it('has an identity map of its own: an entity one loads is not in another', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 10);
    const one = requestEntityManager(t.orm);
    const other = requestEntityManager(t.orm);
    const loaded = await one.findOneOrFail(Customer, { externalId: customer.externalId });
    expect(one.getUnitOfWork().getIdentityMap().values()).toContain(loaded);
    expect(other.getUnitOfWork().getIdentityMap().values()).not.toContain(loaded);
    const again = await other.findOneOrFail(Customer, { externalId: customer.externalId });
    expect(again).not.toBe(loaded);
    expect(again.id).toBe(loaded.id);
  });

  it('writes in a transaction that rolls back whole, and reads what another committed', async () => {
    const shop = await simpleShop(t);
    const customer = await createCustomer(t, shop.currency, 10);
    const writer = requestEntityManager(t.orm);
    await expect(
      writer.transactional(async (em) => {
        const row = await em.findOneOrFail(Customer, { externalId: customer.externalId });
        row.segments = ['rolled-back'];
        await em.flush();
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect((await requestEntityManager(t.orm).findOneOrFail(Customer, { externalId: customer.externalId })).segments).not.toContain('rolled-back');
    await requestEntityManager(t.orm).transactional(async (em) => {
      const row = await em.findOneOrFail(Customer, { externalId: customer.externalId });
      row.segments = ['committed'];
    });
    expect((await requestEntityManager(t.orm).findOneOrFail(Customer, { externalId: customer.externalId })).segments).toEqual(['committed']);
  });

  it('leaves the root EntityManager refusing work outside a request', async () => {
    requestEntityManager(t.orm);
    await expect(t.orm.em.find(Customer, {})).rejects.toThrow(/global EntityManager/);
  });
});
