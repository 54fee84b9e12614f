// CPU cost of rendering notices: every kind, in every shipped locale, for every channel (email HTML
// and text, SMS, push), with realistic values, and the bytes each render allocates (the garbage the
// collector then works on; Node 26's total_allocated_bytes). Run: node --import tsx bench/render.ts
// (prints a table, then one JSON line)
import { getHeapStatistics } from 'node:v8';
import { createRenderer, NOTICE_KINDS, type RenderInput } from '../src/notify/render.js';
import { usePreparedCalls } from '../src/notify/templates.js';

const N = Number(process.env.BENCH_RENDER_NOTICES ?? 10_000);
const renderer = createRenderer();
const LOCALES = (process.env.BENCH_RENDER_LOCALES ?? 'en,pt-BR').split(',');

const input: RenderInput = {
  kind: 'new_login',
  locale: 'en',
  timeZone: 'America/Sao_Paulo',
  occurredAt: '2026-11-24T17:05:00Z',
  product: 'chatgpt',
  method: 'passkey',
  device: {
    browser: 'Chrome',
    browser_version: '129',
    os: 'Android',
    os_version: '14',
    device_type: 'mobile',
  },
  geo: { network: 'public', city: 'São Paulo', country_code: 'BR' },
  severity: 'warning',
  reasons: ['new_device', 'new_city'],
  failureCount: 4,
  authenticator: 'YubiKey 5 Series',
  change: 'credential.added',
  containment: { action: 'session_revoked', status: 'done' },
  reportUrl: 'https://alerts.example.com/r/AQAAAAA.abcdefghijklmnopqrstuv',
  settingsUrl: 'https://chatgpt.com/#settings/Security',
};
const inputs = LOCALES.flatMap((locale) => NOTICE_KINDS.map((kind) => ({ ...input, kind, locale })));

const measure = (part: 'all' | 'email' | 'sms' | 'push') => {
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      const out = renderer.render(inputs[i % inputs.length] as RenderInput);
      if (part === 'all' || part === 'email') void out.email;
      if (part === 'all' || part === 'sms') void out.sms;
      if (part === 'all' || part === 'push') void out.push;
    }
  };
  run(Math.min(N, 5_000));
  // The best of five rounds: on a shared machine the other rounds measure the neighbours.
  let best = Number.POSITIVE_INFINITY;
  let bytes = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    const allocated0 = allocated();
    const cpu0 = process.cpuUsage();
    run(N);
    const cpu = process.cpuUsage(cpu0);
    best = Math.min(best, (cpu.user + cpu.system) / N);
    bytes = Math.min(bytes, (allocated() - allocated0) / N);
  }
  return { cpu: Number(best.toFixed(2)), kb: Number((bytes / 1024).toFixed(2)) };
};
/** Bytes the heap has allocated since start (Node 26; 0 where V8 does not report it). */
const allocated = () =>
  (getHeapStatistics() as { total_allocated_bytes?: number }).total_allocated_bytes ?? 0;

const parts = ['all', 'email', 'sms', 'push'] as const;
const measured = parts.map((part) => [part, measure(part)] as const);
const name = (part: string) => (part === 'all' ? 'notice_all_channels' : part);
const result = {
  notices: N,
  locales: LOCALES.length,
  ...Object.fromEntries(measured.map(([part, m]) => [`cpu_us_per_${name(part)}`, m.cpu])),
  ...Object.fromEntries(measured.map(([part, m]) => [`kb_allocated_per_${name(part)}`, m.kb])),
};
console.log('render (every kind, each locale), per notice, best of five rounds: CPU µs and KB allocated');
for (const [k, v] of Object.entries(result)) console.log(`  ${k.padEnd(38)} ${v}`);

// The email with Handlebars setting each template call up, and with the set-up made once
// (templates.ts), in ABBA turns: per email, the best of each side's turns.
const sides = { per_call: [] as { cpu: number; kb: number }[], once: [] as { cpu: number; kb: number }[] };
for (const side of ['per_call', 'once', 'once', 'per_call'] as const) {
  usePreparedCalls(side === 'once');
  sides[side].push(measure('email'));
}
usePreparedCalls(true);
const best = (runs: { cpu: number; kb: number }[]) => ({
  cpu: Math.min(...runs.map((r) => r.cpu)),
  kb: Math.min(...runs.map((r) => r.kb)),
});
const setUp = { per_call: best(sides.per_call), once: best(sides.once) };
console.log('email, Handlebars template calls set up per call → once: CPU µs and KB allocated per email');
console.log(`  cpu_us  ${setUp.per_call.cpu} → ${setUp.once.cpu}`);
console.log(`  kb      ${setUp.per_call.kb} → ${setUp.once.kb}`);
console.log(JSON.stringify({ ...result, email_template_calls_set_up: setUp }));
