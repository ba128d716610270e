import { Badge, Button, Group, Paper, Select, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { api, ok, Problem } from '../api/client.ts';
import { streamChat, type ChatResult } from '../api/stream.ts';
import { Empty, fmtDate, Loading, ProblemAlert } from '../components/ui.tsx';

/** `''`: one message without history; `'new'`: start a conversation with the next message; else a conversation id. */
export type ConversationChoice = string;

interface Exchange {
  message: string;
  answer: string;
  state: 'streaming' | 'done' | 'failed' | 'stopped';
  result?: ChatResult;
  error?: unknown;
  tools: string[];
}

const conversationLabel = (c: { title: string | null; created_at: string; message_count: number }) => `${c.title ?? 'Conversation'} · ${fmtDate(c.created_at)} · ${c.message_count} messages`;

/**
 * The playground (docs/adr/0070): the signed-in customer sends a message to the access's agent and
 * reads the answer as it streams. Each run is an ordinary metered run of the access (channel
 * `portal`): the quota bar above moves, quota problems show with their code.
 */
export function PlaygroundPanel({ id, conversation, onConversation, disabled }: { id: string; conversation: ConversationChoice; onConversation: (c: ConversationChoice) => void; disabled: string | null }) {
  const client = useQueryClient();
  const conversations = useQuery({ queryKey: ['conversations', id], queryFn: () => ok(api.GET('/portal/api/v1/accesses/{id}/conversations', { params: { path: { id }, query: { limit: 100 } } })) });
  const existing = conversation !== '' && conversation !== 'new' ? conversation : null;
  // Conversations started here have no earlier turns: everything of theirs is in `exchanges`.
  const startedHere = useRef(new Set<string>());
  // The earlier turns are read once per choice (epoch); the turns added here are shown from `exchanges`.
  const [epoch, setEpoch] = useState(0);
  const earlier = useQuery({
    queryKey: ['playground-history', id, existing, epoch],
    enabled: existing !== null && !startedHere.current.has(existing),
    staleTime: Infinity,
    gcTime: 0,
    refetchOnWindowFocus: false,
    queryFn: () => ok(api.GET('/portal/api/v1/accesses/{id}/conversations/{conversationId}/messages', { params: { path: { id, conversationId: existing! }, query: { limit: 100 } } })),
  });
  const [message, setMessage] = useState('');
  const [exchanges, setExchanges] = useState<Exchange[]>([]);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);
  const streaming = exchanges.at(-1)?.state === 'streaming';

  const update = (patch: Partial<Exchange> | ((e: Exchange) => Partial<Exchange>)) =>
    setExchanges((all) => all.map((e, i) => (i === all.length - 1 ? { ...e, ...(typeof patch === 'function' ? patch(e) : patch) } : e)));

  const start = useMutation({ mutationFn: () => ok(api.POST('/portal/api/v1/accesses/{id}/conversations', { params: { path: { id } }, body: {} })) });

  const send = async () => {
    const text = message.trim();
    if (!text || streaming) return;
    let conversationId: string | undefined = existing ?? undefined;
    setExchanges((all) => [...all, { message: text, answer: '', state: 'streaming', tools: [] }]);
    setMessage('');
    try {
      if (conversation === 'new') {
        const c = await start.mutateAsync();
        conversationId = c.id;
        startedHere.current.add(c.id);
        onConversation(c.id);
      }
      const ac = new AbortController();
      abort.current = ac;
      const result = await streamChat(
        id,
        { message: text, ...(conversationId ? { conversation_id: conversationId } : {}) },
        (e) => {
          if (e.event === 'text.delta') update((x) => ({ answer: x.answer + e.data.text }));
          else if (e.event === 'tool.call') update((x) => ({ tools: [...x.tools, e.data.name] }));
        },
        ac.signal,
      );
      update({ state: 'done', result, answer: result.answer });
    } catch (err) {
      update({ state: abort.current?.signal.aborted ? 'stopped' : 'failed', error: err });
    } finally {
      abort.current = null;
      // The run moved the quota and the usage, and maybe added a turn to a conversation.
      await Promise.all([
        client.invalidateQueries({ queryKey: ['access', id] }),
        client.invalidateQueries({ queryKey: ['usage', id] }),
        client.invalidateQueries({ queryKey: ['conversations', id] }),
        client.invalidateQueries({ queryKey: ['conversation-messages', id] }),
      ]);
    }
  };

  const options = [
    { value: '', label: 'Single message (no history)' },
    { value: 'new', label: 'New conversation' },
    ...(conversations.data?.items ?? []).map((c) => ({ value: c.id, label: conversationLabel(c) })),
  ];
  const last = exchanges.at(-1);
  return (
    <Stack gap="md" maw={860}>
      <Text size="sm">
        Talk to the agent as your users do. Every message is a normal run of this access: it counts against the quota and appears in the usage (channel <code>portal</code>).
      </Text>
      {disabled ? <ProblemAlert error={new Problem({ code: 'access_suspended', title: 'The playground is not available', detail: disabled }, 403)} /> : null}
      <ProblemAlert error={conversations.error} title="Conversations could not be loaded" />
      <Select
        label="Conversation"
        description="Continue a conversation (the agent sees its earlier turns) or send a single message."
        data={options}
        value={conversation}
        onChange={(v) => {
          onConversation(v ?? '');
          setExchanges([]);
          setEpoch((n) => n + 1);
        }}
        allowDeselect={false}
        disabled={streaming}
        maw={560}
      />
      <section aria-labelledby="transcript-title">
        <Title order={2} size="h4" id="transcript-title" mb="xs">
          Transcript
        </Title>
        <Stack gap="sm" data-testid="transcript">
          {existing && earlier.isLoading ? <Loading label="Loading the conversation…" /> : null}
          <ProblemAlert error={earlier.error} title="The conversation could not be loaded" />
          {existing && earlier.data && !startedHere.current.has(existing)
            ? earlier.data.items.map((m) => <Turn key={m.id} role={m.role} text={m.content} />)
            : null}
          {exchanges.map((e, i) => (
            <Stack gap="xs" key={i}>
              <Turn role="user" text={e.message} />
              {e.answer || e.state === 'streaming' ? (
                <Turn role="assistant" text={e.answer} streaming={e.state === 'streaming'} testId={i === exchanges.length - 1 ? 'answer' : undefined} />
              ) : null}
              {e.tools.length > 0 ? <Text size="xs">Tools used: {e.tools.join(', ')}</Text> : null}
              {e.result && e.result.citations.length > 0 ? <Citations items={e.result.citations} /> : null}
              {e.state === 'failed' ? <ProblemAlert error={e.error} title="The agent could not answer" /> : null}
              {e.state === 'stopped' ? <Text size="sm">Stopped. A run cancelled after its first words is still metered.</Text> : null}
            </Stack>
          ))}
          {!existing && exchanges.length === 0 ? <Empty title="No messages yet">Type a message below; the answer appears here as the agent writes it.</Empty> : null}
          {existing && !startedHere.current.has(existing) && earlier.data && earlier.data.items.length === 0 && exchanges.length === 0 ? <Empty title="This conversation has no turns yet">Send the first message below.</Empty> : null}
        </Stack>
      </section>
      {last?.state === 'done' && last.result ? (
        <Text size="sm" role="status" data-testid="run-summary">
          Answered in {last.result.latency_ms ?? '—'} ms · {last.result.usage.input_tokens} input and {last.result.usage.output_tokens} output tokens · quota left:{' '}
          <strong>
            {last.result.quota.remaining.toLocaleString()} of {last.result.quota.limit.toLocaleString()}
          </strong>
        </Text>
      ) : null}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <Stack gap="xs">
          <Textarea
            label="Message"
            description="Ctrl+Enter sends."
            autosize
            minRows={3}
            maxLength={100_000}
            value={message}
            onChange={(e) => setMessage(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                e.preventDefault();
                void send();
              }
            }}
          />
          <Group>
            <Button type="submit" loading={streaming} disabled={!message.trim() || disabled !== null}>
              Send
            </Button>
            {streaming ? (
              <Button variant="default" onClick={() => abort.current?.abort()}>
                Stop
              </Button>
            ) : null}
          </Group>
        </Stack>
      </form>
    </Stack>
  );
}

