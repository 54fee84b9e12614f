import { describe, expect, it } from '@jest/globals';
import { owners, type Profile, stageFunctions, stageRows, stages } from '../../bench/profile-views.js';

const ROOT = '/x/login-alerts';
/** A profile of one stack per sample: each stack is the frames from the root down, [function, file]. */
function profileOf(stacks: [string, string][][], deltaUs = 10): Profile {
  const nodes: Profile['nodes'] = [{ id: 1, callFrame: { functionName: '(root)', url: '' }, children: [] }];
  const samples: number[] = [];
  for (const stack of stacks) {
    let parent = nodes[0]!;
    for (const [functionName, url] of stack) {
      const found = parent.children
        ?.map((id) => nodes.find((n) => n.id === id)!)
        .find((n) => n.callFrame.functionName === functionName && n.callFrame.url === url);
      if (found) parent = found;
      else {
        const node = { id: nodes.length + 1, callFrame: { functionName, url }, children: [] };
        nodes.push(node);
        parent.children!.push(node.id);
        parent = node;
      }
    }
    samples.push(parent.id);
  }
  return { nodes, samples, timeDeltas: samples.map(() => deltaUs) };
}
const ours = (fn: string, file: string): [string, string] => [fn, `file://${ROOT}/${file}`];
const lib = (fn: string, pkg: string): [string, string] => [
  fn,
  `file://${ROOT}/node_modules/${pkg}/index.js`,
];

describe('the window profile by stage', () => {
  const profile = profileOf([
    // Handlebars under render: render's, split by owner.
    [
      ours('deliver', 'src/notify/dispatch.ts'),
      ours('send', 'src/notify/stages/send.ts'),
      ours('render', 'src/notify/stages/render.ts'),
      lib('main', 'handlebars'),
    ],
    [
      ours('deliver', 'src/notify/dispatch.ts'),
      ours('send', 'src/notify/stages/send.ts'),
      ours('render', 'src/notify/stages/render.ts'),
    ],
    // The nearest stage wins: a publish made by the commit is publish's.
    [
      ours('commit', 'src/notify/stages/settle.ts'),
      ours('publish', 'src/kafka/dlq.ts'),
      lib('send', 'kafkajs'),
    ],
    // The compiled build's files are stages as the sources are; a package's own src/ never is.
    [ours('send', 'dist/src/notify/stages/send.js'), ours('render', 'dist/src/notify/stages/render.js')],
    [
      ours('record', 'dist/src/notify/stages/record.js'),
      ['run', `file://${ROOT}/node_modules/pkg/src/channels/x.js`],
    ],
    // Under no stage: the rest, by owner; GC has no stack.
    [lib('fetch', 'kafkajs')],
    [['(garbage collector)', '']],
    [['(idle)', '']],
  ]);

  it('charges each sample to its nearest stage frame, and the rest by owner', () => {
    const byStage = stages(profile);
    expect(Object.fromEntries(byStage.get('render')!)).toEqual({ handlebars: 10, 'ours: src/notify': 20 });
    expect(Object.fromEntries(byStage.get('record (accepted marks)')!)).toEqual({ pkg: 10 });
    expect(byStage.has('send: the channel (outbox)')).toBe(false);
    expect(Object.fromEntries(byStage.get('publish (all output records, receipts)')!)).toEqual({
      kafkajs: 10,
    });
    expect(Object.fromEntries(byStage.get('rest')!)).toEqual({ kafkajs: 10, '(garbage collector)': 10 });
    expect(byStage.has('settle + commit (receipts, sent marks)')).toBe(false);
  });

  it('lists the functions a stage ran in, each by its own time', () => {
    expect(Object.fromEntries(stageFunctions(profile, 'render'))).toEqual({
      'main node_modules/handlebars/index.js:1': 10,
      'render src/notify/stages/render.ts:1': 10,
      'render dist/src/notify/stages/render.js:1': 10,
    });
    expect(Object.fromEntries(stageFunctions(profile, 'rest'))).toEqual({
      'fetch node_modules/kafkajs/index.js:1': 10,
      '(garbage collector)': 10,
    });
    expect(stageFunctions(profile, 'decode').size).toBe(0);
  });

  it('prints µs per alert, idle left out', () => {
    const { byStage, busyUsPerAlert } = stageRows(profile, 4, 2);
    expect(busyUsPerAlert).toBe(35);
    expect(byStage).toEqual({
      render: 15,
      'publish (all output records, receipts)': 5,
      'record (accepted marks)': 5,
      rest: 10,
    });
    expect(owners(profile).get('(idle)')).toBe(10);
  });
});
