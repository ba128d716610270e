import { Anchor, Badge, Button, Group, NativeSelect, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { api, ok } from '../../api/client.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { fmtDate, Loading, PageHeader, ProblemAlert } from '../../components/ui.tsx';
import { can, useSession } from '../../session.tsx';

export function AgentsPage() {
  const agents = useQuery({ queryKey: ['agents'], queryFn: () => ok(api.GET('/admin/api/v1/agents')) });
  return (
    <>
      <PageHeader title="Agents" />
      <ProblemAlert error={agents.error} />
      {agents.isLoading ? <Loading /> : null}
      {agents.data ? (
        <DataTable
          label="Agents"
          empty="No agents yet (agentctl agents create)"
          rows={agents.data.items}
          rowKey={(a) => a.id}
          columns={[
            {
              label: 'Agent',
              render: (a) => (
                <Anchor component={Link} href={`/agents/${a.id}`}>
                  {a.name} <code>({a.id})</code>
                </Anchor>
              ),
            },
            { label: 'Published', render: (a) => (a.published_version ? `v${a.published_version}` : 'none') },
            { label: 'Latest', render: (a) => `v${a.latest_version}` },
            { label: 'Model', render: (a) => (a.published ? `${a.published.provider} / ${a.published.model}` : '—') },
            { label: 'Scope', render: (a) => (a.tenant_id ? 'private' : 'catalogue') },
          ]}
        />
      ) : null}
    </>
  );
}

const FIELDS = ['provider', 'model', 'instructions', 'temperature', 'max_output_tokens', 'timeout_ms', 'settings'] as const;

/** An agent's versions: publish one, roll back, and compare two. */
export function AgentPage({ id }: { id: string }) {
  const { session } = useSession();
  const client = useQueryClient();
  const agent = useQuery({ queryKey: ['agent', id], queryFn: () => ok(api.GET('/admin/api/v1/agents/{id}', { params: { path: { id } } })) });
  const publish = useMutation({
    mutationFn: (version: number) => ok(api.POST('/admin/api/v1/agents/{id}/publish', { params: { path: { id } }, body: { version } })),
    onSuccess: (a) => client.setQueryData(['agent', id], a),
  });
  const rollback = useMutation({
    mutationFn: () => ok(api.POST('/admin/api/v1/agents/{id}/rollback', { params: { path: { id } }, body: {} })),
    onSuccess: (a) => client.setQueryData(['agent', id], a),
  });
  const [left, setLeft] = useState<string>('');
  const [right, setRight] = useState<string>('');
  if (agent.isLoading) return <Loading />;
  if (!agent.data) return <ProblemAlert error={agent.error} />;
  const a = agent.data;
  const operate = can(session?.user?.role, 'operate');
  const from = a.versions.find((v) => String(v.version) === (left || String(a.versions[1]?.version ?? a.versions[0]?.version)));
  const to = a.versions.find((v) => String(v.version) === (right || String(a.versions[0]?.version)));
  const show = (v: unknown): string => (v === undefined || v === null ? '—' : typeof v === 'string' ? v : JSON.stringify(v));
  return (
    <>
      <PageHeader title={a.name}>
        <Group>
          <Text size="sm" data-testid="published-version">
            Published: {a.published_version ? `v${a.published_version}` : 'none'}
          </Text>
          <Button variant="default" onClick={() => rollback.mutate()} loading={rollback.isPending} disabled={!operate || !a.published_version || a.published_version <= 1}>
            Roll back
          </Button>
        </Group>
      </PageHeader>
      <ProblemAlert error={publish.error ?? rollback.error} />
      <Text size="sm" mb="md">
        {a.description}
      </Text>
      <Title order={2} size="h4" mb="xs">
        Versions
      </Title>
      <DataTable
        label="Versions"
        empty="No versions"
        rows={a.versions}
        rowKey={(v) => String(v.version)}
        columns={[
          { label: 'Version', render: (v) => (v.version === a.published_version ? <Badge color="green" variant="light" styles={{ label: { color: 'var(--mantine-color-dark-9)' } }}>v{v.version} published</Badge> : `v${v.version}`) },
          { label: 'Model', render: (v) => `${v.provider} / ${v.model}` },
          { label: 'Created', render: (v) => `${fmtDate(v.created_at)} by ${v.created_by}` },
          {
            label: 'Action',
            render: (v) =>
              v.version === a.published_version ? null : (
                <Button size="xs" variant="light" disabled={!operate} loading={publish.isPending && publish.variables === v.version} onClick={() => publish.mutate(v.version)} aria-label={`Publish version ${v.version}`}>
                  Publish
                </Button>
              ),
          },
        ]}
      />
      {a.versions.length > 1 ? (
        <Stack mt="lg" component="section" aria-labelledby="diff">
          <Title order={2} size="h4" id="diff">
            Compare versions
          </Title>
          <Group>
            <NativeSelect label="From" value={String(from?.version ?? '')} onChange={(e) => setLeft(e.currentTarget.value)} data={a.versions.map((v) => String(v.version))} />
            <NativeSelect label="To" value={String(to?.version ?? '')} onChange={(e) => setRight(e.currentTarget.value)} data={a.versions.map((v) => String(v.version))} />
          </Group>
          <div className="table-scroll">
            <Table aria-label="Differences between versions">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Field</Table.Th>
                  <Table.Th>v{from?.version}</Table.Th>
                  <Table.Th>v{to?.version}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {FIELDS.map((f) => {
                  const changed = show(from?.[f]) !== show(to?.[f]);
                  return (
                    <Table.Tr key={f} bg={changed ? 'yellow.0' : undefined}>
                      <Table.Td>
                        {f}
                        {changed ? ' (changed)' : ''}
                      </Table.Td>
                      <Table.Td style={{ whiteSpace: 'pre-wrap' }}>{show(from?.[f])}</Table.Td>
                      <Table.Td style={{ whiteSpace: 'pre-wrap' }}>{show(to?.[f])}</Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </div>
        </Stack>
      ) : null}
    </>
  );
}
