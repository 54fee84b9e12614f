/** The Store contract, run against both implementations (Redis: the real server). */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { accountPrefix, keys } from '../../src/state/keys.js';
import { createMemoryStore } from '../../src/state/memory.js';
import { createRedisStore } from '../../src/state/redis.js';
import type { Store } from '../../src/state/store.js';
import { redisUrl, uniqueName } from '../support/env.js';

describe.each([
  ['memory', () => createMemoryStore({ maxKeys: 10_000 })],
  ['redis', () => createRedisStore(redisUrl())],
] as const)('%s store', (_name, make) => {
  let store: Store;
  beforeAll(() => {
    store = make();
  });
  afterAll(async () => {
    await store.close();
  });

  it('reads, writes, claims and expires in batches', async () => {
    const p = uniqueName('k');
    await store.write([
      { op: 'set', key: `${p}:a`, value: '1' },
      { op: 'set', key: `${p}:b`, value: 'two', ttlMs: 150 },
      { op: 'setnx', key: `${p}:a`, value: 'ignored', ttlMs: 10_000 },
    ]);
    expect(await store.read([`${p}:a`, `${p}:b`, `${p}:c`])).toEqual(['1', 'two', undefined]);
    expect(
      await store.claim([
        { key: `${p}:a`, value: 'x', ttlMs: 1_000 },
        { key: `${p}:c`, value: 'x', ttlMs: 1_000 },
      ]),
    ).toEqual([false, true]);
    await sleep(250);
    expect(await store.read([`${p}:b`])).toEqual([undefined]);
    await store.write([{ op: 'del', key: `${p}:a` }]);
    expect(await store.read([`${p}:a`])).toEqual([undefined]);
  });

  it('deletes every key of one account, and only that account', async () => {
    const account = uniqueName('acct');
    const other = `${account}x`;
    await store.write([
      { op: 'set', key: `${accountPrefix(account)}profile`, value: '{}' },
      { op: 'set', key: `${accountPrefix(account)}s:1`, value: '1', ttlMs: 60_000 },
      { op: 'set', key: `${accountPrefix(other)}profile`, value: '{}' },
    ]);
    expect(await store.deleteAccount(account)).toBe(2);
    expect(await store.read([`${accountPrefix(account)}profile`, `${accountPrefix(other)}profile`])).toEqual([
      undefined,
      '{}',
    ]);
    await store.deleteAccount(other);
  });

  it('treats glob characters in an account id literally', async () => {
    const account = `${uniqueName('acct')}*`;
    const victim = `${account.slice(0, -1)}-victim`;
    await store.write([
      { op: 'set', key: `${accountPrefix(victim)}profile`, value: '{}' },
      { op: 'set', key: `${accountPrefix(account)}profile`, value: '{}' },
    ]);
    expect(await store.deleteAccount(account)).toBe(1);
    expect(await store.read([`${accountPrefix(victim)}profile`])).toEqual(['{}']);
    await store.deleteAccount(victim);
  });

  it('deletes every key starting with a prefix, whatever kind of key, and nothing else', async () => {
    const p = `${uniqueName('prefix')}[*]:`;
    const kept = `${p.slice(0, -4)}x:kept`;
    await store.write([
      { op: 'set', key: `${p}plain`, value: 'v' },
      { op: 'setnx', key: `${p}marker`, value: '1', ttlMs: 60_000 },
      { op: 'set', key: `la:ssf:{ssf}:subj:${p}durable`, value: 'added' },
      { op: 'set', key: kept, value: 'v' },
    ]);
    expect(await store.deletePrefix(p)).toBe(2);
    expect(await store.deletePrefix(`la:ssf:{ssf}:subj:${p}`)).toBe(1);
    expect(await store.read([`${p}plain`, `${p}marker`, `la:ssf:{ssf}:subj:${p}durable`, kept])).toEqual([
      undefined,
      undefined,
      undefined,
      'v',
    ]);
    await store.write([{ op: 'del', key: kept }]);
  });
});

