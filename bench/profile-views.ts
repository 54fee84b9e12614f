/**
 * Two views of a window profile (bench/profile-window.ts) of a bench child. By owner: each sample
 * charged to the library or directory of our code it ran in (a builtin to the JavaScript function that
 * called it, a Node internal to the nearest caller outside Node). By stage: each sample charged to the
 * nearest enclosing frame of a named stage of the alert's path (decode → select + read state → decide
 * → emit → publish → write state; dispatch read → select → claim → render → send → record → settle +
 * commit); what runs under no stage frame (kafkajs fetching and decoding, ioredis replies, GC, the
 * consumer loops) is "the rest", shown by owner.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber?: number };
  children?: number[];
}
export interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  /** What the child measured in the window (written by profile-window.ts `stop`). */
  bench?: { events?: number; alerts?: number };
}
type Frame = ProfileNode['callFrame'];

export const readProfile = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Profile;

/** Owners that are not our code, in the order they are printed. */
export const LIBRARIES = [
  'kafkajs',
  'JSON.parse (records)',
  'ioredis',
  'handlebars',
  'zod',
  'ua-parser-js',
  'mmdb-lib',
];
/** Neither busy work of the process nor anyone's: left out of the busy totals. */
export const APART = new Set(['(idle)', 'profiler']);

/** The owner of one frame, or undefined for a frame that passes its time to its caller. */
export function ownerOf(frame: Frame): string | undefined {
  const { url, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : undefined;
  if (url.startsWith('node:')) return url.startsWith('node:inspector') ? 'profiler' : undefined;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] === 'maxmind' ? 'mmdb-lib' : pkg[1];
  if (url.includes('/bench/')) return url.includes('profile-window') ? 'profiler' : 'bench harness';
  if (functionName === 'decodeJson' && url.includes('/src/contracts/')) return 'JSON.parse (records)';
  const ours = /\/((?:src\/[^/]+)|consumers)\//.exec(url);
  return ours ? `ours: ${ours[1]}` : 'other';
}

/**
 * The stages, nearest first wins: [stage, file, function]. A frame of a stage's file (and function,
 * when named) charges every sample under it to that stage, unless a nearer frame names another.
 */
const STAGE_RULES: [string, RegExp, RegExp?][] = [
  ['decode', /\/src\/pipeline\/login-events\.[jt]s$/, /^decode$/],
  ['select + read state', /\/src\/pipeline\/login-events\.[jt]s$/, /^(readState|select)$/],
  ['select + read state', /\/src\/pipeline\/decide\.[jt]s$/, /^judges$/],
  ['emit (alert, OCSF, request records)', /\/src\/pipeline\/emit\.[jt]s$/],
  ['decide (dedupe, enrich, assess, build)', /\/src\/pipeline\/(decide|alerts)\.[jt]s$/],
  ['decide (dedupe, enrich, assess, build)', /\/src\/pipeline\/login-events\.[jt]s$/, /^judge$/],
  ['publish (all output records, receipts)', /\/src\/kafka\/(publisher|produce-requests|dlq)\.[jt]s$/],
  ['write state + tally', /\/src\/pipeline\/(login-events|tally|chunk-state)\.[jt]s$/],
  ['dispatch read (every channel group)', /\/src\/notify\/dispatch\.[jt]s$/, /^requests$/],
  ['dispatch read (every channel group)', /\/src\/notify\/stages\/(select|profiles)\.[jt]s$/, /^read/],
  ['select', /\/src\/notify\/stages\/select\.[jt]s$/],
  ['claim', /\/src\/notify\/stages\/claim\.[jt]s$/],
  ['render', /\/src\/notify\/(stages\/)?render[^/]*\.[jt]s$/],
  ['send: the channel (outbox)', /\/src\/channels\//],
  ['send', /\/src\/notify\/stages\/(send|classify)\.[jt]s$/],
  ['record (accepted marks)', /\/src\/notify\/(stages\/record|recorder)\.[jt]s$/],
  ['settle + commit (receipts, sent marks)', /\/src\/notify\/stages\/settle\.[jt]s$/],
  ['deliver (batch, slots)', /\/src\/notify\/(dispatch|slots)\.[jt]s$/],
  ['consumer loops (ours)', /\/src\/kafka\/(consumer-loop|chunk-chains|committer)\.[jt]s$/],
];
export const STAGES = [...new Set(STAGE_RULES.map(([s]) => s))];

function stageOf({ url, functionName }: Frame): string | undefined {
  // The rules name our files; a package's own src/ is never a stage.
  if (url.includes('/node_modules/')) return undefined;
  for (const [stage, file, fn] of STAGE_RULES)
    if (file.test(url) && (!fn || fn.test(functionName))) return stage;
  return undefined;
}

/** Charges each sample to a key computed once per node, walking up with `own` (undefined: ask the parent). */
function charge(profile: Profile, own: (f: Frame) => string | undefined, root: string): Map<number, string> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map<number, string>();
  const resolve = (id: number): string => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const up = parent.get(id);
    const found = own(byId.get(id)!.callFrame) ?? (up === undefined ? root : resolve(up));
    memo.set(id, found);
    return found;
  };
  for (const n of profile.nodes) resolve(n.id);
  return memo;
}

