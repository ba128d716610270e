/**
 * OpenTelemetry traces (issue 13 item 10, ADR 0073): request → quota reservation → provider call →
 * usage write, exported by OTLP (http/json) when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set. Off by default, at no cost: nothing of the
 * OpenTelemetry SDK is imported unless tracing starts (the imports below are dynamic, and the
 * `import type` lines are erased), and every hook here is a plain call of the wrapped function
 * while tracing is off.
 *
 * The state is per process, like OpenTelemetry's own globals (tracer provider, context manager,
 * propagator): `startTelemetry` once before the app is built, `stopTelemetry` after it closed.
 */
import type * as OtelApi from '@opentelemetry/api';
import { otelEnv } from '../config/index.ts';
import type { LanguageModelMiddleware } from 'ai';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

interface TelemetryState {
  api: typeof OtelApi;
  tracer: OtelApi.Tracer;
  shutdown: () => Promise<void>;
  forceFlush: () => Promise<void>;
}

let state: TelemetryState | undefined;

/** The OTel SDK's own switches: an endpoint for traces, not disabled, not exporter `none`. */
export function tracingRequested(env: Record<string, string | undefined> = otelEnv()): boolean {
  if (!(env['OTEL_EXPORTER_OTLP_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'])) return false;
  if ((env['OTEL_SDK_DISABLED'] ?? '').toLowerCase() === 'true') return false;
  return (env['OTEL_TRACES_EXPORTER'] ?? 'otlp').toLowerCase() !== 'none';
}

/** Whether spans are being recorded in this process. */
export function tracingEnabled(): boolean {
  return state !== undefined;
}

export interface StartTelemetryOptions {
  env?: Record<string, string | undefined>;
  /** `service.version` of the resource. */
  version?: string;
  /** `service.instance.id`-like role of the process (api, worker, all). */
  role?: string;
}

/**
 * Starts tracing when the environment asks for it (see `tracingRequested`): loads the SDK, the
 * OTLP/HTTP (JSON) exporter, an AsyncLocalStorage context manager and the W3C trace-context
 * propagator, and registers them globally. Returns whether tracing is on. The exporter reads the
 * standard variables itself (`OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`, `…_TRACES_ENDPOINT`,
 * `…_HEADERS`, `…_TIMEOUT`); `OTEL_SERVICE_NAME` names the service (default `agent-platform`).
 */
export async function startTelemetry(opts: StartTelemetryOptions = {}): Promise<boolean> {
  const env = opts.env ?? otelEnv();
  if (state) return true;
  if (!tracingRequested(env)) return false;
  const [api, core, sdk, exporter, resources, semconv, hooks] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/core'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/semantic-conventions'),
    import('@opentelemetry/context-async-hooks'),
  ]);
  const resource = resources.resourceFromAttributes({
    [semconv.ATTR_SERVICE_NAME]: env['OTEL_SERVICE_NAME'] || 'agent-platform',
    ...(opts.version ? { [semconv.ATTR_SERVICE_VERSION]: opts.version } : {}),
    ...(opts.role ? { 'agent_platform.role': opts.role } : {}),
  });
  const provider = new sdk.BasicTracerProvider({
    resource,
    spanProcessors: [new sdk.BatchSpanProcessor(new exporter.OTLPTraceExporter())],
  });
  api.context.setGlobalContextManager(new hooks.AsyncLocalStorageContextManager().enable());
  api.propagation.setGlobalPropagator(new core.W3CTraceContextPropagator());
  api.trace.setGlobalTracerProvider(provider);
  state = {
    api,
    tracer: provider.getTracer('agent-platform', opts.version),
    forceFlush: () => provider.forceFlush(),
    shutdown: async () => {
      await provider.shutdown();
      api.trace.disable();
      api.context.disable();
      api.propagation.disable();
    },
  };
  return true;
}

/** Exports what is buffered (tests, and a process about to stop). */
export async function flushTelemetry(): Promise<void> {
  await state?.forceFlush();
}

/** Flushes and stops tracing (the process stops, or a test ends). */
export async function stopTelemetry(): Promise<void> {
  const s = state;
  state = undefined;
  await s?.shutdown();
}

/**
 * Runs `fn` in a child span named `name` of the active span (internal kind). While tracing is off
 * this is `fn()`: the hook the hot path carries costs one call.
 *
 * @example
 * const reservation = await traced('quota.reserve', () => quota.reserve(...), { 'agent_platform.access_id': id });
 */
