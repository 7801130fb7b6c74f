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

/** Staff, or a partner holding `scope`: reads shared by the console and integrations. */
export function requireStaffOrScope(ctx: Ctx, scope: string): void {
  if (ctx.caller.kind === 'staff') return;
  requirePartnerScope(ctx, scope);
}

/** Staff see every customer; a customer only themselves. */
export function maySeeCustomer(ctx: Ctx, customerId: number): boolean {
  return ctx.caller.kind === 'staff' || (ctx.caller.kind === 'customer' && ctx.caller.customerId === customerId);
}
