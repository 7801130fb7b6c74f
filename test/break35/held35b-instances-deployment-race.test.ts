import { MikroORM } from '@mikro-orm/postgresql';
import { openOrm } from '../../src/db/orm.js';
import { deploymentId } from '../../src/db/deployment.js';
import { createMigratedDatabase } from '../support/gateway.js';

/**
 * break35b-instances: the deployment id is derived from the database's identity (src/db/deployment.ts),
 * so instances starting at once on one database all read one id, whatever they race, and two
 * databases of one server (a template copy) read two.
 */
describe('deployment ids of databases (break35b-instances)', () => {
  it('16 starts at once on one database read one id; every other database reads another', async () => {
    const seen = new Set<string>();
    for (let round = 0; round < 4; round++) {
      const db = await createMigratedDatabase();
      const orms: MikroORM[] = await Promise.all(Array.from({ length: 4 }, () => openOrm({ url: db.url, poolMax: 4 })));
      try {
        const ids = await Promise.all(Array.from({ length: 16 }, (_, i) => deploymentId(orms[i % 4].em.fork())));
        expect(new Set(ids).size).toBe(1);
        expect(ids[0]).toMatch(/^[0-9a-f]{16}$/);
        expect(seen.has(ids[0])).toBe(false);
        seen.add(ids[0]);
      } finally {
        await Promise.all(orms.map((o) => o.close(true)));
        await db.drop();
      }
    }
  }, 120_000);
});
