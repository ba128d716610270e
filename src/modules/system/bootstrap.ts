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
 * agent (then the concierge set, `seedDemoAgentSet`), so `agentctl agents test helpdesk --message "printer on fire"` works right away.
 * Runs once (remembered in the settings table); deleting the demo objects later is respected.
 */
export async function seedDemoData(deps: Deps): Promise<boolean> {
  if (!deps.config.demoData) return false;
  const done = await readSetting(deps.db, DEMO_KEY);
  if (done) {
    // A data directory seeded before the concierge set existed gets it once.
    await seedDemoAgentSet(deps);
    return false;
  }
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
  await seedDemoAgentSet(deps);
  return true;
}

const DEMO_SET2_KEY = 'bootstrap.demo_concierge_seeded';

export const BILLING_INSTRUCTIONS = `You are a billing assistant. Answer questions about invoices, payments, refunds and plans in at most three sentences.
If the question needs an account or invoice number that was not given, ask for it. Never promise a refund; say who decides.`;

export const CONCIERGE_INSTRUCTIONS = `You are a concierge. You do not answer questions yourself: for IT and facilities problems (printers, laptops, network, passwords, safety) call delegate_to_helpdesk, for invoices, payments and refunds call delegate_to_billing, passing the customer's whole question. Then give the customer the colleague's answer in your own words and say who answered.`;

/**
 * The `mock` provider's script for the concierge (it works offline): printer-like questions go to
 * helpdesk, invoice-like ones to billing, and the answer quotes the colleague's.
 */
export const CONCIERGE_MOCK_SCRIPT = [
  { match: 'invoice|bill|payment|refund|charge|receipt|subscription|price', toolResults: false, toolCalls: [{ name: 'delegate_to_billing', arguments: { message: '{{input}}' } }] },
  { match: 'printer|print|laptop|computer|network|wi-?fi|vpn|password|login|e-?mail|screen|fire|smoke', toolResults: false, toolCalls: [{ name: 'delegate_to_helpdesk', arguments: { message: '{{input}}' } }] },
  { toolResults: true, reply: '[mock] Concierge asked a colleague. {{tool_results}}' },
  { toolResults: false, reply: '[mock] Concierge: I pass IT and facilities questions (printers, laptops, network, passwords) to helpdesk and invoice or payment questions to billing. Ask me one of those.' },
];

/**
 * The second demo set (issue 9, sub-agents): a `billing` agent and the orchestrator `concierge`
 * that delegates to `helpdesk` and `billing`, all on the offline `mock` provider. Runs once per
 * data directory, also on a data directory seeded before the set existed; skipped when the
 * operator removed the `mock` provider.
 */
export async function seedDemoAgentSet(deps: Deps): Promise<boolean> {
  if (!deps.config.demoData) return false;
  if (await readSetting(deps.db, DEMO_SET2_KEY)) return false;
  const actor = systemActor('demo-data');
  const s = deps.services;
  if (!(await s.providers.list()).some((p) => p.id === 'mock')) return false;
  const existing = new Set((await s.agents.list()).map((a) => a.id));
  if (!existing.has('billing')) {
    await s.agents.create(
      {
        id: 'billing',
        name: 'Billing assistant',
        description: 'Answers invoice, payment and refund questions (demo agent on the mock provider).',
        provider: 'mock',
        model: 'mock-1',
        instructions: BILLING_INSTRUCTIONS,
        publish: true,
      },
      actor,
    );
    existing.add('billing');
  }
  if (!existing.has('concierge')) {
    await s.agents.create(
      {
        id: 'concierge',
        name: 'Concierge',
        description: 'Front desk: passes IT questions to helpdesk and invoice questions to billing (demo orchestrator on the mock provider).',
        provider: 'mock',
        model: 'mock-1',
        instructions: CONCIERGE_INSTRUCTIONS,
        delegates: ['helpdesk', 'billing'].filter((d) => existing.has(d)),
        max_steps: 4,
        settings: { mock_script: CONCIERGE_MOCK_SCRIPT },
        publish: true,
      },
      actor,
    );
  }
  await writeSetting(deps.db, DEMO_SET2_KEY, { at: deps.clock.now().toISOString() });
  deps.logger.info('demo data created: agents billing and concierge (delegates to helpdesk and billing)');
  return true;
}
