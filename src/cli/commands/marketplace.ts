import { Option, type Command } from 'commander';
import { ApiClient, CliError, globals, type Body } from '../client.ts';
import { EXIT } from '../exit-codes.ts';
import { emit, printFields, printTable } from '../output.ts';
import { intArg } from '../parse.ts';

type Offering = Body<'get', '/admin/api/v1/offerings/{ref}'>;
const periodOption = () => new Option('--period <period>', 'month or total').choices(['month', 'total']).default('month');
/** Body fields whose flag is not the field's name (plan fields come from --quota, --period, --rate-limit). */
const FIELDS = { rate_limit_per_minute: '--rate-limit', components: '--component-*' };

/** A plan's budget flags (docs/adr/0076): any of them makes the plan set all four on its accesses. */
type PlanBudgetFlags = { budgetTokensIn?: string; budgetTokensOut?: string; budgetCost?: string; budgetMode?: 'refuse' | 'cap' };
const planTokens = (v: string, flag: string): number | null => {
  if (v === 'none') return null;
  if (!/^\d+$/.test(v)) throw new CliError(`${flag} must be a whole number of tokens or "none"`, { exitCode: EXIT.usage, code: 'usage' });
  return Number(v);
};
const planBudgetBody = (o: PlanBudgetFlags) => ({
  ...(o.budgetTokensIn !== undefined ? { budget_tokens_in: planTokens(o.budgetTokensIn, '--budget-tokens-in') } : {}),
  ...(o.budgetTokensOut !== undefined ? { budget_tokens_out: planTokens(o.budgetTokensOut, '--budget-tokens-out') } : {}),
  ...(o.budgetCost !== undefined ? { budget_cost: o.budgetCost === 'none' ? null : o.budgetCost } : {}),
  ...(o.budgetMode !== undefined ? { budget_mode: o.budgetMode } : {}),
});
const withPlanBudgetFlags = (c: Command) =>
  c
    .option('--budget-tokens-in <n>', "input tokens per period for the plan's accesses (\"none\": no limit)")
    .option('--budget-tokens-out <n>', "output tokens per period for the plan's accesses (\"none\": no limit)")
    .option('--budget-cost <amount>', "cost per period for the plan's accesses, e.g. 25.00 (\"none\": no limit)")
    .addOption(new Option('--budget-mode <mode>', 'refuse (429 budget_exceeded) or cap max output tokens to what remains').choices(['refuse', 'cap']));
type PlanRow = Offering['plans'][number];
const planBudgets = (p: PlanRow) =>
  p.budgets ? [`in ${p.budgets.tokens_in ?? '-'}`, `out ${p.budgets.tokens_out ?? '-'}`, `cost ${p.budgets.cost ?? '-'}`, p.budgets.mode].join(', ') : 'not managed';

function printOffering(o: Offering) {
  printFields({ offering: o.offering, agent: o.agent_id, name: o.name, components: o.components, default_quota: o.default_quota ?? 'none (unmapped plans are rejected)' });
  console.log('');
  printTable(
    o.plans.map((p) => ({ ...p, budgets: planBudgets(p) })),
    ['plan', 'name', 'quota', 'period', 'rate_limit_per_minute', 'budgets'],
  );
}

