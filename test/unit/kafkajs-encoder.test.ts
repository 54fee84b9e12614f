import { createRequire } from 'node:module';
import { jest } from '@jest/globals';
import fc from 'fast-check';
import { KAFKAJS_VERSION, kafkajsEncoder, tuneEncoder, useEncoder } from '../../src/kafka/kafkajs-encoder.js';

const require = createRequire(import.meta.url);
const from = { paths: [require.resolve('kafkajs')] };
interface Encoded {
  buffer: Buffer;
}
type ProduceRequest = (args: {
  acks: number;
  timeout: number;
  topicData: Array<{ topic: string; partitions: Array<{ partition: number; messages: Message[] }> }>;
}) => { encode(): Promise<Encoded> };
interface Message {
  key: string | Buffer | null;
  value: string | Buffer | null;
  timestamp: number;
  headers?: Record<string, string | Buffer>;
}
const produceRequest: ProduceRequest = require(
  require.resolve('kafkajs/src/protocol/requests/produce/v3/request.js', from),
);
const Long = require(require.resolve('kafkajs/src/utils/long.js', from)) as {
  fromValue(v: unknown): unknown;
};

const Encoder = kafkajsEncoder() as unknown as {
  new (): Encoded & Record<string, (v: unknown) => Encoded>;
  prototype: Record<string, unknown>;
  sizeOfVarLong(v: unknown): number;
} & Record<string, unknown>;
const NAMES = {
  proto: ['ensureAvailable', 'writeUVarInt', 'writeVarLong'],
  statics: ['sizeOfVarLong', 'nextPowerOfTwo'],
};
const current = () => [
  ...NAMES.proto.map((m) => Encoder.prototype[m]),
  ...NAMES.statics.map((m) => Encoder[m]),
];
const kafkajs = current();
const state = tuneEncoder();
const tuned = current();

/** Runs `fn` with kafkajs's own methods back in place: the reference every encoding is held to. */
async function withKafkajsMethods<T>(fn: () => Promise<T> | T): Promise<T> {
  useEncoder('kafkajs');
  try {
    return await fn();
  } finally {
    useEncoder('tuned');
  }
}

const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  // any UTF-16 code unit, lone surrogates included
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
  fc.string({ minLength: 3000, maxLength: 9000 }),
  // long text of any code unit: lone surrogates where the buffer grows
  fc.string({
    unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
    minLength: 500,
    maxLength: 3000,
  }),
);
const bytes = fc.oneof(
  text,
  fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)),
);
const message = fc.record({
  key: fc.option(bytes, { nil: null }),
  value: fc.option(bytes, { nil: null }),
  // deltas from the batch's first timestamp: small, large, negative (an out-of-order clock)
  timestamp: fc.oneof(
    fc.integer({ min: 1_700_000_000_000, max: 1_800_000_000_000 }),
    fc.constant(1_750_000_000_000),
  ),
  headers: fc.option(fc.dictionary(fc.string({ maxLength: 12 }), bytes, { maxKeys: 3 }), { nil: undefined }),
});

describe("kafkajs's Encoder, tuned", () => {
  it('replaces the methods of the pinned kafkajs (2.2.4), once', () => {
    expect(require(require.resolve('kafkajs/package.json', from)).version).toBe(KAFKAJS_VERSION);
    expect(state).toBe('replaced');
    expect(tuneEncoder()).toBe('replaced');
    for (const [i, method] of tuned.entries()) expect(method).not.toBe(kafkajs[i]);
    // and puts either set in place
    useEncoder('kafkajs');
    expect(current()).toEqual(kafkajs);
    useEncoder('tuned');
    expect(current()).toEqual(tuned);
    // A new Encoder holds no buffer of its own until its first write.
    expect(new Encoder().buffer.length).toBe(0);
    expect((new Encoder() as unknown as { buf: Buffer }).buf.length).toBe(0);
  });

  it('writes varints and varlongs byte for byte as kafkajs does, and sizes them alike', async () => {
    const int = fc.oneof(
      fc.integer(),
      fc.integer({ min: -200, max: 200 }),
      fc.constantFrom(0, -0, -1, 63, 64, -64, -65, 2 ** 31 - 1, -(2 ** 31)),
    );
    const long = fc.oneof(
      fc.integer(),
      fc.maxSafeInteger(),
      fc.constantFrom(2 ** 52 - 1, -(2 ** 52) + 1, 2 ** 52, -(2 ** 52), 2 ** 53 - 1, -(2 ** 53 - 1), -0),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((b) => Long.fromValue(b)),
    );
    const cases: Array<[string, unknown]> = [
      ...fc
        .sample(int, 3000)
        .flatMap((v) => [['writeUVarInt', v] as [string, unknown], ['writeVarInt', v] as [string, unknown]]),
      ...fc.sample(long, 3000).map((v) => ['writeVarLong', v] as [string, unknown]),
    ];
    const write = () => cases.map(([m, v]) => new Encoder()[m]!(v).buffer.toString('hex'));
    const sizes = () => cases.filter(([m]) => m === 'writeVarLong').map(([, v]) => Encoder.sizeOfVarLong(v));
    const reference = await withKafkajsMethods(() => ({ written: write(), sizes: sizes() }));
    expect(write()).toEqual(reference.written);
    expect(sizes()).toEqual(reference.sizes);
  });

  it("encodes whole produce requests to kafkajs's bytes, with memory that was never zeroed", async () => {
    // Every buffer the tuned encoder grows into starts as garbage: a byte it failed to write would show.
    const allocUnsafe = Buffer.allocUnsafe;
    const dirty = jest
      .spyOn(Buffer, 'allocUnsafe')
      .mockImplementation((n: number) => allocUnsafe(n).fill(0xa5));
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 40 }), async (messages) => {
          const request = () =>
            produceRequest({
              acks: -1,
              timeout: 30_000,
              topicData: [
                { topic: 'login-alerts', partitions: [{ partition: 0, messages }] },
                { topic: 'a-ä', partitions: [{ partition: 3, messages: messages.slice(0, 2) }] },
              ],
            })
              .encode()
              .then((e) => e.buffer);
          const reference = await withKafkajsMethods(request);
          expect((await request()).equals(reference)).toBe(true);
        }),
        { numRuns: 150 },
      );
      expect(dirty).toHaveBeenCalled();
    } finally {
      dirty.mockRestore();
    }
  });
});
