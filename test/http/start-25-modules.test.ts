import path from 'node:path';
import { compiledGateway } from '../support/build.js';
import { startCompiledGateway, type CompiledGateway } from '../support/frozen-gateway.js';
import { createMigratedDatabase } from '../support/gateway.js';
import { eventually } from '../support/program.js';

/**
 * start-25: what a gateway's start loads. The run's build of the gateway (`node dist/src/main.js`,
 * without REDIS_URL, its jobs on) started under bench/startup-probe.ts (`--import`: a module
 * loading hook), which, asked by SIGUSR2 once "gateway ready" is logged, says how many modules of
 * each package it loaded. Before start-25 every start loaded class-validator's index (all its
 * decorators, with validator's and libphonenumber-js' 186 modules), ioredis with nothing to connect
 * to, jose's and rate-limiter-flexible's whole indexes: ~2,100 modules and ~2 s of CPU per
 * (re)start. No time is asserted; what was loaded is (the cost's cause).
 */
describe('a gateway started without Redis (start-25)', () => {
  let build: string;
  beforeAll(async () => {
    build = await compiledGateway();
  }, 600_000);

  it('loads class-validator, jose and rate-limiter-flexible in the parts it uses only, and no ioredis or libphonenumber-js', async () => {
    const database = await createMigratedDatabase();
    let gateway: CompiledGateway | undefined;
    try {
      gateway = await startCompiledGateway(build, database.url, {
        NODE_OPTIONS: `--import ${path.join(build, 'bench/startup-probe.js')}`,
        REDIS_URL: '',
        RATE_LIMIT_STORE: 'postgres',
        EVENT_FANOUT: 'postgres',
      });
      gateway.child.kill('SIGUSR2');
      const line = await eventually(async () => /^startup-probe (.*)$/m.exec(gateway!.output())?.[1]);
      const { byPackage } = JSON.parse(line) as { byPackage: Record<string, number> };
      const loaded = (name: string) => byPackage[name] ?? 0;
      // The indexes load 135, 113, 73, 46, 36 and 45 modules of these.
      expect({
        classValidatorUnder40: loaded('class-validator') < 40,
        validatorUnder20: loaded('validator') < 20,
        libphonenumber: loaded('libphonenumber-js'),
        joseUnder20: loaded('jose') < 20,
        rateLimiterUnder15: loaded('rate-limiter-flexible') < 15,
        ioredis: loaded('ioredis'),
      }).toEqual({ classValidatorUnder40: true, validatorUnder20: true, libphonenumber: 0, joseUnder20: true, rateLimiterUnder15: true, ioredis: 0 });
    } finally {
      if (gateway && gateway.child.exitCode === null) {
        gateway.child.kill('SIGINT');
        await gateway.exited;
      }
      await database.drop();
    }
  });
});
