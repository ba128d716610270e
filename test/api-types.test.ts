import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { OpenAPI3 } from 'openapi-typescript';
import { API_TYPES_FILE, renderApiTypes } from '../scripts/api-types.ts';
import { createTestApp, type TestApp } from './helpers/harness.ts';

/**
 * The CLI's types come from the API itself (docs/adr/0030-typed-cli-client.md): src/cli/api-types.ts
 * is generated from the app's OpenAPI document and must be exactly what the current routes produce,
 * so a route schema changed without `npm run api:types` fails here (and the CLI's typecheck shows
 * which commands the change breaks).
 */
describe('src/cli/api-types.ts', () => {
  let t: TestApp;
  let doc: OpenAPI3;
  before(async () => {
    t = await createTestApp({ logLevel: 'silent' });
    doc = t.app.swagger() as unknown as OpenAPI3;
  });
  after(() => t?.close());

  test('is what the current routes produce (run npm run api:types after changing a route schema)', async () => {
    const expected = await renderApiTypes(doc);
    const actual = readFileSync(API_TYPES_FILE, 'utf8');
    if (actual === expected) return;
    const a = actual.split('\n');
    const e = expected.split('\n');
    const i = e.findIndex((line, n) => line !== a[n]);
    const at = i === -1 ? e.length : i;
    assert.fail(`src/cli/api-types.ts is stale: first difference at line ${at + 1}\n  checked in: ${a[at] ?? '(end of file)'}\n  routes say: ${e[at] ?? '(end of file)'}\nrun npm run api:types`);
  });

  test('covers every admin route, and their answers are typed, not unknown', async () => {
    const text = readFileSync(API_TYPES_FILE, 'utf8');
    const adminPaths = Object.keys(doc.paths ?? {}).filter((p) => p.startsWith('/admin/api/v1/'));
    assert.ok(adminPaths.length > 40, `${adminPaths.length} admin paths`);
    for (const p of adminPaths) assert.ok(text.includes(`"${p}": {`), `${p} is in the generated types`);
    // A part of a success answer typed as `{}` (unknown) would let the CLI read anything from it;
    // free-form maps (settings, details: `additionalProperties: {}`) are the only exception.
    const untyped = (v: unknown, where: string, out: string[]) => {
      if (Array.isArray(v)) return v.forEach((x, i) => untyped(x, `${where}[${i}]`, out));
      if (typeof v !== 'object' || v === null) return;
      if (Object.keys(v).length === 0) out.push(where);
      for (const [k, x] of Object.entries(v)) if (k !== 'additionalProperties') untyped(x, `${where}/${k}`, out);
    };
    const loose: string[] = [];
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      for (const [method, op] of Object.entries(item as Record<string, { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }>)) {
        for (const [status, r] of Object.entries(op.responses ?? {})) {
          if (status.startsWith('2')) untyped(r.content?.['application/json']?.schema, `${method.toUpperCase()} ${path} ${status}`, loose);
        }
      }
    }
    assert.deepEqual(loose, [], 'success answers with an untyped ({}) part');
  });
});
