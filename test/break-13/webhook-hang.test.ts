import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCustomer, createPartner, earningProgram, eventually, processedSale } from '../support/program.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } secret userErrors { code field message } } }`;

/** A receiver that takes each request and never answers it (a partner's endpoint that hangs). */
async function hangingReceiver() {
  const held: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    held.push(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    held,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    close: () => {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('a partner endpoint that hangs (break-13)', () => {
  let t: TestGateway;
  let receiver: Awaited<ReturnType<typeof hangingReceiver>>;

  beforeAll(async () => {
    receiver = await hangingReceiver();
    // two deliveries to the one endpoint at once (WEBHOOK_ENDPOINT_CONCURRENCY), so both delivery loops wait on it
    t = await startTestGateway({ JOB_CONCURRENCY: '2', WEBHOOK_CONCURRENCY: '2', WEBHOOK_ENDPOINT_CONCURRENCY: '2', WEBHOOK_TIMEOUT_MS: '60000' });
  });
  afterAll(async () => {
    await receiver.close();
    await t.close();
  });

  it("holds no loop a sale's processing needs: sales are processed while every delivery to it waits for an answer", async () => {
    const { money, currency } = await earningProgram(t, 'H');
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    ok(await t.gql(REGISTER, { input: { url: receiver.url, eventTypes: ['BALANCE_CHANGED'] } }, t.operatorToken));
    const alice = await createCustomer(t, currency);
    for (let i = 0; i < 4; i++) await adjust(t, alice.externalId, currency, 10);
    await t.jobs.dispatcher.tick();
    // four deliveries due; the receiver holds as many open as JOB_CONCURRENCY (before break-13 they
    // took every loop) and WEBHOOK_CONCURRENCY (now their own loops) each allow
    await eventually(async () => receiver.held.length >= 2);
    const bob = await createCustomer(t, currency);
    await processedSale(t, till, bob.externalId, money, 5);
  });
});
