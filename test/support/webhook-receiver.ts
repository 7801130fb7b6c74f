import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A real HTTP receiver: answers `status()` for each request and keeps what it was sent. */
export class Receiver {
  readonly requests: { headers: IncomingHttpHeaders; body: string; answered: number }[] = [];
  status: () => number = () => 200;
  private server!: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const answered = this.status();
        this.requests.push({ headers: req.headers, body, answered });
        res.writeHead(answered).end();
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
