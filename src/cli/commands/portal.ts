import type { Command } from 'commander';
import { ApiClient, globals } from '../client.ts';
import { emit, printFields, printTable } from '../output.ts';

const ROLES = ['customer', 'read', 'operate', 'admin'];

/**
 * agentctl portal: one-time sign-in links (installations without an identity provider), tenant
 * members, and "why does this user (not) see this access?" (runbook: agent not appearing in portal).
 */
export function registerPortal(program: Command): void {
  const p = program.command('portal').description('the web portal: login links, tenant members, visibility');
  p.command('login-link')
    .description('print a one-time, short-lived link that signs a user in to the portal (LOGIN_LINK_TTL_MINUTES, default 15)')
    .requiredOption('--email <email>', "the user's e-mail (they see the accesses of that e-mail and of their tenants)")
    .option('--role <role>', `customer (default), or an operator role: ${ROLES.slice(1).join(', ')}`, 'customer')
    .action(async (o: { email: string; role: string }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const r = await c.call(c.api.POST('/admin/api/v1/portal/login-links', { body: { email: o.email, role: o.role as 'customer' } }));
      emit(globals(cmd).json, r, () => {
        console.log(r.url);
        console.error(`one-time link for ${r.email} (${r.role}), valid until ${r.expires_at}`);
      });
    });
  const m = p.command('members').description('tenant members: they see every access of the tenant in the portal');
  m.command('create')
    .alias('add')
    .description('add a member to a tenant')
    .requiredOption('--tenant <tenant>', 'tenant id, name or external id')
    .requiredOption('--email <email>', "the member's e-mail")
    .action(async (o: { tenant: string; email: string }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const r = await c.call(c.api.POST('/admin/api/v1/tenants/{ref}/members', { params: { path: { ref: o.tenant } }, body: { email: o.email } }));
      emit(globals(cmd).json, r, () => console.log(`${r.email} is a member of ${r.tenant_name}`));
    });
  m.command('remove')
    .description('remove a member from a tenant')
    .requiredOption('--tenant <tenant>', 'tenant id, name or external id')
    .requiredOption('--email <email>', "the member's e-mail")
    .action(async (o: { tenant: string; email: string }, cmd: Command) => {
      const c = new ApiClient(cmd);
      await c.call(c.api.DELETE('/admin/api/v1/tenants/{ref}/members/{email}', { params: { path: { ref: o.tenant, email: o.email } } }));
      emit(globals(cmd).json, { removed: o.email }, () => console.log(`removed ${o.email}`));
    });
  m.command('list')
    .description('list the members of a tenant')
    .requiredOption('--tenant <tenant>', 'tenant id, name or external id')
    .action(async (o: { tenant: string }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const r = await c.call(c.api.GET('/admin/api/v1/tenants/{ref}/members', { params: { path: { ref: o.tenant } } }));
      emit(globals(cmd).json, r, () => printTable(r.items, ['email', 'tenant_name', 'created_by', 'created_at']));
    });
  p.command('explain')
    .description('why a portal user does or does not see an access')
    .requiredOption('--email <email>', "the user's e-mail")
    .requiredOption('--access <id>', 'the access id')
    .option('--unverified', "the user's identity provider does not mark the e-mail verified")
    .action(async (o: { email: string; access: string; unverified?: boolean }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const r = await c.call(c.api.GET('/admin/api/v1/portal/visibility', { params: { query: { email: o.email, access: o.access, email_verified: o.unverified ? 'false' : 'true' } } }));
      emit(globals(cmd).json, r, () => {
        printFields({ visible: r.visible, access: r.access_id });
        for (const line of r.reasons) console.log(`- ${line}`);
      });
    });
}
