import { Route, Switch } from 'wouter';
import { AccessesPage, AuditPage, BackupsPage, OfferingsPage, ProvidersPage, TenantsPage, UsageSyncPage, WebhooksPage } from './lists.tsx';
import { AgentPage, AgentsPage } from './agents.tsx';
import { OverviewPage } from './overview.tsx';
import { SsoPage } from './sso.tsx';

/** The operator views; each is a page under /operator (the playground and conversations slot in here). */
export const OPERATOR_PAGES = [
  { href: '/operator', label: 'Overview' },
  { href: '/operator/tenants', label: 'Tenants' },
  { href: '/operator/agents', label: 'Agents' },
  { href: '/operator/providers', label: 'Providers' },
  { href: '/operator/offerings', label: 'Offerings and plans' },
  { href: '/operator/accesses', label: 'Accesses' },
  { href: '/operator/webhooks', label: 'Webhook deliveries' },
  { href: '/operator/usage', label: 'Usage sync' },
  { href: '/operator/audit', label: 'Audit log' },
  { href: '/operator/backups', label: 'Backups' },
  { href: '/operator/sso', label: 'Sign-in diagnostics' },
];

export function OperatorRoutes() {
  return (
    <Switch>
      <Route path="/" component={OverviewPage} />
      <Route path="/tenants" component={TenantsPage} />
      <Route path="/agents" component={AgentsPage} />
      <Route path="/agents/:id">{(p) => <AgentPage id={p.id} />}</Route>
      <Route path="/providers" component={ProvidersPage} />
      <Route path="/offerings" component={OfferingsPage} />
      <Route path="/accesses" component={AccessesPage} />
      <Route path="/webhooks" component={WebhooksPage} />
      <Route path="/usage" component={UsageSyncPage} />
      <Route path="/audit" component={AuditPage} />
      <Route path="/backups" component={BackupsPage} />
      <Route path="/sso" component={SsoPage} />
    </Switch>
  );
}
