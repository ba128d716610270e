import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/index.ts';
import { parseSecretsKey } from './crypto.ts';

/**
 * The master secret. Cluster mode requires SECRETS_KEY (config enforces it); embedded mode
 * generates one on first start into DATA_DIR/secrets-key (mode 0600) and reuses it afterwards.
 */
export function loadSecretsKey(config: Config): Buffer {
  if (config.SECRETS_KEY) return parseSecretsKey(config.SECRETS_KEY);
  const file = join(config.dataDir, 'secrets-key');
  if (existsSync(file)) return parseSecretsKey(readFileSync(file, 'utf8'));
  mkdirSync(config.dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return key;
}
