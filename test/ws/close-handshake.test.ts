import net from 'node:net';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/** A client text frame (masked, as RFC 6455 requires of clients; a zero key leaves the bytes as they are). */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const head = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([head, Buffer.alloc(4), payload]);
}

/**
 * A socket the gateway closes whose peer never answers the close frame (a vanished phone, a flood
 * of raw sockets): ws waits 30 s for the answer by default, so each such socket held a file
 * descriptor and its buffers 30 s after the gateway was done with it. ws-12 cut the connect
 * budget's 1013 close after a second, and the shutdown's 1001 (12c); every other close the gateway
 * sends (4401 refused credentials, 4408 no connection_init, 4403, 1007, …) waited the 30 s
 * (break-12g). The peer here reads everything and answers nothing; the gateway must let it go.
 */
describe('a socket whose peer never answers the close frame', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  it('is released once the gateway has closed it (4401, refused credentials)', async () => {
    const { hostname, port } = new URL(t.url);
    const socket = net.connect(Number(port), hostname);
    const received: Buffer[] = [];
    const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('data', (d) => received.push(d));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
    socket.write(
      'GET /graphql HTTP/1.1\r\nHost: gateway\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n',
    );
    socket.write(textFrame(JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer not-a-token' } })));
    let timer: NodeJS.Timeout | undefined;
    const never = new Promise<'still open'>((resolve) => (timer = setTimeout(() => resolve('still open'), 10_000)));
    const outcome = await Promise.race([ended.then(() => 'released' as const), never]);
    clearTimeout(timer);
    socket.destroy();
    const bytes = Buffer.concat(received);
    expect(bytes.toString('latin1')).toMatch(/^HTTP\/1\.1 101 /);
    // the close frame came (opcode 8, code 4401) before the connection was let go
    const closeAt = bytes.indexOf(Buffer.from([0x88]));
    expect(closeAt).toBeGreaterThan(0);
    expect(bytes.readUInt16BE(closeAt + 2)).toBe(4401);
    expect(outcome).toBe('released');
  }, 20_000);
});
