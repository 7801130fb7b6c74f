import { readFileSync } from 'node:fs';
import { ErrorCode, UserErrorCode } from '../../src/graphql/errors.js';

/**
 * A client reads `extensions.code` and `userErrors[].code` (README, "The API"); newcomer-16 found
 * codes the gateway answers that the README never named (TOO_MANY_SUBSCRIPTIONS,
 * OPERATION_RESOLUTION_FAILURE, CAP_REACHED). Every code of the two lists the gateway answers from is
 * named there.
 */
describe('the README names every error code the gateway answers (newcomer-16)', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const named = (code: string) => new RegExp(`\`${code}\``).test(readme);

  it("userErrors' codes", () => {
    expect(Object.values(UserErrorCode).filter((code) => !named(code))).toEqual([]);
  });

  it("GraphQL errors' codes, Apollo Server's own that the gateway lets through included", () => {
    const apollos = ['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST', 'OPERATION_RESOLUTION_FAILURE', 'PERSISTED_QUERY_NOT_FOUND'];
    const ours = ['PERSISTED_QUERY_NOT_ALLOWED', 'PERSISTED_QUERY_HASH_MISMATCH', 'UNSUPPORTED_MEDIA_TYPE'];
    expect([...Object.values(ErrorCode), ...apollos, ...ours].filter((code) => !named(code))).toEqual([]);
  });
});
