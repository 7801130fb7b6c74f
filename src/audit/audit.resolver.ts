import { Args, Ctx as Context, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import type { RequestCtx } from '../graphql/context.js';
import { connectionOf, PageArgs, pageOf } from '../graphql/connection.js';
import { requireStaff } from '../graphql/guards.js';
import { toGlobalId } from '../graphql/ids.js';
import { auditPage, type AuditRow } from './audit.service.js';
import { AuditEntry, AuditEntryConnection } from './audit.types.js';

@Resolver(() => AuditEntry)
export class AuditResolver {
  @Query(() => AuditEntryConnection, { description: 'Staff: every staff change, newest first.' })
  async auditLog(@Args() args: PageArgs, @Context() ctx: RequestCtx) {
    requireStaff(ctx);
    const page = pageOf(args, ctx.config.maxPageSize, 'AuditEntry');
    return connectionOf(await auditPage(ctx.em, page), page, (a) => [a.id]);
  }

  @FieldResolver(() => ID)
  id(@Root() entry: AuditRow) {
    return toGlobalId('AuditEntry', entry.id);
  }
}
