import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { HttpDrain } from '../../src/http/drain.js';
import { UpgradeDispatch } from '../../src/http/upgrades.js';
import { within10s } from '../support/freeze.js';

/**
 * stop-25: a client whose connection the kernel completed just before the stop, while it still
 * waited in the listening socket's queue (the gateway had not accepted it yet). Closing the
 * listening socket resets every connection in that queue, so the client, which had connected, saw
 * ECONNRESET where it would have sent its request. The drain now lets the server accept what is
 * queued before it closes the listener; the request then sent is answered 503 SHUTTING_DOWN.
 * HttpDrain on a real HTTP server and a real socket, in this process, so the stop can begin before
 * the server's event loop has looked at the queue.
 */
describe('a connection still in the accept queue at the stop (stop-25)', () => {
  it('is accepted, and its request answered 503 SHUTTING_DOWN with Connection: close, not reset', async () => {
    const server = http.createServer();
    const drain = new HttpDrain(server, new UpgradeDispatch(server));
    server.on('request', (_req, res) => drain.run(res, async () => void res.end('served')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as AddressInfo;
    try {
      const client = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
      let text = '';
      let error: string | undefined;
      client.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
      client.on('error', (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message));
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      client.once('end', () => client.end());
      // net connects on the next tick: the stop begins right after it, before the loop polls again
      await new Promise((resolve) => process.nextTick(resolve));
      const closing = drain.close(10_000);
      const connected = await new Promise<boolean>((resolve) => {
        client.once('connect', () => resolve(true));
        client.once('close', () => resolve(false));
      });
      if (connected) client.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      await within10s(closed, 'the connection closed');
      await within10s(closing, 'the drain finished');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      expect({ connected, status: head.split(' ')[1], connectionClose: /\r\nconnection: close/i.test(head), body: body.includes('"code":"SHUTTING_DOWN"'), error }).toEqual({
        connected: true,
        status: '503',
        connectionClose: true,
        body: true,
        error: undefined,
      });
    } finally {
      server.closeAllConnections();
    }
  });
});