describe.each([
  ['memory', () => createMemoryStore({ maxKeys: 10_000 })],
  ['redis', () => createRedisStore(redisUrl())],
] as const)('%s store account isolation and compare-and-set', (_name, make) => {
  let store: Store;
  beforeAll(() => {
    store = make();
  });
  afterAll(async () => {
    await store.close();
  });

  it('deleting account v touches nothing of account v}:x (nor v{, v%7D)', async () => {
    const v = uniqueName('acct');
    const others = [`${v}}:x`, `${v}{`, `${v}%7D:x`, `${v}}`];
    const all = [v, ...others];
    await store.write(
      all.flatMap((a) => [
        { op: 'set' as const, key: keys.profile(a), value: a },
        { op: 'setnx' as const, key: keys.session(a, 's1'), value: '1', ttlMs: 60_000 },
        { op: 'set' as const, key: keys.history(a), value: `h-${a}`, ttlMs: 60_000 },
      ]),
    );
    expect(await store.deleteAccount(v)).toBe(3);
    expect(await store.read(others.map((a) => keys.profile(a)))).toEqual(others);
    expect(await store.read(others.map((a) => keys.session(a, 's1')))).toEqual(others.map(() => '1'));
    expect(await store.read([keys.profile(v), keys.session(v, 's1'), keys.history(v)])).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    for (const a of others) await store.deleteAccount(a);
  });

  it('keeps one account in one Redis Cluster hash tag whatever braces its id holds', () => {
    const id = 'a{b}c}';
    const tag = (key: string) => {
      const open = key.indexOf('{');
      return key.slice(open + 1, key.indexOf('}', open + 1));
    };
    const all = [
      keys.profile(id),
      keys.history(id),
      keys.session(id, 's'),
      keys.delivery(id, 'al', 'push', 'r'),
    ];
    expect(new Set(all.map(tag))).toEqual(new Set(['a%7Bb%7Dc%7D']));
  });

  it('compare-and-set writes only over the exact value read: a newer one wins, an absent one stays absent', async () => {
    const a = uniqueName('acct');
    const key = keys.profile(a);
    await store.write([{ op: 'set', key, value: 'v1' }]);
    await store.write([{ op: 'cas', key, expect: 'v1', value: 'v1-trimmed' }]);
    expect(await store.read([key])).toEqual(['v1-trimmed']);
    // A newer profile lands between the read and the conditional write: it is kept.
    await store.write([{ op: 'set', key, value: 'v2' }]);
    await store.write([{ op: 'cas', key, expect: 'v1-trimmed', value: 'stale' }]);
    expect(await store.read([key])).toEqual(['v2']);
    await store.deleteAccount(a);
    await store.write([{ op: 'cas', key, expect: 'v2', value: 'revived' }]);
    expect(await store.read([key])).toEqual([undefined]);
  });
});

