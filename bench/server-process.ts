/**
 * A server the benchmarks measure, in a process of its own (a `serveChild` script, bench/child.ts),
 * spoken to over IPC: ready, statement and CPU counts, CPU profiles, resident memory, stop.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import type { FromChild, MemoryBreakdown, ToChild } from './child.js';
import { GATEWAY_NODE_FLAGS } from './node-flags.js';

/** One benchmark server process. */
export class ServerProcess {
  url = '';
  private output = '';
  private waiting: { type: FromChild['type']; resolve: (m: FromChild) => void; reject: (e: Error) => void } | undefined;
  private readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-8_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    // BENCH_CHILD_OUTPUT=<folder>: all a server prints (e.g. under --trace-gc) also goes to <folder>/<name>.log.
    if (process.env.BENCH_CHILD_OUTPUT) {
      const file = createWriteStream(path.join(process.env.BENCH_CHILD_OUTPUT, `${name.replace(/\W+/g, '-')}.log`));
      child.stdout?.pipe(file, { end: false });
      child.stderr?.pipe(file, { end: false });
    }
    child.on('message', (message: FromChild) => {
      const waiter = this.waiting;
      if (!waiter) return;
      if (message.type === 'failed') {
        this.waiting = undefined;
        waiter.reject(new Error(`${name}: ${message.message}`));
      } else if (message.type === waiter.type) {
        this.waiting = undefined;
        waiter.resolve(message);
      }
    });
    // A failed send (`write EPIPE` to a process that died, e.g. of the terminal's Ctrl-C, before its
    // exit was seen) is reported to the send's callback; without this listener it would also be an
    // unhandled 'error' that crashes the bench in the middle of its cleanup.
    child.on('error', (error) => keep(Buffer.from(`\n${name}: ${error.message}\n`)));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.waiting?.reject(new Error(`${name} exited (${signal ?? code}) before answering.\n${this.output}`));
        this.waiting = undefined;
        resolve();
      }),
    );
  }

  /**
   * Starts `script` (an absolute path) with `env` (nothing else of this process's environment but
   * PATH, HOME, DEBUG and BENCH_THREADS) and waits for it to listen (90 s at most). Node flags: those the gateway
   * ships with (bench/node-flags.ts), or instead BENCH_NODE_OPTIONS when it is set (space-separated,
   * e.g. `--perf-basic-prof` to profile with `perf record -p <pid>`; empty for Node's defaults).
   * `wrapper`: a command that runs Node (e.g. `valgrind --tool=callgrind …`): the process is then
   * `wrapper… node <flags> script`, and `pid` is the wrapper's (valgrind keeps it for the program).
   * `readyMs`: how long to wait for it to listen. `extraFlags`: Node flags added to those.
   */
  static async start(
    name: string,
    script: string,
    env: Record<string, string>,
    { wrapper, readyMs = 90_000, extraFlags = [] }: { wrapper?: readonly string[]; readyMs?: number; extraFlags?: readonly string[] } = {},
  ): Promise<ServerProcess> {
    const options = process.env.BENCH_NODE_OPTIONS;
    const flags = [...(options === undefined ? GATEWAY_NODE_FLAGS : options.split(/\s+/).filter(Boolean)), ...extraFlags];
    const child = fork(script, [], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? os.tmpdir(),
        ...(process.env.DEBUG ? { DEBUG: process.env.DEBUG } : {}),
        ...(process.env.BENCH_THREADS ? { BENCH_THREADS: process.env.BENCH_THREADS } : {}),
        ...env,
      },
      ...(wrapper?.length ? { execPath: wrapper[0], execArgv: [...wrapper.slice(1), process.execPath, ...flags] } : { execArgv: flags }),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const server = new ServerProcess(name, child);
    const ready = await server.request('ready', readyMs);
    server.url = ready.url;
    return server;
  }

  get pid(): number {
    return this.child.pid ?? NaN;
  }

  /** The last lines the process printed, for a failure report. */
  get lastOutput(): string {
    return this.output;
  }

  private request<T extends FromChild['type']>(type: T, timeoutMs: number, message?: ToChild): Promise<Extract<FromChild, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new Error(`${this.name} did not answer ${message?.type ?? type} within ${timeoutMs} ms.\n${this.output}`));
      }, timeoutMs);
      this.waiting = {
        type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as Extract<FromChild, { type: T }>);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      if (message) this.child.send(message, (error) => error && this.waiting?.reject(new Error(`${this.name}: ${error.message}`)));
    });
  }

  /** SQL statements sent, PostgreSQL sessions opened and CPU used by the process so far. */
  stats(): Promise<{ statements: number; connections: number; cpuMicros: number; threads?: Record<string, number> }> {
    return this.request('stats', 10_000, { type: 'stats' });
  }

  /** A full garbage collection in the process (when it runs with --expose-gc; else nothing), then its memory. */
  collect(): Promise<Extract<FromChild, { type: 'memory' }>> {
    return this.request('memory', 120_000, { type: 'memory' });
  }

  /** Starts V8's CPU profiler in the process, or with `allocations` its sampling heap profiler (bench/child.ts). */
  async profileStart(allocations = false): Promise<void> {
    await this.request('profile-started', 10_000, { type: 'profile-start', allocations });
  }

  async profileStop(file: string): Promise<void> {
    await this.request('profile-stopped', 30_000, { type: 'profile-stop', file });
  }

  /** Where the process's memory is now (bench/child.ts `MemoryBreakdown`), without a collection first. */
  async breakdown(): Promise<MemoryBreakdown> {
    const { type: _, ...breakdown } = await this.request('breakdown', 10_000, { type: 'breakdown' });
    return breakdown;
  }

  /** Resident memory now and its peak so far (VmRSS, VmHWM of /proc/<pid>/status), bytes. */
  memory(): { rss: number; peak: number } {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
      return { rss: kb('VmRSS'), peak: kb('VmHWM') };
    } catch {
      return { rss: NaN, peak: NaN };
    }
  }

  /**
   * Asks the process to stop and waits for it to exit (SIGKILL after 8 s). Never throws: a process
   * already dead (its exit not yet seen, its IPC channel broken) is killed, or just waited for.
   */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (this.child.connected) this.child.send({ type: 'stop' } satisfies ToChild, (error) => error && this.child.kill('SIGKILL'));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 8_000);
    await this.exited;
    clearTimeout(timer);
  }
}
