import { createHash } from 'node:crypto';
import fc from 'fast-check';

/**
 * Fault matrices, sampled (fuzz-26, docs/decisions.md). A fault test that spawns gateways repeats one
 * fault KIND (a signal, a start-up step, PostgreSQL gone, sessions ended) at several timings, each
 * case a gateway's start (~2 s of CPU). `npm test` runs every kind each run but only a seeded sample of
 * each kind's timings: over runs the samples cover the timing window, and every run covers every kind.
 * `TEST_FUZZ=full` (`npm run test:fuzz`) runs every case.
 *
 * - `TEST_FUZZ`: unset or empty, a sample; `full`, every case. Anything else is refused (a typo must
 *   not quietly run the sample).
 * - `TEST_FUZZ_SEED`: a whole number that picks the sample. Unset, test/support/global-setup.mjs picks
 *   one for the run (each worker sees it) and prints it; each file's describe title shows it
 *   (`fuzzNote`), so `TEST_FUZZ_SEED=<it> npm run jest -- <file>` runs the same cases again.
 */

/** A whole number from `TEST_FUZZ_SEED`; one drawn for this process (and kept in its env) when unset. Throws on a value that is not one. */
export function fuzzSeed(): number {
  const set = process.env.TEST_FUZZ_SEED;
  if (set === undefined || set === '') {
    const drawn = String(Math.floor(Math.random() * 1_000_000));
    process.env.TEST_FUZZ_SEED = drawn;
    return Number(drawn);
  }
  if (!/^\d{1,15}$/.test(set)) throw new Error(`TEST_FUZZ_SEED must be a whole number (it was ${JSON.stringify(set)})`);
  return Number(set);
}

/** Whether `TEST_FUZZ=full` asks for every case. Throws on a value other than unset, empty or `full`. */
export function fuzzFull(): boolean {
  const mode = process.env.TEST_FUZZ ?? '';
  if (mode !== '' && mode !== 'full') throw new Error(`TEST_FUZZ must be unset or "full" (it was ${JSON.stringify(mode)})`);
  return mode === 'full';
}

/**
 * For a describe title, so a failure's name says how to repeat its run: `TEST_FUZZ_SEED=<n>, a
 * sample (TEST_FUZZ=full: every case)`, or `TEST_FUZZ=full, every case`.
 */
export function fuzzNote(): string {
  return fuzzFull() ? 'TEST_FUZZ=full, every case' : `TEST_FUZZ_SEED=${fuzzSeed()}, a sample (TEST_FUZZ=full: every case)`;
}

/**
 * The cases of `cases` this run runs: every one with `TEST_FUZZ=full`; else, of each kind
 * (`kind(case)`; every kind is kept), `perKind` cases (default 1; all of a kind that has fewer),
 * drawn with a generator seeded by `TEST_FUZZ_SEED` and `matrix` (a name unique among the matrices
 * of the run, so two matrices do not draw alike). Answers them in `cases`' order. The same seed,
 * matrix, cases and `perKind` answer the same cases.
 */
export function fuzzSample<T>(matrix: string, cases: readonly T[], options: { kind: (c: T) => string; perKind?: number }): T[] {
  if (fuzzFull()) return [...cases];
  const perKind = options.perKind ?? 1;
  const byKind = new Map<string, number[]>();
  cases.forEach((c, i) => byKind.set(options.kind(c), [...(byKind.get(options.kind(c)) ?? []), i]));
  // fast-check's seeded draw (the same on every platform for the same seed); the seed mixes the
  // run's TEST_FUZZ_SEED with the matrix's name, so two matrices do not draw alike
  const seed = createHash('sha256').update(`${fuzzSeed()}:${matrix}`).digest().readInt32BE(0);
  const draw = fc.tuple(...[...byKind.values()].map((indexes) => fc.shuffledSubarray(indexes, { minLength: Math.min(perKind, indexes.length), maxLength: Math.min(perKind, indexes.length) })));
  const chosen = new Set(fc.sample(draw, { seed, numRuns: 1 })[0].flat());
  return cases.filter((_, i) => chosen.has(i));
}
