import { dataOf, ok, startTestGateway, type TestGateway } from '../support/gateway.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id url } userErrors { code field message } } }`;
const REMOVE = `mutation Remove($input: RemoveWebhookEndpointInput!) { removeWebhookEndpoint(input: $input) { endpoint { id } userErrors { code } } }`;
const ENABLE = `mutation Enable($input: EnableWebhookEndpointInput!) { enableWebhookEndpoint(input: $input) { endpoint { id disabledAt } userErrors { code field } } }`;

type UserErrors = { code: string; field: string[]; message: string }[];
type Registered = { registerWebhookEndpoint: { endpoint: { id: string; url: string } | null; userErrors: UserErrors } };

/**
 * break2-24: webhooks-24 refuses an owner's second endpoint for one URL, comparing URLs as `URL`
 * normalises them. Spellings of one receiver that `URL` keeps apart (a percent-encoded unreserved
 * character, percent-encodings' hex case, a host's trailing dot, an IPv4-mapped IPv6 address) made
 * a second endpoint, every event sent twice. Spellings a receiver may route apart (path case, a
 * trailing slash, the query's order) stay distinct endpoints. Real gateway and PostgreSQL.
 */
describe('one endpoint per receiver, however its URL is spelt (break2-24)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(async () => {
    await t?.close();
  });

  const register = async (url: string) =>
    dataOf(await t.gql<Registered, unknown>(REGISTER, { input: { url, eventTypes: ['BALANCE_CHANGED'] } }, t.operatorToken)).registerWebhookEndpoint;
  const codes = (r: { userErrors: UserErrors }) => r.userErrors.map((e) => e.code);

  // [first, second]: the same receiver; each pair on its own host so the pairs do not meet
  const same: [string, string][] = [
    ['https://s1.example.com/~hook', 'https://s1.example.com/%7Ehook'],
    ['https://s2.example.com/h%6Fok', 'https://s2.example.com/hook'],
    ['https://s3.example.com/caf%c3%a9', 'https://s3.example.com/café'],
    ['https://s4.example.com/a%2fb', 'https://s4.example.com/a%2Fb'],
    ['https://s5.example.com/hook?x=%7e', 'https://s5.example.com/hook?x=~'],
    ['https://s6.example.com./hook', 'https://s6.example.com/hook'],
    ['https://[::ffff:8.8.4.4]/hook', 'https://8.8.4.4/hook'],
    // what URL already folded (held before): host case, default port, IDN, IPv6 forms, dot segments
    ['https://S7.Example.COM:443/hook', 'https://s7.example.com/hook'],
    ['https://bücher-s8.example/hook', 'https://xn--bcher-s8-65a.example/hook'],
    ['https://[2606:4700:4700:0:0:0:0:1111]/hook', 'https://[2606:4700:4700::1111]/hook'],
    ['https://s9.example.com/a/../hook', 'https://s9.example.com/hook'],
  ];
  it.each(same)('%s and then %s: the second is ALREADY_EXISTS', async (first, second) => {
    const made = await register(first);
    expect(made.userErrors).toEqual([]);
    const again = await register(second);
    expect({ second, codes: codes(again) }).toEqual({ second, codes: ['ALREADY_EXISTS'] });
    expect(again.userErrors[0].message).toContain(made.endpoint!.id);
  });

  const distinct: [string, string][] = [
    ['https://d1.example.com/Hook', 'https://d1.example.com/hook'],
    ['https://d2.example.com/hook', 'https://d2.example.com/hook/'],
    ['https://d3.example.com/hook?a=1&b=2', 'https://d3.example.com/hook?b=2&a=1'],
    ['https://d4.example.com/hook', 'https://d4.example.com:8443/hook'],
    ['https://d5.example.com/a%2Fb', 'https://d5.example.com/a/b'],
  ];
  it.each(distinct)('%s and then %s: two receivers, both registered', async (first, second) => {
    expect(codes(await register(first))).toEqual([]);
    expect(codes(await register(second))).toEqual([]);
  });

  it('two spellings registered at once make one endpoint; a removed one is not enabled beside another spelling', async () => {
    const spellings = ['https://r1.example.com/~in', 'https://r1.example.com/%7Ein', 'https://r1.example.com/%7ein', 'https://R1.example.com./~in'];
    const answers = await Promise.all(spellings.map((url) => register(url)));
    expect(answers.map(codes).sort()).toEqual([[], ['ALREADY_EXISTS'], ['ALREADY_EXISTS'], ['ALREADY_EXISTS']]);
    expect(await t.sql(`select id from webhook_endpoint where (url like 'https://r1.%' or url like 'https://R1.%') and disabled_at is null`)).toHaveLength(1);

    const kept = answers.find((a) => a.userErrors.length === 0)!.endpoint!;
    ok(await t.gql(REMOVE, { input: { endpointId: kept.id } }, t.operatorToken));
    const other = await register(kept.url === spellings[1] ? spellings[0] : spellings[1]);
    expect(codes(other)).toEqual([]);
    const enabled = dataOf(await t.gql<{ enableWebhookEndpoint: { userErrors: UserErrors } }, unknown>(ENABLE, { input: { endpointId: kept.id } }, t.operatorToken)).enableWebhookEndpoint;
    expect(enabled.userErrors).toEqual([{ code: 'ALREADY_EXISTS', field: ['input', 'endpointId'] }]);
  });

  it('a removed endpoint whose URL the settings now refuse is not enabled again: DESTINATION_NOT_ALLOWED, nothing written', async () => {
    // Registered when WEBHOOK_ALLOWED_DESTINATIONS held 10.0.0.0/8 (since narrowed), then removed
    const [{ id }] = await t.sql<{ id: string }>(
      `insert into webhook_endpoint (partner_id, url, event_types, secret, created_by, created_at, disabled_at)
       values (null, 'https://10.1.2.3/hook', '{balance.changed}', 'whsec_break2', 'break2-24', now(), now()) returning id`,
    );
    const endpointId = Buffer.from(`WebhookEndpoint:${id}`).toString('base64url');
    const enabled = dataOf(await t.gql<{ enableWebhookEndpoint: { endpoint: unknown; userErrors: UserErrors } }, unknown>(ENABLE, { input: { endpointId } }, t.operatorToken)).enableWebhookEndpoint;
    expect(enabled).toEqual({ endpoint: null, userErrors: [{ code: 'DESTINATION_NOT_ALLOWED', field: ['input', 'endpointId'] }] });
    expect(await t.sql(`select id from webhook_endpoint where id = $1 and disabled_at is null`, [id])).toEqual([]);
  });
});