describe('memory store bounds', () => {
  it('never evicts a profile: a quiet enrolled account survives a flood of another account’s state', async () => {
    const store = createMemoryStore({ maxKeys: 1_000 });
    const quiet = uniqueName('quiet');
    const busy = uniqueName('busy');
    await store.write([{ op: 'set', key: keys.profile(quiet), value: '{"enrolled":true}' }]);
    await store.write([{ op: 'set', key: keys.profile(busy), value: '{}' }]);
    for (let round = 0; round < 10; round++) {
      const ops = Array.from({ length: 1_000 }, (_, i) => `${round}-${i}`).flatMap((n) => [
        { op: 'setnx' as const, key: keys.event(busy, n), value: '1', ttlMs: 60_000 },
        { op: 'setnx' as const, key: keys.session(busy, n), value: '1', ttlMs: 60_000 },
        { op: 'set' as const, key: keys.delivery(busy, n, 'email', 'x'), value: 'sent', ttlMs: 60_000 },
        { op: 'set' as const, key: keys.history(`${busy}-${n}`), value: 'h', ttlMs: 60_000 },
      ]);
      await store.write(ops);
      await store.claim([
        { key: keys.delivery(busy, `c${round}`, 'push', 'y'), value: 'claimed', ttlMs: 60_000 },
      ]);
    }
    expect(await store.read([keys.profile(quiet), keys.profile(busy)])).toEqual(['{"enrolled":true}', '{}']);
    // The flood itself stayed bounded: the other state was evicted, oldest first.
    expect(await store.read([keys.event(busy, '0-0'), keys.delivery(busy, '0-0', 'email', 'x')])).toEqual([
      undefined,
      undefined,
    ]);
    // A profile still goes when its account is deleted.
    await store.deleteAccount(quiet);
    expect(await store.read([keys.profile(quiet)])).toEqual([undefined]);
    await store.close();
  });

  it('never evicts a link-use claim: a flood of other keys up to MEMORY_STORE_MAX_KEYS leaves it claimed', async () => {
    const store = createMemoryStore({ maxKeys: 1_000 });
    const victim = uniqueName('victim');
    const used = keys.linkUsed(victim, 'alert-1');
    const short = keys.linkUsed(victim, 'alert-2');
    expect(await store.claim([{ key: used, value: '1', ttlMs: 60_000 }])).toEqual([true]);
    // Another account's traffic: claims, values and markers, several times the bound of every tier.
    const busy = uniqueName('busy');
    for (let round = 0; round < 5; round++) {
      const n = (i: number) => `${round}-${i}`;
      await store.claim(
        Array.from({ length: 1_000 }, (_, i) => ({
          key: keys.delivery(busy, n(i), 'push', 'y'),
          value: 'c',
          ttlMs: 60_000,
        })),
      );
      await store.claim(
        Array.from({ length: 1_000 }, (_, i) => ({
          key: keys.linkUsed(busy, n(i)),
          value: '1',
          ttlMs: 60_000,
        })),
      );
      await store.write(
        Array.from({ length: 1_000 }, (_, i) => [
          { op: 'set' as const, key: keys.history(`${busy}-${n(i)}`), value: 'h', ttlMs: 60_000 },
          { op: 'setnx' as const, key: keys.session(busy, n(i)), value: '1', ttlMs: 60_000 },
        ]).flat(),
      );
    }
    // The other state was evicted (the flood stayed bounded); the claims were not.
    expect(await store.read([keys.delivery(busy, '0-0', 'push', 'y'), keys.history(`${busy}-0-0`)])).toEqual([
      undefined,
      undefined,
    ]);
    expect(await store.read([used])).toEqual(['1']);
    expect(await store.claim([{ key: used, value: '1', ttlMs: 60_000 }])).toEqual([false]);
    // A claim still ends with its TTL, and is deleted like any key (a report that was not published).
    expect(await store.claim([{ key: short, value: '1', ttlMs: 300 }])).toEqual([true]);
    expect(await store.read([short])).toEqual(['1']);
    await sleep(400);
    expect(await store.read([short])).toEqual([undefined]);
    expect(await store.claim([{ key: short, value: '1', ttlMs: 60_000 }])).toEqual([true]);
    await store.write([{ op: 'del', key: short }]);
    expect(await store.read([short])).toEqual([undefined]);
    // A tombstone removes them with the rest of the account.
    await store.deleteAccount(victim);
    expect(await store.read([used])).toEqual([undefined]);
    await store.close();
  });

  it('keeps markers compactly: bounded, oldest evicted first, expired after their TTL', async () => {
    const store = createMemoryStore({ maxKeys: 1_000 });
    const marker = (i: number, ttlMs = 60_000) => ({ op: 'setnx' as const, key: `m${i}`, value: '1', ttlMs });
    await store.write(Array.from({ length: 3_000 }, (_, i) => marker(i)));
    const values = await store.read(Array.from({ length: 3_000 }, (_, i) => `m${i}`));
    expect(values.filter(Boolean)).toHaveLength(1_000);
    expect(values[2_999]).toBe('1');
    expect(values[1_999]).toBeUndefined();
    // set-if-absent: a second marker write neither fails nor renews; a short TTL runs out
    await store.write([marker(5_000, 1_000)]);
    await store.write([marker(5_000, 60_000)]);
    expect(await store.read(['m5000'])).toEqual(['1']);
    await sleep(1_250);
    expect(await store.read(['m5000'])).toEqual([undefined]);
    // a marker guards like any key, is deleted like any key, and a plain set replaces it
    await store.write([marker(6_000), { op: 'set', key: 'g', value: 'x', guard: 'm6000' }]);
    expect(await store.read(['g'])).toEqual(['x']);
    await store.write([{ op: 'set', key: 'm6000', value: 'sent' }]);
    expect(await store.read(['m6000'])).toEqual(['sent']);
    await store.write([marker(7_000), { op: 'del', key: 'm7000' }]);
    expect(await store.read(['m7000'])).toEqual([undefined]);
    expect(await store.claim([{ key: 'm7000', value: 'claimed', ttlMs: 1_000 }])).toEqual([true]);
  });

  it('evicts the least recently used keys beyond its bound', async () => {
    const store = createMemoryStore({ maxKeys: 1_000 });
    await store.write(
      Array.from({ length: 5_000 }, (_, i) => ({
        op: 'set' as const,
        key: `k${i}`,
        value: '1',
        ttlMs: 60_000,
      })),
    );
    const values = await store.read(Array.from({ length: 5_000 }, (_, i) => `k${i}`));
    // Other state than markers is bounded to a quarter of maxKeys.
    expect(values.filter(Boolean)).toHaveLength(250);
    expect(values[4_999]).toBe('1');
    expect(values[0]).toBeUndefined();
  });
});

