import { Button, Group, List, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ok } from '../api/client.ts';
import { Loading, PageHeader, ProblemAlert } from '../components/ui.tsx';

/** "Agent not appearing in portal" (runbook 000), answered for the signed-in user. */
export function HelpPage() {
  const me = useQuery({ queryKey: ['me'], queryFn: () => ok(api.GET('/portal/api/v1/me')) });
  const [order, setOrder] = useState('');
  const explain = useMutation({ mutationFn: (o: string) => ok(api.GET('/portal/api/v1/explain', { params: { query: { order: o } } })) });
  return (
    <>
      <PageHeader title="Can't find an access?" />
      <Stack gap="lg" maw={760}>
        <section aria-labelledby="rules">
          <Title order={2} size="h4" id="rules" mb="xs">
            What decides what you see
          </Title>
          {me.isLoading ? <Loading /> : null}
          <ProblemAlert error={me.error} />
          {me.data ? (
            <List spacing={4}>
              {me.data.rules.map((r) => (
                <List.Item key={r}>{r}</List.Item>
              ))}
            </List>
          ) : null}
        </section>
        <section aria-labelledby="order-check">
          <Title order={2} size="h4" id="order-check" mb="xs">
            Check a marketplace order
          </Title>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              explain.mutate(order.trim());
            }}
          >
            <Group align="flex-end">
              <TextInput label="Order UUID (from the marketplace)" value={order} onChange={(e) => setOrder(e.currentTarget.value)} required w={380} maw="100%" />
              <Button type="submit" loading={explain.isPending}>
                Check
              </Button>
            </Group>
          </form>
          <ProblemAlert error={explain.error} />
          {explain.data ? (
            <Stack gap={4} mt="sm" role="status">
              <Text fw={600}>{explain.data.visible ? 'You can see this order\'s access.' : 'You cannot see an access for this order.'}</Text>
              {explain.data.reasons.map((r) => (
                <Text size="sm" key={r}>
                  {r}
                </Text>
              ))}
            </Stack>
          ) : null}
        </section>
      </Stack>
    </>
  );
}
