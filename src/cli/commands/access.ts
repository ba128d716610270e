import { Option, type Command } from 'commander';
import { ApiClient, CliError, globals, type Body } from '../client.ts';
import { EXIT } from '../exit-codes.ts';
import { emit, printFields, printTable } from '../output.ts';
import { intArg, isoArg } from '../parse.ts';

type AccessView = Body<'get', '/admin/api/v1/accesses/{id}'>;

/** Body fields whose flag is not the field's name. */
const FIELDS = { rate_limit_per_minute: '--rate-limit', expires_at: '--expires', budget_tokens_in: '--budget-tokens-in', budget_tokens_out: '--budget-tokens-out', budget_cost: '--budget-cost' };

type BudgetFlags = { budgetTokensIn?: number; budgetTokensOut?: number; budgetCost?: string; budgetMode?: 'refuse' | 'cap' };
/** The budget fields of a create/update body (docs/adr/0061). */
const budgetBody = (o: BudgetFlags) => ({
  ...(o.budgetTokensIn !== undefined ? { budget_tokens_in: o.budgetTokensIn } : {}),
  ...(o.budgetTokensOut !== undefined ? { budget_tokens_out: o.budgetTokensOut } : {}),
  ...(o.budgetCost !== undefined ? { budget_cost: o.budgetCost } : {}),
  ...(o.budgetMode !== undefined ? { budget_mode: o.budgetMode } : {}),
});
const budgetLine = (l: { max: string; used: string; reserved: string; remaining: string } | null) => (l ? `${l.used} used of ${l.max}, ${l.remaining} remaining${l.reserved !== '0' && l.reserved !== '0.000000' ? `, ${l.reserved} in flight` : ''}` : 'none');


function printAccess(a: AccessView) {
  printFields({
    id: a.id,
    tenant: `${a.tenant_name} (${a.tenant_id})`,
    agent: a.agent_id,
    email: a.email,
    status: a.effective_status,
    quota: `${a.quota.used} used of ${a.quota.limit} (${a.quota_period === 'total' ? 'in total' : `in ${a.quota.period}`}), ${a.quota.remaining} remaining${a.quota.reserved ? `, ${a.quota.reserved} in flight` : ''}`,
    ...(a.budget ? { budget_tokens_in: budgetLine(a.budget.tokens_in), budget_tokens_out: budgetLine(a.budget.tokens_out), budget_cost: budgetLine(a.budget.cost) } : {}),
    rate_limit_per_minute: a.rate_limit_per_minute ?? 'none',
    manage_knowledge: a.manage_knowledge ? 'yes' : 'no',
    expires_at: a.expires_at,
    order: a.order_ref,
    resource: a.resource_ref,
    offering: a.offering_ref,
    plan: a.plan_ref,
    project: a.project_ref,
    created_at: a.created_at,
    terminated_at: a.terminated_at,
  });
}

const periodOption = () => new Option('--period <period>', 'month (calendar month, UTC) or total').choices(['month', 'total']);

