import net from 'node:net';
import { ProfileDocument, PurchaseOfferDocument } from '../generated/graphql.js';
import { ledgerViolations, ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { startGatewayProcess, type GatewayProcess } from '../support/processes.js';
import { createCustomer, simpleShop, unique } from '../support/program.js';

/**
 * A TCP relay between the gateway and PostgreSQL that the test can cut (a database server that
 * crashed, restarts or fails over: new connections are refused) and mend on the same port.
 */
class CuttableRelay {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async open(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => (client.destroy(), upstream.destroy()));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** Stops listening (new connections are refused) and drops every connection through it. */
  async cut(): Promise<void> {
    const closed = new Promise((resolve) => this.server!.close(resolve));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

/** What a user sees of an answer: status, Retry-After, and each error's code. */
const seen = async (res: Response) => ({ status: res.status, retryAfter: res.headers.get('retry-after'), codes: ((await res.json()) as { errors?: { extensions?: { code?: string } }[] }).errors?.map((e) => e.extensions?.code) });
const SERVICE_UNAVAILABLE = { status: 503, retryAfter: '2', codes: ['SERVICE_UNAVAILABLE'] };

/**
 * Hostile pass 11: with the database unreachable (the embedded PostgreSQL killed under a running
 * gateway, a server restarting, a failover), every request answered 500 INTERNAL_SERVER_ERROR:
 * a client could not tell that nothing of its purchase ran and that sending it again is safe. A
 * connection that could not be opened is now the 503 SERVICE_UNAVAILABLE (with Retry-After) a
 * database that did not answer in time gets, and the gateway serves again once it can connect.
 * The gateway runs in a process of its own: under jest's VM modules an error raised by Node's own
 * `net` is not an `instanceof Error` of the test's realm, and GraphQL would hide it.
 */
describe('a database the gateway cannot connect to', () => {
  let t: TestGateway;
  let gateway: GatewayProcess;
  const admin = new URL(process.env.TEST_PG_ADMIN_URL!);
  const relay = new CuttableRelay({ host: admin.hostname, port: Number(admin.port) });

  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
    await relay.open();
    const routed = new URL(t.databaseUrl);
    routed.hostname = '127.0.0.1';
    routed.port = String(relay.port);
    gateway = await startGatewayProcess(routed.toString(), { DB_ACQUIRE_TIMEOUT_MS: '3000' });
  }, 120_000);
  afterAll(async () => {
    await gateway?.terminate();
    // (reopened by the test: left listening, it kept the jest worker alive after the file)
    await relay.cut();
    expect(await ledgerViolations(t)).toEqual([]);
    await t.close();
  });

  it('answers 503 SERVICE_UNAVAILABLE with Retry-After, not an internal error; the same key buys once when it is back', async () => {
    const shop = await simpleShop(t, { priceInPoints: 10 });
    const customer = await createCustomer(t, shop.currency, 25);
    const post = (query: string, variables: unknown = {}) =>
      fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${customer.token}` }, body: JSON.stringify({ query, variables }) });
    const key = unique('buy');
    const buy = () => post(PurchaseOfferDocument.toString(), { listingId: shop.listing.id, idempotencyKey: key });
    const profile = () => post(ProfileDocument.toString());
    expect((await profile()).status).toBe(200);

    await relay.cut();
    // The pool's idle connections learn that their sockets closed (a request on one of them in
    // that instant is a connection lost, an internal error: docs/decisions.md, hostile pass 9).
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await seen(await profile())).toEqual(SERVICE_UNAVAILABLE);
    expect(await seen(await buy())).toEqual(SERVICE_UNAVAILABLE);
    expect((await fetch(new URL('/readyz', gateway.url))).status).toBe(503);

    await relay.open();
    const first = (await (await buy()).json()) as { data: { purchaseOffer: { purchase: { id: string }; balance: { available: number }; userErrors: unknown[] } } };
    expect(first.data.purchaseOffer).toMatchObject({ userErrors: [], balance: { available: 15 } });
    const again = (await (await buy()).json()) as typeof first;
    expect(again.data.purchaseOffer.purchase.id).toBe(first.data.purchaseOffer.purchase.id);
    expect(ok(await t.gql(ProfileDocument, {}, customer.token)).me!.balances[0].available).toBe(15);
  });
});
