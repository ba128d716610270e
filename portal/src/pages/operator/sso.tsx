import { Code, List, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api, ok } from '../../api/client.ts';
import { Loading, PageHeader, ProblemAlert, StatusBadge } from '../../components/ui.tsx';

/** /auth/diagnose for the runbook's "SSO login failing": discovery, redirect URI, clock drift. */
export function SsoPage() {
  const d = useQuery({ queryKey: ['diagnose'], queryFn: () => ok(api.GET('/auth/diagnose')) });
  if (d.isLoading) return <Loading label="Reading the issuer's discovery document…" />;
  if (!d.data) return <ProblemAlert error={d.error} />;
  const r = d.data as Record<string, unknown> & { hints: string[]; redirect_uri: string; configured: boolean };
  const discovery = (r.discovery ?? {}) as Record<string, unknown>;
  const clock = (r.clock ?? {}) as Record<string, unknown>;
  const rows: [string, unknown][] = [
    ['Issuer (OIDC_ISSUER)', r.issuer],
    ['Client id (OIDC_CLIENT_ID)', r.client_id],
    ['Client secret set', r.client_secret_set ? 'yes' : 'no'],
    ['Redirect URI to register', r.redirect_uri],
    ['Scopes', r.scopes],
    ['Clock tolerance', `${String(r.clock_tolerance_seconds)} s`],
    ['Discovery document', discovery.url],
    ['Issuer in the document', discovery.issuer ?? discovery.error],
    ['Authorization endpoint', discovery.authorization_endpoint],
    ['Token endpoint', discovery.token_endpoint],
    ['End-session endpoint', discovery.end_session_endpoint],
    ['Our clock', clock.server],
    ["Issuer's clock", clock.issuer],
    ['Skew (seconds)', clock.skew_seconds],
  ];
  return (
    <>
      <PageHeader title="Sign-in diagnostics">
        <StatusBadge status={!r.configured ? 'not configured' : discovery.ok ? 'ok' : 'error'} />
      </PageHeader>
      <Stack maw={900}>
        <div className="table-scroll">
          <Table aria-label="Single sign-on configuration">
            <Table.Tbody>
              {rows.map(([k, v]) => (
                <Table.Tr key={k}>
                  <Table.Th scope="row">{k}</Table.Th>
                  <Table.Td className="mono">{v === undefined || v === null ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v as string | number)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </div>
        <Title order={2} size="h4">
          What to check
        </Title>
        <List spacing={4}>
          {r.hints.map((h) => (
            <List.Item key={h}>
              <Text size="sm">{h}</Text>
            </List.Item>
          ))}
        </List>
        <Text size="sm">
          The same as JSON: <Code>GET /auth/diagnose</Code>.
        </Text>
      </Stack>
    </>
  );
}