export function registerAccess(program: Command): void {
  const a = program.command('access').description('accesses: which tenant and user may use which agent, under which quota');
  a.command('create')
    .description('grant access to an agent; prints the access id and its first API key, once')
    .requiredOption('--tenant <tenant>', 'tenant id, name or external id')
    .requiredOption('--agent <id>', 'agent id')
    .requiredOption('--email <email>', 'the user this access is for')
    .requiredOption('--quota <n>', 'requests allowed per period', intArg)
    .addOption(periodOption().default('month'))
    .option('--expires <iso>', 'expiry time (ISO 8601)', isoArg)
    .option('--rate-limit <perMinute>', 'requests per minute per key', intArg)
    .option('--budget-tokens-in <n>', 'input tokens allowed per period (budget, exact under concurrency)', intArg)
    .option('--budget-tokens-out <n>', 'output tokens allowed per period', intArg)
    .option('--budget-cost <amount>', "cost allowed per period in the prices' currency, e.g. 25.00")
    .addOption(new Option('--budget-mode <mode>', "when a run's worst case does not fit: refuse (429) or cap its max output tokens to what remains").choices(['refuse', 'cap']))
    .action(async (o: { tenant: string; agent: string; email: string; quota: number; period: 'month' | 'total'; expires?: string; rateLimit?: number } & BudgetFlags, cmd: Command) => {
      const c = new ApiClient(cmd);
      const body = {
        tenant: o.tenant,
        agent: o.agent,
        email: o.email,
        quota: o.quota,
        period: o.period,
        ...(o.expires ? { expires_at: o.expires } : {}),
        ...(o.rateLimit !== undefined ? { rate_limit_per_minute: o.rateLimit } : {}),
        ...budgetBody(o),
      };
      const res = await c.call(c.api.POST('/admin/api/v1/accesses', { body }), { fields: FIELDS });
      emit(globals(cmd).json, res, () => {
        console.log(`access:  ${res.access.id}`);
        console.log(`api key: ${res.api_key.key}`);
        console.error('the API key is shown only this once; store it now');
      });
    });
  a.command('create-from-order')
    .description("the runbook's manual path: create the access of a Waldur order by hand (idempotent per order); prints the access id and key once")
    .requiredOption('--customer <uuid>', 'Waldur customer UUID (the tenant)')
    .option('--customer-name <name>', 'tenant name when the customer is new')
    .requiredOption('--project <uuid>', 'Waldur project UUID')
    .requiredOption('--user <username>', 'Waldur username of the orderer')
    .requiredOption('--email <email>', "the user's e-mail")
    .requiredOption('--offering <uuid>', 'Waldur offering UUID (must be mapped)')
    .requiredOption('--plan <uuid>', 'Waldur plan UUID')
    .requiredOption('--order <uuid>', 'Waldur order UUID')
    .option('--resource <uuid>', 'Waldur marketplace resource UUID, if it exists')
    .action(async (o: { customer: string; customerName?: string; project: string; user: string; email: string; offering: string; plan: string; order: string; resource?: string }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const body = {
        customer: o.customer,
        ...(o.customerName ? { customer_name: o.customerName } : {}),
        project: o.project,
        user: o.user,
        email: o.email,
        offering: o.offering,
        plan: o.plan,
        order: o.order,
        ...(o.resource ? { resource: o.resource } : {}),
      };
      const res = await c.call(c.api.POST('/admin/api/v1/accesses/from-order', { body }), { fields: { customer_name: '--customer-name' } });
      emit(globals(cmd).json, res, () => {
        console.log(`access:  ${res.access.id}`);
        if (res.api_key) {
          console.log(`api key: ${res.api_key.key}`);
          console.error('the API key is shown only this once; store it now');
        } else {
          console.error(`order ${o.order} already had this access; no new key was made (agentctl keys create --access ${res.access.id})`);
        }
      });
    });
  a.command('show [id]')
    .description('show an access, its quota and keys (by id, or by marketplace order with --order)')
    .option('--order <uuid>', 'find the access created by this marketplace order')
    .action(async (id: string | undefined, o: { order?: string }, cmd: Command) => {
      if (!o.order && !id) throw new CliError('give an access id or --order UUID', { exitCode: EXIT.usage, code: 'usage' });
      const c = new ApiClient(cmd);
      let access: AccessView;
      if (o.order) {
        const res = await c.call(c.api.GET('/admin/api/v1/accesses', { params: { query: { order: o.order } } }));
        if (!res.items[0]) throw new CliError(`no access was created for order ${o.order}`, { exitCode: EXIT.not_found, code: 'not_found' });
        access = res.items[0];
      } else {
        access = await c.call(c.api.GET('/admin/api/v1/accesses/{id}', { params: { path: { id: id! } } }));
      }
      const keys = await c.call(c.api.GET('/admin/api/v1/accesses/{id}/keys', { params: { path: { id: access.id } } }));
      emit(globals(cmd).json, { ...access, keys: keys.items }, () => {
        printAccess(access);
        console.log('');
        printTable(keys.items, ['id', 'prefix', 'name', 'status', 'created_at', 'expires_at', 'last_used_at']);
      });
    });
  a.command('list')
    .description('list accesses')
    .option('--tenant <tenant>', 'tenant id, name or external id')
    .option('--email <email>', 'user e-mail')
    .option('--agent <id>', 'agent id')
    .addOption(new Option('--status <status>', 'only accesses in this state').choices(['active', 'suspended', 'terminated']))
    .option('--limit <n>', 'at most this many', intArg, 100)
    .action(async (o: { tenant?: string; email?: string; agent?: string; status?: 'active' | 'suspended' | 'terminated'; limit: number }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const query = { limit: o.limit, ...(o.tenant ? { tenant: o.tenant } : {}), ...(o.email ? { email: o.email } : {}), ...(o.agent ? { agent: o.agent } : {}), ...(o.status ? { status: o.status } : {}) };
      const res = await c.call(c.api.GET('/admin/api/v1/accesses', { params: { query } }));
      emit(globals(cmd).json, res, () =>
        printTable(
          res.items.map((x) => ({ ...x, tenant: x.tenant_name, status: x.effective_status, quota: `${x.quota.used}/${x.quota.limit} ${x.quota.period}` })),
          ['id', 'tenant', 'agent_id', 'email', 'status', 'quota', 'created_at'],
        ),
      );
    });
  for (const action of ['suspend', 'resume', 'terminate'] as const) {
    a.command(`${action} <id>`)
      .description(action === 'terminate' ? 'terminate an access and revoke all its keys (every replica within a second)' : `${action} an access`)
      .option('--reason <text>', 'recorded in the audit log')
      .action(async (id: string, o: { reason?: string }, cmd: Command) => {
        const c = new ApiClient(cmd);
        const res = await c.call(c.api.POST(`/admin/api/v1/accesses/{id}/${action}`, { params: { path: { id } }, body: o.reason ? { reason: o.reason } : {} }));
        emit(globals(cmd).json, res, () => console.log(`access ${id}: ${res.status}`));
      });
  }
  a.command('update <id>')
    .description("change an access's quota, period, rate limit, budgets, expiry, e-mail or knowledge-base management")
    .option('--quota <n>', 'requests allowed per period', intArg)
    .addOption(periodOption())
    .option('--rate-limit <perMinute>', 'requests per minute per key', intArg)
    .option('--expires <iso>', 'expiry time (ISO 8601)', isoArg)
    .option('--email <email>', 'the user this access is for')
    .option('--budget-tokens-in <n>', 'input tokens allowed per period', intArg)
    .option('--budget-tokens-out <n>', 'output tokens allowed per period', intArg)
    .option('--budget-cost <amount>', "cost allowed per period in the prices' currency, e.g. 25.00")
    .addOption(new Option('--budget-mode <mode>', "when a run's worst case does not fit: refuse (429) or cap its max output tokens to what remains").choices(['refuse', 'cap']))
    .option('--manage-knowledge', "let the access's keys create, fill and delete the tenant's knowledge bases")
    .option('--no-manage-knowledge', 'take that back (reading and searching stay allowed)')
    .action(async (id: string, o: { quota?: number; period?: 'month' | 'total'; rateLimit?: number; expires?: string; email?: string; manageKnowledge?: boolean } & BudgetFlags, cmd: Command) => {
      const body = {
        ...(o.quota !== undefined ? { quota: o.quota } : {}),
        ...(o.period !== undefined ? { period: o.period } : {}),
        ...(o.rateLimit !== undefined ? { rate_limit_per_minute: o.rateLimit } : {}),
        ...(o.expires !== undefined ? { expires_at: o.expires } : {}),
        ...(o.email !== undefined ? { email: o.email } : {}),
        ...budgetBody(o),
        ...(o.manageKnowledge !== undefined ? { manage_knowledge: o.manageKnowledge } : {}),
      };
      if (Object.keys(body).length === 0) throw new CliError('nothing to update: give at least one of --quota, --period, --rate-limit, --expires, --email, --budget-*, --[no-]manage-knowledge', { exitCode: EXIT.usage, code: 'usage' });
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.PATCH('/admin/api/v1/accesses/{id}', { params: { path: { id } }, body }), { fields: FIELDS });
      emit(globals(cmd).json, res, () => printAccess(res));
    });
}
