import { Button, Group, NativeSelect, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ok } from '../../api/client.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { fmtDate, Loading, PageHeader, ProblemAlert, StatusBadge } from '../../components/ui.tsx';
import { can, useSession } from '../../session.tsx';

const useOperate = () => can(useSession().session?.user?.role, 'operate');

export function TenantsPage() {
  const tenants = useQuery({ queryKey: ['tenants'], queryFn: () => ok(api.GET('/admin/api/v1/tenants')) });
  const [selected, setSelected] = useState<string | null>(null);
  return (
    <>
      <PageHeader title="Tenants" />
      <ProblemAlert error={tenants.error} />
      {tenants.isLoading ? <Loading /> : null}
      {tenants.data ? (
        <DataTable
          label="Tenants"
          empty="No tenants yet"
          rows={tenants.data.items}
          rowKey={(t) => t.id}
          columns={[
            { label: 'Name', render: (t) => t.name },
            { label: 'External id', render: (t) => <span className="mono">{t.external_id ?? '—'}</span> },
            { label: 'Status', render: (t) => <StatusBadge status={t.status} /> },
            { label: 'Created', render: (t) => fmtDate(t.created_at) },
            {
              label: 'Members',
              render: (t) => (
                <Button size="xs" variant="light" onClick={() => setSelected(t.id)} aria-label={`Members of ${t.name}`}>
                  Members
                </Button>
              ),
            },
          ]}
        />
      ) : null}
      {selected ? <Members tenant={selected} name={tenants.data?.items.find((t) => t.id === selected)?.name ?? ''} /> : null}
    </>
  );
}

