import { SignJWT } from 'jose';
import type pg from 'pg';
import { TEST_JWT_SECRET } from './gateway.js';
import type { SpawnedGateway } from './processes.js';

/** A bearer token for `sub` (a customer's externalId, or a staff id with `role`), signed with TEST_JWT_SECRET, valid an hour. */
export function tokenFor(sub: string, role?: 'operator' | 'analyst'): Promise<string> {
  return new SignJWT(role ? { role } : {}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(TEST_JWT_SECRET));
}

/** The /graphql URL a spawned gateway logged with "gateway ready". */
export function gatewayUrl(gateway: SpawnedGateway): string {
  const url = /"url":"(http:[^"]+\/graphql)"/.exec(gateway.output())?.[1];
  if (!url) throw new Error(`the gateway logged no URL:\n${gateway.output().slice(-2000)}`);
  return url;
}

/** A GraphQL answer as JSON, read loosely (these tests look at a field or two). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LooseAnswer = any;

/** POSTs `query` to `url` as the holder of `token`; rejects when the connection fails. */
export async function postGraphql(url: string, token: string, query: string, variables: object = {}): Promise<LooseAnswer> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  return response.json();
}

const ADJUST = 'mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { entry { id } userErrors { code } } }';

/** adjustPoints of `amount` BEANS (the demo currency) for `customer` with `key`, reason `reason`, as the operator `op`; answers whether an entry came back. */
export async function adjustBeans(url: string, op: string, customer: string, amount: number, key: string, reason = 'b3'): Promise<boolean> {
  const answer = await postGraphql(url, op, ADJUST, { input: { customerExternalId: customer, currency: 'BEANS', amount, reason, idempotencyKey: key } });
  return Boolean(answer.data?.adjustPoints?.entry);
}

/**
 * Four clients adjusting cust-alice's BEANS by 7 (reason 'b3'), one new idempotency key per
 * request (`<prefix>-w<n>-<i>`), through `url()` until `stop`; failures (the gateway stopping) are
 * let go. `keys` holds every key sent.
 */
export function adjustmentLoad(url: () => string, op: string, prefix: string): { keys: string[]; stop(): Promise<void> } {
  const keys: string[] = [];
  let go = true;
  const worker = async (w: number) => {
    for (let i = 0; go; i++) {
      const key = `${prefix}-w${w}-${i}`;
      keys.push(key);
      await adjustBeans(url(), op, 'cust-alice', 7, key).catch(() => new Promise((resolve) => setTimeout(resolve, 20)));
    }
  };
  const workers = [0, 1, 2, 3].map(worker);
  return {
    keys,
    stop: async () => {
      go = false;
      await Promise.all(workers);
    },
  };
}

/** Sends `signal` to `gateway` and answers its exit code, or 'hung' when it has not exited in 30 s. */
export async function signalled(gateway: SpawnedGateway, signal: NodeJS.Signals): Promise<number | null | 'hung'> {
  if (gateway.child.exitCode === null) process.kill(gateway.child.pid!, signal);
  return Promise.race([gateway.exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000))]);
}

/**
 * Sends every key of `keys` again (`adjustBeans`, 7 BEANS to cust-alice) and reads, through
 * `admin`, how many 7-point 'b3' entries the ledger holds and which accounts break the ledger
 * invariants (SPEC §5.1: balance = ledger sum = open credits, never negative). `refused`: keys whose
 * replay came back without an entry. Each of `adjustmentLoad`'s clients sends its own keys again
 * (`…-w<n>-<i>`), in its order, the clients at once as during the load (suite-28; they were
 * sent one after another); keys of another shape are one client more.
 */
export async function replayedLedger(url: string, op: string, keys: string[], admin: pg.Client): Promise<{ refused: number; entries: number; violations: unknown[] }> {
  let refused = 0;
  const clients = new Map<string, string[]>();
  for (const key of keys) {
    const client = /-w(\d+)-\d+$/.exec(key)?.[1] ?? 'other';
    const own = clients.get(client);
    if (own) own.push(key);
    else clients.set(client, [key]);
  }
  await Promise.all(
    [...clients.values()].map(async (own) => {
      for (const key of own) if (!(await adjustBeans(url, op, 'cust-alice', 7, key))) refused++;
    }),
  );
  const counts = await admin.query<{ n: number }>(`select count(*)::int as n from ledger_entry where reason = 'b3' and amount = 7`);
  const violations = await admin.query(`
    select a.id from point_account a left join ledger_entry e on e.account_id = a.id group by a.id
    having a.available <> coalesce(sum(e.amount), 0) or a.available <> coalesce(sum(e.remaining), 0) or a.available < 0`);
  return { refused, entries: counts.rows[0].n, violations: violations.rows };
}
