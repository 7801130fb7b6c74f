import type { TestGateway } from '../support/gateway.js';
import { contractTill, partnerOperationId, type ContractTill } from '../support/till.js';
import { unique } from '../support/program.js';

const SUBMIT = partnerOperationId('SubmitTransaction');

/**
 * newcomer-23: a POS sending the README's sale with curl but without `-H 'content-type:
 * application/json'` (curl then says `application/x-www-form-urlencoded`) was refused 400
 * PERSISTED_QUERY_NOT_ALLOWED "This client runs only its registered operations, sent as one JSON
 * request.": its id was registered and right, so it went looking at its ids. A customer's or staff
 * member's got Apollo's "POST body missing, invalid Content-Type, or JSON object has no keys.". Now
 * every caller is told the body is read as JSON only and which type it came with, and nothing runs.
 */
describe('a POST whose Content-Type is not JSON is refused naming the type (newcomer-23)', () => {
  const till = contractTill(['transactions:write']);
  let t: TestGateway;
  let apiKey: string;
  let customer: ContractTill['customer'];
  beforeAll(() => {
    ({ t, apiKey, customer } = till);
  });

  /** What a client reads of the answer: status and its one error's code and message. */
  async function answer(body: string, headers: Record<string, string>, contentType: string | null) {
    // A Uint8Array body makes fetch send no Content-Type of its own (a string would be text/plain).
    const res = await fetch(t.url, {
      method: 'POST',
      headers: { ...headers, ...(contentType === null ? {} : { 'content-type': contentType }) },
      body: new TextEncoder().encode(body),
    });
    const sent = (await res.json()) as { errors: { message: string; extensions: { code: string } }[] };
    return { status: res.status, errors: sent.errors.map((e) => ({ code: e.extensions.code, message: e.message })) };
  }
  const refused = (came: string) => ({
    status: 400,
    errors: [{ code: 'BAD_REQUEST', message: `A POST body is read as JSON only: send it with the header Content-Type: application/json (this one came ${came}).` }],
  });

  it("a partner's registered sale sent as curl's default form type, as text/plain or untyped is refused BAD_REQUEST, and no sale is written", async () => {
    const externalId = unique('till');
    const body = JSON.stringify({
      extensions: { persistedQuery: { version: 1, sha256Hash: SUBMIT } },
      variables: {
        input: {
          externalId,
          customerExternalId: customer.externalId,
          occurredAt: new Date(t.clock.now()).toISOString(),
          currency: 'EUR',
          lines: [{ sku: 'LATTE', quantity: 1, unitPrice: '3.20' }],
        },
      },
    });
    const key = { 'x-api-key': apiKey };
    expect({
      form: await answer(body, key, 'application/x-www-form-urlencoded'),
      text: await answer(body, key, 'text/plain'),
      none: await answer(body, key, null),
    }).toEqual({ form: refused('as "application/x-www-form-urlencoded"'), text: refused('as "text/plain"'), none: refused('with no Content-Type') });
    expect(await t.sql(`select count(*)::int as n from sales_transaction where external_id = $1`, [externalId])).toEqual([{ n: 0 }]);
  });

  it("a customer's query sent as text/plain gets the same sentence, not Apollo's", async () => {
    expect(await answer(JSON.stringify({ query: '{ me { externalId } }' }), { authorization: `Bearer ${customer.token}` }, 'text/plain; charset=utf-8')).toEqual(
      refused('as "text/plain; charset=utf-8"'),
    );
  });
});
