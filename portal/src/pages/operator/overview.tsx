import { Button, Card, Group, SimpleGrid, Stack, Switch, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ok } from '../../api/client.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { fmtDate, Loading, PageHeader, ProblemAlert, StatusBadge } from '../../components/ui.tsx';
import { can, useSession } from '../../session.tsx';

/** The doctor's findings, the maintenance switch and live sessions. */
export function OverviewPage() {
  const { session } = useSession();
  const client = useQueryClient();
  const doctor = useQuery({ queryKey: ['doctor'], queryFn: () => ok(api.GET('/admin/api/v1/doctor')) });
  const maintenance = useQuery({ queryKey: ['maintenance'], queryFn: () => ok(api.GET('/admin/api/v1/maintenance')) });
  const sessions = useQuery({ queryKey: ['portal-sessions'], queryFn: () => ok(api.GET('/admin/api/v1/portal/sessions')) });
  const [reason, setReason] = useState('');
  const toggle = useMutation({
    mutationFn: (on: boolean) => ok(api.PUT('/admin/api/v1/maintenance', { body: on && reason.trim() ? { on, message: reason.trim() } : { on } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['maintenance'] }),
  });
  const m = maintenance.data;
  return (
    <>
      <PageHeader title="Overview" />
      <SimpleGrid cols={{ base: 1, md: 2 }} mb="lg">
        <Card withBorder component="section" aria-labelledby="maint">
          <Title order={2} size="h4" id="maint" mb="sm">
            Maintenance mode
          </Title>
          <ProblemAlert error={maintenance.error ?? toggle.error} />
          {m ? (
            <Stack gap="sm">
              <Text size="sm">{m.on ? `On since ${fmtDate(m.since)} (by ${m.by ?? 'unknown'}): ${m.message}. The customer API answers 503 maintenance.` : 'Off. The customer API is open.'}</Text>
              <TextInput label="Reason shown to customers" value={reason} onChange={(e) => setReason(e.currentTarget.value)} disabled={m.on || !can(session?.user?.role, 'operate')} />
              <Switch label="Maintenance mode" checked={m.on} disabled={toggle.isPending || !can(session?.user?.role, 'operate')} onChange={(e) => toggle.mutate(e.currentTarget.checked)} />
            </Stack>
          ) : (
            <Loading />
          )}
        </Card>
        <Card withBorder component="section" aria-labelledby="sessions">
          <Title order={2} size="h4" id="sessions" mb="sm">
            Portal sessions
          </Title>
          <ProblemAlert error={sessions.error} />
          <Text size="sm">{sessions.data ? `${sessions.data.live} live session(s).` : '…'} End them all with <code>agentctl sessions revoke-all</code>.</Text>
        </Card>
      </SimpleGrid>
      <section aria-labelledby="doctor">
        <Group justify="space-between" mb="sm">
          <Title order={2} size="h4" id="doctor">
            Doctor
          </Title>
          <Button variant="default" size="xs" onClick={() => void doctor.refetch()} loading={doctor.isFetching}>
            Run again
          </Button>
        </Group>
        <ProblemAlert error={doctor.error} />
        {doctor.isLoading ? <Loading label="Running the diagnostics…" /> : null}
        {doctor.data ? (
          <DataTable
            label="Doctor findings"
            empty="No checks ran"
            rows={doctor.data.checks}
            rowKey={(c) => c.id}
            columns={[
              { label: 'Check', render: (c) => c.title },
              { label: 'Status', render: (c) => <StatusBadge status={c.status} /> },
              { label: 'Finding', render: (c) => c.finding },
              { label: 'Resolution', render: (c) => c.resolution ?? '' },
            ]}
          />
        ) : null}
      </section>
    </>
  );
}
