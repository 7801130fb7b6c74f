/**
 * What a gateway's start costs (start-25): `npm run bench:startup`.
 *
 * Starts `node dist/bundle/main.js` (as the Dockerfile and `npm start` run it, without npm) on a
 * database of its own (bench/fleet.ts `benchDatabase`: an embedded PostgreSQL in a temp folder, or a
 * fresh database at BENCH_PG_ADMIN_URL), migrated by one unmeasured start of each build first, so
 * every measured start is a restart: nothing to migrate, no demo seed, the job workers on, as a
 * production deploy restarts. For each start it reads, when the gateway logs "gateway ready", the
 * process's CPU so far (user + system, /proc/<pid>/stat, in clock ticks of 10 ms) and the wall time
 * since the spawn, then stops it with SIGINT (no drain delay) and waits for its exit.
 *
 * `BENCH_BASELINE=<another build's dist>` (a detached worktree of main built the same way): each
 * round starts this build and that one, taking turns to go first; printed per build: the median
 * CPU and wall time to "gateway ready" with their range, and this ÷ baseline as the median of the
 * rounds' ratios with every round's ratio (the spread). One more start of each build, not timed,
 * under bench/startup-probe.ts (a module-loading hook, `node --import`) counts the modules it loaded
 * by "gateway ready", by package. Nothing is asserted; a run fails only when a start fails.
 *
 * Settings: BENCH_ROUNDS (10), BENCH_TOP (12: packages listed by modules loaded). Each build runs
 * its dist's bundle/main.js (bundle-26) when it has one, else src/main.js; BENCH_ENTRY and
 * BENCH_BASELINE_ENTRY name another file (relative to the dist: `src/main.js`, tsc's unbundled
 * output), BENCH_NODE_FLAGS adds node flags to this build's starts (`--enable-source-maps`).
 *
 *   npx tsc -p tsconfig.build.json && BENCH_BASELINE=/work/wt/start-base/dist node dist/bench/startup.js
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchDatabase, envInt, loadAverage } from './fleet.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** This build's dist folder (dist/bench/startup.js → dist). */
const ownDist = path.resolve(here, '..');

const settings = {
  rounds: envInt('BENCH_ROUNDS', 10, 1, 1_000),
  top: envInt('BENCH_TOP', 12, 0, 1_000),
  baseline: process.env.BENCH_BASELINE ? path.resolve(process.env.BENCH_BASELINE) : undefined,
  entry: process.env.BENCH_ENTRY || undefined,
  baselineEntry: process.env.BENCH_BASELINE_ENTRY || undefined,
  flags: (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean),
};

/**
 * The file a build's start runs, relative to its dist: `entry` if given, else bundle/main.js
 * (bundle-26, scripts/bundle.mjs) when the build has it, else src/main.js (a build from before).
 */
function entryOf(dist: string, entry: string | undefined): string {
  if (entry) return path.join(dist, entry);
  const bundled = path.join(dist, 'bundle/main.js');
  return existsSync(bundled) ? bundled : path.join(dist, 'src/main.js');
}

/** A build to start: its dist, the file its start runs, and node flags before it. */
interface Build {
  name: string;
  dist: string;
  main: string;
  flags: string[];
}

/** One start: CPU ms (user + system) and wall ms from the spawn to "gateway ready". */
interface Start {
  cpuMs: number;
  wallMs: number;
}

/** Modules a start loaded by "gateway ready" (bench/startup-probe.ts), in all and by package. */
interface Count {
  modules: number;
  byPackage: Record<string, number>;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** User + system CPU ms of process `pid` so far, from /proc/<pid>/stat (fields 14 and 15, in clock ticks). */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/**
 * Starts `dist`'s gateway with `env`, waits for "gateway ready" (rejects with its output if it
 * exits or takes 120 s), measures it, and, with `probe`, asks bench/startup-probe.ts for its count;
 * then stops it (SIGINT) and waits for its exit.
 */
async function startOnce(build: Build, env: Record<string, string>, probe = false): Promise<Start & Partial<Count>> {
  const flags = probe ? ['--import', path.join(ownDist, 'bench/startup-probe.js')] : [];
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...build.flags, ...flags, build.main], {
    cwd: path.dirname(build.dist),
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  try {
    const start = await new Promise<Start>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "gateway ready" within 120 s:\n${output.slice(-4_000)}`)), 120_000);
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (!/"msg":"gateway ready"/.test(output)) return;
        clearTimeout(timer);
        resolve({ cpuMs: cpuMsOf(child.pid!), wallMs: performance.now() - spawnedAt });
      });
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the gateway exited (${code ?? signal}) before "gateway ready":\n${output.slice(-4_000)}`));
      });
    });
    if (!probe) return start;
    const count = await new Promise<Count>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no count from bench/startup-probe.ts within 10 s')), 10_000);
      let err = '';
      child.stderr.on('data', (chunk: Buffer) => {
        err += chunk.toString();
        const line = /^startup-probe (.*)$/m.exec(err);
        if (!line) return;
        clearTimeout(timer);
        resolve(JSON.parse(line[1]) as Count);
      });
      child.kill('SIGUSR2');
    });
    return { ...start, ...count };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    await exited;
  }
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const range = (values: readonly number[]) => `${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)}`;

