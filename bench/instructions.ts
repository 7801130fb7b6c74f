/**
 * Instructions per page (`npm run bench:instructions`): a deterministic meter for the page of 20,
 * for A/Bs too small for wall-clock figures on a shared machine.
 *
 * The same database as `npm run bench` (embedded PostgreSQL, migrated, seeded by bench/seed.ts,
 * the same three setup purchases), served by the gateway, the floor (bench/floor-server.ts) and,
 * with `BENCH_BASELINE=<another build's dist>`, that build of the gateway: each in its own process
 * under `valgrind --tool=callgrind`, which counts every instruction the process executes (all its
 * threads: JavaScript, V8's compiler and GC threads, libuv, OpenSSL; not the kernel, not
 * PostgreSQL). This VM has no hardware counters (`perf stat -e instructions` is not supported);
 * callgrind's count does not depend on what else the machine runs.
 *
 * Steps: the servers start with instrumentation off (valgrind then runs Node ~5× slower instead of
 * ~50×); the floor's body must be the gateway's byte for byte, and the baseline's too; a warm-up of
 * `BENCH_WARMUP` page requests per server (default 600, as `npm run bench`) so V8 has optimised the
 * hot code; then instrumentation goes on, and for each server the instructions of
 * `BENCH_IDLE_SECONDS` (3, in three windows, the lowest rate kept) with no requests are counted
 * (timers: prom-client's event-loop monitor; the event relay's outbox poll is set to once a minute,
 * EVENT_POLL_MS, as it is not on the page's path): under valgrind a request takes ~50× its real time, so whatever runs per second would be
 * charged ~50× too heavily to each page. Then `BENCH_ROUNDS` (4) rounds of `BENCH_REQUESTS` (300)
 * requests per server over `BENCH_CONNECTIONS` (4) keep-alive connections, the servers taking
 * turns (rotated each round), each turn after unmeasured requests that reopen idle pool
 * connections. (A full collection forced before each round was tried: V8 then threw away compiled
 * code and compiled it again in the round, ~1 M instructions per page more; rounds run as they come.)
 *
 * Each round's count is callgrind's total between a zero and a dump (`callgrind_control -z`, `-d`),
 * less the idle rate × the round's duration; per page = that ÷ requests. Printed: each server's
 * instructions per page in every round and their median, and the ratios gateway ÷ floor and
 * gateway ÷ baseline per round and median, all from this run; then the same by kind: instructions
 * in V8's garbage collector, in its compilers, and the rest (JavaScript and what it calls), with the
 * ratios of the rest: the figure a change to the request path moves, without the lumps of a major
 * collection or a re-optimisation that falls in one round and not the next. Every response is
 * checked against the first body (autocannon's expectBody); a mismatch fails the run.
 *
 * The callgrind dumps stay in `$TMPDIR/reward-gateway-instructions/` (one file per server and
 * round; the last round of each server holds per-function counts for `callgrind_annotate`; V8's
 * generated code shows as addresses, its runtime, GC, the JSON writer, libuv and OpenSSL by name).
 * With `-- --names`, the servers also run with `--perf-basic-prof`, and each server's last dump is
 * written again as `<name>.named` with V8's generated code named by the JavaScript function it
 * came from (from `/tmp/perf-<pid>.map`), so `callgrind_annotate --inclusive=yes <file>.named`
 * attributes instructions to our functions and the packages'. For wall time by function, `npm
 * run bench -- --profile` (the V8 profiler).
 *
 * Needs `valgrind` (3.19 here) on the PATH. Takes ~5–10 minutes with the defaults. Run it under
 * `flock /work/wt/bench.lock` like every bench on the shared machine.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedPostgres, type RunningPostgres } from '../src/db/embedded.js';
import { envInt } from './fleet.js';
import { runLoad, type Target } from './load.js';
import { ServerProcess } from './server-process.js';
import { purchasesThenPage, seedPageDatabase } from './seed.js';

const here = path.dirname(fileURLToPath(import.meta.url));

const settings = {
  // Fewer than `npm run bench`'s 16: under valgrind a page takes ~50× its real time, and a
  // keep-alive connection whose next request waits past Node's 5 s keepAliveTimeout is closed.
  connections: envInt('BENCH_CONNECTIONS', 4, 1, 64),
  warmup: envInt('BENCH_WARMUP', 600, 0, 20_000),
  requests: envInt('BENCH_REQUESTS', 300, 20, 20_000),
  rounds: envInt('BENCH_ROUNDS', 4, 1, 20),
  idleSeconds: envInt('BENCH_IDLE_SECONDS', 3, 0, 60),
  deadlineMs: envInt('BENCH_DEADLINE_SECONDS', 1_800, 60, 7_200) * 1000,
};
const baseline = process.env.BENCH_BASELINE ? path.resolve(process.env.BENCH_BASELINE, 'bench/gateway-server.js') : undefined;
const SERVERS = [
  { id: 'gateway', label: 'gateway', script: path.join(here, 'gateway-server.js') },
  ...(baseline ? [{ id: 'base', label: 'gateway (baseline)', script: baseline }] : []),
  { id: 'floor', label: 'floor (node:http + pg)', script: path.join(here, 'floor-server.js') },
];
const outDir = path.join(os.tmpdir(), 'reward-gateway-instructions');
const names = process.argv.includes('--names');

/** What `npm run bench:instructions -- --help` prints. */
const USAGE = `Usage: flock /work/wt/bench.lock npm run bench:instructions [-- --names]

Instructions per page of 20 (RewardStoreOffers), counted by valgrind's callgrind, for the gateway,
the floor (node:http + pg) and, with BENCH_BASELINE, another build of the gateway; ratios from this run.
Needs valgrind (with callgrind_control and callgrind_annotate) on the PATH. Takes ~5–10 minutes with
the defaults; run it under flock so no two benches overlap on the shared machine.

Options:
  --names           also write each server's last dump as <name>.named, V8's code named by JS function
  -h, --help        print this and exit

Settings (environment):
  BENCH_BASELINE=<dist>        another build's dist folder, measured as a third server
  BENCH_CONNECTIONS=4          keep-alive connections (1–64)
  BENCH_WARMUP=600             page requests per server before counting (0–20000)
  BENCH_REQUESTS=300           requests per server per round (20–20000)
  BENCH_ROUNDS=4               rounds (1–20)
  BENCH_IDLE_SECONDS=3         seconds of idle counting per server (0–60)
  BENCH_DEADLINE_SECONDS=1800  stop (and clean up) after this long (60–7200)

Callgrind dumps: ${outDir} (kept after a completed run, removed after a failed or interrupted one).
`;

