import type { ManifestOperation } from '../../src/persisted/manifest.js';
import { dataOf, type TestGateway } from './gateway.js';
import { createPartner } from './program.js';

/** The operators' registration of trusted documents, as the console's Partners page sends it. */
export const REGISTER_PERSISTED = `mutation RegisterPersistedOperations($input: RegisterPersistedOperationsInput!) {
  registerPersistedOperations(input: $input) { count userErrors { code field message } } }`;

/** registerPersistedOperations' payload: `count` added, or null with the manifest's problems. */
export interface RegisterPayload {
  count: number | null;
  userErrors: { code: string; field: string[] | null; message: string }[];
}

/** A manifest of `operations` in Apollo's persisted-query format (version 1). */
export const manifestOf = (operations: ManifestOperation[]) => ({ format: 'apollo-persisted-query-manifest', version: 1, operations });

/** The operator's registration of `manifest` on `client`'s list (a partner's global id or a client name): its payload, userErrors and all. */
export async function registerAsOperator(t: TestGateway, client: string, manifest: unknown): Promise<RegisterPayload> {
  return dataOf(await t.gql<{ registerPersistedOperations: RegisterPayload }, unknown>(REGISTER_PERSISTED, { input: { client, manifest } }, t.operatorToken)).registerPersistedOperations;
}

/** What a partner's POST of persisted operation `id` (no variables) answers: its errors as `CODE: message`, none when it ran. */
export async function sendAsPartner(t: TestGateway, apiKey: string, id: string): Promise<string[]> {
  const res = await t.fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: id } } }),
  });
  const body = (await res.json()) as { errors?: { message: string; extensions: { code: string } }[] };
  return body.errors?.map((e) => `${e.extensions.code}: ${e.message}`) ?? [];
}

/**
 * A new partner (scope `customers:read`), `operations` registered on its list by an operator, and
 * what the partner's send of the first one's id answers (`sendAsPartner`): what registration said
 * against what every send then gets.
 */
export async function registerForNewPartner(t: TestGateway, operations: ManifestOperation[]): Promise<{ registered: RegisterPayload; sent: string[] }> {
  const partner = await createPartner(t, ['customers:read']);
  const registered = await registerAsOperator(t, (await t.partnerIdOf(partner.apiKey))!, manifestOf(operations));
  return { registered, sent: await sendAsPartner(t, partner.apiKey, operations[0].id) };
}
