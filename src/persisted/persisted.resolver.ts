import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx as Context, Info, Mutation, Resolver } from 'type-graphql';
import { actorOf } from '../context.js';
import type { RequestCtx } from '../graphql/context.js';
import { UserErrorCode, type UserError } from '../graphql/errors.js';
import { requireOperator } from '../graphql/guards.js';
import { decodeGlobalId } from '../graphql/ids.js';
import { documentChecks } from '../graphql/document-rules.js';
import { partnersByIds } from '../partners/partner.service.js';
import { ManifestRejected } from './manifest.js';
import { CLIENT_NAME, partnerClient, registerManifest } from './persisted.service.js';
import { RegisterPersistedOperationsInput, RegisterPersistedOperationsPayload } from './persisted.types.js';

const refused = (code: UserErrorCode, message: string, field: string[]): RegisterPersistedOperationsPayload => ({ count: null, userErrors: [{ code, message, field }] });

@Resolver()
export class PersistedOperationsResolver {
  @Mutation(() => RegisterPersistedOperationsPayload, {
    description: "Operators: adds a manifest's operations to a client's list, each checked against the schema first (all or nothing).",
  })
  async registerPersistedOperations(
    @Arg('input') input: RegisterPersistedOperationsInput,
    @Context() ctx: RequestCtx,
    @Info() info: GraphQLResolveInfo,
  ): Promise<RegisterPersistedOperationsPayload> {
    requireOperator(ctx);
    const partner = decodeGlobalId(input.client);
    let client: string;
    if (partner?.type === 'Partner') {
      if (!(await partnersByIds(ctx.em, [partner.id])).length) return refused(UserErrorCode.NOT_FOUND, 'No such partner.', ['input', 'client']);
      client = partnerClient(partner.id);
    } else if (CLIENT_NAME.test(input.client)) {
      client = input.client;
    } else {
      return refused(UserErrorCode.INVALID, 'client must be a partner id or a client name (lowercase letters, digits, - and _).', ['input', 'client']);
    }
    try {
      const { count } = await registerManifest(ctx.em, { schema: info.schema, client, manifest: input.manifest, actor: actorOf(ctx.caller), reason: input.reason ?? null, now: ctx.clock.now(), checks: documentChecks(ctx.config) });
      return { count, userErrors: [] };
    } catch (error) {
      if (!(error instanceof ManifestRejected)) throw error;
      const userErrors: UserError[] = error.problems.map((p) => ({ code: UserErrorCode.INVALID, field: ['input', ...p.field], message: p.message }));
      return { count: null, userErrors };
    }
  }
}
