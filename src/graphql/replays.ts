import { defaultFieldResolver, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { IdempotentReplays } from '../idempotency/replays.js';

const TRACKING = Symbol('tracking idempotent replays');

/**
 * Wraps every Mutation field's resolver of `schema` (once) so that the field's position in the
 * answer is the request's running keyed operation (`IdempotentReplays.begin`) while it resolves:
 * a service that answers from an earlier request's record notes it there (`noteReplay`). The
 * request's IdempotentReplays is made at its first mutation field (a query never gets one), on the
 * context object the resolvers are given, which Apollo's later copy of it shares (replay-22).
 * Per mutation field: one small object and two assignments, nothing else.
 */
export function trackIdempotentReplays(schema: GraphQLSchema): void {
  const fields = schema.getMutationType()?.getFields() ?? {};
  for (const field of Object.values(fields)) {
    const resolve = (field.resolve ?? defaultFieldResolver) as GraphQLFieldResolver<unknown, unknown> & { [TRACKING]?: true };
    if (resolve[TRACKING]) continue;
    const tracking: GraphQLFieldResolver<unknown, { replays?: IdempotentReplays } | undefined> & { [TRACKING]?: true } = (source, args, context, info) => {
      if (context) (context.replays ??= new IdempotentReplays()).begin(info.path);
      return resolve(source, args, context, info);
    };
    tracking[TRACKING] = true;
    field.resolve = tracking;
  }
}

/**
 * The answer's `extensions` for a request's replays: `{ idempotentReplays: [path, …] }` (each the
 * response path of a field answered from an earlier request's record, as an error's `path`), or
 * undefined when nothing was replayed.
 */
export function replayExtensions(replays: IdempotentReplays | undefined): { idempotentReplays: (string | number)[][] } | undefined {
  return replays?.any ? { idempotentReplays: replays.paths() } : undefined;
}

/** The HTTP header a request all of whose mutation fields were replayed is answered with (Stripe's name and value). */
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';
