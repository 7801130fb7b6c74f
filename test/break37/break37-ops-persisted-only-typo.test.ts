import { compiledGateway } from '../support/build.js';
import { createMigratedDatabase } from '../support/gateway.js';
import { spawnGateway } from '../support/processes.js';

/**
 * break37 (ops): README: "`PERSISTED_ONLY=web,console` in production and the gateway runs nothing
 * else for them". An operator who writes `PERSISTED_ONLY=wbe,console` (or `mobil` for the mobile
 * app) gets a gateway that starts without a word: config.ts checks each name's spelling pattern
 * only. The member app, which names itself `web`, is then held to nothing and runs any document
 * sent in its name, while `wbe`, which no client sends and no registration names, is held to an
 * empty list. The gateway knows at start which clients have registered operations (it registers the
 * apps' own, `web` and `console`, itself, "web app operations registered"), so it can tell: a
 * correct gateway refuses the start naming PERSISTED_ONLY and the name, or at least warns naming
 * both, as it warns of a point currency that earns nothing or an offer no till can apply.
 */
describe('break37 ops: PERSISTED_ONLY naming a client with no registered operations', () => {
  let build: string;
  let database: { url: string; drop(): Promise<void> };
  beforeAll(async () => {
    build = await compiledGateway();
    database = await createMigratedDatabase();
  }, 600_000);
  afterAll(() => database.drop());

  it('PERSISTED_ONLY=wbe,console: refused or warned of at start, naming PERSISTED_ONLY and wbe', async () => {
    const gateway = spawnGateway(build, { DATABASE_URL: database.url, PERSISTED_ONLY: 'wbe,console', JOBS_ENABLED: 'false' });
    try {
      await gateway.until(/"msg":"gateway ready"/);
      const said = gateway
        .output()
        .split('\n')
        .filter((l) => (!l.startsWith('{') || /"level":(40|50|60)/.test(l)) && l.includes('PERSISTED_ONLY') && l.includes('wbe'));
      expect({ saidSo: said.length > 0 }).toEqual({ saidSo: true });
    } finally {
      if (gateway.child.exitCode === null && gateway.child.signalCode === null) {
        gateway.child.kill('SIGTERM');
        await gateway.exited;
      }
    }
  }, 120_000);
});
