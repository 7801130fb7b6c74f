import { parse } from 'graphql';
import { manifestFromDocument } from '../../src/persisted/manifest.js';
import { CreateCurrencyDocument, CreateTierDocument, SubmitTransactionDocument, TransactionStatusDocument } from '../generated/graphql.js';
import { ok, startTestGateway, writeCounts, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, unique } from '../support/program.js';

/**
 * A JSON number in a request that a double cannot hold as written is refused, not read as another
 * value (docs/decisions.md, "Money and time edges (money-12)"): the body is sent as raw text, as a
 * till's own JSON writer would send it, since `JSON.stringify` could not write these numbers.
 */
describe('JSON numbers that do not survive parsing (money-12)', () => {
  let t: TestGateway;
  let till: Awaited<ReturnType<typeof createPartner>>;
  let customer: string;
  const SUBMIT = SubmitTransactionDocument.toString();

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    till = await createPartner(t, ['transactions:write', 'transactions:read']);
    customer = (await createCustomer(t, 'STARS')).externalId;
    // registers the contract's SubmitTransaction for this partner, as its build does
    const input = { externalId: unique('sale'), customerExternalId: customer, occurredAt: t.clock.now().toISOString(), currency: 'EUR', lines: [{ sku: 'A', quantity: 1, unitPrice: '1.00' }] };
    ok(await t.gql(SubmitTransactionDocument, { input }, till.credential));
  });
  afterAll(() => t.close());

  /** The contract's SubmitTransaction by its hash, with `line` (JSON text) as the sale's one line. */
  async function submitRaw(externalId: string, line: string) {
    const hash = manifestFromDocument(parse(SUBMIT)).operations[0].id;
    const input = `{"externalId":${JSON.stringify(externalId)},"customerExternalId":${JSON.stringify(customer)},"occurredAt":"${t.clock.now().toISOString()}","currency":"EUR","lines":[${line}]}`;
    const res = await t.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': till.credential.apiKey },
      body: `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"${hash}"}},"variables":{"input":${input}}}`,
    });
    return { status: res.status, body: (await res.json()) as { data?: { submitTransaction: { userErrors: unknown[] } }; errors?: { message: string; extensions: { code: string; field?: string[] } }[] } };
  }
  const total = async (externalId: string) => ok(await t.gql(TransactionStatusDocument, { externalId }, till.credential)).transaction?.total;

  it.each([
    ['a price past what a double holds', '{"sku":"A","quantity":1,"unitPrice":4.500000000000000001}', ['input', 'lines', '0', 'unitPrice'], '4.500000000000000001', '4.5'],
    ['a price with more digits than a double', '{"sku":"A","quantity":1,"unitPrice":12345678901234567.89}', ['input', 'lines', '0', 'unitPrice'], '12345678901234567.89', '12345678901234568'],
    ['a price beyond any double', '{"sku":"A","quantity":1,"unitPrice":1e400}', ['input', 'lines', '0', 'unitPrice'], '1e400', 'Infinity'],
    ['a quantity that is not quite 1', '{"sku":"A","quantity":1.0000000000000001,"unitPrice":"4.50"}', ['input', 'lines', '0', 'quantity'], '1.0000000000000001', '1'],
  ])('%s is refused with where it is, and nothing is written', async (_name, line, field, source, parsed) => {
    const before = await writeCounts(t);
    const externalId = unique('sale');
    const answer = await submitRaw(externalId, line);
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([
      {
        message: `variables.${field.join('.')} is the number ${source}, which would be read as ${parsed} (JSON numbers are read as 64-bit doubles): send a Decimal as a string such as "4.50", and whole numbers up to 2^53 - 1.`,
        extensions: { code: 'BAD_USER_INPUT', field },
      },
    ]);
    expect(await writeCounts(t)).toEqual(before);
    expect(await total(externalId)).toBeUndefined();
  });

  it.each([
    ['3.2', '3.20'],
    ['3.20', '3.20'],
    ['1e1', '10.00'],
    ['0.1', '0.10'],
  ])('a price sent as the number %s, which a double holds as written, is taken as that decimal', async (price, stored) => {
    const externalId = unique('sale');
    const answer = await submitRaw(externalId, `{"sku":"A","quantity":1,"unitPrice":${price}}`);
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data?.submitTransaction.userErrors).toEqual([]);
    expect(await total(externalId)).toBe(stored);
  });

  it('a body nested deeper than a second parse can follow is still refused, naming the number', async () => {
    const depth = 10_000;
    const res = await t.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.operatorToken}` },
      body: `{"query":"query { __typename }","variables":{"deep":${'['.repeat(depth)}4.500000000000000001${']'.repeat(depth)}}}`,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: unknown[] }).errors).toEqual([
      {
        message: 'The number 4.500000000000000001, which would be read as 4.5 (JSON numbers are read as 64-bit doubles): send a Decimal as a string such as "4.50", and whole numbers up to 2^53 - 1.',
        extensions: { code: 'BAD_USER_INPUT' },
      },
    ]);
  });

  it('a GET request\'s variables are read the same way (a page size of 5.0000000000000001 is not 5)', async () => {
    const query = 'query Audit($first: Int) { auditLog(first: $first) { edges { node { id } } } }';
    const get = async (variables: string) => {
      const res = await t.fetch(`/graphql?${new URLSearchParams({ query, variables })}`, { headers: { authorization: `Bearer ${t.analystToken}` } });
      return { status: res.status, body: (await res.json()) as { data?: unknown; errors?: { extensions: { code: string; field?: string[] } }[] } };
    };
    const refused = await get('{"first":5.0000000000000001}');
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.map((e) => e.extensions)).toEqual([{ code: 'BAD_USER_INPUT', field: ['first'] }]);
    const taken = await get('{"first":5}');
    expect(taken.body.errors).toBeUndefined();
  });

  it("a GET request's extensions are read as a POST's are (hostile pass 12e)", async () => {
    const extensions = '{"note":1.0000000000000000001}';
    const headers = { authorization: `Bearer ${t.analystToken}` };
    const get = await t.fetch(`/graphql?${new URLSearchParams({ query: '{ __typename }', extensions })}`, { headers });
    const post = await t.fetch('/graphql', { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: `{"query":"{ __typename }","extensions":${extensions}}` });
    const answer = async (res: Response) => ({ status: res.status, body: (await res.json()) as unknown });
    const posted = await answer(post);
    expect(posted).toEqual({
      status: 400,
      body: { errors: [{ message: 'extensions.note is the number 1.0000000000000000001, which would be read as 1 (JSON numbers are read as 64-bit doubles): send a Decimal as a string such as "4.50", and whole numbers up to 2^53 - 1.', extensions: { code: 'BAD_USER_INPUT' } }] },
    });
    expect(await answer(get)).toEqual(posted);
  });

  it('a batched body is told batches are not taken, whatever numbers it holds (hostile pass 12e)', async () => {
    const send = async (body: string) => {
      const res = await t.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t.analystToken}` }, body });
      return { status: res.status, body: (await res.json()) as unknown };
    };
    const plain = await send('[{"query":"{ __typename }","variables":{"n":4.5}}]');
    expect(plain.status).toBe(400);
    expect(await send('[{"query":"{ __typename }","variables":{"n":4.500000000000000001}}]')).toEqual(plain);
  });

  it("a staff Float (a tier's multiplier) is refused the same way, not taken as 1.5", async () => {
    ok(await t.gql(CreateCurrencyDocument, { input: { code: 'FLOATS', name: 'Floats', expiryDays: null, pointValue: '0.01', moneyCurrency: 'EUR' } }, t.operatorToken));
    const res = await t.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.operatorToken}` },
      body: `{"query":${JSON.stringify(CreateTierDocument.toString())},"variables":{"input":{"currency":"FLOATS","code":"GOLD","name":"Gold","rank":1,"threshold":100,"multiplier":1.50000000000000001}}}`,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { extensions: { code: string; field: string[] } }[] }).errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: ['input', 'multiplier'] });
    expect(await t.sql(`select code from tier where currency_code = 'FLOATS'`)).toEqual([]);
  });
});
