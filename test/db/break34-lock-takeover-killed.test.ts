import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { compiledGateway } from '../support/build.js';
import { seededDataDir } from '../support/cluster.js';
import { TEST_JWT_SECRET } from '../support/gateway.js';
import { commandRuns, postgresProcessesFor, spawnGateway } from '../support/processes.js';

const run = promisify(execFile);

/** strace kills (or stalls) a real process at a chosen system call: here the moment a taker holds `<lock>.takeover`. */
const hasStrace = commandRuns('strace', ['-V']);

/**
 * break34, hostile pass: a process SIGKILLed while it holds the takeover guard (`<lock>.takeover`,
 * between removing a dead run's lock and taking it) leaves the guard behind, naming its own, now
 * dead, pid. takeLockFile only removes a guard older than 10 s, so for 10 s every taker is answered
 * "held by a process not told" ({ holder: NaN }), although the guard's own content says its holder
 * is gone.
 *
 * What a user sees: a gateway killed -9 (OOM killer, `docker kill`, a supervisor's stop timeout)
 * during its start-up, where it was taking over the lock of an earlier killed run, is restarted at
 * once by its supervisor (Docker restart: always, systemd Restart=always) and the restart exits 1
 * with "DATA_DIR … is being taken by another gateway starting at the same time: start one gateway
 * per DATA_DIR." (no other gateway exists), again on every restart for 10 s.
 */
(hasStrace ? describe : describe.skip)('break34 hostile: a taker killed -9 while holding the takeover guard', () => {
  let build: string;
  let dir: string;
  beforeAll(async () => {
    build = await compiledGateway();
    dir = await mkdtemp(path.join(os.tmpdir(), 'rg-b34k-'));
  }, 600_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const deadPid = async () => (await run(process.execPath, ['-e', 'console.log(process.pid)'])).stdout.trim();

  it('the next taker takes the lock at once: the guard names a dead process', async () => {
    const module = path.join(build, 'src/db/embedded.js');
    const file = path.join(dir, 'gateway.pid');
    await writeFile(file, `${await deadPid()}\n`); // a killed run's lock
    const take = `const { takeLockFile } = await import(${JSON.stringify(module)});
      const t = await takeLockFile(process.argv[1]);
      console.log(JSON.stringify('release' in t ? 'taken' : t));`;
    // The first taker is SIGKILLed on entering unlink(<lock>): it holds the guard, the dead run's lock not yet removed.
    const killed = await run('strace', ['-f', '-qq', '-o', '/dev/null', '-P', file, '-e', 'trace=unlink', '-e', 'inject=unlink:signal=SIGKILL:when=1', process.execPath, '--input-type=module', '-e', take, file]).then(
      () => 'exited',
      (error: { signal?: string; code?: number }) => error.signal ?? error.code,
    );
    // the dead run's lock is still there (the kill came before its removal); on the current code so is the killed taker's guard
    const lock = await readFile(file, 'utf8');
    const next = JSON.parse((await run(process.execPath, ['--input-type=module', '-e', take, file])).stdout) as unknown;
    expect({ killed: killed !== 'exited', lockLeft: lock !== '', next }).toEqual({ killed: true, lockLeft: true, next: 'taken' });
    expect((await readdir(dir)).filter((f) => f.startsWith('gateway.pid.') && f !== 'gateway.pid.takeover')).toEqual([]);
  }, 60_000);

  it('a gateway killed -9 while taking over a killed run’s lock is started again at once', async () => {
    const dataDir = await seededDataDir(build, 'rg-b34k-gw-');
    const lock = path.join(dataDir, 'gateway.pid');
    await writeFile(lock, `${await deadPid()}\n`); // the run killed before this one
    const env = { DATA_DIR: dataDir, JWT_SECRET: TEST_JWT_SECRET, JOBS_ENABLED: 'false' };
    try {
      // the gateway, SIGKILLed as it removes that lock under the guard
      await run('strace', ['-f', '-qq', '-o', '/dev/null', '-P', lock, '-e', 'trace=unlink', '-e', 'inject=unlink:signal=SIGKILL:when=1', process.execPath, path.join(build, 'bundle/main.js')], {
        env: { ...process.env, DATABASE_URL: '', PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'development', ...env },
      }).catch(() => undefined);
      expect((await readdir(dataDir)).includes('gateway.pid')).toBe(true); // killed before it removed the dead run's lock
      // its supervisor starts it again at once
      const again = spawnGateway(build, env);
      try {
        const ready = await again.until(/"msg":"gateway ready"/, 120_000).catch(() => false);
        expect({ ready, output: ready ? '' : again.output().slice(-600) }).toEqual({ ready: true, output: '' });
      } finally {
        if (again.child.exitCode === null) again.child.kill('SIGTERM');
        await again.exited;
      }
    } finally {
      for (const pid of postgresProcessesFor(dataDir)) process.kill(pid, 'SIGINT');
      for (let i = 0; i < 100 && postgresProcessesFor(dataDir).length; i++) await new Promise((r) => setTimeout(r, 100));
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 240_000);
});
