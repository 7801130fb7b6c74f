/** Load generation and the arithmetic of latencies. */
import autocannon from 'autocannon';

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of exact samples (milliseconds). */
export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] : NaN);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return { count: sorted.length, mean: sum / sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) };
}

export interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  /** The exact response body every request must get back. */
  expectBody?: string;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  latency: LatencySummary;
  /** Every successful request's time (ms), so runs can be pooled. */
  samples: number[];
  /** Connection errors, timeouts, non-2xx answers and bodies that differ from the expected one. */
  failures: number;
}

/**
 * `amount` POSTs over `connections` keep-alive connections (autocannon), as fast as the server
 * answers or at `ratePerSecond` overall. Latencies are the exact
 * per-request times autocannon reports on its `response` events, not its millisecond histogram.
 * A request unanswered after `timeoutSeconds` counts as failed.
 */
export async function runLoad(target: Target, connections: number, amount: number, ratePerSecond?: number, timeoutSeconds = 10): Promise<LoadResult> {
  const samples: number[] = [];
  // autocannon's own duration ends on its once-a-second tick, which rounds short runs to whole
  // seconds: time from the start to the last answer instead.
  const started = performance.now();
  let lastAnswer = started;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.url,
        method: 'POST',
        headers: target.headers,
        body: target.body,
        connections,
        amount,
        timeout: timeoutSeconds,
        // A fixed overall rate (requests per second across all connections) instead of as fast as answers come.
        ...(ratePerSecond ? { overallRate: ratePerSecond } : {}),
        ...(target.expectBody ? { expectBody: target.expectBody } : {}),
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      lastAnswer = performance.now();
      if (statusCode >= 200 && statusCode < 300) samples.push(responseTime);
    });
  });
  const seconds = (lastAnswer - started) / 1000;
  return {
    requests: result.requests.total,
    seconds,
    requestsPerSecond: result.requests.total / seconds,
    latency: summarize(samples),
    samples,
    failures: result.errors + result.timeouts + result.non2xx + result.mismatches,
  };
}

/** Times `n` calls of `fn`, one after the other; `fn` throws when an answer is wrong. */
export async function timeSequential(n: number, fn: (i: number) => Promise<void>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await fn(i);
    samples.push(performance.now() - started);
  }
  return samples;
}
