import { compiledGateway } from '../support/build.js';
import { createMigratedDatabase } from '../support/gateway.js';
import { spawnGateway } from '../support/processes.js';

/**
 * break37 (ops): .env.example: "WEBHOOK_BACKOFF_MS … First retry delay; doubles each attempt up to
 * the maximum" (WEBHOOK_MAX_BACKOFF_MS). An operator who sets the first delay above the maximum
 * (WEBHOOK_BACKOFF_MS=60000 beside WEBHOOK_MAX_BACKOFF_MS=30000; or the maximum written in seconds,
 * WEBHOOK_MAX_BACKOFF_MS=3600 for an hour, under the default first delay of 5000) gets a gateway
 * that starts without a word and retries every delivery at the maximum (`retryDelayMs` caps the
 * delay and its jitter at it): the first delay they set is silently ignored, and with the second
 * mistake the 17 attempts are spent within about a minute instead of the day and a half README
 * promises ("a receiver down for a day still gets every event"). Every other such pair is refused at
 * start naming both, exit 2 (HTTP_HEADERS_TIMEOUT_MS above HTTP_REQUEST_TIMEOUT_MS,
 * WEBHOOK_DISPATCH_FALLBACK_MS below WEBHOOK_DISPATCH_MS).
 */
describe('break37 ops: a first webhook retry delay above the maximum', () => {
  let build: string;
  let database: { url: string; drop(): Promise<void> };
  beforeAll(async () => {
    build = await compiledGateway();
    database = await createMigratedDatabase();
  }, 600_000);
  afterAll(() => database.drop());

  it.each([
    [{ WEBHOOK_BACKOFF_MS: '60000', WEBHOOK_MAX_BACKOFF_MS: '30000' }],
    [{ WEBHOOK_MAX_BACKOFF_MS: '3600' }], // an hour, written in seconds; the first delay is the default 5000
  ])('%j stops start-up with one line naming both settings, exit 2', async (env) => {
    const gateway = spawnGateway(build, { DATABASE_URL: database.url, JOBS_ENABLED: 'false', ...env });
    try {
      await gateway.until(/"msg":"gateway ready"/);
      const ready = gateway.output().includes('"msg":"gateway ready"');
      const code = ready ? 'started' : await gateway.exited;
      const line = gateway.output().split('\n').find((l) => l && !l.startsWith('{')) ?? '';
      expect({ code, line }).toEqual({ code: 2, line: expect.stringMatching(/^Configuration error: (?=.*WEBHOOK_BACKOFF_MS)(?=.*WEBHOOK_MAX_BACKOFF_MS)/) });
    } finally {
      if (gateway.child.exitCode === null && gateway.child.signalCode === null) {
        gateway.child.kill('SIGTERM');
        await gateway.exited;
      }
    }
  }, 120_000);
});
