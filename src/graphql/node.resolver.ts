import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx as Context, ID, Info, Query, Resolver } from 'type-graphql';
import type { RequestCtx } from './context.js';
import { badInput } from './errors.js';
import { maySeeCustomer, partnerHolds } from './guards.js';
import { decodeGlobalId, type NodeTypeName } from './ids.js';
import { asNode, Node } from './node.js';
import { storeForNode } from '../stores/store-page.js';

/**
 * Fetches any object by global id, or null when it does not exist or the caller may not see it.
 * An id the gateway never gives out (blank, garbage, another spelling of one: `decodeGlobalId`) is
 * BAD_USER_INPUT "id is not a valid global id", as it is in every other argument (edges-11):
 * a customer sees only their own profile, wallet, purchases and ledger, and only the stores and
 * listings open to them; offers, campaigns, economy rules and the audit log are for staff. `info` (node(id:) only): the
 * selection, so a store and the page of listings it asks for are read together (`storeForNode`).
 */
async function resolveNode(ctx: RequestCtx, globalId: string, info?: GraphQLResolveInfo) {
  const decoded = decodeGlobalId(globalId);
  if (!decoded) throw badInput('id is not a valid global id', 'id');
  return nodeOf(ctx, decoded.type, decoded.id, info);
}

/**
 * The object of type `type` with database id `id`, as `node(id:)` answers it to `ctx`'s caller:
 * null when it does not exist or the caller may not see it (the rules above). Batched through the
 * request's loaders, so a page of audit entries reads each kind of object once (`AuditEntry.about`).
 */
export async function nodeOf(ctx: RequestCtx, type: NodeTypeName, id: number, info?: GraphQLResolveInfo) {
  // Partners read through their operations (customer(externalId:), transaction(externalId:)); by
  // global id they reach only their own sales, and only with transactions:read.
  if (ctx.caller.kind === 'partner' && (type !== 'SalesTransaction' || !partnerHolds(ctx, 'transactions:read'))) return null;
  const l = ctx.loaders;
  const staff = ctx.caller.kind === 'staff';
  switch (type) {
    case 'Customer':
      return maySeeCustomer(ctx, id) ? asNode(type, await l.customer.load(id)) : null;
    case 'RewardStore':
      return asNode(type, await storeForNode(ctx, id, info));
    case 'Listing':
      return asNode(type, await l.listing.load(id));
    case 'Tier':
      return asNode(type, await l.tier.load(id));
    case 'Offer':
      // The offer across versions answers with its current version (whose id is that version's).
      return staff ? asNode(type, await l.currentOffer.load(id)) : null;
    case 'OfferVersion':
      return staff ? asNode('Offer', await l.offerVersion.load(id)) : null;
    // Staff's reads hand these ids out (auditLog, campaigns, economyRules); they answered null,
    // which a client's refetch read as gone (break37, API).
    case 'AuditEntry':
      return staff ? asNode(type, await l.auditEntry.load(id)) : null;
    case 'Campaign':
      return staff ? asNode(type, await l.campaign.load(id)) : null;
    case 'EconomyRule':
      return staff ? asNode(type, await l.economyRule.load(id)) : null;
    case 'SalesTransaction': {
      const row = await l.transaction.load(id);
      const mine = row && (staff || (ctx.caller.kind === 'partner' && ctx.caller.partnerId === row.partnerId));
      return mine ? asNode(type, row) : null;
    }
    case 'Partner':
      return staff ? asNode(type, await l.partner.load(id)) : null;
    case 'WebhookEndpoint':
      return staff ? asNode(type, await l.webhookEndpoint.load(id)) : null;
    case 'WebhookDelivery':
      return staff ? asNode(type, await l.webhookDelivery.load(id)) : null;
    case 'IssuedOffer': {
      const row = await l.issuedOffer.load(id);
      return row && maySeeCustomer(ctx, row.customerId) ? asNode(type, row) : null;
    }
    case 'OfferPurchase': {
      const row = await l.purchase.load(id);
      return row && maySeeCustomer(ctx, row.customerId) ? asNode(type, row) : null;
    }
    case 'GiftList':
      // Customers see a list with their progress (if it has options they can pick); staff see it as configured.
      return ctx.caller.kind === 'customer' || staff ? asNode(type, await l.giftList.load(id)) : null;
    case 'ActivityRule':
      return staff ? asNode(type, await l.activityRule.load(id)) : null;
    case 'LedgerEntry': {
      const row = await l.ledgerEntry.load(id);
      return row && maySeeCustomer(ctx, row.customerId) ? asNode(type, row) : null;
    }
  }
}

@Resolver()
export class NodeResolver {
  @Query(() => Node, { nullable: true, description: 'Any object by its global id; null if it does not exist or is not yours to see; an id this API never gave out is BAD_USER_INPUT.' })
  node(@Arg('id', () => ID) id: string, @Context() ctx: RequestCtx, @Info() info: GraphQLResolveInfo) {
    return resolveNode(ctx, id, info);
  }

  @Query(() => [Node], { nullable: 'items', description: 'Several objects by global id, in the same order; an id this API never gave out is BAD_USER_INPUT naming its position.' })
  nodes(@Arg('ids', () => [ID]) ids: string[], @Context() ctx: RequestCtx) {
    if (ids.length > ctx.config.maxPageSize) throw badInput(`ids takes at most ${ctx.config.maxPageSize} ids`, 'ids');
    const malformed = ids.findIndex((id) => !decodeGlobalId(id));
    if (malformed >= 0) throw badInput(`ids.${malformed} is not a valid global id`, ['ids', String(malformed)]);
    return Promise.all(ids.map((id) => resolveNode(ctx, id)));
  }
}
