/**
 * The page's garbage (`npm run bench:gc`): V8's collections per 1000 pages of 20 (RewardStoreOffers)
 * and the live heap after warm-up, for the gateway and, with `BENCH_BASELINE=<another build's
 * dist>`, that build too; the floor (bench/floor-server.ts) with `BENCH_GC_FLOOR=1`.
 *
 * The same database as `npm run bench` (embedded PostgreSQL, migrated, seeded by bench/seed.ts,
 * the same three setup purchases). Each server runs in its own process with the gateway's shipped
 * flags (bench/node-flags.ts) plus `--trace-gc-nvp`, which prints one line per collection
 * (`gc=s` a scavenge, `gc=mc` a mark-compact, `gc=mmc` a minor mark-sweep) with its pause and the
 * bytes it promoted to the old generation. After `BENCH_WARMUP` (600) pages per server, the servers
 * take turns for `BENCH_ROUNDS` (3) rounds of `BENCH_REQUESTS` (2000) pages over
 * `BENCH_CONNECTIONS` (16) keep-alive connections, as in `npm run bench`; the lines each round
 * printed are added up per server: scavenges, mark-compacts (and their pause), bytes promoted, and
 * the old generation's size after each mark-compact (the live heap). Every response is checked
 * against the first body. These are counts, not times: they barely depend on the machine's load.
 *
 * With `--allocations`, after the rounds each server runs `BENCH_REQUESTS` more pages under V8's
 * sampling heap profiler (bench/child.ts), summarised as bytes allocated per page by package and by
 * function; the `.heapprofile` files stay in `$TMPDIR/reward-gateway-gc/` for Chrome DevTools.
 * With `--snapshot`, after the rounds each server writes a heap snapshot (`--heapsnapshot-signal`,
 * taken after a full collection) to `$TMPDIR/reward-gateway-gc/`, summarised by constructor (self
 * size, count) and by the script that compiled the most code and the biggest strings.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
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
  connections: envInt('BENCH_CONNECTIONS', 16, 1, 64),
  warmup: envInt('BENCH_WARMUP', 600, 0, 20_000),
  requests: envInt('BENCH_REQUESTS', 2_000, 100, 50_000),
  rounds: envInt('BENCH_ROUNDS', 3, 1, 20),
};
const baseline = process.env.BENCH_BASELINE ? path.resolve(process.env.BENCH_BASELINE, 'bench/gateway-server.js') : undefined;
const SERVERS = [
  { id: 'gateway', label: 'gateway', script: path.join(here, 'gateway-server.js') },
  ...(baseline ? [{ id: 'base', label: 'baseline', script: baseline }] : []),
  ...(process.env.BENCH_GC_FLOOR ? [{ id: 'floor', label: 'floor', script: path.join(here, 'floor-server.js') }] : []),
];
const outDir = path.join(os.tmpdir(), 'reward-gateway-gc');
const snapshot = process.argv.includes('--snapshot');
const allocations = process.argv.includes('--allocations');

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

/**
 * Bytes allocated per page by function (self) and by package (each sample charged to the nearest
 * `node_modules` package on its stack, else our own file), from a sampling heap profile.
 */
