import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { ROOT } from './console-build';

/** Each console screen as the e2e runs saw it, for a person to look at (not committed: .build is ignored). */
export const SCREENSHOTS = path.join(ROOT, '.build', 'console-screenshots');

/**
 * Removes what an earlier run of one spec left there (the files `mine` matches), not the
 * screenshots of the console specs that run beside it.
 */
export function clearScreenshots(mine: RegExp): void {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  for (const file of fs.readdirSync(SCREENSHOTS)) if (mine.test(file)) fs.rmSync(path.join(SCREENSHOTS, file), { force: true });
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core in the page (evaluated over the DevTools protocol, so the console's CSP stays as it is). */
export async function seriousViolations(page: Page): Promise<string[]> {
  const source = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source);
  const violations = await page.evaluate<AxeViolation[]>('axe.run(document).then((results) => results.violations)');
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.impact} ${violation.id}: ${violation.help} at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
    );
}

/** Starts collecting the page's long tasks (durations in ms) into `window.longTasks`. */
export const watchLongTasks = (page: Page): Promise<unknown> =>
  page.evaluate(
    "window.longTasks = []; new PerformanceObserver((list) => window.longTasks.push(...list.getEntries().map((entry) => entry.duration))).observe({ type: 'longtask' })",
  );

/** The long tasks since watchLongTasks, and forgets them. */
export const takeLongTasks = (page: Page): Promise<number[]> => page.evaluate<number[]>('window.longTasks.splice(0)');