/** Microseconds of the window by owner. */
export function owners(profile: Profile): Map<string, number> {
  const owner = charge(profile, ownerOf, 'node internals');
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const who = owner.get(id)!;
    totals.set(who, (totals.get(who) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return totals;
}

export const REST = 'rest';
/** Microseconds of the busy window by stage, each split by owner; samples under no stage are REST's. */
export function stages(profile: Profile): Map<string, Map<string, number>> {
  const owner = charge(profile, ownerOf, 'node internals');
  const stage = chargeStages(profile);
  const totals = new Map<string, Map<string, number>>();
  profile.samples.forEach((id, i) => {
    const who = owner.get(id)!;
    if (APART.has(who)) return;
    const where = stage.get(id)!;
    const split = totals.get(where) ?? new Map<string, number>();
    split.set(who, (split.get(who) ?? 0) + (profile.timeDeltas[i] ?? 0));
    totals.set(where, split);
  });
  return totals;
}

/** Each node's stage; a GC or idle sample has no JavaScript stack: its owner names it, never a stage. */
function chargeStages(profile: Profile): Map<number, string> {
  return charge(profile, (f) => (f.url === '' && f.functionName.startsWith('(') ? REST : stageOf(f)), REST);
}

/**
 * Inside one stage: microseconds of the window by the function that was running (its self time), as
 * "name file:line" with the file from the project's or a package's root; idle and the profiler left out.
 */
export function stageFunctions(profile: Profile, stage: string): Map<string, number> {
  const owner = charge(profile, ownerOf, 'node internals');
  const stageOfNode = chargeStages(profile);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    if (stageOfNode.get(id) !== stage || APART.has(owner.get(id)!)) return;
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const file = shortFile(url);
    const name = `${functionName || '(anonymous)'}${file ? ` ${file}:${(lineNumber ?? 0) + 1}` : ''}`;
    totals.set(name, (totals.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return totals;
}

/** A frame's file from its package's root (node_modules/…) or from the project's (src/…, dist/src/…, bench/…). */
function shortFile(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const pkg = path.lastIndexOf('/node_modules/');
  if (pkg >= 0) return path.slice(pkg + 1);
  const ours =
    /^.*\/(dist\/(?:src|consumers)\/.*)$/.exec(path) ?? /^.*\/((?:src|consumers|bench)\/.*)$/.exec(path);
  return ours ? ours[1]! : path;
}

const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const label = (owner: string) =>
  owner.startsWith('ours: ') ? owner.slice(6) : owner === '(garbage collector)' ? 'GC' : owner;

/** The stage view as rows: µs per alert and per event, and the largest owners inside each stage. */
export function stageRows(profile: Profile, events: number, alerts: number) {
  const totals = stages(profile);
  const busy = [...totals.values()].reduce((n, m) => n + sum(m), 0);
  const row = (name: string, split: Map<string, number>) => {
    const t = sum(split);
    const inside = [...split]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .filter(([, v]) => v / t >= 0.05)
      .map(([k, v]) => `${label(k)} ${((100 * v) / t).toFixed(0)}%`)
      .join(', ');
    return {
      stage: name,
      'µs/alert': Number((t / alerts).toFixed(1)),
      'µs/event': Number((t / events).toFixed(2)),
      '%': Number(((100 * t) / busy).toFixed(1)),
      inside,
    };
  };
  const rows = STAGES.filter((s) => totals.has(s)).map((s) => row(s, totals.get(s)!));
  // The rest by owner, largest first: one row each for what is more than 1% of the window.
  const rest = totals.get(REST) ?? new Map<string, number>();
  const restRows = [...rest]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => row(`rest: ${label(k)}`, new Map([[k, v]])))
    .map((r) => ({ ...r, inside: '' }));
  const big = restRows.filter((r) => r['%'] >= 1);
  const small = rest.size - big.length;
  const others = [...rest].filter(([k]) => !big.some((r) => r.stage === `rest: ${label(k)}`));
  if (small > 0) big.push({ ...row(`rest: ${small} others`, new Map(others)), inside: '' });
  return {
    rows: [...rows, ...big],
    busyUsPerAlert: busy / alerts,
    byStage: Object.fromEntries([...rows, row(REST, rest)].map((r) => [r.stage, r['µs/alert']])) as Record<
      string,
      number
    >,
  };
}