function summariseAllocations(profile: { head: SamplingNode }, pages: number, top = 30): string {
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let total = 0;
  const packageOf = (url: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? (url.includes('/dist/') ? url.replace(/.*\/dist\//, '') : url || '(native)');
  const walk = (node: SamplingNode, stackPackage: string | undefined) => {
    const url = node.callFrame.url;
    const own = url ? packageOf(url) : undefined;
    const pkg = own ?? stackPackage ?? '(native)';
    if (node.selfSize) {
      const key = `${node.callFrame.functionName || '(anonymous)'} ${url.replace(/.*node_modules\//, '').replace(/.*\/dist\//, '')}:${node.callFrame.lineNumber + 1}`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + node.selfSize);
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + node.selfSize);
      total += node.selfSize;
    }
    for (const child of node.children) walk(child, own ?? stackPackage);
  };
  walk(profile.head, undefined);
  const kb = (n: number) => `${(n / pages / 1024).toFixed(1).padStart(6)} kB`;
  const lines = (m: Map<string, number>, n: number) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${kb(v)}  ${k}`);
  return [`allocated ${kb(total)} per page (sampled)`, 'by package:', ...lines(byPackage, 15), 'by function (self):', ...lines(byFunction, top)].join('\n');
}

/** One collection as `--trace-gc-nvp` prints it. */
interface Collection {
  kind: string;
  pauseMs: number;
  promoted: number;
  /** Bytes in the heap's objects after the collection (`end_object_size`). */
  sizeAfter: number;
}

/** The `--trace-gc-nvp` lines of `text` (`pause=1.2 mutator=… gc=s … promoted=123 …`). */
export function parseCollections(text: string): Collection[] {
  const found: Collection[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes(' gc=')) continue;
    const field = (name: string) => new RegExp(`(?:^|\\s)${name}=([^\\s]+)`).exec(line)?.[1];
    found.push({ kind: field('gc') ?? '?', pauseMs: Number(field('pause') ?? 0), promoted: Number(field('promoted') ?? 0), sizeAfter: Number(field('end_object_size') ?? 0) });
  }
  return found;
}

/** Self size and count per constructor (node name of objects, type otherwise) of a `.heapsnapshot`. */
function summariseSnapshot(file: string): string {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] }; node_count: number };
    nodes: number[];
    strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const groups = new Map<string, { size: number; count: number }>();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]];
    const name = snap.strings[snap.nodes[i + nameAt]];
    const size = snap.nodes[i + sizeAt];
    total += size;
    const key = type === 'object' || type === 'closure' ? `${type}:${name}` : type === 'code' || type === 'hidden' || type === 'array' ? `${type}:${name.slice(0, 60)}` : type;
    const g = groups.get(key) ?? { size: 0, count: 0 };
    g.size += size;
    g.count += 1;
    groups.set(key, g);
  }
  const top = [...groups.entries()].sort((a, b) => b[1].size - a[1].size).slice(0, 40);
  return [`total self size ${(total / 1e6).toFixed(1)} MB`, ...top.map(([key, g]) => `${(g.size / 1e6).toFixed(2).padStart(7)} MB ${String(g.count).padStart(8)}  ${key}`)].join('\n');
}

async function main(): Promise<void> {
  let postgres: RunningPostgres | undefined;
  let tempDir: string | undefined;
  const servers: ServerProcess[] = [];
  const cleanup = async () => {
    await Promise.allSettled(servers.map((s) => s.stop()));
    await postgres?.stop().catch(() => {});
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  };
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) process.once(signal, () => void cleanup().finally(() => process.exit(code)));
  try {
    tempDir = await mkdtemp(path.join(os.tmpdir(), 'reward-gateway-gc-'));
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    process.env.BENCH_CHILD_OUTPUT = outDir;
    console.log(`GC per page — node ${process.version}; servers: ${SERVERS.map((s) => s.label).join(', ')}; ${settings.warmup} warm-up, ${settings.rounds} rounds × ${settings.requests}, ${settings.connections} connections; load ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}`);
    postgres = await startEmbeddedPostgres(tempDir);
    const db = await seedPageDatabase(postgres);
    const { env, headers, pageBody: body } = db;
    const started = await Promise.all(
      SERVERS.map((s) => ServerProcess.start(s.label, s.script, env, { extraFlags: ['--trace-gc-nvp', ...(snapshot ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${outDir}`] : [])] })),
    );
    servers.push(...started);
    const byId = Object.fromEntries(SERVERS.map((s, i) => [s.id, started[i]]));
    const expected = { text: await purchasesThenPage(db, byId.gateway.url, SERVERS.slice(1).map((s) => ({ label: s.label, url: byId[s.id].url }))) };
    const targets: Record<string, Target> = Object.fromEntries(SERVERS.map((s) => [s.id, { name: s.label, url: byId[s.id].url, headers, body, expectBody: expected.text }]));
    const load = async (id: string, amount: number) => {
      const result = await runLoad(targets[id], settings.connections, amount);
      if (result.failures) throw new Error(`${id}: ${result.failures} failed requests\n${byId[id].lastOutput}`);
      return result;
    };
    for (const s of SERVERS) await load(s.id, settings.warmup);
    const logOf = (s: (typeof SERVERS)[number]) => path.join(outDir, `${s.label.replace(/\W+/g, '-')}.log`);
    const totals: Record<string, Collection[]> = Object.fromEntries(SERVERS.map((s) => [s.id, []]));
    const cpu: Record<string, number> = Object.fromEntries(SERVERS.map((s) => [s.id, 0]));
    for (let round = 0; round < settings.rounds; round++) {
      const ids = SERVERS.map((s) => s.id);
      for (const id of [...ids.slice(round % ids.length), ...ids.slice(0, round % ids.length)]) {
        const s = SERVERS.find((x) => x.id === id)!;
        await load(id, settings.connections * 8);
        await new Promise((resolve) => setTimeout(resolve, 200));
        const from = statSync(logOf(s)).size;
        const before = await byId[id].stats();
        await load(id, settings.requests);
        const after = await byId[id].stats();
        await new Promise((resolve) => setTimeout(resolve, 200));
        cpu[id] += after.cpuMicros - before.cpuMicros;
        totals[id].push(...parseCollections(readFileSync(logOf(s)).subarray(from).toString()));
      }
    }
    const pages = settings.rounds * settings.requests;
    const per1000 = (n: number) => ((n * 1000) / pages).toFixed(1);
    for (const s of SERVERS) {
      const c = totals[s.id];
      const major = c.filter((x) => x.kind === 'mc');
      const minor = c.filter((x) => x.kind !== 'mc');
      const promoted = c.reduce((a, x) => a + x.promoted, 0);
      const live = major.map((x) => x.sizeAfter / 1e6);
      console.log(
        `${s.label.padEnd(9)} per 1000 pages: scavenges ${per1000(minor.length)} (pause ${per1000(minor.reduce((a, x) => a + x.pauseMs, 0))} ms), ` +
          `mark-compacts ${per1000(major.length)} (pause ${per1000(major.reduce((a, x) => a + x.pauseMs, 0))} ms), promoted ${((promoted * 1000) / pages / 1e6).toFixed(2)} MB ` +
          `(${((promoted / pages) / 1024).toFixed(1)} kB/page); heap after mark-compacts ${live.length ? `${Math.min(...live).toFixed(1)}–${Math.max(...live).toFixed(1)} MB` : '—'}; node CPU ${(cpu[s.id] / pages / 1000).toFixed(3)} ms/page`,
      );
    }
    if (allocations) {
      for (const s of SERVERS) {
        const file = path.join(outDir, `${s.id}.heapprofile`);
        await byId[s.id].profileStart(true);
        await load(s.id, settings.requests);
        await byId[s.id].profileStop(file);
        const profile = JSON.parse(readFileSync(file, 'utf8')) as { head?: SamplingNode };
        // A build from before bench/child.ts took `allocations` starts its CPU profiler instead.
        if (!profile.head) console.log(`\n${s.label}: its bench/child.js has no allocation profiler`);
        else console.log(`\n${s.label} (${file}):\n${summariseAllocations({ head: profile.head }, settings.requests)}`);
      }
    }
    if (snapshot) {
      for (const s of SERVERS) {
        const existing = new Set(readdirSync(outDir));
        process.kill(byId[s.id].pid, 'SIGUSR2');
        let file: string | undefined;
        for (let i = 0; i < 600 && !file; i++) {
          await new Promise((resolve) => setTimeout(resolve, 500));
          const made = readdirSync(outDir).find((f) => f.endsWith('.heapsnapshot') && !existing.has(f));
          // A snapshot is complete when its size stops changing.
          if (made) {
            const a = statSync(path.join(outDir, made)).size;
            await new Promise((resolve) => setTimeout(resolve, 1500));
            if (a > 0 && statSync(path.join(outDir, made)).size === a) file = path.join(outDir, made);
          }
        }
        if (!file) throw new Error(`${s.label}: no heap snapshot`);
        console.log(`\n${s.label}: ${file}\n${summariseSnapshot(file)}`);
      }
    }
  } finally {
    await cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
