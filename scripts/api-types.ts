/**
 * `npm run api:types`: writes src/cli/api-types.ts, the TypeScript types of the HTTP API, generated
 * with openapi-typescript from the document the app itself serves at /openapi.json. The app is
 * built in this process on an in-memory database, the way the tests build it, so nothing needs to
 * be running. `npm run api:types -- --check` only compares and exits 1 when the file is stale;
 * test/api-types.test.ts does the same in the suite (docs/adr/0030-typed-cli-client.md).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';

export const API_TYPES_FILE = join(import.meta.dirname, '..', 'src', 'cli', 'api-types.ts');

const HEADER = `/**
 * The HTTP API's request and response types, generated from the app's /openapi.json by
 * \`npm run api:types\` (scripts/api-types.ts). Do not edit: change the route schemas and
 * regenerate; test/api-types.test.ts fails while this file differs from what the routes produce.
 */
`;

/** The OpenAPI document of the app, built in this process (PGlite in memory, no server). */
export async function openApiDocument(): Promise<OpenAPI3> {
  const { createTestApp } = await import('../test/helpers/harness.ts');
  const t = await createTestApp({ logLevel: 'silent' });
  try {
    return t.app.swagger() as unknown as OpenAPI3;
  } finally {
    await t.close();
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const PROBLEM = 'application/problem+json';

/**
 * Every route repeats the problem+json schema for each error status it declares; they are one
 * schema, so they become one `components.schemas.Problem` referenced from each response (the
 * generated file is a fifth of the size and `Problem` is a name the CLI can use).
 */
function shareProblemSchema(doc: OpenAPI3): OpenAPI3 {
  let problem: Json | undefined;
  const walk = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    if (v.description === PROBLEM && v.type === 'object') {
      const { description: _, ...schema } = v;
      problem ??= schema;
      if (JSON.stringify(schema) !== JSON.stringify(problem)) throw new Error('two different problem+json schemas in the OpenAPI document');
      return { $ref: '#/components/schemas/Problem' };
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
  };
  const out = walk(doc as unknown as Json) as unknown as OpenAPI3;
  if (problem) out.components = { ...out.components, schemas: { ...out.components?.schemas, Problem: problem as never } };
  return out;
}

/** The content of src/cli/api-types.ts for an OpenAPI document. */
export async function renderApiTypes(doc: OpenAPI3): Promise<string> {
  // defaultNonNullable off: a body field with a default (publish, limit) stays optional to send.
  const ast = await openapiTS(shareProblemSchema(doc), { defaultNonNullable: false, silent: true });
  return HEADER + astToString(ast);
}

if (import.meta.main) {
  const check = process.argv.includes('--check');
  const next = await renderApiTypes(await openApiDocument());
  let current = '';
  try {
    current = readFileSync(API_TYPES_FILE, 'utf8');
  } catch {
    /* first generation */
  }
  if (current === next) {
    console.log(`${API_TYPES_FILE} is up to date`);
  } else if (check) {
    console.error(`${API_TYPES_FILE} differs from what the routes produce; run npm run api:types`);
    process.exitCode = 1;
  } else {
    writeFileSync(API_TYPES_FILE, next);
    console.log(`wrote ${API_TYPES_FILE}`);
  }
}
