import 'reflect-metadata';
import { getMetadataStorage } from 'class-validator';
import type { GraphQLResolveInfo } from 'graphql';
import { gatewaySchema } from '../../src/graphql/schema.js';
import { validateArguments } from '../../src/graphql/validation.js';
import { PurchaseOfferInput } from '../../src/purchases/purchase.types.js';

/**
 * Issue 12 (ninth session): an input whose rules are all the gateway's own clear rules
 * (`PurchaseOfferInput`: its idempotency key) is checked without class-validator when it passes
 * them; class-validator looked the class's rules up among every validated class on each call. An
 * input that fails goes to class-validator as before, and is answered as before.
 */
describe('inputs of clear rules only', () => {
  const info = (schema: Awaited<ReturnType<typeof gatewaySchema>>) =>
    ({ parentType: schema.getMutationType()!, fieldName: 'purchaseOffer' }) as unknown as GraphQLResolveInfo;
  const input = (idempotencyKey: string) => Object.assign(new PurchaseOfferInput(), { listingId: 'TGlzdGluZzox', idempotencyKey });
  const validate = async (value: PurchaseOfferInput, schema: Awaited<ReturnType<typeof gatewaySchema>>): Promise<void> => {
    await validateArguments(value, PurchaseOfferInput, { root: undefined, args: { input: value }, context: {}, info: info(schema) } as never);
  };

  it('a valid purchase input passes without class-validator; an invalid one is refused as ever', async () => {
    const schema = await gatewaySchema();
    await validate(input('first'), schema);
    const storage = getMetadataStorage();
    const lookUp = storage.getTargetValidationMetadatas.bind(storage);
    let lookups = 0;
    storage.getTargetValidationMetadatas = (...args: Parameters<typeof lookUp>) => {
      lookups++;
      return lookUp(...args);
    };
    try {
      await validate(input('bench-gateway-purchase-1'), schema);
      expect(lookups).toBe(0);

      const refused = await validate(input('   '), schema).then(
        () => undefined,
        (error: { message: string; extensions: Record<string, unknown> }) => error,
      );
      expect(lookups).toBeGreaterThan(0);
      expect(refused?.message).toMatch(/^idempotencyKey must not be blank \(/);
      expect(refused?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: ['input', 'idempotencyKey'] });
      const tooLong = await validate(input('k'.repeat(201)), schema).catch((error: Error) => error);
      expect((tooLong as Error).message).toBe('idempotencyKey must be 1 to 200 characters');
    } finally {
      storage.getTargetValidationMetadatas = lookUp;
    }
  });
});
