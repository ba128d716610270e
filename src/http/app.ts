import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../deps.ts';
import { errorCatalog, type ErrorCode } from '../lib/errors.ts';
import { redactUrl } from '../lib/logger.ts';
import { errorHandler, nulPointers, problemLogLevel, sendProblem } from './problem.ts';
import { AppError } from '../lib/errors.ts';
import { healthRoutes } from '../modules/health/routes.ts';
import { adminRoutes } from './admin.ts';
import { adminAuth } from './auth.ts';
import { gatewayRoutes } from '../modules/gateway/routes.ts';
import { mcpRoutes } from '../modules/channels/mcp/routes.ts';
import { slackEventRoutes } from '../modules/channels/slack/routes.ts';
import { backgroundRoutes } from '../modules/background/routes.ts';
import { maintenanceGate } from './maintenance.ts';
import { abuseGate } from './abuse.ts';
import { opsRootRoutes } from '../modules/ops/routes.ts';
import { backupDir } from '../modules/ops/backup-dir.ts';
import { webhookRoutes } from '../modules/marketplace/routes.ts';
import { authRoutes } from '../modules/auth/routes/index.ts';
import { portalCookiePolicy } from '../modules/auth/routes/session.ts';
import { portalApiRoutes } from '../modules/portal/routes/api.ts';
import { AccessCallers } from '../modules/gateway/access-caller.ts';
import { traceRequests } from '../telemetry/index.ts';
import { portalStaticRoutes } from '../modules/portal/routes/static.ts';

export type App = FastifyInstance;
export type ZApp = ReturnType<FastifyInstance['withTypeProvider']> & FastifyInstance;

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

export interface BuildAppOptions {
  /** `api` serves everything; `ops` (the worker role) serves only health and metrics. */
  role?: 'api' | 'ops';
}

/**
 * Builds the HTTP application: Fastify with request ids, JSON logs, RFC 9457 errors, security
 * headers, OpenAPI generated from the zod route schemas, health, metrics and the admin API.
 *
 * @example
 * const app = await buildApp(deps);
 * const res = await app.inject({ method: 'GET', url: '/health' });
 */