function Turn({ role, text, streaming, testId }: { role: 'user' | 'assistant'; text: string; streaming?: boolean; testId?: string | undefined }) {
  return (
    <Paper withBorder p="sm" radius="md" bg={role === 'user' ? 'gray.0' : 'white'} aria-busy={streaming ? true : undefined} data-testid={testId}>
      <Text size="xs" fw={700} mb={4}>
        {role === 'user' ? 'You' : 'Agent'}
        {streaming ? ' · writing…' : ''}
      </Text>
      <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} data-testid={testId ? `${testId}-text` : undefined}>
        {text}
      </Text>
    </Paper>
  );
}

function Citations({ items }: { items: ChatResult['citations'] }) {
  return (
    <section aria-label="Sources">
      <Text size="sm" fw={600}>
        Sources
      </Text>
      <ol style={{ margin: 0, paddingLeft: 24 }} data-testid="citations">
        {items.map((c) => (
          <li key={c.n} value={c.n}>
            <Text size="sm" span>
              {/* The heading path usually starts with the document's title: show it once. */}
              {c.heading_path.startsWith(c.document_title) ? c.heading_path : [c.document_title, c.heading_path].filter(Boolean).join(' — ')} <Badge variant="outline" color="dark" size="sm">{c.source}</Badge>
            </Text>
          </li>
        ))}
      </ol>
    </section>
  );
}

