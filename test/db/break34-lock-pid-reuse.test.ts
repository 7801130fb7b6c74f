import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { compiledGateway } from '../support/build.js';
import { seededDataDir } from '../support/cluster.js';
import { TEST_JWT_SECRET } from '../support/gateway.js';
import { commandRuns, postgresProcessesFor } from '../support/processes.js';

/** Whether this process may make pid namespaces (root, as in a container's CI): `unshare --pid`. */
const canUnshare = commandRuns('unshare', ['-pf', '--mount-proc', 'true']);

/**
 * break34, hostile pass: a lock whose pid is alive and whose command line says node, reward or
 * gateway is "another running gateway", even when that process is this gateway's own parent. In a
 * container the gateway run as `node dist/bundle/main.js` is pid 1 and writes `1` to gateway.pid;
 * killed -9 (docker kill, the OOM killer, a host crash), it leaves that file. Started again with an
 * init or a shell as pid 1 (`docker run --init`, compose `init: true`, a shell-form CMD
 * `sh -c "node dist/bundle/main.js; …"`, tini), the gateway is pid 2 or more, and pid 1 (its own init,
 * whose command line names node) is taken for the holder.
 *
 * What a user sees: every start exits 1 with "DATA_DIR /data is in use by another running gateway
 * (pid 1): stop that one first, or give this one its own DATA_DIR (and PORT)." for ever; there is
 * no other gateway to stop, and only deleting gateway.pid by hand helps. Here with real pid
 * namespaces (unshare), each run a container's processes.
 */
(canUnshare ? describe : describe.skip)('break34 hostile: a killed container’s lock names pid 1, the restart’s own init', () => {
  it('a gateway whose lock names its own parent (pid 1 of its container) starts', async () => {
    const build = await compiledGateway();
    const dataDir = await seededDataDir(build, 'rg-b34p-');
    const main = path.join(build, 'bundle/main.js');
    const env = { ...process.env, DATABASE_URL: '', PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'development', DATA_DIR: dataDir, JWT_SECRET: TEST_JWT_SECRET, JOBS_ENABLED: 'false' };
    /** A container: `command` as pid 1 of a new pid namespace. Resolves with its output once `until` is printed or it exits; `kill` is `docker kill`. */
    const container = (command: string[], until: RegExp) => {
      const unshare = spawn('unshare', ['-pf', '--mount-proc', ...command], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const done = new Promise<string>((resolve) => {
        const take = (c: Buffer) => {
          out += c;
          if (until.test(out)) resolve(out);
        };
        unshare.stdout.on('data', take);
        unshare.stderr.on('data', take);
        unshare.on('exit', () => resolve(out));
      });
      const exited = new Promise((resolve) => unshare.on('exit', resolve));
      // pid 1 of the namespace is unshare's child; its SIGKILL kills every process of the namespace
      const kill = async () => {
        for (const child of readFileSync(`/proc/${unshare.pid}/task/${unshare.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) process.kill(Number(child), 'SIGKILL');
        await exited;
      };
      return { done, kill, exited: () => unshare.exitCode !== null };
    };
    try {
      // the first run: `node dist/bundle/main.js` as pid 1, killed -9
      const first = container([process.execPath, main], /"msg":"gateway ready"/);
      expect(/"msg":"gateway ready"/.test(await first.done)).toBe(true);
      expect(await readFile(path.join(dataDir, 'gateway.pid'), 'utf8')).toBe('1\n');
      await first.kill();
      // the restart, under an init that names node in its command line (here a shell, as `sh -c "node …; …"`)
      const second = container(['sh', '-c', `${JSON.stringify(process.execPath)} ${JSON.stringify(main)}; echo "exit $?"`], /"msg":"gateway ready"|exit \d+/);
      const out = await second.done;
      const ready = /"msg":"gateway ready"/.test(out);
      if (!second.exited()) await second.kill();
      expect({ ready, out: ready ? '' : out.split('\n').slice(-3).join('\n') }).toEqual({ ready: true, out: '' });
    } finally {
      for (const pid of postgresProcessesFor(dataDir)) process.kill(pid, 'SIGINT');
      for (let i = 0; i < 100 && postgresProcessesFor(dataDir).length; i++) await new Promise((r) => setTimeout(r, 100));
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 240_000);
});
