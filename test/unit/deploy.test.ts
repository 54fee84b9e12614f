import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { createMetrics } from '../../src/observe/metrics.js';

const deployDir = fileURLToPath(new URL('../../deploy/', import.meta.url));
const rules = parse(readFileSync(`${deployDir}prometheus/alerts.yml`, 'utf8')) as {
  groups: { rules: { alert: string; expr: string }[] }[];
};
const dashboard = JSON.parse(readFileSync(`${deployDir}grafana/login-alerts.json`, 'utf8')) as {
  panels: { title: string; targets: { expr: string }[] }[];
  templating: { list: { query?: string }[] };
};

/** Every series name the product's registry can expose, histogram and summary suffixes included. */
async function exportedNames(): Promise<Set<string>> {
  const metrics = createMetrics();
  const names = new Set<string>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    names.add(m.name);
    const type = String(m.type);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(m.name + s);
  }
  return names;
}

const metricNamesIn = (expr: string) => [...expr.matchAll(/\blogin_alerts_[a-z0-9_]+/g)].map((m) => m[0]);

function promtool(args: string[]): { status: number | null; out: string } {
  const r = spawnSync('promtool', args, { cwd: `${deployDir}prometheus`, encoding: 'utf8', timeout: 30_000 });
  if (r.error) {
    throw new Error(`promtool not found (${r.error.message}): install Debian's prometheus package`);
  }
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('operator deployment files', () => {
  it('the alert rules pass promtool check rules', () => {
    const r = promtool(['check', 'rules', 'alerts.yml']);
    expect(r.out).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.status).toBe(0);
  });

  it('the lag, stall, readiness and delivery rules pass their promtool unit tests', () => {
    const r = promtool(['test', 'rules', 'alerts.test.yml']);
    expect(r.out).toMatch(/SUCCESS/);
    expect(r.status).toBe(0);
  });

  it('every alert rule names only metrics the product exports', async () => {
    const names = await exportedNames();
    const used = rules.groups.flatMap((g) => g.rules.flatMap((r) => metricNamesIn(r.expr)));
    expect(used.length).toBeGreaterThan(5);
    expect(used.filter((n) => !names.has(n))).toEqual([]);
  });

  it('every dashboard expression names only metrics the product exports', async () => {
    const names = await exportedNames();
    const exprs = [
      ...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)),
      ...dashboard.templating.list.flatMap((v) => (v.query ? [v.query] : [])),
    ];
    const used = exprs.flatMap(metricNamesIn);
    expect(dashboard.panels.every((p) => p.targets.length > 0)).toBe(true);
    expect(used.length).toBeGreaterThan(10);
    expect(used.filter((n) => !names.has(n))).toEqual([]);
  });
});