/** The access's conversations (ADR 0046) with their turns; any of them can be continued in the playground. */
export function ConversationsPanel({ id, onContinue }: { id: string; onContinue: (conversationId: string) => void }) {
  const conversations = useQuery({ queryKey: ['conversations', id], queryFn: () => ok(api.GET('/portal/api/v1/accesses/{id}/conversations', { params: { path: { id }, query: { limit: 100 } } })) });
  const [open, setOpen] = useState<string | null>(null);
  if (conversations.isLoading) return <Loading />;
  if (conversations.error || !conversations.data) return <ProblemAlert error={conversations.error} />;
  if (conversations.data.items.length === 0) {
    return (
      <Empty title="No conversations yet">
        Start one in the playground (choose “New conversation”), or through the API with <code>POST /api/v1/conversations</code>.
      </Empty>
    );
  }
  return (
    <Stack gap="md">
      <div className="table-scroll">
        <Table striped aria-label="Conversations">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Title</Table.Th>
              <Table.Th>Messages</Table.Th>
              <Table.Th>Started</Table.Th>
              <Table.Th>Last turn</Table.Th>
              <Table.Th>
                <span className="skip-link">Actions</span>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {conversations.data.items.map((c) => (
              <Table.Tr key={c.id} data-testid={`conversation-${c.id}`}>
                <Table.Td>{c.title ?? 'Conversation'}</Table.Td>
                <Table.Td>{c.message_count}</Table.Td>
                <Table.Td>{fmtDate(c.created_at)}</Table.Td>
                <Table.Td>{fmtDate(c.updated_at)}</Table.Td>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <Button size="xs" variant="default" onClick={() => setOpen(open === c.id ? null : c.id)} aria-expanded={open === c.id} aria-controls={`turns-${c.id}`}>
                      {open === c.id ? 'Hide turns' : 'Show turns'}
                    </Button>
                    <Button size="xs" onClick={() => onContinue(c.id)}>
                      Continue
                    </Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </div>
      {open ? <Turns id={id} conversationId={open} /> : null}
    </Stack>
  );
}

function Turns({ id, conversationId }: { id: string; conversationId: string }) {
  const messages = useQuery({
    queryKey: ['conversation-messages', id, conversationId],
    queryFn: () => ok(api.GET('/portal/api/v1/accesses/{id}/conversations/{conversationId}/messages', { params: { path: { id, conversationId }, query: { limit: 100 } } })),
  });
  return (
    <section id={`turns-${conversationId}`} aria-label="Turns of the conversation">
      {messages.isLoading ? <Loading label="Loading the turns…" /> : null}
      <ProblemAlert error={messages.error} />
      {messages.data && messages.data.items.length === 0 ? <Empty title="No turns yet">A turn is stored when a run of the conversation succeeds.</Empty> : null}
      <Stack gap="xs" maw={860}>
        {messages.data?.items.map((m) => <Turn key={m.id} role={m.role} text={m.content} />)}
      </Stack>
      {messages.data?.next_cursor ? <Text size="sm">Only the first 100 messages are shown.</Text> : null}
    </section>
  );
}
