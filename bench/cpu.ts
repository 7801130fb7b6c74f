/**
 * Where the CPU goes: PostgreSQL's share (from /proc, Linux only) and a summary of a V8 CPU
 * profile by package, so a run can say whether time is spent in the database, in our code, or in
 * the libraries between the socket and the SQL.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime, stime, cutime, cstime and ppid of a process, from /proc/<pid>/stat. */
function procStat(pid: number): { ppid: number; own: number; children: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(rest[1]), own: Number(rest[11]) + Number(rest[12]), children: Number(rest[13]) + Number(rest[14]) };
  } catch {
    return null;
  }
}

/**
 * CPU microseconds used so far by the PostgreSQL server whose data folder is `dataDir`: the
 * postmaster, its live backends, and the backends that already exited (their time is in the
 * postmaster's children counters). NaN when the server is not running.
 *
 * A backend reaped while the live ones are read would be in neither sum (gone from /proc, not yet
 * in the counters read before), and its whole life's CPU would go missing from that reading: a
 * pool closing an idle connection (pg's default: after 10 s) during a sequential purchase took
 * ~0.6 s from one run's windows, a floor purchase read 0.23 ms of PostgreSQL CPU against 2.27 in
 * the next run (issue 12, ninth session). So the postmaster's counters are read before and after
 * the scan, and the scan is repeated when a child was reaped in between.
 */
export function postgresCpuMicros(dataDir: string): number {
  let postmaster: number;
  try {
    postmaster = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return NaN;
  }
  for (let attempt = 0; attempt < 10; attempt++) {
    const before = procStat(postmaster);
    if (!before) return NaN;
    let live = 0;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = procStat(Number(entry));
      if (stat && stat.ppid === postmaster) live += stat.own;
    }
    const after = procStat(postmaster);
    if (!after) return NaN;
    if (after.children === before.children) return ((after.own + after.children + live) / clockTicks()) * 1e6;
  }
  return NaN;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node core';
  url = url.replace(/^file:\/\//, '');
  const marker = url.lastIndexOf('/node_modules/');
  if (marker >= 0) {
    const parts = url.slice(marker + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const dist = url.match(/\/dist\/(src|bench)\/(.*)$/);
  if (dist) return dist[1] === 'src' ? `gateway src/${dist[2].split('/')[0]}` : 'bench harness';
  return url;
}

export interface ProfileSummary {
  totalMs: number;
  busyMs: number;
  byPackage: { name: string; ms: number; share: number }[];
  byFunction: { name: string; ms: number; share: number }[];
}

/**
 * Where the busy time went. By package: each sample goes to the nearest frame on its stack that
 * belongs to a package or to our code, so the socket write under `pg`'s query submission counts
 * for `pg` and WebCrypto under `jose` for `jose`; what has no such frame stays `node core` (or GC).
 * By function: plain self time. The profiler's own frames (`node:inspector`) are left out.
 */
export function summarizeProfile(profile: CpuProfile, top = 12): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

  const owner = new Map<number, string | null>();
  const ownerOf = (id: number): string | null => {
    if (owner.has(id)) return owner.get(id)!;
    const frame = byId.get(id)!.callFrame;
    let result: string | null;
    if (frame.url === 'node:inspector') result = null;
    else {
      const pkg = frame.url && !frame.url.startsWith('node:') ? packageOf(frame.url, frame.functionName) : undefined;
      const up = parent.get(id);
      const above = up === undefined ? 'node core' : ownerOf(up);
      result = above === null ? null : (pkg ?? above);
    }
    owner.set(id, result);
    return result;
  };

  const packages = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, micros] of selfMicros) {
    const frame = byId.get(id)!.callFrame;
    const pkg = frame.url ? ownerOf(id) : frame.functionName.startsWith('(') && frame.functionName !== '(anonymous)' ? frame.functionName : ownerOf(id);
    if (pkg === null) continue; // the profiler itself
    total += micros;
    if (frame.functionName === '(idle)') {
      idle += micros;
      continue;
    }
    packages.set(pkg, (packages.get(pkg) ?? 0) + micros);
    const where = frame.url ? `${packageOf(frame.url, frame.functionName)}:${frame.lineNumber + 1}` : `(native, under ${pkg})`;
    const fn = `${frame.functionName || '(anonymous)'} ${where}`;
    functions.set(fn, (functions.get(fn) ?? 0) + micros);
  }
  const busy = total - idle;
  const rank = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => ({ name, ms: micros / 1000, share: micros / busy }));
  return { totalMs: total / 1000, busyMs: busy / 1000, byPackage: rank(packages), byFunction: rank(functions) };
}
