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
