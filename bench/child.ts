/**
 * What the two server processes share: the IPC conversation with bench/run.ts and the counters it
 * reads between load runs. A server process announces `ready` with its URL; it answers `stats`
 * with how many SQL statements its pg clients sent and how much CPU it used so far; on `stop`, or
 * when the parent goes away, it closes and exits.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getHeapSpaceStatistics } from 'node:v8';
import pg from 'pg';

export type ToChild = { type: 'stats' } | { type: 'stop' } | { type: 'profile-start'; allocations?: boolean } | { type: 'profile-stop'; file: string } | { type: 'memory' } | { type: 'breakdown' };

/**
 * Where a process's memory is, now, without collecting first (bytes): `process.memoryUsage()`
 * (rss, V8's heap committed and used, `external`: memory outside V8's heap that V8 knows of, of
 * which `arrayBuffers`: Buffers and ArrayBuffers) and V8's committed size per heap space (`new`:
 * the young generation's semi-spaces; `old`; `code`; `trusted`: bytecode and other objects V8
 * keeps apart; `large`: objects over ~128 kB; `other`: read-only and shared spaces). What RSS holds beyond heapTotal + external is the C heap that V8
 * does not count (malloc arenas, pg/zlib/TLS state, thread stacks) and Node's own code.
 */
export interface MemoryBreakdown {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  spaces: { new: number; old: number; code: number; trusted: number; large: number; other: number };
}
export type FromChild =
  | { type: 'ready'; url: string }
  | { type: 'stats'; statements: number; connections: number; cpuMicros: number; threads?: Record<string, number> }
  | { type: 'profile-started' }
  | { type: 'profile-stopped'; file: string }
  /** After a full garbage collection when the process runs with --expose-gc. */
  | { type: 'memory'; rss: number; heapUsed: number; external: number; arrayBuffers: number; collected: boolean }
  | ({ type: 'breakdown' } & MemoryBreakdown)
  | { type: 'failed'; message: string };

let statements = 0;
let connections = 0;

/**
 * Counts every statement a pg client sends (BEGIN, set_config and COMMIT included), in this process.
 * Both servers talk to PostgreSQL through the same `pg` package, so the counts compare like for like.
 * An increment per statement: no measurable cost next to a round trip.
 */
export function countSqlStatements(): void {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown; connect: (...args: unknown[]) => unknown };
  const query = proto.query;
  proto.query = function countedQuery(this: unknown, ...args: unknown[]) {
    statements++;
    return query.apply(this, args);
  };
  // New PostgreSQL sessions too: a pool that keeps reconnecting pays for backend start-up and cold caches.
  const connect = proto.connect;
  proto.connect = function countedConnect(this: unknown, ...args: unknown[]) {
    connections++;
    return connect.apply(this, args);
  };
}

/** This process's `MemoryBreakdown`, now. */
export function memoryBreakdown(): MemoryBreakdown {
  const m = process.memoryUsage();
  const spaces = { new: 0, old: 0, code: 0, trusted: 0, large: 0, other: 0 };
  for (const space of getHeapSpaceStatistics()) {
    const name = space.space_name;
    const key = name.includes('large_object') ? 'large' : name === 'new_space' ? 'new' : name === 'old_space' ? 'old' : name === 'code_space' ? 'code' : name === 'trusted_space' ? 'trusted' : 'other';
    spaces[key] += space.space_size;
  }
  return { rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, spaces };
}

/**
 * CPU time used so far by each kind of thread of this process (µs, from the kernel's
 * `/proc/self/task/<tid>/schedstat`, nanosecond resolution), keyed by the thread's name: `main`
 * (the JavaScript thread), `V8Worker` (V8's platform workers: concurrent and parallel garbage
 * collection, optimising compilation), `libuv-worker` (the thread pool), and the rest by their
 * kernel name; `process.cpuUsage()` is their sum, and a V8 CPU profile sees only `main`. Then the
 * whole process's user and system time (`(process: user)`, `(process: system)`). The reads cost
 * ~0.1–0.3 ms per call, so only with BENCH_THREADS=1.
 */
