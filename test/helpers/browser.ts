import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Browser tests run Debian's Chromium through playwright-core (no browser download): set
 * CHROMIUM_PATH to use another binary. The flags (DEVELOPERS.md) keep it headless, inside a
 * container without a sandbox, without a GPU and without talking to anything but the test servers.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const SCREENSHOT_DIR = join(import.meta.dirname, '..', '..', '.tmp', 'screenshots', 'portal');

export const chromiumAvailable = () => existsSync(CHROMIUM_PATH);

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_FLAGS });
}

/** Saves a full-page screenshot under .tmp/screenshots/portal/NAME.png (looked at by people). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** axe-core's WCAG checks of the page as it is now: the violations of impact serious or critical. */
export async function seriousA11yViolations(page: Page): Promise<{ id: string; impact: string; help: string; targets: string[] }[]> {
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  return r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact!, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
}

/**
 * Why a browser suite is skipped, or false: it runs once, on the PGlite pass (its server-side rules
 * run on both backends in test/portal-api.test.ts); without Chromium it is skipped, except in CI,
 * where a missing browser fails the run (.ci/run installs it).
 */
export function browserSuiteSkip(onPostgres: boolean): string | false {
  if (onPostgres) return 'the browser suite runs on the PGlite pass; its server-side rules run on both backends in test/portal-api.test.ts';
  return !chromiumAvailable() && !process.env.CI ? `no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium)` : false;
}