function Members({ tenant, name }: { tenant: string; name: string }) {
  const client = useQueryClient();
  const operate = useOperate();
  const members = useQuery({ queryKey: ['members', tenant], queryFn: () => ok(api.GET('/admin/api/v1/tenants/{ref}/members', { params: { path: { ref: tenant } } })) });
  const [email, setEmail] = useState('');
  const add = useMutation({
    mutationFn: () => ok(api.POST('/admin/api/v1/tenants/{ref}/members', { params: { path: { ref: tenant } }, body: { email } })),
    onSuccess: async () => {
      setEmail('');
      await client.invalidateQueries({ queryKey: ['members', tenant] });
    },
  });
  const remove = useMutation({
    mutationFn: (e: string) => ok(api.DELETE('/admin/api/v1/tenants/{ref}/members/{email}', { params: { path: { ref: tenant, email: e } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['members', tenant] }),
  });
  return (
    <Stack mt="lg" component="section" aria-labelledby="members">
      <Title order={2} size="h4" id="members">
        Members of {name}
      </Title>
      <Text size="sm">Members see every access of the tenant in the portal.</Text>
      <ProblemAlert error={members.error ?? add.error ?? remove.error} />
      <form
        onSubmit={(e) => {
          e.preventDefault();
          add.mutate();
        }}
      >
        <Group align="flex-end">
          <TextInput label="E-mail" type="email" value={email} onChange={(e) => setEmail(e.currentTarget.value)} required disabled={!operate} />
          <Button type="submit" loading={add.isPending} disabled={!operate}>
            Add member
          </Button>
        </Group>
      </form>
      {members.data ? (
        <DataTable
          label="Members"
          empty="No members"
          rows={members.data.items}
          rowKey={(m) => m.email}
          columns={[
            { label: 'E-mail', render: (m) => m.email },
            { label: 'Added', render: (m) => `${fmtDate(m.created_at)} by ${m.created_by}` },
            {
              label: 'Action',
              render: (m) => (
                <Button size="xs" color="red" variant="light" disabled={!operate} onClick={() => remove.mutate(m.email)} aria-label={`Remove ${m.email}`}>
                  Remove
                </Button>
              ),
            },
          ]}
        />
      ) : null}
    </Stack>
  );
}

export function ProvidersPage() {
  const providers = useQuery({ queryKey: ['providers'], queryFn: () => ok(api.GET('/admin/api/v1/providers')) });
  return (
    <>
      <PageHeader title="Providers" />
      <ProblemAlert error={providers.error} />
      {providers.isLoading ? <Loading /> : null}
      {providers.data ? (
        <DataTable
          label="Providers"
          empty="No providers yet (agentctl providers add)"
          rows={providers.data.items}
          rowKey={(p) => p.id}
          columns={[
            { label: 'Id', render: (p) => <code>{p.id}</code> },
            { label: 'Kind', render: (p) => p.kind },
            { label: 'Base URL', render: (p) => <span className="mono">{p.base_url ?? '—'}</span> },
            { label: 'Default model', render: (p) => p.default_model ?? '—' },
            { label: 'API key', render: (p) => (p.has_api_key ? 'set (sealed)' : 'none') },
          ]}
        />
      ) : null}
    </>
  );
}

export function OfferingsPage() {
  const offerings = useQuery({ queryKey: ['offerings'], queryFn: () => ok(api.GET('/admin/api/v1/offerings')) });
  return (
    <>
      <PageHeader title="Offerings and plans" />
      <ProblemAlert error={offerings.error} />
      {offerings.isLoading ? <Loading /> : null}
      {offerings.data ? (
        <DataTable
          label="Offerings"
          empty="No Waldur offering is mapped (agentctl offerings map)"
          rows={offerings.data.items}
          rowKey={(o) => o.id}
          columns={[
            { label: 'Offering', render: (o) => <span className="mono">{o.offering}</span> },
            { label: 'Agent', render: (o) => <code>{o.agent_id}</code> },
            { label: 'Default quota', render: (o) => (o.default_quota === null ? 'none (unmapped plans are rejected)' : `${o.default_quota} / ${o.default_period}`) },
            {
              label: 'Plans',
              render: (o) => (
                <Stack gap={2}>
                  {o.plans.length === 0 ? '—' : o.plans.map((p) => <Text size="sm" key={p.plan}>{`${p.name ?? p.plan.slice(0, 8)}: ${p.quota} / ${p.period}${p.rate_limit_per_minute ? `, ${p.rate_limit_per_minute}/min` : ''}`}</Text>)}
                </Stack>
              ),
            },
          ]}
        />
      ) : null}
    </>
  );
}

export function AccessesPage() {
  const [email, setEmail] = useState('');
  const accesses = useQuery({ queryKey: ['admin-accesses', email], queryFn: () => ok(api.GET('/admin/api/v1/accesses', { params: { query: { ...(email ? { email } : {}), limit: 200 } } })) });
  const [checkEmail, setCheckEmail] = useState('');
  const [checkAccess, setCheckAccess] = useState('');
  const check = useMutation({ mutationFn: () => ok(api.GET('/admin/api/v1/portal/visibility', { params: { query: { email: checkEmail, access: checkAccess, email_verified: 'true' } } })) });
  return (
    <>
      <PageHeader title="Accesses" />
      <Group mb="md" align="flex-end">
        <TextInput label="Filter by e-mail" value={email} onChange={(e) => setEmail(e.currentTarget.value)} />
      </Group>
      <ProblemAlert error={accesses.error} />
      {accesses.isLoading ? <Loading /> : null}
      {accesses.data ? (
        <DataTable
          label="Accesses"
          empty="No accesses"
          rows={accesses.data.items}
          rowKey={(a) => a.id}
          columns={[
            { label: 'Id', render: (a) => <span className="mono">{a.id.slice(0, 8)}</span> },
            { label: 'Tenant', render: (a) => a.tenant_name },
            { label: 'Agent', render: (a) => <code>{a.agent_id}</code> },
            { label: 'E-mail', render: (a) => a.email },
            { label: 'Status', render: (a) => <StatusBadge status={a.effective_status} /> },
            { label: 'Quota', render: (a) => `${a.quota.used} / ${a.quota.limit} (${a.quota.period})` },
            { label: 'Order', render: (a) => <span className="mono">{a.order_ref?.slice(0, 8) ?? '—'}</span> },
          ]}
        />
      ) : null}
      <Stack mt="xl" component="section" aria-labelledby="visibility" maw={760}>
        <Title order={2} size="h4" id="visibility">
          Why does a user (not) see an access?
        </Title>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            check.mutate();
          }}
        >
          <Group align="flex-end" wrap="wrap">
            <TextInput label="User's e-mail" type="email" value={checkEmail} onChange={(e) => setCheckEmail(e.currentTarget.value)} required />
            <TextInput label="Access id" value={checkAccess} onChange={(e) => setCheckAccess(e.currentTarget.value)} required w={340} />
            <Button type="submit" loading={check.isPending}>
              Explain
            </Button>
          </Group>
        </form>
        <ProblemAlert error={check.error} />
        {check.data ? (
          <Stack gap={2} role="status">
            <Text fw={600}>{check.data.visible ? 'Visible' : 'Not visible'}</Text>
            {check.data.reasons.map((r) => (
              <Text size="sm" key={r}>
                {r}
              </Text>
            ))}
          </Stack>
        ) : null}
      </Stack>
    </>
  );
}