describe('redis store unavailable', () => {
  it('fails with a retryable STORE_UNAVAILABLE instead of hanging', async () => {
    const store = createRedisStore('redis://127.0.0.1:1', { commandTimeoutMs: 500 });
    await expect(store.read(['x'])).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
    await store.close();
  });

  it('pipelines a batch: one round trip however many keys', async () => {
    const store = createRedisStore(redisUrl());
    const probe = new Redis(redisUrl());
    try {
      await store.ping();
      const before = await commandCalls(probe);
      const p = uniqueName('batch');
      await store.claim(
        Array.from({ length: 500 }, (_, i) => ({ key: `${p}:${i}`, value: '1', ttlMs: 5_000 })),
      );
      await store.read(Array.from({ length: 500 }, (_, i) => `${p}:${i}`));
      const after = await commandCalls(probe);
      // 500 SETs went out in one pipeline and 500 reads as one MGET.
      expect(after.mget - before.mget).toBe(1);
      expect(after.set - before.set).toBeGreaterThanOrEqual(500);
    } finally {
      probe.disconnect();
      await store.close();
    }
  });
});

describe("redis store: a batch of many accounts' guarded writes", () => {
  it('is one script call that writes each account whose guard exists and none whose guard is gone', async () => {
    const store = createRedisStore(redisUrl());
    const probe = new Redis(redisUrl());
    try {
      const accounts = Array.from({ length: 60 }, () => uniqueName('acct'));
      const enrolled = accounts.filter((_, i) => i % 3 !== 0);
      await store.write(enrolled.map((a) => ({ op: 'set' as const, key: keys.profile(a), value: '{}' })));
      const k = (a: string, key: string) => `${accountPrefix(a)}${key}`;
      const before = await scriptCalls(probe);
      // Runs of one, two and three writes, so a skipped run's arguments are skipped by its own length.
      await store.write(
        accounts.flatMap((a, i) => [
          { op: 'set' as const, key: k(a, 'mark'), value: `m-${a}`, ttlMs: 60_000, guard: keys.profile(a) },
          ...(i % 2 === 0
            ? [
                {
                  op: 'setnx' as const,
                  key: k(a, 'once'),
                  value: `o-${a}`,
                  ttlMs: 60_000,
                  guard: keys.profile(a),
                },
              ]
            : []),
          ...(i % 5 === 0
            ? [{ op: 'set' as const, key: k(a, 'more'), value: 'x', guard: keys.profile(a) }]
            : []),
        ]),
      );
      expect((await scriptCalls(probe)) - before).toBe(1);
      const read = await store.read(accounts.flatMap((a) => [k(a, 'mark'), k(a, 'once'), k(a, 'more')]));
      expect(read).toEqual(
        accounts.flatMap((a, i) =>
          i % 3 === 0
            ? [undefined, undefined, undefined]
            : [`m-${a}`, i % 2 === 0 ? `o-${a}` : undefined, i % 5 === 0 ? 'x' : undefined],
        ),
      );
      // More keys than one call holds: split into calls, every write still applied.
      const many = Array.from({ length: 400 }, (_, i) => enrolled[i % enrolled.length] as string);
      const before2 = await scriptCalls(probe);
      await store.write(
        many.map((a, i) => ({
          op: 'set' as const,
          key: k(a, `n${i}`),
          value: String(i),
          guard: keys.profile(a),
        })),
      );
      expect((await scriptCalls(probe)) - before2).toBe(2);
      expect(await store.read(many.map((a, i) => k(a, `n${i}`)))).toEqual(many.map((_, i) => String(i)));
    } finally {
      probe.disconnect();
      await store.close();
    }
  });
});