async function main(): Promise<void> {
  const builds: Build[] = [
    { name: 'this build', dist: ownDist, main: entryOf(ownDist, settings.entry), flags: settings.flags },
    ...(settings.baseline ? [{ name: 'baseline', dist: settings.baseline, main: entryOf(settings.baseline, settings.baselineEntry), flags: [] }] : []),
  ];
  console.log(`startup: ${settings.rounds} round(s); ${builds.map((b) => `${b.name} ${[...b.flags, b.main].join(' ')}`).join(', ')}; load ${loadAverage()}`);
  const database = await benchDatabase();
  try {
    const env = {
      NODE_ENV: 'production',
      JWT_SECRET: randomBytes(32).toString('hex'),
      DATABASE_URL: database.url,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      SEED_DEMO: 'false',
    };
    // Unmeasured: the first start migrates the new database; the next ones find nothing to do.
    for (const build of builds) await startOnce(build, env);
    const counts = new Map<string, Count>();
    for (const build of builds) {
      const { modules, byPackage } = await startOnce(build, env, true);
      counts.set(build.name, { modules: modules!, byPackage: byPackage! });
    }
    const starts = new Map<string, Start[]>(builds.map((b) => [b.name, []]));
    const ratios: number[] = [];
    for (let round = 0; round < settings.rounds; round++) {
      const order = round % 2 ? [...builds].reverse() : builds;
      const results = new Map<string, Start>();
      for (const build of order) {
        const start = await startOnce(build, env);
        results.set(build.name, start);
        starts.get(build.name)!.push(start);
      }
      const line = builds.map((b) => `${b.name} ${results.get(b.name)!.cpuMs} ms CPU, ${results.get(b.name)!.wallMs.toFixed(0)} ms wall`).join('; ');
      if (settings.baseline) ratios.push(results.get('this build')!.cpuMs / results.get('baseline')!.cpuMs);
      console.log(`round ${round + 1}: ${line}`);
    }

    console.log('\nCPU and wall time to "gateway ready" (median, range), modules loaded by then:');
    for (const build of builds) {
      const cpu = starts.get(build.name)!.map((s) => s.cpuMs);
      const wall = starts.get(build.name)!.map((s) => s.wallMs);
      console.log(`  ${build.name.padEnd(10)}  CPU ${median(cpu).toFixed(0)} ms (${range(cpu)})  wall ${median(wall).toFixed(0)} ms (${range(wall)})  modules ${counts.get(build.name)!.modules}`);
    }
    if (settings.baseline) {
      const ours = counts.get('this build')!;
      const base = counts.get('baseline')!;
      console.log(`\nCPU this ÷ baseline: ${median(ratios).toFixed(3)} (rounds: ${ratios.map((r) => r.toFixed(2)).join(' ')})`);
      console.log(`modules this ÷ baseline: ${ours.modules} ÷ ${base.modules} = ${(ours.modules / base.modules).toFixed(3)}`);
      if (settings.top > 0) {
        const names = [...new Set([...Object.keys(base.byPackage), ...Object.keys(ours.byPackage)])];
        names.sort((a, b) => (base.byPackage[b] ?? 0) - (base.byPackage[a] ?? 0));
        console.log(`\nmodules by package (baseline → this build), the baseline's ${settings.top} largest and every one that changed:`);
        names.forEach((name, i) => {
          const before = base.byPackage[name] ?? 0;
          const after = ours.byPackage[name] ?? 0;
          if (i < settings.top || before !== after) console.log(`  ${name.padEnd(36)} ${String(before).padStart(4)} → ${String(after).padStart(4)}`);
        });
      }
    } else if (settings.top > 0) {
      console.log('\nmodules by package:');
      for (const [name, n] of Object.entries(counts.get('this build')!.byPackage).slice(0, settings.top)) console.log(`  ${name.padEnd(36)} ${String(n).padStart(4)}`);
    }
    console.log(`load ${loadAverage()}`);
  } finally {
    await database.close();
  }
}

await main();
