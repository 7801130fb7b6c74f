import type { CustomerCaller, Ctx, PartnerCaller, StaffCaller, StaffRole } from '../context.js';
import { forbidden, unauthenticated } from './errors.js';

export function requireCustomer(ctx: Ctx): CustomerCaller {
  if (ctx.caller.kind === 'customer') return ctx.caller;
  if (ctx.caller.kind === 'anonymous') throw unauthenticated();
  throw forbidden('Only a signed-in customer can do this.');
}

/** A staff member with one of `roles` (any staff role when none are named). */
export function requireStaff(ctx: Ctx, ...roles: StaffRole[]): StaffCaller {
  if (ctx.caller.kind === 'staff' && (roles.length === 0 || roles.includes(ctx.caller.role))) return ctx.caller;
  if (ctx.caller.kind === 'anonymous') throw unauthenticated();
  throw forbidden(roles.length ? `Only staff with the role ${roles.join(' or ')} can do this.` : 'Only staff can do this.');
}

export const requireOperator = (ctx: Ctx) => requireStaff(ctx, 'operator');

/** A partner holding `scope`. */
export function requirePartnerScope(ctx: Ctx, scope: string): PartnerCaller {
  if (ctx.caller.kind === 'partner' && ctx.caller.scopes.includes(scope)) return ctx.caller;
  if (ctx.caller.kind === 'anonymous') throw unauthenticated();
  throw forbidden(ctx.caller.kind === 'partner' ? `This API key lacks the scope ${scope}.` : `Only a partner with the scope ${scope} can do this.`);
}

/**
 * Staff, or a partner holding `scope`: reads shared by the console and integrations. Throws
 * UNAUTHENTICATED for no caller; FORBIDDEN otherwise, naming the missing scope to a partner and both
 * kinds of reader to anyone else (a customer was told only partners might: newuser-29).
 */
export function requireStaffOrScope(ctx: Ctx, scope: string): void {
  if (ctx.caller.kind === 'staff') return;
  if (ctx.caller.kind === 'customer') throw forbidden(`Only staff, or a partner with the scope ${scope}, can do this.`);
  requirePartnerScope(ctx, scope);
}

/** Whether the caller is a partner whose API key holds `scope`. */
export function partnerHolds(ctx: Ctx, scope: string): boolean {
  return ctx.caller.kind === 'partner' && ctx.caller.scopes.includes(scope);
}

/**
 * Staff or a signed-in customer: reads that have a staff view and a customer view and no partner
 * view (the reward stores). No scope gives a partner these: default deny.
 */
export function requireStaffOrCustomer(ctx: Ctx): void {
  if (ctx.caller.kind === 'staff' || ctx.caller.kind === 'customer') return;
  if (ctx.caller.kind === 'anonymous') throw unauthenticated();
  throw forbidden('API keys cannot read this.');
}

/**
 * The program's shape (currencies, the tier ladder): customers and staff, and partners with
 * `customers:read`, who need it to read the balances and tiers they are shown.
 */
export function requireProgramReader(ctx: Ctx): void {
  if (ctx.caller.kind === 'staff' || ctx.caller.kind === 'customer') return;
  requirePartnerScope(ctx, 'customers:read');
}

/**
 * A part of a customer's profile that partners never read, whatever their scopes: personal data
 * (email, birth date, segments, attributes), the wallet (its codes redeem offers at any till), the
 * ledger and the stores. `customers:read` gives the loyalty view only; see docs/decisions.md,
 * "What partners see". Throws FORBIDDEN for a partner.
 */
export function denyPartner(ctx: Ctx, what: string): void {
  if (ctx.caller.kind === 'partner') throw forbidden(`API keys do not read ${what}.`);
}

/** Staff see every customer; a customer only themselves. */
export function maySeeCustomer(ctx: Ctx, customerId: number): boolean {
  return ctx.caller.kind === 'staff' || (ctx.caller.kind === 'customer' && ctx.caller.customerId === customerId);
}