export async function buildApp(deps: Deps, opts: BuildAppOptions = {}): Promise<FastifyInstance> {
  const role = opts.role ?? 'api';
  const logger: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance: logger,
    // One log line per request, written by the onResponse hook below (with secrets masked in the URL).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.config.BODY_LIMIT_BYTES,
    trustProxy: deps.config.TRUST_PROXY,
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 500 },
    return503OnClosing: true,
    // Router-level errors (bad percent-encoding, over-long segments) become problem+json too.
    frameworkErrors: (err, req, reply) => {
      void errorHandler(err, req, reply);
    },
    forceCloseConnections: 'idle',
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => sendProblem(req, reply, 'route_not_found', `no route ${req.method} ${req.url.split('?')[0]}`));

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  traceRequests(app);
  // PostgreSQL text cannot hold NUL characters: refuse them up front, naming the fields, so no
  // route reaches the database (or an earlier check about another field) with them.
  app.addHook('preValidation', async (req) => {
    const errors = nulPointers(req);
    if (errors.length > 0) throw new AppError('validation_failed', `invalid request: ${errors.map((e) => e.pointer).join(', ')}`, { extra: { errors } });
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const labels = { method: req.method, route, status: String(reply.statusCode) };
    deps.metrics.httpRequests.inc(labels);
    deps.metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
    if (req.caller) deps.metrics.countTenantRequest(req.caller.tenantId, reply.statusCode);
    // `reqId` is already bound to req.log by Fastify: the line must not carry it a second time.
    const line = { method: req.method, url: redactUrl(req.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10, ...(reply.problemCode ? { code: reply.problemCode } : {}) };
    // 5xx are errors unless the problem says otherwise: planned maintenance is info, upstream and
    // transient trouble is warn (src/lib/errors.ts).
    const level = problemLogLevel(reply.problemCode, reply.statusCode);
    if (level === 'error') req.log.error(line, 'request failed');
    else if (level === 'warn') req.log.warn(line, 'request');
    else if (route.startsWith('/health') || route === '/metrics' || route === '/healthz') req.log.debug(line, 'request');
    else req.log.info(line, 'request');
  });

  await app.register(helmet, {
    // The Swagger UI page needs inline styles and scripts; everything else is JSON.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'unsafe-inline'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'validator.swagger.io'],
      },
    },
    hsts: { maxAge: 31_536_000, includeSubDomains: true },
  });
  // The IP deny list and the per-address limit guard the customer API before anything else of it
  // runs (authentication included); then maintenance mode closes it (503 maintenance). Both after
  // helmet, so their answers carry the security headers too.
  app.addHook('onRequest', abuseGate({ ipBlocks: deps.services.ipBlocks, addressLimits: deps.services.addressLimits }));
  app.addHook('onRequest', maintenanceGate(deps.services.ops.maintenance));

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'agent-platform', version: deps.config.version, description: 'Agents, API keys, quotas, metering, marketplace billing and operations.' },
      components: {
        securitySchemes: {
          adminToken: { type: 'http', scheme: 'bearer', description: 'Admin token (`agentctl admin token create`).' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'Customer API key (also accepted as Authorization: Bearer).' },
          portalSession: { type: 'apiKey', in: 'cookie', name: 'ap_session', description: 'Portal session (sign in at /auth/login or with a login link); writes also need X-CSRF-Token.' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: false, uiConfig: { docExpansion: 'list', deepLinking: true } });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get('/problems/:code', { schema: { hide: true } }, async (req, reply) => {
    const code = (req.params as { code: string }).code as ErrorCode;
    const entry = errorCatalog[code];
    if (!entry) return sendProblem(req, reply, 'not_found', `no problem type ${code}`);
    return { code, status: entry.status, title: entry.title, description: entry.description };
  });

  const z = app.withTypeProvider<ZodTypeProvider>();
  const s = deps.services;
  await z.register(async (scope) =>
    healthRoutes(scope.withTypeProvider<ZodTypeProvider>(), {
      config: deps.config,
      database: deps.database,
      redis: deps.redis,
      metrics: deps.metrics,
      state: deps.state,
      maintenance: s.ops.maintenance,
      breakers: s.breakers,
      mcp: s.mcpServers,
      ...(role === 'api' ? { mcpDoor: s.mcpDoor } : {}),
      accesses: s.accesses,
      usageSync: s.usageSync,
      jobs: s.jobAdmin,
      volumes: { data: deps.config.dataDir, backups: backupDir(deps.config) },
    }),
  );
  if (role === 'api') {
    await z.register(async (scope) => adminRoutes(scope.withTypeProvider<ZodTypeProvider>(), deps), { prefix: '/admin/api/v1' });
    await z.register(async (scope) => gatewayRoutes(scope.withTypeProvider<ZodTypeProvider>(), { gateway: s.gateway, invoker: s.invoker, agents: s.agents, accesses: s.accesses, runs: s.runs, conversations: s.conversations, knowledge: s.knowledge }));
    await app.register(async (scope) => slackEventRoutes(scope, { slack: s.slack, socketMode: s.slackSocketMode?.(), install: s.slackInstall }));
    await app.register(async (scope) => mcpRoutes(scope, { gateway: s.gateway, mcp: s.mcpDoor, metrics: deps.metrics }));
    await z.register(async (scope) => backgroundRoutes(scope.withTypeProvider<ZodTypeProvider>(), { gateway: s.gateway, invoker: s.invoker, background: s.background, webhooks: s.runWebhooks }));
    await app.register(async (scope) => webhookRoutes(scope, { webhooks: s.webhooks, limits: s.limits, metrics: deps.metrics, jobs: deps.jobs }));
    // The portal (docs/adr/0036-0039): sign-in under /auth, the customer API, the SPA at /.
    const policy = portalCookiePolicy(deps.config);
    await z.register(async (scope) => opsRootRoutes(scope.withTypeProvider<ZodTypeProvider>(), { auth: adminAuth({ adminTokens: s.adminTokens, sessions: s.auth.sessions, policy }), ops: s.ops }));
    await z.register(async (scope) => authRoutes(scope.withTypeProvider<ZodTypeProvider>(), { auth: s.auth, adminTokens: s.adminTokens, policy, publicUrl: deps.config.publicUrl }));
    await z.register(async (scope) => portalApiRoutes(scope.withTypeProvider<ZodTypeProvider>(), { portal: s.portal, members: s.members, sessions: s.auth.sessions, policy, invoker: s.invoker, callers: new AccessCallers({ accesses: s.accesses }) }), { prefix: '/portal/api/v1' });
    await app.register(async (scope) => portalStaticRoutes(scope));
  }
  return app;
}
