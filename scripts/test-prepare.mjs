// The checks and builds `npm test` runs before jest, in two lanes at once. Each step is one
// process, and tsc is single-threaded: run one after another (as `npm test` did until the
// fifteenth session) one of the machine's two cores sat idle for the ~50 s they took, and the
// tests' build of the gateway (test/support/build.ts) was then compiled inside jest, by the first
// test file that needed it, competing with the two test workers. Here that build is made
// beside the typecheck, so the test files' own `tsc` finds it up to date (an incremental no-op).
//
// Steps and lanes (each lane's steps in order; a lane stops at its first failure, the other lane
// is stopped, and the failing step's output is printed; exit code 1), balanced by their times on
// this machine (two cores, both lanes at once: 32 s and 37 s; 52 s one after another):
//   1. tsc --noEmit (the gateway, its tests and benches), the web build (scripts/web-build.mjs)
//   2. tsc -p web/tsconfig.json, the import-cycle check (npm run cycles), graphql-codegen --check,
//      the tests' gateway build (`tsc -p tsconfig.build.json` into node_modules/.cache/rg-test-build,
//      test/support/build.ts's COMPILED) and its bundle (scripts/bundle.mjs: what the spawned
//      gateways run, made here rather than in a test file beside the two jest workers; bundle-26)
import { spawn } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const bin = (name) => path.join(root, 'node_modules/.bin', name);
const COMPILED = path.join(root, 'node_modules/.cache/rg-test-build');

/** @type {{ name: string; command: string; args: string[] }[][]} */
const lanes = [
  [
    { name: 'tsc --noEmit', command: bin('tsc'), args: ['--noEmit', '-p', '.'] },
    { name: 'web build', command: process.execPath, args: [path.join(root, 'scripts/web-build.mjs')] },
  ],
  [
    { name: 'tsc -p web/tsconfig.json', command: bin('tsc'), args: ['-p', 'web/tsconfig.json'] },
    { name: 'import cycles (npm run cycles)', command: 'npm', args: ['run', '--silent', 'cycles'] },
    { name: 'graphql-codegen --check', command: bin('graphql-codegen'), args: ['--config', 'codegen.ts', '--check', '--silent'] },
    {
      name: "the tests' build of the gateway",
      command: bin('tsc'),
      args: ['-p', 'tsconfig.build.json', '--outDir', COMPILED, '--tsBuildInfoFile', path.join(COMPILED, '.tsbuildinfo')],
    },
    { name: "the tests' bundle of the gateway", command: process.execPath, args: [path.join(root, 'scripts/bundle.mjs'), COMPILED] },
  ],
];

const running = new Set();
let failed = false;

/** Runs one step with its output kept; resolves with its exit code and output. */
function run(step) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(step.command, step.args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (error) => (output += `${error.message}\n`));
    child.on('close', (code, signal) => {
      running.delete(child);
      resolve({ code: code ?? 1, signal, output, seconds: (Date.now() - started) / 1000 });
    });
  });
}

async function lane(steps) {
  for (const step of steps) {
    if (failed) return;
    const { code, signal, output, seconds } = await run(step);
    if (failed && signal) return; // stopped because the other lane failed
    if (code !== 0) {
      failed = true;
      for (const child of running) child.kill('SIGTERM');
      process.stderr.write(`\n✗ ${step.name} failed (exit ${code}):\n${output}\n`);
      return;
    }
    console.log(`✓ ${step.name} (${seconds.toFixed(1)} s)`);
  }
}

await Promise.all(lanes.map(lane));
if (failed) process.exit(1);
