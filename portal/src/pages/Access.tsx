import { Alert, Anchor, Badge, Button, Checkbox, Group, Modal, SegmentedControl, Stack, Table, Tabs, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { Link } from 'wouter';
import { api, ok } from '../api/client.ts';
import { KeyReveal } from '../components/KeyReveal.tsx';
import { Empty, fmtDate, Loading, PageHeader, ProblemAlert, QuotaBar, StatusBadge } from '../components/ui.tsx';
import { REASON_LABEL } from './Home.tsx';
import { ConversationsPanel, PlaygroundPanel } from './Playground.tsx';

/** One access: its keys (create, show once, revoke, claim the order's first key), usage and settings. */
export function AccessPage({ id }: { id: string }) {
  const [tab, setTab] = useState<string | null>('keys');
  const [conversation, setConversation] = useState('');
  const access = useQuery({ queryKey: ['access', id], queryFn: () => ok(api.GET('/portal/api/v1/accesses/{id}', { params: { path: { id } } })) });
  if (access.isLoading) return <Loading />;
  if (access.error || !access.data) {
    return (
      <>
        <PageHeader title="Access" />
        <ProblemAlert error={access.error} />
        <Text mt="sm">
          <Anchor component={Link} href="/help">
            Why don't I see my access?
          </Anchor>
        </Text>
      </>
    );
  }
  const a = access.data;
  return (
    <>
      <PageHeader title={a.agent.name}>
        <StatusBadge status={a.effective_status} />
      </PageHeader>
      <Stack gap="md" mb="lg" maw={760}>
        <Text size="sm">
          Agent <code>{a.agent.id}</code> · tenant {a.tenant_name} · {a.email} · created {fmtDate(a.created_at)} · expires {a.expires_at ? fmtDate(a.expires_at) : 'never'}
          {a.order_ref ? ` · marketplace order ${a.order_ref}` : ''}
        </Text>
        <Group gap="xs">
          <Text size="sm">Visible because:</Text>
          {a.visible_because.map((r) => (
            <Badge key={r} variant="outline" color="dark">
              {REASON_LABEL[r] ?? r}
            </Badge>
          ))}
        </Group>
        <QuotaBar used={a.quota.used} limit={a.quota.limit} period={a.quota.period} label={`Quota used of ${a.agent.name}`} />
        <Text size="sm">
          Call it: <code>POST /api/v1/agents/{a.agent.id}/chat</code> with header <code>X-API-Key</code>, or any OpenAI SDK with base URL <code>{window.location.origin}/v1</code> and model{' '}
          <code>{a.agent.id}</code>.
        </Text>
      </Stack>
      <Tabs value={tab} onChange={setTab} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="keys">API keys</Tabs.Tab>
          <Tabs.Tab value="playground">Playground</Tabs.Tab>
          <Tabs.Tab value="conversations">Conversations</Tabs.Tab>
          <Tabs.Tab value="usage">Usage</Tabs.Tab>
          <Tabs.Tab value="settings">Settings</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="keys" pt="md">
          <KeysPanel id={id} firstKey={a.first_key} firstKeyExpiresAt={a.first_key_expires_at} terminated={a.status === 'terminated'} />
        </Tabs.Panel>
        <Tabs.Panel value="playground" pt="md">
          <PlaygroundPanel id={id} conversation={conversation} onConversation={setConversation} disabled={a.effective_status === 'active' ? null : `This access is ${a.effective_status}: it cannot run the agent.`} />
        </Tabs.Panel>
        <Tabs.Panel value="conversations" pt="md">
          <ConversationsPanel
            id={id}
            onContinue={(c) => {
              setConversation(c);
              setTab('playground');
            }}
          />
        </Tabs.Panel>
        <Tabs.Panel value="usage" pt="md">
          <UsagePanel id={id} />
        </Tabs.Panel>
        <Tabs.Panel value="settings" pt="md">
          <SettingsPanel id={id} />
        </Tabs.Panel>
      </Tabs>
    </>
  );
}

function KeysPanel({ id, firstKey, firstKeyExpiresAt, terminated }: { id: string; firstKey: string; firstKeyExpiresAt: string | null; terminated: boolean }) {
  const client = useQueryClient();
  const keys = useQuery({ queryKey: ['keys', id], queryFn: () => ok(api.GET('/portal/api/v1/accesses/{id}/keys', { params: { path: { id } } })) });
  const [name, setName] = useState('');
  const [expires, setExpires] = useState('');
  const [revealed, setRevealed] = useState<{ key: string; title: string } | null>(null);
  const [revoking, setRevoking] = useState<{ id: string; prefix: string } | null>(null);
  const refresh = () => Promise.all([client.invalidateQueries({ queryKey: ['keys', id] }), client.invalidateQueries({ queryKey: ['access', id] }), client.invalidateQueries({ queryKey: ['accesses'] })]);
  const create = useMutation({
    mutationFn: () =>
      ok(api.POST('/portal/api/v1/accesses/{id}/keys', { params: { path: { id } }, body: { ...(name ? { name } : {}), ...(expires ? { expires_at: new Date(`${expires}T23:59:59Z`).toISOString() } : {}) } })),
    onSuccess: async (k) => {
      setRevealed({ key: k.key, title: `New key ${k.prefix}` });
      setName('');
      setExpires('');
      await refresh();
    },
  });
  const claim = useMutation({
    mutationFn: () => ok(api.POST('/portal/api/v1/accesses/{id}/first-key/claim', { params: { path: { id } } })),
    onSuccess: async (k) => {
      setRevealed({ key: k.key, title: `Your first key ${k.prefix}` });
      await refresh();
    },
    // Expired (410 key_claim_expired) or gone meanwhile: the access now says so.
    onError: () => refresh(),
  });
  const revoke = useMutation({
    mutationFn: (keyId: string) => ok(api.POST('/portal/api/v1/accesses/{id}/keys/{keyId}/revoke', { params: { path: { id, keyId } } })),
    onSuccess: async () => {
      setRevoking(null);
      await refresh();
    },
  });
  return (
    <Stack gap="lg">
      {firstKey === 'waiting' ? (
        <Alert color="yellow" variant="light" title="The first key of your order is waiting">
          <Stack gap="xs" align="flex-start">
            <Text size="sm">
              The marketplace order created this access with a key. You can see it once; after that it is never shown again.
              {firstKeyExpiresAt ? ` Claim it before ${new Date(firstKeyExpiresAt).toLocaleString()}; after that it is revoked.` : null}
            </Text>
            <Button onClick={() => claim.mutate()} loading={claim.isPending}>
              Show my first key
            </Button>
          </Stack>
        </Alert>
      ) : null}
      {firstKey === 'expired' ? (
        <Alert color="gray" variant="light" title="The first key of your order has expired">
          <Text size="sm">It was not claimed in time, so it was revoked and can no longer be shown. Create a new key below.</Text>
        </Alert>
      ) : null}
      {firstKey === 'claimed' ? <Text size="sm">The order's first key was already claimed; create a new key if you no longer have it.</Text> : null}
      <ProblemAlert error={claim.error} title="The first key cannot be shown" />
      <section aria-labelledby="create-key">
        <Title order={2} size="h4" id="create-key" mb="xs">
          Create a key
        </Title>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate();
          }}
        >
          <Group align="flex-end" wrap="wrap">
            <TextInput label="Name" placeholder="production" value={name} onChange={(e) => setName(e.currentTarget.value)} maxLength={100} />
            <TextInput label="Expires (optional)" type="date" value={expires} onChange={(e) => setExpires(e.currentTarget.value)} />
            <Button type="submit" loading={create.isPending} disabled={terminated}>
              Create key
            </Button>
          </Group>
        </form>
        <ProblemAlert error={create.error} title="The key was not created" />
      </section>
      <section aria-labelledby="keys-list">
        <Title order={2} size="h4" id="keys-list" mb="xs">
          Keys
        </Title>
        <ProblemAlert error={keys.error ?? revoke.error} />
        {keys.isLoading ? <Loading /> : null}
        {keys.data && keys.data.items.length === 0 ? <Empty title="No keys yet">Create one above.</Empty> : null}
        {keys.data && keys.data.items.length > 0 ? (
          <div className="table-scroll">
            <Table striped highlightOnHover aria-label="API keys">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Prefix</Table.Th>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>Expires</Table.Th>
                  <Table.Th>Last used</Table.Th>
                  <Table.Th>
                    <span className="skip-link">Actions</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {keys.data.items.map((k) => (
                  <Table.Tr key={k.id} data-testid={`key-${k.prefix}`}>
                    <Table.Td className="mono">{k.prefix}</Table.Td>
                    <Table.Td>{k.name ?? '—'}</Table.Td>
                    <Table.Td>
                      <StatusBadge status={k.status} />
                    </Table.Td>
                    <Table.Td>{fmtDate(k.created_at)}</Table.Td>
                    <Table.Td>{k.expires_at ? fmtDate(k.expires_at) : 'never'}</Table.Td>
                    <Table.Td>{fmtDate(k.last_used_at)}</Table.Td>
                    <Table.Td>
                      {k.status === 'valid' ? (
                        <Button size="xs" color="red" variant="light" onClick={() => setRevoking({ id: k.id, prefix: k.prefix })} aria-label={`Revoke key ${k.prefix}`}>
                          Revoke
                        </Button>
                      ) : null}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </div>
        ) : null}
      </section>
      <KeyReveal keyValue={revealed?.key ?? null} title={revealed?.title ?? ''} onClose={() => setRevealed(null)} />
      <Modal opened={revoking !== null} onClose={() => setRevoking(null)} title="Revoke this key?" closeButtonProps={{ 'aria-label': 'Close' }}>
        <Stack>
          <Text size="sm">
            Requests with key <code>{revoking?.prefix}</code> are refused everywhere within a second. This cannot be undone.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setRevoking(null)}>
              Cancel
            </Button>
            <Button color="red" loading={revoke.isPending} onClick={() => revoking && revoke.mutate(revoking.id)}>
              Revoke key
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}

const COMPONENTS = [
  { value: 'requests', label: 'Requests' },
  { value: 'input_tokens', label: 'Input tokens' },
  { value: 'output_tokens', label: 'Output tokens' },
] as const;

function UsagePanel({ id }: { id: string }) {
  const [component, setComponent] = useState<(typeof COMPONENTS)[number]['value']>('requests');
  const usage = useQuery({ queryKey: ['usage', id], queryFn: () => ok(api.GET('/portal/api/v1/accesses/{id}/usage', { params: { path: { id }, query: { days: 30 } } })), refetchInterval: 5_000 });
  if (usage.isLoading) return <Loading />;
  if (usage.error || !usage.data) return <ProblemAlert error={usage.error} />;
  const total = usage.data.days.reduce((n, d) => n + d[component], 0);
  const label = COMPONENTS.find((c) => c.value === component)!.label;
  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap">
        <SegmentedControl value={component} onChange={setComponent} data={[...COMPONENTS]} aria-label="Usage component" />
        <Text size="sm" data-testid="usage-total" aria-live="polite">
          {label} in the last 30 days: <strong>{total.toLocaleString()}</strong>
        </Text>
      </Group>
      <div role="img" aria-label={`${label} per day for the last 30 days; total ${total}`} style={{ width: '100%', height: 260 }}>
        <ResponsiveContainer>
          <BarChart data={usage.data.days} margin={{ top: 8, right: 8, left: 0, bottom: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="day" tickFormatter={(d: string) => d.slice(5)} fontSize={12} stroke="#495057" />
            <YAxis allowDecimals={false} fontSize={12} stroke="#495057" />
            <Tooltip />
            <Bar dataKey={component} name={label} fill="#1971c2" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
      <div className="table-scroll">
        <Table aria-label="Usage by billing month">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Month</Table.Th>
              <Table.Th>Requests</Table.Th>
              <Table.Th>Input tokens</Table.Th>
              <Table.Th>Output tokens</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {usage.data.periods.length === 0 ? (
              <Table.Tr>
                <Table.Td colSpan={4}>No usage yet.</Table.Td>
              </Table.Tr>
            ) : (
              usage.data.periods.map((p) => (
                <Table.Tr key={p.period}>
                  <Table.Td>{p.period}</Table.Td>
                  <Table.Td>{p.requests.toLocaleString()}</Table.Td>
                  <Table.Td>{p.input_tokens.toLocaleString()}</Table.Td>
                  <Table.Td>{p.output_tokens.toLocaleString()}</Table.Td>
                </Table.Tr>
              ))
            )}
          </Table.Tbody>
        </Table>
      </div>
    </Stack>
  );
}

function SettingsPanel({ id }: { id: string }) {
  const client = useQueryClient();
  const settings = useQuery({ queryKey: ['settings', id], queryFn: () => loadSettings(id) });
  const [draft, setDraft] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (text: string) => ok(api.PUT('/portal/api/v1/accesses/{id}/settings', { params: { path: { id } }, body: { extra_instructions: text.trim() ? text : null } })),
    onSuccess: async () => {
      setDraft(null);
      await client.invalidateQueries({ queryKey: ['settings', id] });
    },
  });
  if (settings.isLoading) return <Loading />;
  if (settings.error || !settings.data) return <ProblemAlert error={settings.error} />;
  const value = draft ?? settings.data.extra_instructions ?? '';
  return (
    <Stack gap="xl" maw={760}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate(value);
        }}
      >
        <Stack>
          <Textarea
            label="Extra instructions"
            description="Added after the agent's own instructions on every run of this access (all keys, all channels)."
            autosize
            minRows={4}
            maxLength={10_000}
            value={value}
            onChange={(e) => setDraft(e.currentTarget.value)}
          />
          <Group>
            <Button type="submit" loading={save.isPending} disabled={draft === null}>
              Save settings
            </Button>
            {save.isSuccess ? (
              <Text size="sm" role="status">
                Saved.
              </Text>
            ) : null}
          </Group>
          <ProblemAlert error={save.error} title="The settings were not saved" />
        </Stack>
      </form>
      {settings.data.supported.includes('knowledge_bases') ? <KnowledgeSettings id={id} attached={settings.data.knowledge_bases} available={settings.data.available_knowledge_bases} /> : null}
      {settings.data.supported.includes('slack_bindings') ? <SlackSettings bindings={settings.data.slack_bindings} /> : null}
    </Stack>
  );
}

