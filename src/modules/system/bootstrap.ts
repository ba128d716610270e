import { existsSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Deps } from '../../deps.ts';
import { readSetting, writeSetting } from '../ops/settings.ts';
import { systemActor } from '../audit/service.ts';

export const ADMIN_TOKEN_FILE = 'admin-token';

/**
 * Embedded mode: on first start, create an admin token for the local CLI and write it to
 * DATA_DIR/admin-token (mode 0600). The token is never logged; only the file's path is.
 */
export async function ensureLocalAdminToken(deps: Deps): Promise<string | undefined> {
  if (deps.config.mode !== 'embedded') return undefined;
  const file = join(deps.config.dataDir, ADMIN_TOKEN_FILE);
  if (existsSync(file)) return undefined;
  mkdirSync(deps.config.dataDir, { recursive: true });
  const existing = new Set((await deps.services.adminTokens.list()).map((t) => t.name));
  let name = 'local-cli';
  for (let i = 2; existing.has(name); i++) name = `local-cli-${i}`;
  const { token } = await deps.services.adminTokens.create(name, systemActor('bootstrap'));
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  deps.logger.info({ file, name }, 'created an admin token for the local CLI');
  return file;
}

const DEMO_KEY = 'bootstrap.demo_seeded';

export const HELPDESK_INSTRUCTIONS = `You are a helpdesk triage agent. For every ticket, answer with:
1. Category: one of hardware, software, network, access, facilities, safety.
2. Priority: P1 (people or property at risk, or everyone blocked), P2 (a team blocked), P3 (one person blocked), P4 (question).
3. The first step the requester should take now, in one sentence.
Escalate anything involving fire, smoke, electrical hazards or injuries as P1 safety and tell the requester to leave the area and call emergency services.`;

/**
 * Demo data for a first embedded start: tenant `demo`, the `mock` provider and the `helpdesk`
 * agent, so `agentctl agents test helpdesk --message "printer on fire"` works right away.
 * Runs once (remembered in the settings table); deleting the demo objects later is respected.
 */
export async function seedDemoData(deps: Deps): Promise<boolean> {
  if (!deps.config.demoData) return false;
  const done = await readSetting(deps.db, DEMO_KEY);
  if (done) return false;
  const actor = systemActor('demo-data');
  const s = deps.services;
  if (!(await s.tenants.list()).some((t) => t.name === 'demo')) await s.tenants.create({ name: 'demo' }, actor);
  if (!(await s.providers.list()).some((p) => p.id === 'mock')) {
    await s.providers.create({ id: 'mock', kind: 'mock', default_model: 'mock-1', settings: {} }, actor);
  }
  if (!(await s.agents.list()).some((a) => a.id === 'helpdesk')) {
    await s.agents.create(
      {
        id: 'helpdesk',
        name: 'Helpdesk triage',
        description: 'Sorts IT and facilities tickets by category and priority and suggests the first step (demo agent on the mock provider).',
        provider: 'mock',
        model: 'mock-1',
        instructions: HELPDESK_INSTRUCTIONS,
        publish: true,
      },
      actor,
    );
  }
  await writeSetting(deps.db, DEMO_KEY, { at: deps.clock.now().toISOString() });
  deps.logger.info('demo data created: tenant demo, provider mock, agent helpdesk');
  return true;
}
