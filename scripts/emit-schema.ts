/** Writes schema/schema.graphql from the type-graphql schema (checked in; the tests fail when stale). */
import { writeFile } from 'node:fs/promises';
import { printGatewaySchema } from '../src/graphql/schema.js';

await writeFile(new URL('../../schema/schema.graphql', import.meta.url), await printGatewaySchema());
console.log('wrote schema/schema.graphql');