export function WebhooksPage() {
  const client = useQueryClient();
  const operate = useOperate();
  const [status, setStatus] = useState('');
  const deliveries = useQuery({ queryKey: ['webhooks', status], queryFn: () => ok(api.GET('/admin/api/v1/webhooks', { params: { query: { ...(status ? { status } : {}), limit: 100 } } })) });
  const replay = useMutation({ mutationFn: (id: string) => ok(api.POST('/admin/api/v1/webhooks/{id}/replay', { params: { path: { id } } })), onSuccess: () => client.invalidateQueries({ queryKey: ['webhooks'] }) });
  return (
    <>
      <PageHeader title="Webhook deliveries">
        <NativeSelect label="Status" value={status} onChange={(e) => setStatus(e.currentTarget.value)} data={['', 'queued', 'processing', 'processed', 'failed', 'rejected', 'ignored'].map((v) => ({ value: v, label: v || 'any' }))} />
      </PageHeader>
      <ProblemAlert error={deliveries.error ?? replay.error} />
      {deliveries.isLoading ? <Loading /> : null}
      {deliveries.data ? (
        <DataTable
          label="Webhook deliveries"
          empty="No deliveries received"
          rows={deliveries.data.items}
          rowKey={(d) => d.id}
          columns={[
            { label: 'Received', render: (d) => fmtDate(d.received_at) },
            { label: 'Event', render: (d) => d.event_type ?? '—' },
            { label: 'Order', render: (d) => <span className="mono">{d.order?.slice(0, 8) ?? '—'}</span> },
            { label: 'Verified', render: (d) => `${d.verified ? 'yes' : 'no'} (${d.verification})` },
            { label: 'Status', render: (d) => <StatusBadge status={d.status} /> },
            { label: 'Error', render: (d) => d.error ?? '' },
            {
              label: 'Action',
              render: (d) => (
                <Button size="xs" variant="light" disabled={!operate} loading={replay.isPending && replay.variables === d.id} onClick={() => replay.mutate(d.id)} aria-label={`Replay delivery ${d.id}`}>
                  Replay
                </Button>
              ),
            },
          ]}
        />
      ) : null}
    </>
  );
}