export function traced<T>(name: string, fn: () => Promise<T>, attributes?: OtelApi.Attributes): Promise<T> {
  const s = state;
  if (!s) return fn();
  return s.tracer.startActiveSpan(name, attributes ? { attributes } : {}, async (span) => {
    try {
      return await fn();
    } catch (err) {
      failSpan(s.api, span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

function failSpan(api: typeof OtelApi, span: OtelApi.Span, err: unknown): void {
  if (err instanceof Error) span.recordException(err);
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') span.setAttribute('error.type', code);
  span.setStatus({ code: api.SpanStatusCode.ERROR, message: err instanceof Error ? err.message.slice(0, 500) : String(err) });
}

const SPAN = Symbol('otel.serverSpan');
type Traced = FastifyRequest & { [SPAN]?: OtelApi.Span };

/**
 * The HTTP server span of every request (added to the app only while tracing is on): its parent
 * is the incoming `traceparent`, its name `METHOD /route/template`, with `http.route` and
 * `http.response.status_code`; the rest of the request runs inside it, so the spans below
 * (`quota.reserve`, the provider call, `usage.record`) are its children.
 */
export function traceRequests(app: FastifyInstance): void {
  const s = state;
  if (!s) return;
  const { api, tracer } = s;
  app.addHook('onRequest', (req: Traced, reply: FastifyReply, done: () => void) => {
    const parent = api.propagation.extract(api.ROOT_CONTEXT, req.headers);
    const span = tracer.startSpan(
      req.method,
      {
        kind: api.SpanKind.SERVER,
        attributes: { 'http.request.method': req.method, 'url.path': req.url.split('?')[0] ?? '/', 'url.scheme': req.protocol, 'client.address': req.ip, 'agent_platform.request_id': String(req.id) },
      },
      parent,
    );
    req[SPAN] = span;
    // A hijacked reply (the MCP door streams on the raw response) never reaches onResponse.
    reply.raw.once('close', () => endServerSpan(req, reply));
    // The rest of the request (hooks, handler, its awaits) runs in the span's context.
    api.context.with(api.trace.setSpan(parent, span), done);
  });
  app.addHook('onResponse', async (req: Traced, reply) => endServerSpan(req, reply));

  function endServerSpan(req: Traced, reply: FastifyReply): void {
    const span = req[SPAN];
    if (!span) return;
    req[SPAN] = undefined;
    const route = req.routeOptions.url;
    const status = reply.raw.statusCode;
    if (route) {
      span.updateName(`${req.method} ${route}`);
      span.setAttribute('http.route', route);
    }
    span.setAttribute('http.response.status_code', status);
    if (req.caller) span.setAttributes({ 'agent_platform.tenant_id': req.caller.tenantId, 'agent_platform.access_id': req.caller.accessId });
    if (reply.problemCode) span.setAttribute('error.type', reply.problemCode);
    if (status >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR });
    span.end();
  }
}

/**
 * A language-model middleware that puts each provider call in a client span following the
 * OpenTelemetry GenAI conventions (`chat MODEL`, `gen_ai.operation.name`, `gen_ai.provider.name`,
 * `gen_ai.request.model`, `gen_ai.usage.input_tokens` / `output_tokens`,
 * `gen_ai.response.finish_reasons`). A streamed call's span ends with its stream. Empty while
 * tracing is off, so `wrapLanguageModel` gets nothing extra.
 */
export function modelCallTracing(provider: { id: string; kind: string }): LanguageModelMiddleware[] {
  const s = state;
  if (!s) return [];
  const { api, tracer } = s;
  const start = (modelId: string) =>
    tracer.startSpan(`chat ${modelId}`, {
      kind: api.SpanKind.CLIENT,
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': provider.kind, 'gen_ai.request.model': modelId, 'agent_platform.provider_id': provider.id },
    });
  const usage = (span: OtelApi.Span, u: { inputTokens?: { total?: number | undefined }; outputTokens?: { total?: number | undefined } } | undefined) => {
    if (u?.inputTokens?.total !== undefined) span.setAttribute('gen_ai.usage.input_tokens', u.inputTokens.total);
    if (u?.outputTokens?.total !== undefined) span.setAttribute('gen_ai.usage.output_tokens', u.outputTokens.total);
  };
  const finish = (span: OtelApi.Span, reason: unknown) => {
    const r = typeof reason === 'string' ? reason : (reason as { unified?: unknown } | null)?.unified;
    if (typeof r === 'string') span.setAttribute('gen_ai.response.finish_reasons', [r]);
  };
  return [
    {
      specificationVersion: 'v4',
      wrapGenerate: async ({ doGenerate, model }) => {
        const span = start(model.modelId);
        try {
          const r = await api.context.with(api.trace.setSpan(api.context.active(), span), doGenerate);
          usage(span, r.usage);
          finish(span, r.finishReason);
          if (r.response?.modelId) span.setAttribute('gen_ai.response.model', r.response.modelId);
          return r;
        } catch (err) {
          failSpan(api, span, err);
          throw err;
        } finally {
          span.end();
        }
      },
      wrapStream: async ({ doStream, model }) => {
        const span = start(model.modelId);
        let r: Awaited<ReturnType<typeof doStream>>;
        try {
          r = await api.context.with(api.trace.setSpan(api.context.active(), span), doStream);
        } catch (err) {
          failSpan(api, span, err);
          span.end();
          throw err;
        }
        let ended = false;
        const end = () => {
          if (ended) return;
          ended = true;
          span.end();
        };
        const stream = r.stream.pipeThrough(
          new TransformStream({
            transform(part, controller) {
              if (part.type === 'finish') {
                usage(span, part.usage);
                finish(span, part.finishReason);
              } else if (part.type === 'response-metadata' && part.modelId) span.setAttribute('gen_ai.response.model', part.modelId);
              else if (part.type === 'error') failSpan(api, span, part.error);
              controller.enqueue(part);
            },
            flush: end,
            cancel: end,
          }),
        );
        return { ...r, stream };
      },
    },
  ];
}
