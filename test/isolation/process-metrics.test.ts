import perfHooks from 'node:perf_hooks';
import { Metrics } from '../../src/http/metrics.js';

/**
 * isolation-15: prom-client's default metrics start an event-loop delay monitor (a 10 ms timer) and
 * a GC observer that nothing stops. Started per gateway, a test worker, which keeps running its
 * ~150 gateways' worth of them through all its files (jest-light-runner), spent more CPU with each
 * file. They are the process's metrics, collected once per process and shown by every gateway.
 */
describe("the process's metrics (src/http/metrics.ts)", () => {
  it('are collected once per process: more gateways start no more monitors, and each shows them', async () => {
    new Metrics(); // the first of the process, unless a file before this one made it
    const original = perfHooks.monitorEventLoopDelay;
    let monitors = 0;
    perfHooks.monitorEventLoopDelay = ((...args: Parameters<typeof original>) => (monitors++, original(...args))) as typeof original;
    let made: Metrics[];
    try {
      made = [new Metrics(), new Metrics(), new Metrics()];
    } finally {
      perfHooks.monitorEventLoopDelay = original;
    }
    expect(monitors).toBe(0);
    for (const metrics of made) {
      const text = await metrics.render();
      expect(text).toContain('process_cpu_user_seconds_total');
      expect(text).toContain('nodejs_eventloop_lag_p99_seconds');
      expect(text).toContain('graphql_requests_compiled_total');
    }
  });
});