type Settings = Awaited<ReturnType<typeof loadSettings>>;
const loadSettings = (id: string) => ok(api.GET('/portal/api/v1/accesses/{id}/settings', { params: { path: { id } } }));

/** Attach or detach the tenant's knowledge bases: the agent also searches them on every run of this access. */
function KnowledgeSettings({ id, attached, available }: { id: string; attached: string[]; available: Settings['available_knowledge_bases'] }) {
  const client = useQueryClient();
  const [draft, setDraft] = useState<string[] | null>(null);
  const save = useMutation({
    mutationFn: (ids: string[]) => ok(api.PUT('/portal/api/v1/accesses/{id}/settings', { params: { path: { id } }, body: { knowledge_bases: ids } })),
    onSuccess: async () => {
      setDraft(null);
      await client.invalidateQueries({ queryKey: ['settings', id] });
    },
  });
  const value = draft ?? attached;
  return (
    <section aria-labelledby="kb-title">
      <Title order={2} size="h4" id="kb-title" mb="xs">
        Knowledge bases
      </Title>
      {available.length === 0 ? (
        <Empty title="Your tenant has no knowledge bases yet">Your operator creates them (or allows this access to manage knowledge, then <code>POST /api/v1/knowledge-bases</code> with its key); they can then be attached here.</Empty>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate(value);
          }}
        >
          <Stack gap="sm">
            <Checkbox.Group label="Attached to this access" description="The agent searches these besides its own and cites what it uses." value={value} onChange={setDraft}>
              <Stack gap="xs" mt="xs">
                {available.map((k) => (
                  <Checkbox
                    key={k.id}
                    value={k.id}
                    label={
                      <span>
                        {k.name} <Text span size="xs">· {k.documents} {k.documents === 1 ? 'document' : 'documents'}{k.platform_wide ? ' · platform-wide' : ''}</Text>
                      </span>
                    }
                    description={k.description || undefined}
                  />
                ))}
              </Stack>
            </Checkbox.Group>
            <Group>
              <Button type="submit" loading={save.isPending} disabled={draft === null}>
                Save knowledge bases
              </Button>
              {save.isSuccess ? (
                <Text size="sm" role="status">
                  Attached knowledge bases updated.
                </Text>
              ) : null}
            </Group>
            <ProblemAlert error={save.error} title="The knowledge bases were not changed" />
          </Stack>
        </form>
      )}
    </section>
  );
}

/** The Slack workspaces and channels whose messages this access answers (operators bind them). */
function SlackSettings({ bindings }: { bindings: Settings['slack_bindings'] }) {
  return (
    <section aria-labelledby="slack-title">
      <Title order={2} size="h4" id="slack-title" mb="xs">
        Slack
      </Title>
      {bindings.length === 0 ? (
        <Empty title="Not connected to Slack">No Slack workspace or channel is bound to this access. Your operator binds one (agentctl slack bind); the agent then answers mentions and direct messages there, metered to this access.</Empty>
      ) : (
        <div className="table-scroll">
          <Table aria-label="Slack bindings">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Workspace (team)</Table.Th>
                <Table.Th>Channel</Table.Th>
                <Table.Th>Bound</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {bindings.map((b) => (
                <Table.Tr key={`${b.team_id}/${b.channel_id ?? ''}`}>
                  <Table.Td className="mono">{b.team_id}</Table.Td>
                  <Table.Td className="mono">{b.channel_id ?? 'the whole workspace'}</Table.Td>
                  <Table.Td>{fmtDate(b.created_at)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Text size="xs" mt="xs">
            Read-only here: ask your operator to change a binding.
          </Text>
        </div>
      )}
    </section>
  );
}
