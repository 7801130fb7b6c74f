import net from 'node:net';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/** A query whose answer is about 24 MB: the schema's types and fields, `copies` times over (aliases), ~60 kB each. */
function bigQuery(copies: number): string {
  const fields = '__schema { types { name description fields { name description args { name description } } } }';
  return `{ ${Array.from({ length: copies }, (_, i) => `a${i}: ${fields}`).join(' ')} }`;
}

/**
 * break2-18: the drain closed connections node calls idle, and node calls idle a connection whose
 * answer has been written whole by the handler (`res.end`) but not yet taken by the client: a
 * client reading slowly (a phone on a poor network, a big page of results) had its answer cut
 * short at the stop, with nothing to tell it but a connection closed mid-body. stop-18 made the
 * drain do so once a second for the rest of the stop. The answer is larger than what the kernel's
 * buffers of both ends hold, and the client reads none of it for two seconds after the stop began.
 */
describe('a big answer still being read by a slow client when the stop begins', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ MAX_QUERY_ALIASES: '1000', MAX_QUERY_COST: '10000000', MAX_QUERY_TOKENS: '100000', MAX_DOCUMENT_BYTES: '1000000' }, { jobs: 'manual' });
  });
  afterAll(() => t.close());

  it('is sent whole before its connection closes', async () => {
    const body = JSON.stringify({ query: bigQuery(400) });
    const { port } = new URL(t.url);
    const socket = net.connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
    // the first bytes of the answer: the handler has written all of it (one `end`), the rest waits in buffers
    const first = new Promise<void>((resolve) => socket.once('data', () => resolve()));
    let reading = false;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (!reading) socket.pause();
    });
    socket.write(`POST /graphql HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    await first;

    const stopped = t.gateway.close();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    reading = true;
    socket.resume();
    await closed;
    await stopped;

    const received = Buffer.concat(chunks);
    const headerEnd = received.indexOf('\r\n\r\n');
    const head = received.subarray(0, headerEnd).toString();
    const length = Number(/content-length: (\d+)/i.exec(head)![1]);
    expect(head).toMatch(/^HTTP\/1\.1 200/);
    expect(length).toBeGreaterThan(16_000_000);
    expect(received.length - headerEnd - 4).toBe(length);
  }, 60_000);
});
