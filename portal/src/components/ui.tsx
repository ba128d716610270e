import { Alert, Badge, Center, Group, Loader, Progress, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { Problem } from '../api/client.ts';

/** An error state that names the problem code (and links its explanation). */
export function ProblemAlert({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const p = error instanceof Problem ? error : new Problem({ detail: error instanceof Error ? error.message : typeof error === 'object' && error && 'message' in error ? String((error).message) : 'unknown error' }, 0);
  return (
    <Alert color="red" variant="light" title={title ?? p.title} role="alert">
      <Text size="sm">{p.message}</Text>
      <Text size="sm" mt={4}>
        Problem code:{' '}
        <a href={`/problems/${p.code}`} target="_blank" rel="noreferrer">
          <code>{p.code}</code>
        </a>
        {p.status ? ` (HTTP ${p.status})` : ''}
      </Text>
      {p.errors.map((e) => (
        <Text size="sm" key={e.pointer}>
          <code>{e.pointer}</code>: {e.detail}
        </Text>
      ))}
    </Alert>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <Center py="xl" role="status" aria-live="polite">
      <Group gap="sm">
        <Loader size="sm" aria-hidden />
        <Text size="sm">{label}</Text>
      </Group>
    </Center>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <Stack gap={4} py="lg" px="md" style={{ border: '1px dashed #adb5bd', borderRadius: 8 }}>
      <Text fw={600}>{title}</Text>
      {children ? <Text size="sm">{children}</Text> : null}
    </Stack>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <Group justify="space-between" align="flex-end" mb="md" wrap="wrap">
      <Title order={1} size="h2">
        {title}
      </Title>
      {children}
    </Group>
  );
}

const STATUS_COLORS: Record<string, string> = { active: 'green', valid: 'green', suspended: 'orange', expired: 'gray', terminated: 'red', revoked: 'red', processed: 'green', failed: 'red', rejected: 'red', queued: 'blue', ok: 'green', warn: 'orange', fail: 'red', error: 'red', done: 'green' };

export function StatusBadge({ status }: { status: string }) {
  return (
    <Badge color={STATUS_COLORS[status] ?? 'gray'} variant="light" style={{ minWidth: 'max-content' }} styles={{ label: { color: 'var(--mantine-color-dark-9)', overflow: 'visible' } }}>
      {status}
    </Badge>
  );
}

export function QuotaBar({ used, limit, period, label }: { used: number; limit: number; period: string; label: string }) {
  const pct = limit > 0 ? Math.min(100, (used / limit) * 100) : 100;
  const color = pct >= 90 ? 'red' : pct >= 70 ? 'orange' : 'blue';
  return (
    <Stack gap={4}>
      <Group justify="space-between">
        <Text size="sm" fw={500}>
          Quota ({period === 'total' ? 'total' : `period ${period}`})
        </Text>
        <Text size="sm">
          {used.toLocaleString()} of {limit.toLocaleString()} requests
        </Text>
      </Group>
      <Progress.Root size="lg">
        <Progress.Section value={pct} color={color} aria-label={label} aria-valuetext={`${used} of ${limit} requests used`} />
      </Progress.Root>
    </Stack>
  );
}

export const fmtDate = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—');
