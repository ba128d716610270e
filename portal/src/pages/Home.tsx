import { Alert, Anchor, Badge, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { api, ok } from '../api/client.ts';
import { Empty, fmtDate, Loading, PageHeader, ProblemAlert, QuotaBar, StatusBadge } from '../components/ui.tsx';
import type { PortalAccess } from '../session.tsx';

export const REASON_LABEL: Record<string, string> = { tenant_member: 'tenant member', email_match: 'e-mail match' };

/** The customer's agents and accesses: quota, period, expiry, status, and why each is visible. */
export function HomePage() {
  const accesses = useQuery({ queryKey: ['accesses'], queryFn: () => ok(api.GET('/portal/api/v1/accesses')) });
  const me = useQuery({ queryKey: ['me'], queryFn: () => ok(api.GET('/portal/api/v1/me')) });
  return (
    <>
      <PageHeader title="Agents and keys" />
      <ProblemAlert error={accesses.error ?? me.error} />
      {accesses.isLoading ? <Loading /> : null}
      {accesses.data && accesses.data.items.length === 0 ? (
        <Empty title="No access is visible to you yet">
          {me.data?.rules.join(' ')} <Anchor component={Link} href="/help">Why don't I see my access?</Anchor>
        </Empty>
      ) : null}
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        {accesses.data?.items.map((a) => <AccessCard key={a.id} a={a} />)}
      </SimpleGrid>
    </>
  );
}

function AccessCard({ a }: { a: PortalAccess }) {
  return (
    <Card withBorder padding="lg" component="article" aria-labelledby={`access-${a.id}`}>
      <Stack gap="sm">
        <Group justify="space-between" wrap="nowrap" align="flex-start">
          <div>
            <Title order={2} size="h4" id={`access-${a.id}`}>
              <Anchor component={Link} href={`/accesses/${a.id}`}>
                {a.agent.name}
              </Anchor>
            </Title>
            <Text size="sm" c="dark.6">
              {a.tenant_name} · {a.email}
            </Text>
          </div>
          <StatusBadge status={a.effective_status} />
        </Group>
        {a.agent.description ? <Text size="sm">{a.agent.description}</Text> : null}
        <QuotaBar used={a.quota.used} limit={a.quota.limit} period={a.quota.period} label={`Quota used of ${a.agent.name}`} />
        <Group gap="xs">
          <Text size="sm">Expires: {a.expires_at ? fmtDate(a.expires_at) : 'never'}</Text>
          {a.rate_limit_per_minute ? <Text size="sm">· {a.rate_limit_per_minute} requests/min</Text> : null}
        </Group>
        <Group gap="xs">
          <Text size="sm">Visible because:</Text>
          {a.visible_because.map((r) => (
            <Badge key={r} variant="outline" color="dark">
              {REASON_LABEL[r] ?? r}
            </Badge>
          ))}
        </Group>
        {a.first_key === 'waiting' ? (
          <Alert color="yellow" variant="light" title="Your first key is waiting">
            <Anchor component={Link} href={`/accesses/${a.id}`}>
              Open the access to claim it
            </Anchor>{' '}
            (it is shown once).
          </Alert>
        ) : null}
      </Stack>
    </Card>
  );
}
