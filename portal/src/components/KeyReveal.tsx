import { Alert, Button, CopyButton, Group, Modal, Stack, Text } from '@mantine/core';

/** Shows a new key once, with a copy button; closing it forgets the key. */
export function KeyReveal({ keyValue, onClose, title }: { keyValue: string | null; onClose: () => void; title: string }) {
  return (
    <Modal opened={keyValue !== null} onClose={onClose} title={title} size="lg" closeOnClickOutside={false} closeButtonProps={{ 'aria-label': 'Close' }}>
      <Stack>
        <Alert color="yellow" variant="light">
          This is the only time the key is shown. Copy it now and keep it somewhere safe.
        </Alert>
        <Text className="mono" data-testid="new-key" aria-label="The new API key" p="sm" bg="gray.1" style={{ borderRadius: 6 }}>
          {keyValue}
        </Text>
        <Group justify="flex-end">
          <CopyButton value={keyValue ?? ''}>
            {({ copied, copy }) => (
              <Button color={copied ? 'teal' : 'blue'} onClick={copy}>
                {copied ? 'Copied' : 'Copy key'}
              </Button>
            )}
          </CopyButton>
          <Button variant="default" onClick={onClose}>
            I have stored it
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
