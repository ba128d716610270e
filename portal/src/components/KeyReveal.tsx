import { Alert, Button, CopyButton, Group, Modal, Stack, Text } from '@mantine/core';
import { useRef } from 'react';

/** Shows a new key once, with a copy button; closing it forgets the key. */
export function KeyReveal({ keyValue, onClose, title }: { keyValue: string | null; onClose: () => void; title: string }) {
  // While the modal fades out the key is already forgotten by the parent: keep the title so the
  // closing dialog still has an accessible name (the key itself is not kept).
  const lastTitle = useRef(title);
  if (title) lastTitle.current = title;
  return (
    <Modal opened={keyValue !== null} onClose={onClose} title={title || lastTitle.current} size="lg" closeOnClickOutside={false} closeButtonProps={{ 'aria-label': 'Close' }}>
      <Stack>
        <Alert color="yellow" variant="light">
          This is the only time the key is shown. Copy it now and keep it somewhere safe.
        </Alert>
        <Text size="sm" fw={500} id="new-key-label">
          The new API key
        </Text>
        <Text className="mono" data-testid="new-key" role="textbox" aria-readonly="true" aria-labelledby="new-key-label" p="sm" bg="gray.1" style={{ borderRadius: 6 }}>
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