export function threadCpuMicros(): Record<string, number> {
  const byName: Record<string, number> = {};
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const name = tid === String(process.pid) ? 'main' : readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
      const onCpuNs = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      byName[name] = (byName[name] ?? 0) + onCpuNs / 1000;
    } catch {
      // the thread ended between the listing and the read
    }
  }
  // and the whole process's, split as the kernel accounts it: in our code or in system calls
  const { user, system } = process.cpuUsage();
  return { ...byName, '(process: user)': user, '(process: system)': system };
}

const reportThreads = process.env.BENCH_THREADS === '1';

function send(message: FromChild): void {
  process.send?.(message);
}

/** A V8 CPU profile of this process between two messages, so it covers one load run and nothing else. */
class Profiler {
  private session: Session | undefined;

  private allocations = false;

  /**
   * `allocations`: V8's sampling heap profiler instead (a sample every 4 kB allocated on average,
   * with its stack), keeping the samples of objects collected since, so the profile is where the
   * bytes were allocated, not what is still alive.
   */
  async start(allocations = false): Promise<void> {
    this.session = new Session();
    this.session.connect();
    this.allocations = allocations;
    if (allocations) {
      await this.session.post('HeapProfiler.enable');
      await this.session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
      return;
    }
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.setSamplingInterval', { interval: 200 });
    await this.session.post('Profiler.start');
  }

  async stop(file: string): Promise<void> {
    if (!this.session) throw new Error('the profiler was not started');
    const { profile } = this.allocations ? await this.session.post('HeapProfiler.stopSampling') : await this.session.post('Profiler.stop');
    this.session.disconnect();
    this.session = undefined;
    await writeFile(file, JSON.stringify(profile));
  }
}

export function serveChild(start: () => Promise<{ url: string; close: () => Promise<void> }>): void {
  if (!process.send) {
    console.error('This is a benchmark server process: bench/run.js starts it.');
    process.exit(2);
  }
  countSqlStatements();
  const profiler = new Profiler();
  let close: (() => Promise<void>) | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(code), 5_000);
    force.unref();
    try {
      await close?.();
    } finally {
      process.exit(code);
    }
  };
  process.on('message', (message: ToChild) => {
    if (message.type === 'stats') {
      const threads = reportThreads ? threadCpuMicros() : undefined;
      const cpu = process.cpuUsage();
      send({ type: 'stats', statements, connections, cpuMicros: cpu.user + cpu.system, threads });
    } else if (message.type === 'memory') {
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      const m = process.memoryUsage();
      send({ type: 'memory', rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, collected: gc !== undefined });
    } else if (message.type === 'breakdown') {
      send({ type: 'breakdown', ...memoryBreakdown() });
    } else if (message.type === 'stop') {
      void stop(0);
    } else if (message.type === 'profile-start') {
      profiler.start(message.allocations).then(() => send({ type: 'profile-started' }), (e: unknown) => send({ type: 'failed', message: String(e) }));
    } else if (message.type === 'profile-stop') {
      profiler.stop(message.file).then(() => send({ type: 'profile-stopped', file: message.file }), (e: unknown) => send({ type: 'failed', message: String(e) }));
    }
  });
  process.on('disconnect', () => void stop(0));
  start().then(
    (server) => {
      close = server.close;
      send({ type: 'ready', url: server.url });
    },
    (error: unknown) => {
      send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      void stop(1);
    },
  );
}

/**
 * Listens with `server` on a free loopback port and answers what `serveChild` wants: the URL of its
 * `/graphql` and a `close` that drops open connections, waits for the server, then runs `release`
 * (the server's own resources: handlers, pools).
 */
export async function listenOnLoopback(server: Server, release: () => Promise<void>): Promise<{ url: string; close: () => Promise<void> }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await release();
    },
  };
}
