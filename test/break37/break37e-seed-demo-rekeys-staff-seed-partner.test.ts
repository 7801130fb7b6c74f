import { SignJWT } from 'jose';
import { compiledGateway } from '../support/build.js';
import { createMigratedDatabase } from '../support/gateway.js';
import { spawnGateway, type SpawnedGateway } from '../support/processes.js';

const SECRET = 'a-real-deployment-secret-0123456789abcdef-0123456789';

/**
 * break37e: break37d stopped taking `partner.created_by = 'staff:seed'` for "the demo's POS
 * partner" in /dev/tokens ("a string any staff token with that id made": a provisioning job signed
 * in as `seed` creates the program's real partners), but the seed's rekeyDemoPartner, run at every
 * start with SEED_DEMO on, still picks `min(id) where created_by = 'staff:seed'`. On a program's
 * database where such a job made a partner before the demo was tried (README: "on a DATABASE_URL
 * only with SEED_DEMO=true"), the first SEED_DEMO start seeds the demo (its partner has a higher
 * id), and the next start takes the *real* partner for the demo's and gives it the demo key (the
 * unique key_hash, held by the demo partner, then refuses the update: the start fails), or, had
 * the demo partner been revoked, rewrites the program's partner's key. A correct gateway leaves
 * partners the demo did not make alone: the second start is ready, the real key still works.
 */
describe("break37e: SEED_DEMO starts on a database where staff 'seed' made a partner", () => {
  let build: string;
  let database: { url: string; drop(): Promise<void> };
  let gateway: SpawnedGateway | undefined;
  const stop = async (g: SpawnedGateway | undefined) => {
    if (g && g.child.exitCode === null && g.child.signalCode === null) {
      g.child.kill('SIGTERM');
      await g.exited;
    }
  };
  const urlOf = (g: SpawnedGateway) => /"url":"(http:[^"]+)","embeddedDatabase":false,"msg":"gateway ready"/.exec(g.output())![1];
  beforeAll(async () => {
    build = await compiledGateway();
  }, 600_000);
  beforeEach(async () => {
    database = await createMigratedDatabase();
  });
  afterEach(async () => {
    await stop(gateway);
    await database.drop();
  });

  /** The program's provisioning job (staff id `seed`) creates its till partner: its API key. */
  const programPartner = async (env: Record<string, string>) => {
    gateway = spawnGateway(build, { ...env, SEED_DEMO: 'false' });
    expect(await gateway.until(/"msg":"gateway ready"/, 180_000)).toBe(true);
    const provisioning = await new SignJWT({ role: 'operator' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('seed')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(env.JWT_SECRET));
    const created = await fetch(urlOf(gateway), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${provisioning}`,
      },
      body: JSON.stringify({
        query: 'mutation { createPartner(input: { name: "Main Street tills", scopes: ["customers:read"] }) { apiKey partner { id } userErrors { code } } }',
      }),
    });
    const apiKey = ((await created.json()) as { data: { createPartner: { apiKey: string } } }).data.createPartner.apiKey;
    expect(apiKey).toMatch(/^rg_/);
    await stop(gateway);
    return apiKey;
  };
  /** Whether `apiKey` is a partner's live key: a partner's free text is refused 400 PERSISTED_QUERY_NOT_ALLOWED once its key is taken, 401 when the key is not. */
  const signsIn = async (apiKey: string) => {
    const answer = await fetch(urlOf(gateway!), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    const body = (await answer.json()) as { errors?: { extensions: { code: string } }[] };
    return answer.status === 401 ? 'refused: 401' : `taken: ${body.errors?.[0]?.extensions.code ?? 'ran'}`;
  };

  it("the program's partner keeps its key and the second start is ready", async () => {
    const env = {
      DATABASE_URL: database.url,
      NODE_ENV: '',
      JWT_SECRET: SECRET,
      JOBS_ENABLED: 'false',
    };
    const apiKey = await programPartner(env);

    // Trying the demo on it (SEED_DEMO=true), twice: the first start seeds, the second finds it seeded.
    for (const start of ['seeds', 'again']) {
      gateway = spawnGateway(build, { ...env, SEED_DEMO: 'true' });
      const ready = await gateway.until(/"msg":"gateway ready"/, 180_000);
      const failure = ready
        ? undefined
        : gateway
            .output()
            .split('\n')
            .filter((l) => /error|fatal|duplicate/i.test(l))
            .slice(-1)[0];
      expect({ start, ready, failure }).toEqual({
        start,
        ready: true,
        failure: undefined,
      });
      if (start === 'again') break;
      await stop(gateway);
    }

    // The program's partner still signs in with its own key (no till sends the demo's).
    expect(await signsIn(apiKey)).toBe('taken: PERSISTED_QUERY_NOT_ALLOWED');
  }, 600_000);

  it("JWT_SECRET rotated: the demo's key goes to the demo's partner, not the program's", async () => {
    const env = {
      DATABASE_URL: database.url,
      NODE_ENV: '',
      JWT_SECRET: SECRET,
      JOBS_ENABLED: 'false',
    };
    const apiKey = await programPartner(env);
    gateway = spawnGateway(build, { ...env, SEED_DEMO: 'true' });
    expect(await gateway.until(/"msg":"gateway ready"/, 180_000)).toBe(true);
    await stop(gateway);
    // The README's rotation: a new JWT_SECRET, the demo key derived from it.
    gateway = spawnGateway(build, {
      ...env,
      SEED_DEMO: 'true',
      JWT_SECRET: `${SECRET}-rotated`,
    });
    expect(await gateway.until(/"msg":"gateway ready"/, 180_000)).toBe(true);
    const tokens = (await (await fetch(urlOf(gateway).replace(/\/graphql$/, '/dev/tokens'))).json()) as { partners: { name: string; apiKey: string }[] };
    expect({
      programKeySignsIn: await signsIn(apiKey),
      demoKeyHandedOutFor: tokens.partners.map((p) => p.name),
    }).toEqual({
      programKeySignsIn: 'taken: PERSISTED_QUERY_NOT_ALLOWED',
      demoKeyHandedOutFor: [expect.not.stringMatching(/^Main Street tills$/)],
    });
  }, 600_000);
});
