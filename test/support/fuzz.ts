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
  const random = mulberry32(hash(`${fuzzSeed()}:${matrix}`));
  const byKind = new Map<string, number[]>();
  cases.forEach((c, i) => {
    const k = options.kind(c);
    byKind.set(k, [...(byKind.get(k) ?? []), i]);
  });
  const chosen = new Set<number>();
  for (const indexes of byKind.values()) {
    // the first `perKind` of a Fisher–Yates shuffle
    const pool = [...indexes];
    for (let n = 0; n < Math.min(perKind, pool.length); n++) {
      const j = n + Math.floor(random() * (pool.length - n));
      [pool[n], pool[j]] = [pool[j], pool[n]];
      chosen.add(pool[n]);
    }
  }
  return cases.filter((_, i) => chosen.has(i));
}

/** A 32-bit FNV-1a hash of `text`. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** mulberry32: a small seeded generator of numbers in [0, 1), the same sequence for the same seed on every platform. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
