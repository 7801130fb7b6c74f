import { fuzzNote, fuzzSample } from './fuzz.js';

/** The startup matrix of test/http/break3-23-startup-fuzz.test.ts: 4 steps × 4 delays. */
const STEPS = ['seeding', 'http', 'jobs', 'ready'].flatMap((step) => [0, 3, 10, 25].map((after) => ({ step, after })));
const kind = (c: { step: string }) => c.step;

/** Runs `fn` with TEST_FUZZ and TEST_FUZZ_SEED set to `env`'s (undefined: unset), then puts back what the worker had: it runs other files after this one. */
function withEnv<T>(env: { TEST_FUZZ?: string; TEST_FUZZ_SEED?: string }, fn: () => T): T {
  const saved = { TEST_FUZZ: process.env.TEST_FUZZ, TEST_FUZZ_SEED: process.env.TEST_FUZZ_SEED };
  const put = (values: typeof env) => {
    for (const name of ['TEST_FUZZ', 'TEST_FUZZ_SEED'] as const) {
      if (values[name] === undefined) delete process.env[name];
      else process.env[name] = values[name];
    }
  };
  put(env);
  try {
    return fn();
  } finally {
    put(saved);
  }
}

describe('fault matrices sampled by a seed (fuzz-26, test/support/fuzz.ts)', () => {
  it('picks the same cases for the same seed, each kind once, in the matrix order', () => {
    const first = withEnv({ TEST_FUZZ_SEED: '4242' }, () => fuzzSample('m', STEPS, { kind }));
    const again = withEnv({ TEST_FUZZ_SEED: '4242' }, () => fuzzSample('m', STEPS, { kind }));
    expect(again).toEqual(first);
    expect(first.map(kind)).toEqual(['seeding', 'http', 'jobs', 'ready']);
  });

  it('covers every timing of a kind over runs with different seeds', () => {
    const seen = new Set<number>();
    for (let seed = 0; seed < 100; seed++) for (const c of withEnv({ TEST_FUZZ_SEED: String(seed) }, () => fuzzSample('m', STEPS, { kind }))) seen.add(STEPS.indexOf(c));
    expect(seen.size).toBe(STEPS.length);
  });

  it('draws perKind of a kind, and all of a kind that has fewer', () => {
    const cases = [1, 2, 3, 4, 5, 6, 100];
    const picked = withEnv({ TEST_FUZZ_SEED: '7' }, () => fuzzSample('n', cases, { kind: (c) => (c < 100 ? 'small' : 'big'), perKind: 2 }));
    expect({ small: picked.filter((c) => c < 100).length, big: picked.filter((c) => c === 100) }).toEqual({ small: 2, big: [100] });
    expect(picked).toEqual([...picked].sort((a, b) => a - b));
  });

  it('runs every case with TEST_FUZZ=full, and says so where a sample says its seed', () => {
    expect(withEnv({ TEST_FUZZ: 'full', TEST_FUZZ_SEED: '1' }, () => fuzzSample('m', STEPS, { kind }))).toEqual(STEPS);
    expect(withEnv({ TEST_FUZZ: 'full' }, fuzzNote)).toBe('TEST_FUZZ=full, every case');
    expect(withEnv({ TEST_FUZZ_SEED: '31' }, fuzzNote)).toBe('TEST_FUZZ_SEED=31, a sample (TEST_FUZZ=full: every case)');
  });

  it('refuses a TEST_FUZZ or TEST_FUZZ_SEED it would not honour', () => {
    expect(() => withEnv({ TEST_FUZZ: 'all' }, () => fuzzSample('m', STEPS, { kind }))).toThrow('TEST_FUZZ must be unset or "full" (it was "all")');
    expect(() => withEnv({ TEST_FUZZ_SEED: 'abc' }, () => fuzzSample('m', STEPS, { kind }))).toThrow('TEST_FUZZ_SEED must be a whole number (it was "abc")');
  });
});
