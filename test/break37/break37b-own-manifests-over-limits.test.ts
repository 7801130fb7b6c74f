import { gatewaySchema } from '../../src/graphql/schema.js';
import { seedDemo } from '../../src/demo/seed.js';
import { registerFirstPartyManifests } from '../../src/persisted/first-party.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/**
 * break37b: registration now checks the document limits (break37, API). An operator's registration
 * is refused whole; the gateway's own manifests at start (the built apps', the demo POS's contract
 * operations) are not the operator's to fix, so a deployment whose limits they exceed (an API-only
 * one that sets MAX_QUERY_DEPTH 4) starts, registers them still and says what its limits will refuse
 * and which setting to raise. First made as a refusal of the start: "Start-up failed: MemberStores:
 * Query depth limit of 4 exceeded, found 6.; …", naming operations an operator never wrote.
 */
describe('break37b: the gateway\'s own manifests under limits they exceed', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ MAX_QUERY_DEPTH: '4', MAX_QUERY_TOKENS: '50' });
  });
  afterAll(() => t.close());

  it('the apps\' and the demo POS\'s operations are registered, each with one warning naming the limits and what they refuse', async () => {
    const warnings: string[] = [];
    const warn = (message: string) => void warnings.push(message);
    await seedDemo(t.orm, t.config, t.clock, warn);
    const added = await registerFirstPartyManifests(t.orm.em.fork(), await gatewaySchema(), t.config, t.clock.now(), warn);
    const [{ web, console }] = await t.sql<{ web: number; console: number }>(
      `select count(*) filter (where client = 'web')::int as web, count(*) filter (where client = 'console')::int as console from persisted_operation`,
    );
    expect({ added: added.web > 0 && added.console > 0, registered: web === added.web && console === added.console }).toEqual({ added: true, registered: true });
    const limits = 'MAX_QUERY_DEPTH 4, MAX_QUERY_ALIASES 15, MAX_QUERY_DIRECTIVES 20, MAX_QUERY_TOKENS 50';
    expect(warnings.map((w) => w.replace(/\): .*$/s, '):'))).toEqual([
      `The client contract's partner operations (the demo POS's) exceed this gateway's document limits (${limits}):`,
      `The built member app's operations exceed this gateway's document limits (${limits}):`,
      `The built console's operations exceed this gateway's document limits (${limits}):`,
    ]);
    expect(warnings.every((w) => /(Query depth limit of 4 exceeded|Token limit of 50 exceeded)/.test(w) && /raise the limit named to at least what it found/.test(w))).toBe(true);
  });
});
