import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { compiledGateway } from '../support/build.js';
import { seededDataDir } from '../support/cluster.js';
import { TEST_JWT_SECRET } from '../support/gateway.js';
import { commandRuns, postgresProcessesFor } from '../support/processes.js';

const run = promisify(execFile);

const hasStrace = commandRuns('strace', ['-V']);

/** strace arguments making link(2) onto `target` fail with `code`, as a file system without hard links answers it. */
const noLinks = (target: string, code: string) => ['-f', '-qq', '-o', '/dev/null', '-P', target, '-P', `${target}.takeover`, '-e', 'trace=link,linkat', '-e', `inject=link,linkat:error=${code}`];

/**
 * break34, hostile pass: takeLockFile now creates the lock with link(2), which many file systems a
 * DATA_DIR can live on do not have: vfat/exFAT (EPERM), FUSE mounts such as s3fs, gcsfuse or
 * rclone (ENOSYS/EPERM/ENOTSUP), some SMB shares (Azure Files). Before break34 the lock was made
 * with open(O_EXCL), which they all have. Here link(2) on the lock is made to fail by strace (this
 * kernel has no vfat and the container cannot load it); every other call is the real one.
 *
 * What a user sees: a gateway that started on such a DATA_DIR before break34 now exits 1 with
 * "DATA_DIR … cannot be written (EPERM): fix its permissions, or set DATA_DIR to another folder."
 * although the folder is writable (the start's own check that it is writable has just passed), and
 * no permission change helps.
 */
(hasStrace ? describe : describe.skip)('break34 hostile: a DATA_DIR on a file system without hard links', () => {
  let build: string;
  let dir: string;
  beforeAll(async () => {
    build = await compiledGateway();
    dir = await mkdtemp(path.join(os.tmpdir(), 'rg-b34l-'));
  }, 600_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each(['EPERM', 'EOPNOTSUPP', 'ENOSYS'])('the lock is taken and released when link(2) answers %s, nothing left behind', async (code) => {
    const module = path.join(build, 'src/db/embedded.js');
    const file = path.join(dir, `${code}.pid`);
    const script = `const { takeLockFile } = await import(${JSON.stringify(module)});
      let answer;
      try {
        const t = await takeLockFile(process.argv[1]);
        answer = 'release' in t ? 'taken' : t;
        if ('release' in t) await t.release();
      } catch (error) { answer = error.code; }
      console.log(JSON.stringify(answer));`;
    const { stdout } = await run('strace', [...noLinks(file, code), process.execPath, '--input-type=module', '-e', script, file]);
    expect({ answer: JSON.parse(stdout) as unknown, left: (await readdir(dir)).filter((f) => f.startsWith(code)) }).toEqual({ answer: 'taken', left: [] });
  }, 60_000);

  it('a gateway starts on a DATA_DIR whose file system answers link(2) with EPERM (vfat)', async () => {
    const dataDir = await seededDataDir(build, 'rg-b34l-gw-');
    const env = { ...process.env, DATABASE_URL: '', PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'development', DATA_DIR: dataDir, JWT_SECRET: TEST_JWT_SECRET, JOBS_ENABLED: 'false' };
    // the gateway under strace, sent SIGTERM once ready (or exiting on its failure): the answer is what it printed
    const script = `
      const { spawn } = await import('node:child_process');
      const child = spawn(process.argv[1], process.argv.slice(2), { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let stopped = false;
      const take = (c) => {
        out += c;
        const ready = /"pid":(\\d+)[^\\n]*"msg":"gateway ready"/.exec(out);
        if (ready && !stopped) { stopped = true; process.kill(Number(ready[1]), 'SIGTERM'); } // the gateway, strace's child
      };
      child.stdout.on('data', take); child.stderr.on('data', take);
      child.on('close', (code) => { console.log(JSON.stringify({ ready: /"msg":"gateway ready"/.test(out), out: out.slice(-400) })); });`;
    try {
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script, 'strace', ...noLinks(path.join(dataDir, 'gateway.pid'), 'EPERM'), process.execPath, path.join(build, 'bundle/main.js')], {
        env,
        timeout: 120_000,
      });
      const answer = JSON.parse(stdout) as { ready: boolean; out: string };
      expect({ ready: answer.ready, out: answer.ready ? '' : answer.out }).toEqual({ ready: true, out: '' });
    } finally {
      for (const pid of postgresProcessesFor(dataDir)) process.kill(pid, 'SIGINT');
      for (let i = 0; i < 100 && postgresProcessesFor(dataDir).length; i++) await new Promise((r) => setTimeout(r, 100));
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 240_000);
});