/** EVALSHA and EVAL calls so far (the first call of a script may be an EVAL). */
async function scriptCalls(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  const calls = (cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
  return calls('evalsha') + calls('eval');
}

async function commandCalls(redis: Redis): Promise<{ set: number; mget: number }> {
  const info = await redis.info('commandstats');
  const calls = (cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
  return { set: calls('set'), mget: calls('mget') };
}

describe.each([
  ['memory', () => createMemoryStore({ maxKeys: 10_000 })],
  ['redis', () => createRedisStore(redisUrl())],
] as const)('%s store guarded writes', (name, make) => {
  it('writes only while the guard key exists, so a deleted account stays deleted', async () => {
    const store = make();
    try {
      const account = uniqueName('acct');
      const profile = `${accountPrefix(account)}profile`;
      const history = `${accountPrefix(account)}history`;
      await store.write([{ op: 'set', key: profile, value: '{}' }]);
      await store.write([{ op: 'set', key: history, value: 'h1', ttlMs: 60_000, guard: profile }]);
      expect(await store.read([history])).toEqual(['h1']);
      await store.deleteAccount(account);
      // A write decided before the tombstone, landing after it:
      await store.write([
        { op: 'set', key: history, value: 'h2', ttlMs: 60_000, guard: profile },
        { op: 'setnx', key: `${accountPrefix(account)}s:1`, value: '1', ttlMs: 60_000, guard: profile },
      ]);
      expect(await store.read([history, `${accountPrefix(account)}s:1`])).toEqual([undefined, undefined]);
    } finally {
      await store.close();
    }
  });

  it('applies a batch mixing guards, plain writes and deletes in order, consecutive guarded runs as one script call', async () => {
    const store = make();
    const probe = name === 'redis' ? new Redis(redisUrl()) : undefined;
    try {
      const [a, b] = [uniqueName('acct'), uniqueName('acct')];
      const k = (account: string, key: string) => `${accountPrefix(account)}${key}`;
      await store.write([
        { op: 'set', key: keys.profile(a), value: '{}' },
        { op: 'set', key: k(a, 'held'), value: 'old' },
        { op: 'set', key: k(a, 'gone'), value: 'soon' },
      ]);
      const before = probe && (await scriptCalls(probe));
      await store.write([
        // a's run: a setnx after a set of the same key in the run keeps the set value
        { op: 'set', key: k(a, 'x'), value: 'x1', guard: keys.profile(a) },
        { op: 'setnx', key: k(a, 'x'), value: 'x2', ttlMs: 60_000, guard: keys.profile(a) },
        { op: 'setnx', key: k(a, 'held'), value: 'new', ttlMs: 60_000, guard: keys.profile(a) },
        // b has no profile: its run writes nothing, and the batch goes on
        { op: 'set', key: k(b, 'y'), value: 'y1', ttlMs: 60_000, guard: keys.profile(b) },
        { op: 'setnx', key: k(b, 'z'), value: '1', ttlMs: 60_000, guard: keys.profile(b) },
        // a plain write between two runs of a's, to the key the second one writes
        { op: 'set', key: k(a, 'y'), value: 'plain' },
        { op: 'set', key: k(a, 'y'), value: 'guarded', ttlMs: 60_000, guard: keys.profile(a) },
        { op: 'del', key: k(a, 'gone') },
      ]);
      // a's and b's runs are one call; the plain write ends it; a's second run is another
      if (probe) expect((await scriptCalls(probe)) - before!).toBe(2);
      const read = await store.read([k(a, 'x'), k(a, 'held'), k(a, 'y'), k(a, 'gone'), k(b, 'y'), k(b, 'z')]);
      expect(read).toEqual(['x1', 'old', 'guarded', undefined, undefined, undefined]);
    } finally {
      probe?.disconnect();
      await store.close();
    }
  });
});