export function UsageSyncPage() {
  const pending = useQuery({ queryKey: ['usage-pending'], queryFn: () => ok(api.GET('/admin/api/v1/usage/pending')) });
  const orders = useQuery({ queryKey: ['orders'], queryFn: () => ok(api.GET('/admin/api/v1/marketplace/orders', { params: { query: { limit: 50 } } })) });
  return (
    <>
      <PageHeader title="Usage sync" />
      <Stack gap="xl">
        <section aria-labelledby="pending">
          <Title order={2} size="h4" id="pending" mb="xs">
            Not yet acknowledged by billing
          </Title>
          <ProblemAlert error={pending.error} />
          {pending.data ? (
            <DataTable
              label="Pending usage"
              empty="Billing has acknowledged all usage."
              rows={pending.data.items}
              rowKey={(p) => `${p.access_id}-${p.period}-${p.component}`}
              columns={[
                { label: 'Access', render: (p) => <span className="mono">{p.access_id.slice(0, 8)}</span> },
                { label: 'Period', render: (p) => <span style={{ whiteSpace: 'nowrap' }}>{p.period}</span> },
                { label: 'Component', render: (p) => `${p.component} (${p.waldur_type})` },
                { label: 'Metered', render: (p) => p.ledger },
                { label: 'Acknowledged', render: (p) => p.reported ?? '—' },
                { label: 'Status', render: (p) => <StatusBadge status={p.status} /> },
                { label: 'Attempts', render: (p) => p.attempts },
                { label: 'Last error', render: (p) => p.last_error ?? '' },
              ]}
            />
          ) : null}
        </section>
        <section aria-labelledby="orders">
          <Title order={2} size="h4" id="orders" mb="xs">
            Marketplace orders
          </Title>
          <ProblemAlert error={orders.error} />
          {orders.data ? (
            <DataTable
              label="Marketplace orders"
              empty="No orders seen yet"
              rows={orders.data.items}
              rowKey={(o) => o.order}
              columns={[
                { label: 'Order', render: (o) => <span className="mono">{o.order.slice(0, 8)}</span> },
                { label: 'Type', render: (o) => o.type },
                { label: 'Waldur state', render: (o) => o.waldur_state },
                { label: 'Our status', render: (o) => <StatusBadge status={o.status} /> },
                { label: 'Updated', render: (o) => fmtDate(o.updated_at) },
                { label: 'Last error', render: (o) => o.last_error ?? '' },
              ]}
            />
          ) : null}
        </section>
      </Stack>
    </>
  );
}

export function AuditPage() {
  const [action, setAction] = useState('');
  const audit = useQuery({ queryKey: ['audit', action], queryFn: () => ok(api.GET('/admin/api/v1/audit', { params: { query: { ...(action ? { action } : {}), limit: 200 } } })) });
  return (
    <>
      <PageHeader title="Audit log">
        <TextInput label="Action" placeholder="agent.publish" value={action} onChange={(e) => setAction(e.currentTarget.value)} />
      </PageHeader>
      <ProblemAlert error={audit.error} />
      {audit.isLoading ? <Loading /> : null}
      {audit.data ? (
        <DataTable
          label="Audit events"
          empty="No audit events match"
          rows={audit.data.items}
          rowKey={(e) => e.id}
          columns={[
            { label: 'When', render: (e) => fmtDate(e.at) },
            { label: 'Actor', render: (e) => e.actor },
            { label: 'Action', render: (e) => <code>{e.action}</code> },
            { label: 'Target', render: (e) => `${e.target_type}${e.target_id ? ` ${e.target_id.slice(0, 12)}` : ''}` },
            { label: 'Details', render: (e) => <span className="mono">{JSON.stringify(e.details).slice(0, 120)}</span> },
          ]}
        />
      ) : null}
    </>
  );
}

export function BackupsPage() {
  const backups = useQuery({ queryKey: ['backups'], queryFn: () => ok(api.GET('/admin/api/v1/backups')) });
  return (
    <>
      <PageHeader title="Backups" />
      <ProblemAlert error={backups.error} />
      {backups.isLoading ? <Loading /> : null}
      {backups.data ? (
        <>
          <Text size="sm" mb="sm">
            In <code>{backups.data.dir}</code> on the server. Create and verify with <code>agentctl backup create</code> / <code>agentctl backup verify</code>.
          </Text>
          <DataTable
            label="Backups"
            empty="No backups yet"
            rows={backups.data.items}
            rowKey={(b) => b.file}
            columns={[
              { label: 'File', render: (b) => <span className="mono">{b.file}</span> },
              { label: 'Shape', render: (b) => b.shape },
              { label: 'Created', render: (b) => fmtDate(b.created_at) },
              { label: 'Size', render: (b) => `${(b.bytes / 1024).toFixed(1)} KiB` },
              { label: 'Complete', render: (b) => (b.complete ? 'yes (checksum and manifest)' : 'no') },
            ]}
          />
        </>
      ) : null}
    </>
  );
}
