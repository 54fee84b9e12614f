import { createRequire } from 'node:module';
import fc from 'fast-check';
import { type PartitionerArgs, Partitioners } from 'kafkajs';
import { keyHash, keyPartitioner, murmur2 } from '../../src/kafka/partitioner.js';

const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (
  key: string | Buffer,
) => number;

const metadata = (count: number, leaderless: number[] = []): PartitionerArgs['partitionMetadata'] =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    leader: leaderless.includes(partitionId) ? -1 : 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));

describe('the key partitioner', () => {
  it("hashes as Kafka's Java client does (Utils.murmur2's test vectors)", () => {
    const vectors: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of vectors) expect([key, keyHash(key)]).toEqual([key, hash]);
  });

  it("gives kafkajs's hash for any key: strings of any script and length, buffers, the scratch's edge", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 80 }),
          // any UTF-16 code unit, lone surrogates included (encoded as U+FFFD, as kafkajs's Buffer.from does)
          fc.string({
            unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
            maxLength: 40,
          }),
          fc.string({ unit: 'grapheme', minLength: 200, maxLength: 400 }),
          fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
        ),
        (key) => {
          expect(keyHash(key)).toBe(kafkajsMurmur2(key));
        },
      ),
      { numRuns: 3000 },
    );
    // Around the 1,024-byte scratch buffer: one-byte and two-byte characters, and a four-byte one across its end.
    const edges = [
      ...[0, 1, 2, 3, 4, 5, 1023, 1024, 1025, 4000].map((n) => 'a'.repeat(n)),
      ...[511, 512, 513].map((n) => 'é'.repeat(n)),
      `${'a'.repeat(1022)}😀`,
      `${'a'.repeat(1023)}\ud800`,
    ];
    for (const key of edges) {
      expect([key.length, keyHash(key)]).toEqual([key.length, kafkajsMurmur2(key)]);
      expect(murmur2(Buffer.from(key))).toBe(keyHash(key));
    }
  });

  it("chooses the partition kafkajs's default partitioner chooses for a key, and the one a record names", () => {
    const ours = keyPartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.integer({ min: 1, max: 64 }), (key, count) => {
        const args = { topic: 't', partitionMetadata: metadata(count), message: { key, value: null } };
        expect(ours(args)).toBe(theirs(args));
      }),
      { numRuns: 2000 },
    );
    expect(
      ours({ topic: 't', partitionMetadata: metadata(6), message: { key: 'k', value: null, partition: 4 } }),
    ).toBe(4);
  });

  it('hashes a key that is neither a string nor a buffer as its string form, as kafkajs sends it', () => {
    expect(keyHash(12345)).toBe(kafkajsMurmur2('12345'));
  });

  it('spreads keyless records over the partitions that have a leader, each topic taking its own turns', () => {
    const ours = keyPartitioner();
    const chosen = { a: new Set<number>(), b: new Set<number>() };
    // Two topics of two partitions, alternating: a turn shared by both would keep each on one partition.
    for (let i = 0; i < 20; i++)
      for (const topic of ['a', 'b'] as const)
        chosen[topic].add(ours({ topic, partitionMetadata: metadata(2), message: { value: null } }));
    expect([[...chosen.a].sort(), [...chosen.b].sort()]).toEqual([
      [0, 1],
      [0, 1],
    ]);
    const led = new Set<number>();
    for (let i = 0; i < 40; i++)
      led.add(ours({ topic: 't', partitionMetadata: metadata(4, [1]), message: { value: null } }));
    expect([...led].sort()).toEqual([0, 2, 3]);
  });
});
