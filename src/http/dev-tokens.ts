import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import { query, sql } from '../db/sql.js';
import { DEMO, demoPartnerKey } from '../demo/seed.js';
import { partnerByApiKey } from '../partners/partner.service.js';
import { signToken } from './auth.js';

/**
 * What GET /dev/tokens answers: the demo members that exist and the demo staff, each with a token,
 * and the demo POS partner with its API key when the seed made it and it is not revoked (the key
 * the start-up banner prints; none otherwise).
 */
export interface DevTokens {
  members: { externalId: string; name: string | null; token: string }[];
  staff: { staffId: string; role: 'operator' | 'analyst'; token: string }[];
  partners: { name: string; apiKey: string }[];
}

/**
 * Demo sign-in is offered only where the gateway itself signs tokens, never in production, and only
 * with SEED_DEMO on (its default on the embedded database only): a database seeded once and then run
 * as a real program with SEED_DEMO=false handed out staff tokens for good (break37d).
 */
export function devTokensEnabled(config: Config): boolean {
  return config.nodeEnv !== 'production' && !config.jwtJwksUrl && config.seedDemo;
}

/**
 * Tokens (valid a day) for the demo program's members (those in the database, by name) and its
 * operator and analyst, and the demo POS partner's API key: the member app's and the console's
 * "pick a demo account" sign-in and the explorer's token buttons read them, and the README's first
 * calls set their shell variables from them. Development and test only (`devTokensEnabled`), and
 * only on a database the demo program was seeded in (its currency is there, as the seed itself
 * asks; with SEED_DEMO on, every start seeds it); null otherwise (the route answers 404). The demo
 * POS partner's key was the marker before, and a revoked one is never re-keyed, so a revoked demo
 * partner and a changed JWT_SECRET lost the demo sign-in for good (break37e).
 * break37 (ops): a gateway on a program's own database with NODE_ENV left unset (development)
 * answered any caller an operator token signed with the deployment's JWT_SECRET, accepted on every
 * staff operation; and the first marker, a partner created as `staff:seed`, was a string any staff
 * token with that id made (break37d).
 */
export async function devTokens(orm: MikroORM, config: Config): Promise<DevTokens | null> {
  const em = orm.em.fork();
  const [{ seeded }] = await query<{ seeded: boolean }>(em, sql`select exists (select 1 from point_currency where code = ${DEMO.currency}) as seeded`);
  if (!seeded) return null;
  const ids = Object.values(DEMO.customers) as string[];
  const rows = await query<{ externalId: string; name: string | null }>(
    em,
    sql`select external_id as "externalId", name from customer where external_id = any(${ids}) order by external_id`,
  );
  const day = 86_400;
  // the key the banner prints, only while it is the demo partner's (a revoked one is not offered)
  const key = demoPartnerKey(config);
  const partner = await partnerByApiKey(em, key);
  return {
    members: await Promise.all(rows.map(async (r) => ({ ...r, token: await signToken(config, { sub: r.externalId }, day) }))),
    staff: [
      { staffId: DEMO.staff.operator, role: 'operator', token: await signToken(config, { sub: DEMO.staff.operator, role: 'operator' }, day) },
      { staffId: DEMO.staff.analyst, role: 'analyst', token: await signToken(config, { sub: DEMO.staff.analyst, role: 'analyst' }, day) },
    ],
    partners: partner ? [{ name: partner.name, apiKey: key }] : [],
  };
}
