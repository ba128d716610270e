import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { SCHEMA_FILE, typesFromDocument } from '../scripts/portal-api-types.ts';
import { createTestApp } from './helpers/harness.ts';

// The portal's typed client is generated from the API's own OpenAPI document: when a route schema
// changes, regenerate it (npm run portal:api) so the portal's typecheck sees the change.
test('portal/src/api/schema.d.ts matches the OpenAPI document', async () => {
  const t = await createTestApp();
  try {
    const doc = (await t.app.inject({ url: '/openapi.json' })).json();
    const expected = await typesFromDocument(doc);
    assert.ok(readFileSync(SCHEMA_FILE, 'utf8') === expected, 'portal/src/api/schema.d.ts is out of date: run npm run portal:api');
  } finally {
    await t.close();
  }
});
