import { AppShell, Burger, Button, Group, NavLink, ScrollArea, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQueryClient } from '@tanstack/react-query';
import { Link, Redirect, Route, Switch, useLocation } from 'wouter';
import { api, ok, setCsrfToken } from './api/client.ts';
import { Loading, ProblemAlert } from './components/ui.tsx';
import { AccessPage } from './pages/Access.tsx';
import { HelpPage } from './pages/Help.tsx';
import { HomePage } from './pages/Home.tsx';
import { LoginLinkPage, LoginPage } from './pages/Login.tsx';
import { OPERATOR_PAGES, OperatorRoutes } from './pages/operator/index.tsx';
import { can, SessionProvider, useSession } from './session.tsx';

export function App() {
  return (
    <SessionProvider>
      <Switch>
        <Route path="/login" component={LoginPage} />
        <Route path="/login/link" component={LoginLinkPage} />
        <Route>
          <Shell />
        </Route>
      </Switch>
    </SessionProvider>
  );
}

function Shell() {
  const { session, loading, error } = useSession();
  const [opened, { toggle, close }] = useDisclosure();
  const [location, navigate] = useLocation();
  const client = useQueryClient();
  if (loading) return <Loading label="Checking your session…" />;
  if (error) return <ProblemAlert error={error} title="The portal cannot reach the platform" />;
  if (!session?.authenticated || !session.user) return <Redirect to={`/login?return_to=${encodeURIComponent(location)}`} />;
  const user = session.user;
  const operator = can(user.role, 'read');

  const signOut = async () => {
    const r = await ok(api.POST('/auth/logout')).catch(() => ({ logout_url: null }));
    setCsrfToken(null);
    client.clear();
    if (r.logout_url) window.location.assign(r.logout_url);
    else navigate('/login');
  };

  const link = (href: string, label: string) => (
    <NavLink key={href} component={Link} href={href} label={label} active={href === '/' || href === '/operator' ? location === href : location.startsWith(href)} onClick={close} />
  );

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 240, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Text component={Link} href="/" fw={700} c="dark" style={{ textDecoration: 'none' }}>
              agent-platform
            </Text>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Text size="sm" visibleFrom="xs" data-testid="whoami">
              {user.email}
              {operator ? ` · ${user.role}` : ''}
            </Text>
            <Button variant="default" size="xs" onClick={() => void signOut()}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main">
        <ScrollArea type="never">
          <Text size="xs" fw={700} c="dark.6" px="sm" py={4} tt="uppercase">
            My access
          </Text>
          {link('/', 'Agents and keys')}
          {link('/help', "Can't find an access?")}
          {operator ? (
            <>
              <Text size="xs" fw={700} c="dark.6" px="sm" pt="md" pb={4} tt="uppercase">
                Operations
              </Text>
              {OPERATOR_PAGES.map((p) => link(p.href, p.label))}
            </>
          ) : null}
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>
        <Switch>
          <Route path="/" component={HomePage} />
          <Route path="/accesses/:id">{(p) => <AccessPage id={p.id} />}</Route>
          <Route path="/help" component={HelpPage} />
          <Route path="/operator" nest>
            {operator ? <OperatorRoutes /> : <ProblemAlert error={{ message: 'Operators only: your role is customer.' }} title="Forbidden" />}
          </Route>
          <Route>
            <ProblemAlert error={new Error(`There is no page ${location}.`)} title="Page not found" />
          </Route>
        </Switch>
      </AppShell.Main>
    </AppShell>
  );
}
