import { createServer, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { toGlobalId } from '../../src/graphql/ids.js';
import { JOBS_CHANNEL } from '../../src/jobs/queue.js';
import { endpointGroup, WEBHOOK_DELIVER } from '../../src/webhooks/webhook.jobs.js';
import { dataOf, ok, startTestGateway, type Credential, type TestGateway } from './gateway.js';

/**
 * Runs what is due on a gateway whose jobs run by hand (a sale's processing, the webhook
 * dispatcher, deliveries), a few dispatcher slots on: the test clock is moved by
 * `WEBHOOK_DISPATCH_MS` before each of 4 runs.
 */
export async function settleWebhooks(t: TestGateway): Promise<void> {
  for (let i = 0; i < 4; i++) {
    t.clock.advance(t.config.webhooks.dispatchMs);
    await t.runScheduled();
  }
}

/**
 * The dispatcher's next slot on a gateway whose jobs run by hand: the clock moved by
 * `WEBHOOK_DISPATCH_MS`, the scheduler and dispatcher ticked, and every job then due but the
 * deliveries' (the dispatch, what the scheduler enqueued) run one at a time, so that only the
 * deliveries' jobs are left for the test's own workers (`t.jobs.runner.runOne()`), to run when and
 * side by side as it chooses.
 */
export async function dispatchAllButDeliveries(t: TestGateway): Promise<void> {
  t.clock.advance(t.config.webhooks.dispatchMs);
  await t.jobs.scheduler.tick();
  await t.jobs.dispatcher.tick();
  const othersDue = async () =>
    (await t.sql<{ n: number }>(`select count(*)::int as n from job where kind <> $1 and status = 'PENDING' and run_at <= $2`, [WEBHOOK_DELIVER, t.clock.now()]))[0].n;
  while ((await othersDue()) > 0) {
    if (!(await t.jobs.runner.runOne())) throw new Error('a job was due but none was claimed');
  }
}

/** A real HTTP receiver: answers `status()` with `headers()` for each request and keeps what it was sent. */
export class Receiver {
  readonly requests: { headers: IncomingHttpHeaders; body: string; answered: number; url: string }[] = [];
  status: () => number = () => 200;
  headers: () => OutgoingHttpHeaders = () => ({});
  private server!: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const answered = this.status();
        this.requests.push({ headers: req.headers, body, answered, url: req.url! });
        res.writeHead(answered, this.headers()).end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * A test gateway started with `env` and `options` and a real `Receiver`, for a describe block:
 * started in its beforeAll, closed (receiver first) in its afterAll. Read `t` and `receiver` in the
 * tests, after the start.
 */
export function gatewayWithReceiver(env: Record<string, string>, options: Parameters<typeof startTestGateway>[1]): { t: TestGateway; receiver: Receiver } {
  const started = {} as { t: TestGateway; receiver: Receiver };
  beforeAll(async () => {
    started.t = await startTestGateway(env, options);
    started.receiver = await new Receiver().start();
  });
  afterAll(async () => {
    await started.receiver?.close();
    await started.t?.close();
  });
  return started;
}

/**
 * A real receiver: `hanging` holds each request open with no answer (an endpoint that accepts the
 * connection and never answers); otherwise 200: to later requests after `stopHanging()`, to the held
 * ones too after `answerHeld()`.
 */
export async function holdingReceiver(hanging: boolean) {
  const held: ServerResponse[] = [];
  const ids: string[] = [];
  let hangs = hanging;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      ids.push(String(req.headers['webhook-id']));
      if (hangs) held.push(res);
      else res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    held,
    /** The webhook-id of every request received, answered or not. */
    ids,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    stopHanging() {
      hangs = false;
    },
    answerHeld() {
      hangs = false;
      for (const res of held.splice(0)) res.writeHead(200).end();
    },
    close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A request `heldRequestsReceiver` holds: its path, its `webhook-id`, and the response the test answers it with. */
export interface HeldRequest {
  path: string;
  id: string;
  res: ServerResponse;
}

/**
 * A real receiver that holds each request, unanswered, in `held` until the test answers it
 * (`res.writeHead(status).end()`), so a test chooses when and how each POST is answered (break3-22,
 * webhooks-25); while `answerAtOnce` is a status, requests are answered it at once instead. `base`
 * is `http://127.0.0.1:<port>`, to which the test adds each endpoint's path. `close` drops what is
 * still held.
 */
export async function heldRequestsReceiver(): Promise<{ held: HeldRequest[]; answerAtOnce: number | null; base: string; close(): Promise<void> }> {
  const held: HeldRequest[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (receiver.answerAtOnce !== null) res.writeHead(receiver.answerAtOnce).end();
      else held.push({ path: req.url!, id: String(req.headers['webhook-id']), res });
    });
  });
  const receiver = {
    held,
    answerAtOnce: null as number | null,
    base: '',
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}

/**
 * A webhook endpoint at `url`, one PENDING delivery to it of outbox event `eventId` (its
 * `webhook-id` is `evt_<eventId>`), and the delivery's job, due now, as the dispatcher writes them,
 * through `admin` (a session of the test's on the gateway's database); then the job runners are
 * woken. `createdBy` names the test on the endpoint. Answers the three rows' ids.
 */
export async function enqueueDelivery(admin: pg.Client, url: string, eventId: number, createdBy: string): Promise<{ endpointId: string; deliveryId: string; jobId: string }> {
  const {
    rows: [{ endpointId }],
  } = await admin.query<{ endpointId: string }>(
    `insert into webhook_endpoint (url, event_types, secret, created_by) values ($1, '{BALANCE_CHANGED}', $2, $3) returning id as "endpointId"`,
    [url, `whsec_${randomBytes(24).toString('base64')}`, createdBy],
  );
  const {
    rows: [{ deliveryId }],
  } = await admin.query<{ deliveryId: string }>(
    `insert into webhook_delivery (endpoint_id, event_id, event_type, body, next_attempt_at) values ($1, $2, 'balance.changed', '{"type":"balance.changed"}', now()) returning id as "deliveryId"`,
    [endpointId, eventId],
  );
  const {
    rows: [{ jobId }],
  } = await admin.query<{ jobId: string }>(
    `insert into job (kind, payload, run_at, max_attempts, group_key) values ($1, $2, now(), 3, $3) returning id as "jobId"`,
    [WEBHOOK_DELIVER, { deliveryId: Number(deliveryId) }, endpointGroup(Number(endpointId))],
  );
  await admin.query(`select pg_notify($1, $2)`, [JOBS_CHANNEL, WEBHOOK_DELIVER]);
  return { endpointId, deliveryId, jobId };
}

/**
 * A webhook endpoint at `url` (of partner `partnerId`, its database id, or the program's with null)
 * and one FAILED delivery to it of outbox event `eventId` with `attempts` refused attempts (HTTP
 * 500, errors "attempt 0", "attempt 1", …), written by SQL on `t`'s database as the dispatcher
 * would have left them: something for `nodes`, `attemptLog` and the console's lists to read without
 * a receiver. `createdBy` names the test. Answers the endpoint's and the delivery's global ids.
 */
export async function insertFailedDelivery(
  t: TestGateway,
  { partnerId, url, eventId, attempts, createdBy }: { partnerId: number | null; url: string; eventId: string; attempts: number; createdBy: string },
): Promise<{ endpointId: string; deliveryId: string }> {
  const [{ id: endpointId }] = await t.sql<{ id: string }>(
    `insert into webhook_endpoint (partner_id, url, event_types, secret, created_by) values ($1, $2, '{BALANCE_CHANGED}', 'whsec_x', $3) returning id`,
    [partnerId, url, createdBy],
  );
  const [{ id: deliveryId }] = await t.sql<{ id: string }>(
    `insert into webhook_delivery (endpoint_id, event_id, event_type, body, status, attempts) values ($1, $2, 'balance.changed', '{}', 'FAILED', $3) returning id`,
    [endpointId, eventId, attempts],
  );
  for (let k = 0; k < attempts; k++) {
    await t.sql(`insert into webhook_attempt (delivery_id, attempted_at, status_code, error, duration_ms) values ($1, now(), 500, $2, 10)`, [deliveryId, `attempt ${k}`]);
  }
  return { endpointId: toGlobalId('WebhookEndpoint', Number(endpointId)), deliveryId: toGlobalId('WebhookDelivery', Number(deliveryId)) };
}

/** A webhook delivery as `deliveriesOf` lists it. */
export type ListedDelivery = { id: string; eventType: string; status: string; lastError: string | null; endpoint: { id: string } };

const DELIVERIES = `query Deliveries($endpointId: ID) { webhookDeliveries(first: 50, endpointId: $endpointId) { edges { node { id eventType status lastError endpoint { id } } } } }`;

/**
 * The first 50 deliveries of endpoint `endpointId` (a global id) as `credential` (a partner's key
 * or a staff token) reads them through `webhookDeliveries`, in its order; fails the test on any
 * GraphQL error (`ok`).
 */
export async function deliveriesOf(t: TestGateway, credential: Credential, endpointId: string): Promise<ListedDelivery[]> {
  return ok(await t.gql<{ webhookDeliveries: { edges: { node: ListedDelivery }[] } }, unknown>(DELIVERIES, { endpointId }, credential)).webhookDeliveries.edges.map((e) => e.node);
}

/**
 * An operator's calls on webhook endpoints, as the console makes them: `register` answers the new
 * endpoint's id (its userErrors must be none), `remove` and `enable` the payload (`endpoint`'s
 * `disabledAt`, `userErrors`). `gateway`: the test gateway, or a getter of it (a describe block's,
 * started in its beforeAll).
 */
export function operatorEndpoints(gateway: TestGateway | (() => TestGateway)) {
  const t = () => (typeof gateway === 'function' ? gateway() : gateway);
  const op = async <T>(query: string, input: Record<string, unknown>) => dataOf(await t().gql<T, unknown>(query, { input }, t().operatorToken));
  type Changed = { endpoint: { disabledAt: string | null } | null; userErrors: { code: string; message: string }[] };
  return {
    async register(url: string, eventTypes: string[]): Promise<string> {
      const { registerWebhookEndpoint: registered } = await op<{ registerWebhookEndpoint: { endpoint: { id: string } | null; userErrors: unknown[] } }>(
        `mutation R($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code message } } }`,
        { url, eventTypes },
      );
      expect(registered.userErrors).toEqual([]);
      return registered.endpoint!.id;
    },
    async remove(endpointId: string): Promise<Changed> {
      return (
        await op<{ removeWebhookEndpoint: Changed }>(
          `mutation X($input: RemoveWebhookEndpointInput!) { removeWebhookEndpoint(input: $input) { endpoint { disabledAt } userErrors { code message } } }`,
          { endpointId },
        )
      ).removeWebhookEndpoint;
    },
    async enable(endpointId: string): Promise<Changed> {
      return (
        await op<{ enableWebhookEndpoint: Changed }>(
          `mutation E($input: EnableWebhookEndpointInput!) { enableWebhookEndpoint(input: $input) { endpoint { disabledAt } userErrors { code message } } }`,
          { endpointId },
        )
      ).enableWebhookEndpoint;
    },
  };
}
