import type { Command } from 'commander';
import { readNamedEnv } from '../../config/index.ts';
import { ApiClient, CliError, globals } from '../client.ts';
import { EXIT } from '../exit-codes.ts';
import { emit, printFields, printTable } from '../output.ts';

type BudgetFlags = { budgetTokensIn?: string; budgetTokensOut?: string; budgetCost?: string; budgetAlertWebhookUrl?: string; budgetAlertWebhookSecretEnv?: string; budgetAlertWebhookSecretStdin?: boolean };

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

/** The tenant's own budget-alert webhook fields (docs/adr/0076); the secret never comes from argv. */
async function hookBody(o: BudgetFlags) {
  let secret: string | undefined;
  if (o.budgetAlertWebhookSecretEnv) {
    secret = readNamedEnv(o.budgetAlertWebhookSecretEnv);
    if (secret === undefined) throw new CliError(`--budget-alert-webhook-secret-env: the environment variable ${o.budgetAlertWebhookSecretEnv} is not set`, { exitCode: EXIT.usage, code: 'usage' });
  }
  if (o.budgetAlertWebhookSecretStdin) secret = await readStdin();
  return {
    ...(o.budgetAlertWebhookUrl !== undefined ? { budget_alert_webhook_url: o.budgetAlertWebhookUrl === 'none' ? null : o.budgetAlertWebhookUrl } : {}),
    ...(secret !== undefined ? { budget_alert_webhook_secret: secret } : {}),
  };
}
const HOOK_FIELDS = { budget_alert_webhook_url: '--budget-alert-webhook-url', budget_alert_webhook_secret: '--budget-alert-webhook-secret-env' };
const tokens = (v: string, flag: string): number | null => {
  if (v === 'none') return null;
  if (!/^\d+$/.test(v)) throw new CliError(`${flag} must be a whole number of tokens or "none"`, { exitCode: EXIT.usage, code: 'usage' });
  return Number(v);
};
/** The tenant-wide budget fields of a create/update body (docs/adr/0064); `none` removes a limit. */
const budgetBody = (o: BudgetFlags) => ({
  ...(o.budgetTokensIn !== undefined ? { budget_tokens_in: tokens(o.budgetTokensIn, '--budget-tokens-in') } : {}),
  ...(o.budgetTokensOut !== undefined ? { budget_tokens_out: tokens(o.budgetTokensOut, '--budget-tokens-out') } : {}),
  ...(o.budgetCost !== undefined ? { budget_cost: o.budgetCost === 'none' ? null : o.budgetCost } : {}),
});
const withBudgetFlags = (c: Command) =>
  c
    .option('--budget-tokens-in <n>', 'input tokens all accesses of the tenant may use per UTC month together ("none": no limit)')
    .option('--budget-tokens-out <n>', 'output tokens all accesses of the tenant may use per UTC month together ("none": no limit)')
    .option('--budget-cost <amount>', 'cost all accesses of the tenant may spend per UTC month together, e.g. 250.00 ("none": no limit)')
    .option('--budget-alert-webhook-url <url>', 'send this tenant\'s 80 %/100 % budget alerts here instead of BUDGET_ALERT_WEBHOOK_URL ("none": back to the platform\'s)')
    .option('--budget-alert-webhook-secret-env <name>', 'read its Standard Webhooks secret (whsec_…) from this environment variable (keeps it out of shell history)')
    .option('--budget-alert-webhook-secret-stdin', 'read its Standard Webhooks secret from standard input');
type Limit = { max: string; used: string; reserved: string; remaining: string } | null;
const budgetLine = (l: Limit) => (l ? `${l.used} used of ${l.max}, ${l.remaining} remaining${l.reserved !== '0' && l.reserved !== '0.000000' ? `, ${l.reserved} in flight` : ''}` : 'none');
type TenantOut = { id: string; name: string; external_id: string | null; status: string; created_at: string; budget: { period: string; tokens_in: Limit; tokens_out: Limit; cost: Limit } | null; budget_alert_webhook_url: string | null };
const show = (t: TenantOut) =>
  printFields({
    id: t.id,
    name: t.name,
    external_id: t.external_id ?? '',
    status: t.status,
    created_at: t.created_at,
    ...(t.budget ? { budget_period: t.budget.period, budget_tokens_in: budgetLine(t.budget.tokens_in), budget_tokens_out: budgetLine(t.budget.tokens_out), budget_cost: budgetLine(t.budget.cost) } : { budget: 'none' }),
    budget_alert_webhook: t.budget_alert_webhook_url ?? 'the platform\'s (BUDGET_ALERT_WEBHOOK_URL), if set',
  });

export function registerTenants(program: Command): void {
  const t = program.command('tenants').description('tenants (customer organisations)');
  withBudgetFlags(
    t
      .command('create')
      .alias('add')
      .description('create a tenant')
      .requiredOption('--name <name>', 'tenant name')
      .option('--external-id <id>', 'the marketplace customer id (Waldur customer UUID)'),
  ).action(async (o: { name: string; externalId?: string } & BudgetFlags, cmd: Command) => {
    const c = new ApiClient(cmd);
    const res = await c.call(c.api.POST('/admin/api/v1/tenants', { body: { name: o.name, ...(o.externalId ? { external_id: o.externalId } : {}), ...budgetBody(o), ...(await hookBody(o)) } }), { fields: HOOK_FIELDS });
    emit(globals(cmd).json, res, () => console.log(res.id));
  });
  withBudgetFlags(t.command('update <ref>').description("change a tenant's name, its tenant-wide budgets or its budget-alert webhook (id, name or external id)").option('--name <name>', 'new name')).action(
    async (ref: string, o: { name?: string } & BudgetFlags, cmd: Command) => {
      const body = { ...(o.name !== undefined ? { name: o.name } : {}), ...budgetBody(o), ...(await hookBody(o)) };
      if (Object.keys(body).length === 0)
        throw new CliError('nothing to update: give at least one of --name, --budget-tokens-in, --budget-tokens-out, --budget-cost, --budget-alert-webhook-url, --budget-alert-webhook-secret-env', { exitCode: EXIT.usage, code: 'usage' });
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.PATCH('/admin/api/v1/tenants/{ref}', { params: { path: { ref } }, body }), { fields: HOOK_FIELDS });
      emit(globals(cmd).json, res, () => show(res));
    },
  );
  t.command('show <ref>')
    .description('show a tenant (id, name or external id) with its budget use this month')
    .action(async (ref: string, _o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/tenants/{ref}', { params: { path: { ref } } }));
      emit(globals(cmd).json, res, () => show(res));
    });
  t.command('list')
    .description('list tenants')
    .action(async (_o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/tenants'));
      emit(globals(cmd).json, res, () => printTable(res.items, ['id', 'name', 'external_id', 'status', 'created_at']));
    });
}
