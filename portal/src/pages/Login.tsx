import { Alert, Anchor, Button, Center, Paper, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useSearchParams } from 'wouter';
import { api, ok, Problem } from '../api/client.ts';
import { Loading, ProblemAlert } from '../components/ui.tsx';
import { useSession } from '../session.tsx';

function Frame({ children }: { children: React.ReactNode }) {
  return (
    <Center mih="100vh" p="md" component="main" id="main">
      <Paper withBorder shadow="sm" p="xl" maw={460} w="100%">
        <Stack>{children}</Stack>
      </Paper>
    </Center>
  );
}

/** Sign-in: single sign-on when an issuer is configured; otherwise how to get a login link. */
export function LoginPage() {
  const { session, loading } = useSession();
  const [params] = useSearchParams();
  const error = params.get('error');
  const returnTo = params.get('return_to') ?? '/';
  if (loading) return <Loading />;
  return (
    <Frame>
      <Title order={1} size="h2">
        Sign in to agent-platform
      </Title>
      {error ? <ProblemAlert error={new Problem({ code: error, detail: params.get('detail') ?? undefined, title: 'Sign-in failed' }, 0)} /> : null}
      {session?.authenticated ? (
        <Alert color="blue" variant="light">
          You are signed in as {session.user?.email}. <Anchor href="/">Go to the portal</Anchor>.
        </Alert>
      ) : null}
      {session?.methods.oidc ? (
        <Button component="a" href={`/auth/login?return_to=${encodeURIComponent(returnTo.startsWith('/') && !returnTo.startsWith('//') ? returnTo : '/')}`} size="md">
          Sign in with single sign-on
        </Button>
      ) : (
        <Text size="sm">Single sign-on is not set up on this installation. Ask your operator for a one-time login link.</Text>
      )}
      <Text size="sm" c="dark.6">
        Operators create one-time links with <code>agentctl portal login-link --email you@example.com</code>.
      </Text>
    </Frame>
  );
}

/** A one-time login link: the token is in the URL fragment (never sent to a server until posted). */
export function LoginLinkPage() {
  const token = new URLSearchParams(window.location.hash.replace(/^#/, '')).get('token');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const signIn = async () => {
    setBusy(true);
    setError(null);
    try {
      await ok(api.POST('/auth/link', { body: { token: token ?? '' } }));
      // A fresh load of the portal, so every view starts from the new session (and the spent
      // token leaves the address bar and the history).
      window.location.replace('/');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Frame>
      <Title order={1} size="h2">
        Sign in with a login link
      </Title>
      {token ? (
        <>
          <Text size="sm">This link works once and only for a few minutes.</Text>
          <Button size="md" onClick={() => void signIn()} loading={busy}>
            Sign in
          </Button>
        </>
      ) : (
        <ProblemAlert error={new Problem({ code: 'login_link_invalid', detail: 'This address carries no login link token.', title: 'No token' }, 0)} />
      )}
      <ProblemAlert error={error} title="Sign-in failed" />
    </Frame>
  );
}
