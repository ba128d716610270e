import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, seedAgent, type TestApp } from './helpers/harness.ts';

/**
 * The security and validation checks generated once for every admin route (CONVENTIONS habit 9):
 * the route list comes from the app's own /openapi.json, so a route added later is covered without
 * touching this file. Invariant 7: bad input gets a 4xx with a clear problem body, never a 5xx.
 */

const V1 = '/admin/api/v1';
const PROBLEM_KEYS = ['type', 'title', 'status', 'detail', 'instance', 'code', 'request_id'];

interface JsonSchema {
  type?: string | string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  default?: unknown;
  items?: JsonSchema;
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: JsonSchema;
}

interface Operation {
  method: string;
  /** OpenAPI path, e.g. `/admin/api/v1/agents/{id}`. */
  path: string;
  params: Parameter[];
  body: JsonSchema | undefined;
  bodyRequired: boolean;
  security: unknown;
  responses: Record<string, unknown>;
}

type Inject = { method: string; url: string; headers?: Record<string, string>; payload?: string | object };

describe('admin API: generated security and validation checks', () => {
  let t: TestApp;
  let doc: { openapi: string; info: { version: string }; paths: Record<string, Record<string, Record<string, unknown>>>; components: { securitySchemes: Record<string, Record<string, unknown>>; schemas?: Record<string, JsonSchema> } };
  let ops: Operation[];
  /** Ids of objects that exist, by collection (the path segment before the id). */
  const existing: Record<string, string> = {};
  /** Body fields that reference other objects, filled with ones that exist so a request gets as far as writing. */
  const references: Record<string, unknown> = {};
  /** Every 5xx seen, so a single summary can name them all. */
  const serverErrors: string[] = [];

  /** Sends a request; any 5xx is recorded, and every 4xx body must be a complete problem. */
  async function send(req: Inject): Promise<LightMyRequestResponse> {
    const res = await t.app.inject(req as never);
    const what = `${req.method} ${req.url.slice(0, 120)}`;
    if (res.statusCode >= 500) serverErrors.push(`${what} -> ${res.statusCode} ${res.body.slice(0, 300)}`);
    assert.ok(res.statusCode < 500, `${what} answered ${res.statusCode}: ${res.body.slice(0, 500)}`);
    if (res.statusCode >= 400) assertProblemShape(res, what);
    return res;
  }

  function assertProblemShape(res: LightMyRequestResponse, what: string) {
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', `${what}: ${res.body.slice(0, 200)}`);
    const p = res.json();
    for (const k of PROBLEM_KEYS) assert.ok(p[k] !== undefined && p[k] !== '', `${what}: problem lacks "${k}": ${res.body.slice(0, 300)}`);
    assert.equal(p.status, res.statusCode, what);
    assert.equal(p.type, `/problems/${p.code}`, what);
    assert.equal(p.request_id, res.headers['x-request-id'], `${what}: request_id and x-request-id differ`);
    if (p.errors !== undefined) {
      assert.ok(Array.isArray(p.errors), what);
      for (const e of p.errors) assert.ok(typeof e.pointer === 'string' && typeof e.detail === 'string', `${what}: bad errors entry ${JSON.stringify(e)}`);
    }
  }

  function expectProblem(res: LightMyRequestResponse, status: number, code: string, what: string) {
    assert.equal(res.statusCode, status, `${what}: expected ${status} ${code}, got ${res.statusCode} ${res.body.slice(0, 300)}`);
    assert.equal(res.json().code, code, `${what}: ${res.body.slice(0, 300)}`);
  }

  /** The pointers of a validation problem. */
  const pointers = (res: LightMyRequestResponse): string[] => (res.json().errors ?? []).map((e: { pointer: string }) => e.pointer);
  const names = (ptrs: string[], pointer: string) => ptrs.some((p) => p === pointer || p.startsWith(`${pointer}/`));

  // ---- JSON Schema helpers (the subset the zod → OpenAPI transform emits) ----

  function resolve(s: JsonSchema): JsonSchema {
    if (s.$ref) {
      const name = s.$ref.split('/').at(-1)!;
      const target = doc.components.schemas?.[name];
      assert.ok(target, `unresolved $ref ${s.$ref}`);
      return resolve(target);
    }
    return s;
  }

  /** A schema's `pattern` as a RegExp: JSON Schema patterns are Unicode-aware (`\p{…}` escapes). */
  const pattern = (p: string): RegExp => new RegExp(p, 'u');

  /** The non-null alternative of `anyOf: [X, {type: null}]` (zod's nullish), or the schema itself. */
  function primary(raw: JsonSchema): JsonSchema {
    const s = resolve(raw);
    const alts = s.anyOf ?? s.oneOf;
    if (alts) return primary(alts.find((a) => resolve(a).type !== 'null') ?? alts[0]!);
    return s;
  }

  function typeOf(raw: JsonSchema): string | undefined {
    const s = primary(raw);
    if (Array.isArray(s.type)) return s.type.find((x) => x !== 'null');
    if (s.type) return s.type;
    if (s.properties) return 'object';
    if (s.enum) return typeof s.enum[0];
    return undefined;
  }

  /** A value the schema accepts, for the fields a request needs but a check does not target. */
  function sample(raw: JsonSchema, where: string): unknown {
    const s = primary(raw);
    if (s.const !== undefined) return s.const;
    if (s.enum) return s.enum.includes('mock') ? 'mock' : s.enum[0];
    switch (typeOf(s)) {
      case 'string': {
        if (s.format === 'uuid') return randomUUID();
        if (s.format === 'uri') return 'http://127.0.0.1:9/v1';
        if (s.format === 'email') return 'ops@example.com';
        if (s.format === 'date-time') return '2031-01-01T00:00:00Z';
        // Unique, so create routes never collide with what an earlier check created.
        const unique = randomUUID().slice(0, 8);
        // (Slack ids and tokens: T…/C… in upper case, xoxb-….)
        const candidates = [`sample-${unique}`, `s${unique}`, 'a', randomUUID(), `T${unique.toUpperCase()}`, `C${unique.toUpperCase()}`, `xoxb-${unique}`];
        const min = s.minLength ?? 0;
        const ok = candidates.map((c) => c.padEnd(min, 'x')).find((c) => (!s.pattern || pattern(s.pattern).test(c)) && c.length <= (s.maxLength ?? Infinity));
        assert.ok(ok !== undefined, `${where}: cannot make a sample for pattern ${s.pattern}; teach sample() this pattern`);
        return ok;
      }
      case 'integer':
      case 'number':
        return s.minimum ?? 1;
      case 'boolean':
        return false;
      case 'array':
        return [];
      case 'object': {
        const out: Record<string, unknown> = {};
        const props = Object.entries(s.properties ?? {});
        for (const [k, v] of props) if (s.required?.includes(k)) out[k] = k in references ? references[k] : sample(v, `${where}/${k}`);
        // A body of optional fields only (PATCH): send one, since "nothing to change" is itself rejected.
        if (Object.keys(out).length === 0 && props.length > 0 && s.properties) {
          const [k, v] = props.find(([, v]) => v.default === undefined) ?? props[0]!;
          out[k] = sample(v, `${where}/${k}`);
        }
        return out;
      }
      default:
        return 'sample';
    }
  }

  /** Values of the wrong JSON type for a schema. */
  function wrongTypes(raw: JsonSchema): unknown[] {
    switch (typeOf(raw)) {
      case 'string':
        return [12345, { a: 1 }, ['x']];
      case 'integer':
      case 'number':
        return ['abc', true, { n: 1 }];
      case 'boolean':
        return ['yes', 1, { b: true }];
      case 'object':
        return ['x', 7, [1, 2]];
      case 'array':
        return ['x', { a: 1 }];
      default:
        return [];
    }
  }

  /** Values of the right type that break a constraint (pattern, format, length, range, enum). */
  function outOfBounds(raw: JsonSchema): unknown[] {
    const s = primary(raw);
    const out: unknown[] = [];
    const type = typeOf(s);
    if (type === 'string') {
      if (s.enum) out.push('not-one-of-the-values');
      if (s.pattern) {
        const re = pattern(s.pattern);
        const breaking = ['NOT a valid Value!', 'line\nbreak', '\u0001', '!!'].find((v) => !re.test(v));
        assert.ok(breaking !== undefined, `no value breaks pattern ${s.pattern}`);
        out.push(breaking);
      }
      if (s.format === 'uuid') out.push('not-a-uuid', '-'.repeat(36));
      if (s.format === 'uri') out.push('not a url', 'ftp://127.0.0.1/x');
      if (s.format === 'email') out.push('not-an-email', 'a@b');
      if (s.format === 'date-time') out.push('not-a-time', '2024-02-30T00:00:00Z');
      if ((s.minLength ?? 0) >= 1) out.push('');
      if (s.maxLength !== undefined && s.maxLength < 200_000) out.push('x'.repeat(s.maxLength + 1));
    }
    if (type === 'integer' || type === 'number') {
      if (type === 'integer') out.push(1.5);
      if (s.minimum !== undefined) out.push(s.minimum - 1);
      if (s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER) out.push(s.maximum + 1);
      out.push(1e308, -1e308);
    }
    return out;
  }

  // ---- request building ----

  const pathParams = (op: Operation) => op.params.filter((p) => p.in === 'path');

  /** The collection a path parameter belongs to: `agents` for `/agents/{id}`. */
  function collectionOf(op: Operation, param: string): string {
    const segs = op.path.slice(V1.length).split('/').filter(Boolean);
    return segs[segs.indexOf(`{${param}}`) - 1] ?? '';
  }

  function url(op: Operation, values: Record<string, string>): string {
    return op.path.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? 'x');
  }

  /** Path values naming objects that exist (so handlers get past "not found"), or samples. */
  function existingParams(op: Operation): Record<string, string> {
    return Object.fromEntries(pathParams(op).map((p) => [p.name, existing[collectionOf(op, p.name)] ?? String(sample(p.schema, `${op.path} ${p.name}`))]));
  }

  const hasExisting = (op: Operation) => pathParams(op).every((p) => existing[collectionOf(op, p.name)] !== undefined);

  /** Well-formed ids of objects that do not exist. */
  function unknownParams(op: Operation): Record<string, string> {
    return Object.fromEntries(
      pathParams(op).map((p) => {
        const s = primary(p.schema);
        const v = s.format === 'uuid' ? randomUUID() : `no-such-${randomUUID().slice(0, 8)}`;
        return [p.name, v];
      }),
    );
  }

  const json = { 'content-type': 'application/json' };
  const label = (op: Operation) => `${op.method} ${op.path}`;

  before(async () => {
    t = await createTestApp();
    await seedAgent(t.deps);
    const tenant = await t.deps.services.tenants.create({ name: 'acme' }, { actor: 'test' });
    const run = await t.deps.services.runs.execute({ agentId: 'helpdesk', input: 'hello', channel: 'admin' });
    // The revoke route gets a token of its own; revoking the test's token would end the test.
    await t.deps.services.adminTokens.create('spare', { actor: 'test' });
    Object.assign(existing, { agents: 'helpdesk', providers: 'mock', tenants: tenant.id, runs: run.id, 'admin-tokens': 'spare' });
    Object.assign(references, { provider: 'mock', agent: 'helpdesk', tenant: tenant.id, tenant_id: tenant.id });

    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    doc = res.json();
    ops = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      if (!path.startsWith(V1)) continue;
      for (const [method, raw] of Object.entries(methods)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        const rb = raw.requestBody as { required?: boolean; content?: Record<string, { schema: JsonSchema }> } | undefined;
        ops.push({
          method: method.toUpperCase(),
          path,
          params: (raw.parameters as Parameter[] | undefined) ?? [],
          body: rb?.content?.['application/json']?.schema,
          bodyRequired: rb?.required ?? false,
          security: raw.security,
          responses: (raw.responses as Record<string, unknown>) ?? {},
        });
      }
    }
  });
  after(async () => {
    await t?.close();
  });

  test('the OpenAPI document lists the admin routes, each secured by the admin token', () => {
    assert.ok(ops.length >= 17, `only ${ops.length} admin operations in /openapi.json`);
    for (const expected of ['GET /agents', 'POST /agents', 'PATCH /agents/{id}', 'POST /agents/{id}/runs', 'GET /runs/{id}', 'POST /providers', 'GET /tenants/{ref}', 'GET /audit', 'POST /admin-tokens/{ref}/revoke']) {
      const [m, p] = expected.split(' ');
      assert.ok(ops.some((o) => o.method === m && o.path === V1 + p), `${expected} missing from /openapi.json`);
    }
    for (const op of ops) {
      assert.deepEqual(op.security, [{ adminToken: [] }], `${label(op)} is not marked as needing the admin token`);
      assert.ok(op.responses['401'], `${label(op)} does not document its 401`);
    }
  });

  test('without a token every admin route answers 401 admin_token_missing, before looking at the body', async () => {
    for (const op of ops) {
      const u = url(op, existingParams(op));
      for (const headers of [{}, { authorization: 'Basic YWRtaW46YWRtaW4=' }, { authorization: 'Bearer' }] as Record<string, string>[]) {
        // A malformed body must not matter: without a token nothing about the schema is revealed.
        const res = await send({ method: op.method, url: u, headers: { ...headers, ...(op.body ? json : {}) }, ...(op.body ? { payload: '{"not": valid json' } : {}) });
        expectProblem(res, 401, 'admin_token_missing', `${label(op)} with ${JSON.stringify(headers)}`);
        assert.match(String(res.headers['www-authenticate']), /^Bearer realm="admin"/);
      }
    }
  });

  test('with a wrong, malformed or revoked token every admin route answers 401 admin_token_invalid', async () => {
    const revoked = await t.deps.services.adminTokens.create('revoked-one', { actor: 'test' });
    await t.deps.services.adminTokens.revoke('revoked-one', { actor: 'test' });
    const tokens = [`apt_${'x'.repeat(43)}`, 'apt_short', 'not-even-a-token', `${t.adminToken}x`, t.adminToken.toUpperCase(), revoked.token];
    for (const op of ops) {
      const u = url(op, existingParams(op));
      for (const token of tokens) {
        const res = await send({ method: op.method, url: u, headers: { authorization: `Bearer ${token}`, ...(op.body ? json : {}) }, ...(op.body ? { payload: '[]' } : {}) });
        expectProblem(res, 401, 'admin_token_invalid', `${label(op)} with token ${token.slice(0, 12)}…`);
        assert.match(String(res.headers['www-authenticate']), /error="invalid_token"/);
      }
    }
  });

  test('a body of the wrong shape is 400 validation_failed naming every failing field', async () => {
    const bodyOps = ops.filter((o) => o.body);
    assert.ok(bodyOps.length >= 8, `only ${bodyOps.length} admin operations with a body`);
    for (const op of bodyOps) {
      const schema = primary(op.body!);
      const u = url(op, existingParams(op));
      const valid = sample(schema, label(op)) as Record<string, unknown>;
      const props = Object.entries(schema.properties ?? {});
      const post = (payload: unknown) => send({ method: op.method, url: u, headers: { ...t.admin, ...json }, payload: JSON.stringify(payload) });

      // Wrong types and broken constraints, one property at a time.
      for (const [name, prop] of props) {
        for (const bad of [...wrongTypes(prop), ...outOfBounds(prop)]) {
          const res = await post({ ...valid, [name]: bad });
          const what = `${label(op)} ${name}=${JSON.stringify(bad).slice(0, 40)}`;
          expectProblem(res, 400, 'validation_failed', what);
          assert.ok(names(pointers(res), `/body/${name}`), `${what}: errors do not name /body/${name}: ${JSON.stringify(pointers(res))}`);
        }
      }
      // Several wrong at once: every one is named, not only the first.
      const wrongAll = Object.fromEntries(props.filter(([, p]) => wrongTypes(p).length > 0).map(([k, p]) => [k, wrongTypes(p)[0]]));
      if (Object.keys(wrongAll).length > 1) {
        const res = await post(wrongAll);
        expectProblem(res, 400, 'validation_failed', `${label(op)} all wrong`);
        for (const k of Object.keys(wrongAll)) assert.ok(names(pointers(res), `/body/${k}`), `${label(op)} all wrong: /body/${k} not named in ${JSON.stringify(pointers(res))}`);
      }
      // Required fields missing, one at a time and all at once.
      for (const req of schema.required ?? []) {
        const rest = { ...valid };
        delete rest[req];
        const res = await post(rest);
        expectProblem(res, 400, 'validation_failed', `${label(op)} without ${req}`);
        assert.ok(names(pointers(res), `/body/${req}`), `${label(op)} without ${req}: ${JSON.stringify(pointers(res))}`);
      }
      if ((schema.required ?? []).length > 0) {
        const res = await post({});
        expectProblem(res, 400, 'validation_failed', `${label(op)} {}`);
        for (const req of schema.required!) assert.ok(names(pointers(res), `/body/${req}`), `${label(op)} {}: /body/${req} not named`);
      }
      // Not an object at all.
      for (const raw of ['[]', '"a string"', 'null', '42', 'true']) {
        const res = await send({ method: op.method, url: u, headers: { ...t.admin, ...json }, payload: raw });
        expectProblem(res, 400, 'validation_failed', `${label(op)} body ${raw}`);
        assert.deepEqual(pointers(res), ['/body'], `${label(op)} body ${raw}`);
      }
    }
  });

  test('invalid JSON is 400 invalid_json, an oversized body 413 payload_too_large, a non-JSON type 4xx', async () => {
    const limit = t.config.BODY_LIMIT_BYTES;
    const big = JSON.stringify({ name: 'x'.repeat(limit) });
    assert.ok(Buffer.byteLength(big) > limit);
    for (const op of ops.filter((o) => o.body)) {
      const u = url(op, existingParams(op));
      for (const raw of ['{"name": ', '{bad json}', "{'single': 'quotes'}", '{"a":1}}', '']) {
        expectProblem(await send({ method: op.method, url: u, headers: { ...t.admin, ...json }, payload: raw }), 400, 'invalid_json', `${label(op)} ${JSON.stringify(raw)}`);
      }
      expectProblem(await send({ method: op.method, url: u, headers: { ...t.admin, ...json }, payload: big }), 413, 'payload_too_large', `${label(op)} oversized`);
      const form = await send({ method: op.method, url: u, headers: { ...t.admin, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'name=x' });
      expectProblem(form, 415, 'unsupported_media_type', `${label(op)} form body`);
      const text = await send({ method: op.method, url: u, headers: { ...t.admin, 'content-type': 'text/plain' }, payload: 'name=x' });
      assert.ok(text.statusCode === 400 || text.statusCode === 415, `${label(op)} text/plain: ${text.statusCode}`);
    }
  });

  test('NUL characters and other values the database cannot hold are 400s naming the field, never 5xx', async () => {
    for (const op of ops.filter((o) => o.body)) {
      const schema = primary(op.body!);
      // Existing ids, so the handler gets as far as writing.
      const u = url(op, existingParams(op));
      const valid = sample(schema, label(op)) as Record<string, unknown>;
      for (const [name, prop] of Object.entries(schema.properties ?? {})) {
        const type = typeOf(prop);
        const values = type === 'string' ? ['a\u0000b'] : type === 'object' ? [{ 'key\u0000': 1 }, { key: 'value\u0000' }, { nested: { deeper: ['x\u0000'] } }] : [];
        // Well-formed times PostgreSQL cannot store (year 0) or JavaScript barely can: any 4xx or a 2xx, never a 5xx (send checks).
        if (primary(prop).format === 'date-time') {
          for (const edge of ['0000-01-01T00:00:00Z', '9999-12-31T23:59:59Z']) {
            await send({ method: op.method, url: u, headers: { ...t.admin, ...json }, payload: JSON.stringify({ ...(sample(schema, label(op)) as object), [name]: edge }) });
          }
        }
        for (const bad of values) {
          const res = await send({ method: op.method, url: u, headers: { ...t.admin, ...json }, payload: JSON.stringify({ ...valid, [name]: bad }) });
          const what = `${label(op)} ${name}=${JSON.stringify(bad)}`;
          // A path naming an object this test has none of may stop at "not found" before writing.
          if (res.statusCode === 404 && !hasExisting(op)) continue;
          expectProblem(res, 400, 'validation_failed', what);
          assert.ok(names(pointers(res), `/body/${name}`), `${what}: ${JSON.stringify(pointers(res))}`);
        }
      }
    }
    // Query strings and path segments too.
    for (const u of [`${V1}/audit?actor=a%00b`, `${V1}/audit?action=agent.%00*`, `${V1}/tenants/a%00b`, `${V1}/admin-tokens/a%00b/revoke`]) {
      const res = await send({ method: u.endsWith('revoke') ? 'POST' : 'GET', url: u, headers: t.admin });
      expectProblem(res, 400, 'validation_failed', u);
    }
    // Nothing half-written: the tenant list holds only what the test created.
    const tenants = (await send({ method: 'GET', url: `${V1}/tenants`, headers: t.admin })).json().items;
    assert.ok(tenants.every((x: { name: string }) => !x.name.includes('\u0000')));
  });

  test('query parameters of the wrong type or range are 400 validation_failed naming the parameter', async () => {
    for (const op of ops) {
      const query = op.params.filter((p) => p.in === 'query');
      for (const q of query) {
        const type = typeOf(q.schema);
        const s = primary(q.schema);
        const bad: string[] = [];
        if (type === 'integer' || type === 'number') bad.push('abc', '1.5', String((s.minimum ?? 0) - 1), '1e400');
        if (s.format === 'uuid') bad.push('not-a-uuid', '-'.repeat(36));
        if (s.maxLength !== undefined) bad.push('x'.repeat(s.maxLength + 1));
        for (const v of bad) {
          const u = `${url(op, existingParams(op))}?${q.name}=${encodeURIComponent(v)}`;
          const res = await send({ method: op.method, url: u, headers: t.admin, ...(op.body ? { headers: { ...t.admin, ...json }, payload: JSON.stringify(sample(op.body, label(op))) } : {}) });
          expectProblem(res, 400, 'validation_failed', `${label(op)} ?${q.name}=${v.slice(0, 20)}`);
          assert.ok(names(pointers(res), `/querystring/${q.name}`), `${label(op)} ?${q.name}: ${JSON.stringify(pointers(res))}`);
        }
      }
    }
    // Times the audit log cannot hold (year 0, past the end of JavaScript time) are rejected too.
    for (const v of ['0000-01-01', '99999999999999h', '2024-13-45', 'yesterday', '10000-01-01']) {
      for (const key of ['since', 'until']) {
        const res = await send({ method: 'GET', url: `${V1}/audit?${key}=${encodeURIComponent(v)}`, headers: t.admin });
        expectProblem(res, 400, 'validation_failed', `audit ${key}=${v}`);
        assert.deepEqual(pointers(res), [`/querystring/${key}`]);
      }
    }
  });

  test('an unknown but well-formed id is 404 not_found on every route with an id', async () => {
    const idOps = ops.filter((o) => pathParams(o).length > 0);
    assert.ok(idOps.length >= 9);
    for (const op of idOps) {
      const u = url(op, unknownParams(op));
      const res = await send({ method: op.method, url: u, headers: { ...t.admin, ...(op.body ? json : {}) }, ...(op.body ? { payload: JSON.stringify(sample(op.body, label(op))) } : {}) });
      expectProblem(res, 404, 'not_found', `${label(op)} as ${u}`);
    }
  });

  test('a malformed id is 400 or 404, never 5xx', async () => {
    const malformed = ['%00', '-'.repeat(36), '00000000-0000-0000-0000-00000000000g', 'UPPER%20Case', '..%2F..%2Fetc%2Fpasswd', '%F0%9F%94%A5', 'a'.repeat(201), "x'%3B%20drop%20table%20agents%3B--", '%20'];
    for (const op of ops.filter((o) => pathParams(o).length > 0)) {
      for (const bad of malformed) {
        const values = Object.fromEntries(pathParams(op).map((p) => [p.name, bad]));
        const u = url(op, values);
        const res = await send({ method: op.method, url: u, headers: { ...t.admin, ...(op.body ? json : {}) }, ...(op.body ? { payload: JSON.stringify(sample(op.body, label(op))) } : {}) });
        assert.ok(res.statusCode === 400 || res.statusCode === 404, `${label(op)} as ${u.slice(0, 100)}: ${res.statusCode} ${res.body.slice(0, 200)}`);
      }
    }
  });

  test(
    'URL-level errors (bad percent-encoding, an over-long path segment) answer problem+json too',
    async () => {
      for (const u of [`${V1}/agents/%E0%A4%A`, `${V1}/tenants/${'x'.repeat(600)}`]) {
        const res = await t.app.inject({ method: 'GET', url: u, headers: t.admin });
        assert.equal(res.statusCode, 400, `${u.slice(0, 60)}: ${res.statusCode}`);
        assertProblemShape(res, u.slice(0, 60));
      }
    },
  );

  test('an unknown route is 404 route_not_found, for any method', async () => {
    for (const [method, u] of [
      ['GET', '/nope'],
      ['GET', `${V1}/nope`],
      ['DELETE', `${V1}/agents/helpdesk`],
      ['PUT', `${V1}/tenants`],
      ['GET', '/admin/api/v2/agents'],
    ] as const) {
      const res = await send({ method, url: u, headers: t.admin });
      expectProblem(res, 404, 'route_not_found', `${method} ${u}`);
      assert.equal(res.json().instance, u);
    }
  });

  test('/docs serves the Swagger UI and /openapi.json is OpenAPI 3.1 with both security schemes', async () => {
    const ui = await send({ method: 'GET', url: '/docs' });
    assert.equal(ui.statusCode, 200);
    assert.match(String(ui.headers['content-type']), /^text\/html/);
    assert.match(ui.body, /swagger-ui/i);
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(doc.info.version, t.config.version);
    assert.deepEqual({ type: doc.components.securitySchemes.adminToken?.type, scheme: doc.components.securitySchemes.adminToken?.scheme }, { type: 'http', scheme: 'bearer' });
    const apiKey = doc.components.securitySchemes.apiKey!;
    assert.deepEqual({ type: apiKey.type, in: apiKey.in, name: apiKey.name }, { type: 'apiKey', in: 'header', name: 'X-API-Key' });
    for (const p of ['/health', '/health/ready', '/healthz', '/metrics']) assert.ok(doc.paths[p], `${p} not documented`);
  });

  test('responses carry x-request-id, echoing a valid incoming one and replacing an invalid one', async () => {
    for (const u of ['/health', `${V1}/agents`, '/nope']) {
      const res = await send({ method: 'GET', url: u, headers: t.admin });
      assert.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/, u);
      const echoed = await send({ method: 'GET', url: u, headers: { ...t.admin, 'x-request-id': 'lb-1234.abc:def_9' } });
      assert.equal(echoed.headers['x-request-id'], 'lb-1234.abc:def_9', u);
      for (const bad of ['has spaces in it', 'x'.repeat(129), 'semi;colon', '']) {
        const r = await send({ method: 'GET', url: u, headers: { ...t.admin, 'x-request-id': bad } });
        assert.match(String(r.headers['x-request-id']), /^[0-9a-f-]{36}$/, `${u} with ${JSON.stringify(bad.slice(0, 20))}`);
      }
    }
    const p = await send({ method: 'GET', url: `${V1}/agents/nope`, headers: { ...t.admin, 'x-request-id': 'trace-42' } });
    assert.equal(p.json().request_id, 'trace-42');
  });

  test('security headers are set on every kind of response', async () => {
    for (const [u, headers] of [
      ['/health', {}],
      [`${V1}/agents`, t.admin],
      [`${V1}/agents`, {}],
      ['/nope', {}],
      ['/docs', {}],
    ] as const) {
      const res = await send({ method: 'GET', url: u, headers });
      const h = res.headers;
      const what = `${u} (${res.statusCode})`;
      assert.equal(h['x-content-type-options'], 'nosniff', what);
      assert.equal(h['x-frame-options'], 'SAMEORIGIN', what);
      assert.match(String(h['strict-transport-security']), /max-age=31536000; includeSubDomains/, what);
      assert.match(String(h['content-security-policy']), /default-src 'self'/, what);
      assert.equal(h['referrer-policy'], 'no-referrer', what);
      assert.equal(h['cross-origin-opener-policy'], 'same-origin', what);
      assert.equal(h['x-dns-prefetch-control'], 'off', what);
      assert.equal(h['x-powered-by'], undefined, what);
    }
  });

  test('no request answered 5xx and nothing was logged as an error (4xx are not errors)', () => {
    assert.deepEqual(serverErrors, []);
    const errors = t.logs.lines.filter((l) => /"level":"(error|fatal)"/.test(l));
    assert.deepEqual(errors, []);
  });
});
