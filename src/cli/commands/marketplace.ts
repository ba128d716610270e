import type { Command } from 'commander';
import { ApiClient, seg, globals } from '../client.ts';
import { emit, printFields, printTable } from '../output.ts';
import { intArg } from '../parse.ts';

interface Offering {
  offering: string;
  agent_id: string;
  name: string;
  components: Record<string, unknown>;
  default_quota: number | null;
  plans: Record<string, unknown>[];
  [k: string]: unknown;
}

function printOffering(o: Offering) {
  printFields({ offering: o.offering, agent: o.agent_id, name: o.name, components: o.components, default_quota: o.default_quota ?? 'none (unmapped plans are rejected)' });
  console.log('');
  printTable(o.plans, ['plan', 'name', 'quota', 'period', 'rate_limit_per_minute']);
}

export function registerMarketplace(program: Command): void {
  const off = program.command('offerings').description('Waldur offerings sold as agents');
  off
    .command('map')
    .description('map a Waldur offering to an agent; with --plan, also set what that plan grants')
    .requiredOption('--offering <uuid>', 'Waldur offering UUID')
    .requiredOption('--agent <id>', 'agent id')
    .option('--name <name>', 'display name')
    .option('--plan <uuid>', 'a Waldur plan UUID of the offering')
    .option('--quota <n>', "the plan's quota (requests per period)", intArg)
    .option('--period <period>', 'month or total', 'month')
    .option('--rate-limit <perMinute>', 'requests per minute per key', intArg)
    .option('--default-quota <n>', 'quota for orders whose plan is not mapped (otherwise they are rejected)', intArg)
    .option('--component-requests <type>', 'Waldur component type that carries requests (default requests)')
    .option('--component-input-tokens <type>', 'Waldur component type that carries input tokens (default input_tokens)')
    .option('--component-output-tokens <type>', 'Waldur component type that carries output tokens (default output_tokens)')
    .option('--token-unit <n>', 'report tokens in units of this many, e.g. 1000', intArg)
    .action(async (o: Record<string, string | number | undefined>, cmd: Command) => {
      const components: Record<string, unknown> = {};
      if (o.componentRequests !== undefined) components.requests = o.componentRequests === 'none' ? null : o.componentRequests;
      if (o.componentInputTokens !== undefined) components.input_tokens = o.componentInputTokens === 'none' ? null : o.componentInputTokens;
      if (o.componentOutputTokens !== undefined) components.output_tokens = o.componentOutputTokens === 'none' ? null : o.componentOutputTokens;
      if (o.tokenUnit !== undefined) components.token_unit = o.tokenUnit;
      const body: Record<string, unknown> = { offering: o.offering, agent: o.agent, components };
      if (o.name) body.name = o.name;
      if (o.defaultQuota !== undefined) body.default_quota = o.defaultQuota;
      if (o.plan !== undefined) body.plan = { plan: o.plan, quota: o.quota, period: o.period, ...(o.rateLimit ? { rate_limit_per_minute: o.rateLimit } : {}) };
      const res = await new ApiClient(globals(cmd)).post<Offering>('/offerings', body);
      emit(globals(cmd).json, res, () => printOffering(res));
    });
  off
    .command('plan')
    .description('set what a plan of a mapped offering grants')
    .requiredOption('--offering <uuid>', 'Waldur offering UUID')
    .requiredOption('--plan <uuid>', 'Waldur plan UUID')
    .requiredOption('--quota <n>', 'requests per period', intArg)
    .option('--period <period>', 'month or total', 'month')
    .option('--rate-limit <perMinute>', 'requests per minute per key', intArg)
    .option('--name <name>', 'plan name')
    .action(async (o: { offering: string; plan: string; quota: number; period: string; rateLimit?: number; name?: string }, cmd: Command) => {
      const res = await new ApiClient(globals(cmd)).request<Offering>('PUT', `/offerings/${seg(o.offering)}/plans`, {
        plan: o.plan,
        quota: o.quota,
        period: o.period,
        ...(o.rateLimit ? { rate_limit_per_minute: o.rateLimit } : {}),
        ...(o.name ? { name: o.name } : {}),
      });
      emit(globals(cmd).json, res.body, () => printOffering(res.body));
    });
  off
    .command('list')
    .description('list mapped offerings')
    .action(async (_o, cmd: Command) => {
      const res = await new ApiClient(globals(cmd)).get<{ items: Offering[] }>('/offerings');
      emit(globals(cmd).json, res, () => printTable(res.items.map((x) => ({ ...x, plans: x.plans.length })), ['offering', 'agent_id', 'name', 'plans', 'default_quota']));
    });
  off
    .command('show <uuid>')
    .description('show a mapped offering and its plans')
    .action(async (uuid: string, _o, cmd: Command) => {
      const res = await new ApiClient(globals(cmd)).get<Offering>(`/offerings/${seg(uuid)}`);
      emit(globals(cmd).json, res, () => printOffering(res));
    });

  const mp = program.command('marketplace').description('the Waldur marketplace loop');
  mp.command('sync')
    .description('poll Waldur now and process pending orders; --full also compares every resource with our accesses and fixes the difference')
    .option('--full', 'also create missing accesses and terminate accesses whose resource is gone')
    .option('--force', 'with --full: terminate even when Waldur lists no resource at all for an offering')
    .action(async (o: { full?: boolean; force?: boolean }, cmd: Command) => {
      const r = await new ApiClient(globals(cmd)).post<{
        offerings: number;
        orders: { order: string; type: string; status: string; access_id: string | null; detail?: string }[];
        created: { resource: string; access_id: string }[];
        terminated: { resource: string; access_id: string }[];
        skipped: { offering: string; reason: string }[];
        errors: { ref: string; error: string }[];
      }>('/marketplace/sync', { full: Boolean(o.full), force: Boolean(o.force) });
      emit(globals(cmd).json, r, () => {
        console.log(`${r.offerings} offering(s) polled; ${r.orders.length} order(s) processed`);
        for (const x of r.orders) console.log(`  order ${x.order} (${x.type}): ${x.status}${x.access_id ? ` → access ${x.access_id}` : ''}${x.detail ? ` (${x.detail})` : ''}`);
        if (o.full) {
          console.log(`created ${r.created.length} access(es), terminated ${r.terminated.length}`);
          for (const x of r.created) console.log(`  + resource ${x.resource} → access ${x.access_id}`);
          for (const x of r.terminated) console.log(`  - resource ${x.resource}: access ${x.access_id} terminated`);
        }
        for (const x of r.skipped) console.log(`skipped ${x.offering}: ${x.reason}`);
        for (const x of r.errors) console.log(`error ${x.ref}: ${x.error}`);
      });
      if (r.errors.length > 0) process.exitCode = 1;
    });
  mp.command('orders')
    .description('orders as we last saw them and what we did with them')
    .option('--status <status>', 'done, rejected, erred, waiting, pending, ignored')
    .option('--limit <n>', 'at most this many', intArg, 50)
    .action(async (o: { status?: string; limit: number }, cmd: Command) => {
      const q = new URLSearchParams({ limit: String(o.limit), ...(o.status ? { status: o.status } : {}) });
      const res = await new ApiClient(globals(cmd)).get<{ items: Record<string, unknown>[] }>(`/marketplace/orders?${q}`);
      emit(globals(cmd).json, res, () => printTable(res.items, ['order', 'type', 'waldur_state', 'status', 'access_id', 'attempts', 'updated_at', 'last_error']));
    });

  const wh = program.command('webhooks').description('inbound webhook deliveries');
  wh.command('list')
    .description('deliveries, newest first')
    .option('--status <status>', 'failed (failed or rejected), queued, processing, processed, rejected')
    .option('--limit <n>', 'at most this many', intArg, 50)
    .action(async (o: { status?: string; limit: number }, cmd: Command) => {
      const q = new URLSearchParams({ limit: String(o.limit), ...(o.status ? { status: o.status } : {}) });
      const res = await new ApiClient(globals(cmd)).get<{ items: Record<string, unknown>[] }>(`/webhooks?${q}`);
      emit(globals(cmd).json, res, () => printTable(res.items, ['id', 'received_at', 'verification', 'status', 'event_type', 'order', 'attempts', 'error']));
    });
  wh.command('show <id>')
    .description('one delivery: headers (without credentials), body, verification, processing')
    .action(async (id: string, _o, cmd: Command) => {
      const res = await new ApiClient(globals(cmd)).get<Record<string, unknown> & { body: string }>(`/webhooks/${seg(id)}`);
      emit(globals(cmd).json, res, () => {
        const { body, ...rest } = res;
        printFields(rest);
        console.log(`body:\n${body}`);
      });
    });
  wh.command('replay <id>')
    .description('process a stored delivery again (the order is re-read from Waldur)')
    .action(async (id: string, _o, cmd: Command) => {
      const res = await new ApiClient(globals(cmd)).request<Record<string, unknown>>('POST', `/webhooks/${seg(id)}/replay`);
      emit(globals(cmd).json, res.body, () => console.log(`delivery ${id} queued again${res.body.order ? ` (order ${res.body.order as string})` : ''}`));
    });
}