export function registerMarketplace(program: Command): void {
  const off = program.command('offerings').description('Waldur offerings sold as agents');
  withPlanBudgetFlags(off
    .command('map')
    .description('map a Waldur offering to an agent; with --plan, also set what that plan grants')
    .requiredOption('--offering <uuid>', 'Waldur offering UUID')
    .requiredOption('--agent <id>', 'agent id')
    .option('--name <name>', 'display name')
    .option('--plan <uuid>', 'a Waldur plan UUID of the offering')
    .option('--quota <n>', "the plan's quota (requests per period); needed with --plan", intArg)
    .addOption(periodOption())
    .option('--rate-limit <perMinute>', 'requests per minute per key', intArg)
    .option('--default-quota <n>', 'quota for orders whose plan is not mapped (otherwise they are rejected)', intArg)
    .option('--component-requests <type>', 'Waldur component type that carries requests (default requests)')
    .option('--component-input-tokens <type>', 'Waldur component type that carries input tokens (default input_tokens)')
    .option('--component-output-tokens <type>', 'Waldur component type that carries output tokens (default output_tokens)')
    .option('--token-unit <n>', 'report tokens in units of this many, e.g. 1000', intArg)
    .option('--component-cost <type>', "Waldur limit-type component whose ordered limit is the access's cost budget, in the prices' currency (default none)"))
    .action(
      async (
        o: {
          offering: string;
          agent: string;
          name?: string;
          plan?: string;
          quota?: number;
          period: 'month' | 'total';
          rateLimit?: number;
          defaultQuota?: number;
          componentRequests?: string;
          componentInputTokens?: string;
          componentOutputTokens?: string;
          tokenUnit?: number;
          componentCost?: string;
        } & PlanBudgetFlags,
        cmd: Command,
      ) => {
        if (o.plan !== undefined && o.quota === undefined) throw new CliError('--plan needs --quota (what the plan grants per period)', { exitCode: EXIT.usage, code: 'usage' });
        // `none`: this usage is not reported to Waldur.
        const component = (v: string) => (v === 'none' ? null : v);
        const components = {
          ...(o.componentRequests !== undefined ? { requests: component(o.componentRequests) } : {}),
          ...(o.componentInputTokens !== undefined ? { input_tokens: component(o.componentInputTokens) } : {}),
          ...(o.componentOutputTokens !== undefined ? { output_tokens: component(o.componentOutputTokens) } : {}),
          ...(o.tokenUnit !== undefined ? { token_unit: o.tokenUnit } : {}),
          ...(o.componentCost !== undefined ? { cost: component(o.componentCost) } : {}),
        };
        const body = {
          offering: o.offering,
          agent: o.agent,
          components,
          ...(o.name !== undefined ? { name: o.name } : {}),
          ...(o.defaultQuota !== undefined ? { default_quota: o.defaultQuota } : {}),
          ...(o.plan !== undefined ? { plan: { plan: o.plan, quota: o.quota!, period: o.period, ...(o.rateLimit !== undefined ? { rate_limit_per_minute: o.rateLimit } : {}), ...planBudgetBody(o) } } : {}),
        };
        const c = new ApiClient(cmd);
        const res = await c.call(c.api.POST('/admin/api/v1/offerings', { body }), { fields: FIELDS });
        emit(globals(cmd).json, res, () => printOffering(res));
      },
    );
  withPlanBudgetFlags(off
    .command('plan')
    .description('set what a plan of a mapped offering grants: requests, token and cost budgets, cap mode (replaces the plan\'s previous terms)')
    .requiredOption('--offering <uuid>', 'Waldur offering UUID')
    .requiredOption('--plan <uuid>', 'Waldur plan UUID')
    .requiredOption('--quota <n>', 'requests per period', intArg)
    .addOption(periodOption())
    .option('--rate-limit <perMinute>', 'requests per minute per key', intArg)
    .option('--name <name>', 'plan name'))
    .action(async (o: { offering: string; plan: string; quota: number; period: 'month' | 'total'; rateLimit?: number; name?: string } & PlanBudgetFlags, cmd: Command) => {
      const c = new ApiClient(cmd);
      const body = { plan: o.plan, quota: o.quota, period: o.period, ...(o.rateLimit !== undefined ? { rate_limit_per_minute: o.rateLimit } : {}), ...(o.name !== undefined ? { name: o.name } : {}), ...planBudgetBody(o) };
      const res = await c.call(c.api.PUT('/admin/api/v1/offerings/{ref}/plans', { params: { path: { ref: o.offering } }, body }), { fields: { ...FIELDS, ref: '--offering' } });
      emit(globals(cmd).json, res, () => printOffering(res));
    });
  off
    .command('list')
    .description('list mapped offerings')
    .action(async (_o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/offerings'));
      emit(globals(cmd).json, res, () => printTable(res.items.map((x) => ({ ...x, plans: x.plans.length })), ['offering', 'agent_id', 'name', 'plans', 'default_quota']));
    });
  off
    .command('show <uuid>')
    .description('show a mapped offering and its plans')
    .action(async (uuid: string, _o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/offerings/{ref}', { params: { path: { ref: uuid } } }));
      emit(globals(cmd).json, res, () => printOffering(res));
    });

  const mp = program.command('marketplace').description('the Waldur marketplace loop');
  mp.command('sync')
    .description('poll Waldur now and process pending orders; --full also compares every resource with our accesses and fixes the difference')
    .option('--full', 'also create missing accesses and terminate accesses whose resource is gone')
    .option('--force', 'with --full: terminate even when Waldur lists no resource at all for an offering')
    .action(async (o: { full?: boolean; force?: boolean }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const r = await c.call(c.api.POST('/admin/api/v1/marketplace/sync', { body: { full: Boolean(o.full), force: Boolean(o.force) } }));
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
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/marketplace/orders', { params: { query: { limit: o.limit, ...(o.status ? { status: o.status } : {}) } } }));
      emit(globals(cmd).json, res, () => printTable(res.items, ['order', 'type', 'waldur_state', 'status', 'access_id', 'attempts', 'updated_at', 'last_error']));
    });
  mp.command('hooks')
    .description("Waldur's hooks-web subscriptions, marked when they reach our /webhooks/waldur/order/ with a token we accept; exit 1 when none does")
    .action(async (_o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/marketplace/hooks'));
      emit(globals(cmd).json, res, () => {
        console.log(`expected: ${res.expected_url}?token=<webhook secret>`);
        printTable(
          res.items.map((h) => ({ ...h, here: h.target === 'here' ? (h.is_active && (h.token === 'current' || h.token === 'previous') ? '*' : '!') : '', active: h.is_active, events: h.event_types.join(',') })),
          ['here', 'uuid', 'active', 'target', 'token', 'destination_url', 'events'],
        );
        console.log(res.warning ? `WARNING: ${res.warning}` : `${res.working} hook(s) reach this platform with an accepted token`);
      });
      if (res.working === 0) process.exitCode = 1;
    });

  const wh = program.command('webhooks').description('inbound webhook deliveries');
  wh.command('list')
    .description('deliveries, newest first')
    .option('--status <status>', 'failed (failed or rejected), queued, processing, processed, rejected')
    .option('--limit <n>', 'at most this many', intArg, 50)
    .action(async (o: { status?: string; limit: number }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/webhooks', { params: { query: { limit: o.limit, ...(o.status ? { status: o.status } : {}) } } }));
      emit(globals(cmd).json, res, () => printTable(res.items, ['id', 'received_at', 'verification', 'status', 'event_type', 'order', 'attempts', 'error']));
    });
  wh.command('show <id>')
    .description('one delivery: headers (without credentials), body, verification, processing')
    .action(async (id: string, _o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/webhooks/{id}', { params: { path: { id } } }));
      emit(globals(cmd).json, res, () => {
        const { body, ...rest } = res;
        printFields(rest);
        console.log(`body:\n${body}`);
      });
    });
  wh.command('replay <id>')
    .description('process a stored delivery again (the order is re-read from Waldur)')
    .action(async (id: string, _o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.POST('/admin/api/v1/webhooks/{id}/replay', { params: { path: { id } } }));
      emit(globals(cmd).json, res, () => console.log(`delivery ${id} queued again${res.order ? ` (order ${res.order})` : ''}`));
    });
}
