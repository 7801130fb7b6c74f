/**
 * Demo sign-in for development (the gateway answers GET /dev/tokens only outside production, with
 * the seeded demo members and staff and a token for each). In production the route is 404 and the
 * apps take the retailer's token instead (see session.ts).
 */
export interface DevTokens {
  members: { externalId: string; name: string | null; token: string }[];
  staff: { staffId: string; role: 'operator' | 'analyst'; token: string }[];
}

/** The demo tokens, or null when the gateway offers none (production, or no demo program). */
export async function fetchDevTokens(): Promise<DevTokens | null> {
  const res = await fetch('/dev/tokens', { headers: { accept: 'application/json' } });
  if (!res.ok) return null;
  return (await res.json()) as DevTokens;
}
