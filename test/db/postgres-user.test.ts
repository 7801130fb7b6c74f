import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { postgresUser } from '../../src/db/embedded.js';
import { compiledGateway } from '../support/build.js';

const run = promisify(execFile);
const asRoot = process.getuid?.() === 0;

/** The lines of `/etc/<file>` that define `name` (a corrupted file holds two). */
async function entries(file: 'passwd' | 'group', name: string): Promise<string[]> {
  return (await readFile(`/etc/${file}`, 'utf8')).split('\n').filter((line) => line.startsWith(`${name}:`));
}

/** Removes every user and group `name`, however many a race left. */
async function remove(name: string): Promise<void> {
  for (let i = 0; i < 10 && (await entries('passwd', name)).length > 0; i++) await run('userdel', [name]).catch(() => undefined);
  for (let i = 0; i < 10 && (await entries('group', name)).length > 0; i++) await run('groupdel', [name]).catch(() => undefined);
}

/**
 * ci-29: CI (as root, on a machine without a `postgres` user) lost early-19's start-up to "useradd …
 * postgres failed": two gateways starting at once both created the user, and the second's useradd
 * failed because the first's had just made it. The same race on this machine's containers can also
 * leave two groups of one name. Here a made-up user name stands for `postgres`, created by four
 * processes and two callers in this one at once.
 */
(asRoot ? describe : describe.skip)('the embedded PostgreSQL user created by gateways starting at once (ci-29)', () => {
  const name = `rgt${randomBytes(4).toString('hex')}`;
  afterAll(() => remove(name));

  test('every start-up gets the one user, created once, and /etc/passwd and /etc/group hold it once', async () => {
    const build = await compiledGateway();
    const module = path.join(build, 'src/db/embedded.js');
    const script = `const { postgresUser } = await import(${JSON.stringify(module)}); console.log(JSON.stringify(await postgresUser(process.argv[1])));`;
    const processes = Array.from({ length: 4 }, () =>
      run(process.execPath, ['--input-type=module', '-e', script, name]).then(
        ({ stdout }) => JSON.parse(stdout) as { uid: number; gid: number },
        (error: { stderr?: string; message: string }) => ({ failed: (error.stderr || error.message).split('\n').find((line) => /^\w*Error:/.test(line)) }),
      ),
    );
    const here = [postgresUser(name), postgresUser(name)].map((pending) => pending.catch((error: Error) => ({ failed: error.message })));
    const answers = await Promise.all([...processes, ...here]);

    const [user] = await entries('passwd', name);
    const [, , uid, gid] = (user ?? '').split(':');
    expect({
      answers,
      users: (await entries('passwd', name)).length,
      groups: (await entries('group', name)).length,
    }).toEqual({
      answers: Array.from({ length: 6 }, () => ({ uid: Number(uid), gid: Number(gid) })),
      users: 1,
      groups: 1,
    });
  });
});