/**
 * Rewrites a callgrind dump's names of generated code (`fn=(7) 0x00000000282d0300`, a bare
 * address) to the JavaScript function whose code holds that address, from V8's perf map
 * (`<start hex> <size hex> <name>` per line). Code of one function in several tiers gets one name,
 * so callgrind_annotate adds them up. Returns the file written.
 */
function nameGeneratedCode(dump: string, perfMap: string): string {
  const entries = readFileSync(perfMap, 'utf8')
    .split('\n')
    .map((line) => /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ start: parseInt(m[1], 16), end: parseInt(m[1], 16) + parseInt(m[2], 16), name: m[3].replace(/^JS:[*~^+]?/, 'JS:') }))
    .sort((a, b) => a.start - b.start);
  const find = (address: number): string | undefined => {
    let lo = 0;
    let hi = entries.length - 1;
    let found: string | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (entries[mid].start <= address) {
        if (address < entries[mid].end) found = entries[mid].name;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
  const text = readFileSync(dump, 'utf8').replace(/^(c?fn=\(\d+\)) 0x([0-9a-f]+)$/gm, (line, head: string, hex: string) => {
    const name = find(parseInt(hex, 16));
    return name ? `${head} ${name}` : line;
  });
  const file = `${dump}.named`;
  writeFileSync(file, text);
  return file;
}

/** Sends a callgrind_control command (`-z`, `-d`, `-i on`) to the valgrind process `pid`. */
function control(pid: number, ...args: string[]): void {
  execFileSync('callgrind_control', [...args, String(pid)], { stdio: 'ignore', timeout: 60_000 });
}

/** The `totals:` of the newest dump of `prefix` (callgrind names dumps `<prefix>.<n>`). */
function lastTotal(prefix: string, before: Set<string>): { instructions: number; file: string } {
  const base = path.basename(prefix);
  const files = readdirSync(outDir)
    .filter((f) => f.startsWith(`${base}.`) && !before.has(f))
    .sort((a, b) => Number(a.slice(base.length + 1)) - Number(b.slice(base.length + 1)));
  const file = files.at(-1);
  if (!file) throw new Error(`no callgrind dump for ${base}`);
  const text = readFileSync(path.join(outDir, file), 'utf8');
  const total = /^(?:totals|summary):\s+(\d+)/m.exec(text);
  if (!total) throw new Error(`no totals in ${file}`);
  return { instructions: Number(total[1]), file: path.join(outDir, file) };
}

/** Where a round's instructions went, by the native function they ran in (V8's own code is named in the binary). */
interface Split {
  total: number;
  /** V8's garbage collector: scavenges, marking, sweeping, compaction (on any thread). */
  gc: number;
  /** V8's optimising compilers (TurboFan, Maglev) and the parser, on any thread. */
  compiler: number;
}
const GC_FUNCTION = /Marking|Scaveng|Sweep|Heap::|heap::|MarkCompact|Evacuat|IterateObjectCache|RememberedSet|SlotSet|BodyDescriptor|SizeFromMap|ActiveSystemPages|MemoryAllocator|PagedSpace|Worklist|GCTracer|MinorMS|RootVisitor|LargeObjectSpace|popcount/;
const COMPILER_FUNCTION = /compiler::|maglev::|turboshaft::|Parser|Scanner|Zone::|BytecodeGenerator|Compiler::|OptimizingCompile/;

/** Self instructions of a dump, split by `GC_FUNCTION` and `COMPILER_FUNCTION` (from `callgrind_annotate`). */
function splitOf(file: string): Split {
  const text = execFileSync('callgrind_annotate', ['--threshold=100', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const split = { total: 0, gc: 0, compiler: 0 };
  for (const line of text.split('\n')) {
    const m = /^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$/.exec(line);
    if (!m || m[2].includes('PROGRAM TOTALS')) continue;
    const n = Number(m[1].replaceAll(',', ''));
    split.total += n;
    if (GC_FUNCTION.test(m[2])) split.gc += n;
    else if (COMPILER_FUNCTION.test(m[2])) split.compiler += n;
  }
  return split;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const k = (n: number) => `${(n / 1000).toFixed(0)}k`;

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  // The handlers go on before anything is made, so an interrupt at any point removes what was.
  let postgres: RunningPostgres | undefined;
  let tempDir: string | undefined;
  const servers: ServerProcess[] = [];
  let cleaned: Promise<void> | undefined;
  /** Stops the servers and PostgreSQL and removes its folder; the dumps too unless the run completed. Once. */
  const cleanup = (completed: boolean) =>
    (cleaned ??= (async () => {
      await Promise.allSettled(servers.map((s) => s.stop()));
      await postgres?.stop().catch(() => {});
      if (tempDir) await rm(tempDir, { recursive: true, force: true });
      if (!completed) await rm(outDir, { recursive: true, force: true });
    })());
  const deadline = setTimeout(() => {
    console.error(`instructions: still running after ${settings.deadlineMs / 1000} s; stopping.`);
    void cleanup(false).finally(() => process.exit(1));
  }, settings.deadlineMs);
  deadline.unref();
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      console.error(`instructions: ${signal}; stopping and removing ${outDir} and the database folder.`);
      void cleanup(false).finally(() => process.exit(code));
    });
  }
  let completed = false;
  try {
    tempDir = await mkdtemp(path.join(os.tmpdir(), 'reward-gateway-instr-'));
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    console.log(
      `Instructions per page — node ${process.version}, ${execFileSync('valgrind', ['--version'], { encoding: 'utf8' }).trim()}; servers: ${SERVERS.map((s) => s.label).join(', ')}; ` +
        `${settings.warmup} warm-up, ${settings.rounds} rounds × ${settings.requests} requests, ${settings.connections} connections; load average ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}`,
    );
    postgres = await startEmbeddedPostgres(tempDir);
    // The event relay's outbox poll (every 25 ms by default) is not on the page's path, and under
    // valgrind's ~50× slowdown it would be most of what the idle rate subtracts: once a minute.
    // Connects too: under valgrind a new pool connection's SCRAM exchange takes ~50× its time, and on a
    // loaded machine it passed the 5 s DB_ACQUIRE_TIMEOUT_MS (a warm-up's requests answered 503).
    const db = await seedPageDatabase(postgres, { EVENT_POLL_MS: '60000', DB_ACQUIRE_TIMEOUT_MS: '120000' });
    const { env, headers, pageBody: body } = db;

    const started = await Promise.all(
      SERVERS.map((s) =>
        ServerProcess.start(s.label, s.script, env, {
          readyMs: 600_000,
          extraFlags: names ? ['--perf-basic-prof'] : [],
          wrapper: ['valgrind', '--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${path.join(outDir, `${s.id}.out`)}`, '--log-file=/dev/null'],
        }),
      ),
    );
    servers.push(...started);
    const byId = Object.fromEntries(SERVERS.map((s, i) => [s.id, started[i]]));
    const expected = { text: await purchasesThenPage(db, byId.gateway.url, SERVERS.slice(1).map((s) => ({ label: s.label, url: byId[s.id].url }))) };
    const targets: Record<string, Target> = Object.fromEntries(SERVERS.map((s) => [s.id, { name: s.label, url: byId[s.id].url, headers, body, expectBody: expected.text }]));
    const load = async (id: string, amount: number, tolerant = false) => {
      const result = await runLoad(targets[id], settings.connections, amount, undefined, 300);
      if (result.failures && !tolerant) throw new Error(`${id}: ${result.failures} failed requests\n${byId[id].lastOutput}`);
      return result;
    };
    console.log(`checked: the floor's page${baseline ? " and the baseline's" : ''} byte-identical to the gateway's (${expected.text.length} B)`);
    if (settings.warmup) for (const s of SERVERS) await load(s.id, settings.warmup);

    const seen = new Set<string>();
    const counted = (id: string) => {
      const total = lastTotal(path.join(outDir, `${id}.out`), seen);
      seen.add(path.basename(total.file));
      return total;
    };
    const idleRate: Record<string, number> = {};
    for (const s of SERVERS) {
      const pid = byId[s.id].pid;
      control(pid, '-i', 'on');
      // Instrumenting throws away valgrind's translations: they are made again here, not in a round.
      await load(s.id, settings.connections * 8, true);
      // The lowest of three windows: a collection or a compilation that the warm-up left running
      // can fall in one window (58 M instructions a second once), and is no timer of the idle server.
      const rates: number[] = [];
      for (let window = 0; window < 3 && settings.idleSeconds > 0; window++) {
        control(pid, '-z');
        const from = performance.now();
        await new Promise((resolve) => setTimeout(resolve, (settings.idleSeconds * 1000) / 3));
        control(pid, '-d');
        rates.push(counted(s.id).instructions / ((performance.now() - from) / 1000));
      }
      idleRate[s.id] = rates.length ? Math.min(...rates) : 0;
    }
    console.log(`idle (no requests): ${SERVERS.map((s) => `${s.label} ${k(idleRate[s.id])} instructions/s`).join(', ')}`);

    const perPage: Record<string, number[]> = Object.fromEntries(SERVERS.map((s) => [s.id, []]));
    const splits: Record<string, Split[]> = Object.fromEntries(SERVERS.map((s) => [s.id, []]));
    for (let round = 0; round < settings.rounds; round++) {
      const ids = SERVERS.map((s) => s.id);
      const order = [...ids.slice(round % ids.length), ...ids.slice(0, round % ids.length)];
      for (const id of round % 2 ? order.reverse() : order) {
        const pid = byId[id].pid;
        // Unmeasured first, as in `npm run bench`: a pool that sat idle while the others ran has
        // closed connections, and opening one costs a SCRAM handshake (thousands of SHA-256 blocks).
        await load(id, settings.connections * 8);
        control(pid, '-z');
        const from = performance.now();
        const result = await load(id, settings.requests);
        control(pid, '-d');
        const seconds = (performance.now() - from) / 1000;
        const dump = counted(id);
        perPage[id].push((dump.instructions - idleRate[id] * seconds) / result.requests);
        const split = splitOf(dump.file);
        splits[id].push({ total: split.total / result.requests, gc: split.gc / result.requests, compiler: split.compiler / result.requests });
      }
      console.log(
        `round ${round + 1}/${settings.rounds}: ${SERVERS.map((s) => `${s.label} ${k(perPage[s.id][round])}`).join(', ')} instructions/page; ` +
          SERVERS.filter((s) => s.id !== 'gateway')
            .map((s) => `gateway ÷ ${s.id} ${(perPage.gateway[round] / perPage[s.id][round]).toFixed(3)}`)
            .join(', '),
      );
    }
    console.log('\ninstructions per page (idle rate subtracted), median of rounds [rounds]');
    for (const s of SERVERS) console.log(`  ${s.label.padEnd(24)} ${k(median(perPage[s.id])).padStart(8)}  [${perPage[s.id].map(k).join(' ')}]`);
    for (const s of SERVERS.filter((x) => x.id !== 'gateway')) {
      const ratios = perPage.gateway.map((g, i) => g / perPage[s.id][i]);
      console.log(`  gateway ÷ ${s.label}: ×${median(ratios).toFixed(3)} [${ratios.map((r) => r.toFixed(3)).join(' ')}]`);
    }
    // The rest: JavaScript and what it calls (builtins, the JSON writer, libuv, OpenSSL, pg's parsing),
    // i.e. the instructions a change to the request path moves, without the GC's and the
    // compilers' lumps (a major GC or a re-optimisation falls in one round or the next).
    const rest = (x: Split) => x.total - x.gc - x.compiler;
    console.log('\nby kind, per page (not less idle), median of rounds [rounds]: JavaScript and the rest | GC | compilers');
    for (const s of SERVERS) {
      const xs = splits[s.id];
      console.log(
        `  ${s.label.padEnd(24)} ${k(median(xs.map(rest))).padStart(8)} [${xs.map((x) => k(rest(x))).join(' ')}] | ${k(median(xs.map((x) => x.gc)))} [${xs.map((x) => k(x.gc)).join(' ')}] | ` +
          `${k(median(xs.map((x) => x.compiler)))} [${xs.map((x) => k(x.compiler)).join(' ')}]`,
      );
    }
    for (const s of SERVERS.filter((x) => x.id !== 'gateway')) {
      const ratios = splits.gateway.map((g, i) => rest(g) / rest(splits[s.id][i]));
      console.log(`  gateway ÷ ${s.label}, JavaScript and the rest: ×${median(ratios).toFixed(3)} [${ratios.map((r) => r.toFixed(3)).join(' ')}]`);
    }
    if (names) {
      for (const s of SERVERS) {
        const map = `/tmp/perf-${byId[s.id].pid}.map`;
        const last = [...seen].filter((f) => f.startsWith(`${s.id}.out.`)).sort((a, b) => Number(a.split('.').at(-1)) - Number(b.split('.').at(-1))).at(-1);
        if (last && existsSync(map)) console.log(`  ${s.label}: ${nameGeneratedCode(path.join(outDir, last), map)}`);
      }
    }
    console.log(`callgrind dumps: ${outDir}; load average at the end ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}`);
    completed = true;
  } finally {
    await cleanup(completed);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
