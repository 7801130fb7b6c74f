import net from 'node:net';

/**
 * The `application_name` a PostgreSQL start-up message names (the first bytes a client sends on a
 * connection without TLS: length, protocol version, then name/value pairs each ended by a NUL):
 * undefined until the whole message is in `startup`, '' when it names none. For test proxies that
 * treat the gateway's sessions by their use (the request pool's, the migration session's).
 */
export function applicationName(startup: Buffer): string | undefined {
  if (startup.length < 8 || startup.length < startup.readInt32BE(0)) return undefined;
  const fields = startup.subarray(8, startup.readInt32BE(0)).toString('utf8').split('\0');
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === 'application_name') return fields[i + 1];
  return '';
}

/** A TCP proxy in front of a test server's PostgreSQL that holds the sessions a test picks (`sessionProxy`). */
export interface SessionProxy {
  /** `url` with the proxy's address in place of the server's. */
  url: string;
  /** Sessions held so far (their start-up message read, nothing passed on nor answered). */
  held(): number;
  /**
   * Sessions of `applicationName` passed on whose connection is still open: those the server
   * shows, and those whose start-up is still under way (not yet in `pg_stat_activity`, which a
   * loaded server shows only once the backend has started).
   */
  open(applicationName: string): number;
  /** Passes every held session on, and every later one. */
  releaseAll(): void;
  /** Destroys every socket of the proxy's and closes it. */
  close(): Promise<void>;
}

/**
 * A proxy to the PostgreSQL behind `url` (a test server's database, no TLS) that reads each new
 * session's start-up message and holds it, unanswered and with its socket open as a frozen server
 * keeps it, when `hold(applicationName, nth)` says so (`nth`: how many sessions of that
 * application_name came before it); every other session is passed on as it is. `closed` is told
 * when a session passed on has ended (the gateway closed it, or the server did after its Terminate).
 */
export async function sessionProxy(
  url: string,
  hold: (applicationName: string, nth: number) => boolean,
  closed?: (applicationName: string, nth: number) => void,
): Promise<SessionProxy> {
  const target = new URL(url);
  const sockets: net.Socket[] = [];
  const waiting: (() => void)[] = [];
  const seen = new Map<string, number>();
  const open = new Map<string, number>();
  let held = 0;
  let released = false;
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    sockets.push(client);
    client.on('error', () => undefined);
    let startup = Buffer.alloc(0);
    const collect = (chunk: Buffer) => {
      startup = Buffer.concat([startup, chunk]);
      const name = applicationName(startup);
      if (name === undefined) return;
      client.off('data', collect);
      client.pause();
      const nth = seen.get(name) ?? 0;
      seen.set(name, nth + 1);
      const pass = () => {
        open.set(name, (open.get(name) ?? 0) + 1);
        // The session's end, seen from its client socket's close rather than its 'end': after the
        // gateway's Terminate the server may close first, and the upstream's close then destroys the
        // client socket before its end is read, so 'end' never came (lifecycle-22 failed so in CI,
        // with three workers: the session closed, `closed` never told).
        client.once('close', () => {
          open.set(name, open.get(name)! - 1);
          closed?.(name, nth);
        });
        const upstream = net.connect(Number(target.port || 5432), target.hostname);
        sockets.push(upstream);
        upstream.write(startup);
        client.pipe(upstream).pipe(client);
        client.resume();
        upstream.on('error', () => client.destroy());
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      };
      if (released || !hold(name, nth)) return pass();
      held++;
      waiting.push(pass);
    };
    client.on('data', collect);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxied = new URL(url);
  proxied.host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return {
    url: proxied.toString(),
    held: () => held,
    open: (applicationName) => open.get(applicationName) ?? 0,
    releaseAll: () => {
      released = true;
      for (const pass of waiting.splice(0)) pass();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
