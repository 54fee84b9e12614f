import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import kafkajs from 'kafkajs';
import lz4js from 'lz4js';
import xxh32 from 'lz4js/xxh32.js';
import { AppError } from '../../src/errors.js';
import {
  type Codec,
  DECOMPRESSED_BATCH_LIMIT,
  gzipCodec,
  lz4Codec,
  registerCodecs,
  snappyCodec,
  zstdCodec,
} from '../../src/kafka/codecs.js';

const { CompressionCodecs, CompressionTypes } = kafkajs;
const TYPES = [
  CompressionTypes.GZIP,
  CompressionTypes.Snappy,
  CompressionTypes.LZ4,
  CompressionTypes.ZSTD,
] as const;
const makers = { gzip: gzipCodec, snappy: snappyCodec, lz4: lz4Codec, zstd: zstdCodec } as const;
const names = Object.keys(makers) as (keyof typeof makers)[];

/** Encoded records as kafkajs hands them over: repetitive JSON, like a batch of auth events. */
const json = (n: number) =>
  Buffer.from(
    JSON.stringify(
      Array.from({ length: n }, (_, i) => ({
        event_id: `e-${i}`,
        account_id: `a-${i % 13}`,
        ip: '203.0.113.9',
      })),
    ),
  );

async function rejection(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

const zstdFrame = (blocks: Buffer[]) =>
  Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x00]), ...blocks]);
const zstdBlock = (last: boolean, type: number, size: number, body: Buffer) => {
  const h = (last ? 1 : 0) | (type << 1) | (size << 3);
  return Buffer.concat([Buffer.from([h & 0xff, (h >>> 8) & 0xff, h >>> 16]), body]);
};

describe.each(names)('the %s codec', (name) => {
  const codec: Codec = makers[name]();

  it.each([
    ['empty', Buffer.alloc(0)],
    ['one small record', Buffer.from('{"a":1}')],
    ['a batch of many blocks', json(20_000)],
    ['incompressible bytes', randomBytes(300_000)],
  ])('gives back what it compressed: %s', async (_label, input) => {
    const back = await codec.decompress(await codec.compress({ buffer: input }));
    expect(Buffer.compare(back, input)).toBe(0);
  });

  it('refuses a batch that decompresses past its limit with RECORD_TOO_LARGE, before holding it', async () => {
    const packed = await codec.compress({ buffer: json(5_000) });
    const err = await rejection(makers[name](10_000).decompress(packed));
    expect(err.code).toBe('RECORD_TOO_LARGE');
    expect(err.retryable).toBe(false);
  });

  it('fails a truncated or damaged batch with CORRUPT_BATCH', async () => {
    const packed = await codec.compress({ buffer: json(2_000) });
    const truncated = await rejection(codec.decompress(packed.subarray(0, packed.length - 7)));
    expect(truncated.code).toBe('CORRUPT_BATCH');
    expect(truncated.message).toContain(name);
  });

  it('on any bytes, returns at most the limit or fails with a stable code', async () => {
    const limited = makers[name](64 * 1024);
    const packed = await codec.compress({ buffer: json(300) });
    const inputs = fc.oneof(
      fc.uint8Array({ maxLength: 2_000 }).map((b) => Buffer.from(b)),
      // The real thing with a few bytes changed: past the magic numbers, into lengths and offsets.
      fc
        .array(fc.tuple(fc.nat(packed.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        })
        .map((edits) => {
          const b = Buffer.from(packed);
          for (const [at, v] of edits) b[at] = v;
          return b;
        }),
    );
    await fc.assert(
      fc.asyncProperty(inputs, async (input) => {
        try {
          const out = await limited.decompress(input);
          expect(out.length).toBeLessThanOrEqual(64 * 1024);
        } catch (err) {
          expect(['CORRUPT_BATCH', 'RECORD_TOO_LARGE']).toContain((err as AppError).code);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('crafted batches', () => {
  it('gzip: 128 MiB of zeros (a batch of 130 KiB) stops at the limit', async () => {
    const bomb = gzipSync(Buffer.alloc(128 * 1024 * 1024), { level: 9 });
    expect(bomb.length).toBeLessThan(1024 * 1024);
    expect((await rejection(gzipCodec().decompress(bomb))).code).toBe('RECORD_TOO_LARGE');
  });

  it.each([
    ['1 GiB', [0x80, 0x80, 0x80, 0x80, 0x04]],
    ['4 GiB', [0xff, 0xff, 0xff, 0xff, 0x0f]],
  ])('snappy: a block declaring %s is refused before allocation', async (_size, preamble) => {
    const block = Buffer.from([...preamble, 0x00, 0x41]);
    expect((await rejection(snappyCodec().decompress(block))).code).toBe('RECORD_TOO_LARGE');
  });

  it('zstd: RLE blocks claiming 200 MiB are refused before decoding', async () => {
    const blocks = Array.from({ length: 100 }, (_, i) =>
      zstdBlock(i === 99, 1, 2 ** 21 - 1, Buffer.from([0x41])),
    );
    const err = await rejection(zstdCodec().decompress(zstdFrame(blocks)));
    expect(err.code).toBe('RECORD_TOO_LARGE');
    expect(DECOMPRESSED_BATCH_LIMIT).toBeLessThan(200 * 1024 * 1024);
  });

  it('zstd: reads a streamed frame that declares no content size (as Java writes)', async () => {
    const frame = zstdFrame([
      zstdBlock(false, 0, 5, Buffer.from('hello')),
      zstdBlock(true, 1, 3, Buffer.from('!')),
    ]);
    expect((await zstdCodec().decompress(frame)).toString()).toBe('hello!!!');
  });

  it('lz4: a frame declaring more content than the limit is refused', async () => {
    const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x48, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    header[14] = (xxh32.hash(0, header, 4, 10) >>> 8) & 0xff;
    const err = await rejection(lz4Codec().decompress(Buffer.concat([header, Buffer.alloc(4)])));
    expect(err.code).toBe('RECORD_TOO_LARGE');
  });

  it('lz4: a wrong header checksum, block checksum or content checksum is CORRUPT_BATCH', async () => {
    const content = Buffer.from('a sign-in, a sign-in, a sign-in');
    const frame = (flg: number) => {
      const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, flg, 0x40, 0]);
      header[6] = (xxh32.hash(0, header, 4, 2) >>> 8) & 0xff;
      const size = Buffer.alloc(4);
      size.writeUInt32LE((0x80000000 | content.length) >>> 0);
      const sum = (b: Buffer) => {
        const s = Buffer.alloc(4);
        s.writeUInt32LE(xxh32.hash(0, b, 0, b.length) >>> 0);
        return s;
      };
      return Buffer.concat([header, size, content, sum(content), Buffer.alloc(4), sum(content)]);
    };
    const good = frame(0x40 | 0x20 | 0x10 | 0x04);
    expect((await lz4Codec().decompress(good)).toString()).toBe(content.toString());
    for (const at of [6, 7 + 4 + content.length, good.length - 1]) {
      const bad = Buffer.from(good);
      bad[at] = (bad[at]! + 1) & 0xff;
      expect((await rejection(lz4Codec().decompress(bad))).code).toBe('CORRUPT_BATCH');
    }
  });

  it("lz4: reads lz4js's own frames (dependent blocks, 4 MiB descriptor), and lz4js reads ours", async () => {
    const input = json(30_000);
    const theirs = Buffer.from(lz4js.compress(input));
    expect(Buffer.compare(await lz4Codec().decompress(theirs), input)).toBe(0);
    const ours = await lz4Codec().compress({ buffer: input });
    expect(Buffer.compare(Buffer.from(lz4js.decompress(ours)), input)).toBe(0);
  });
});

describe('registration', () => {
  it('replaces kafkajs’s not-implemented codecs once; registering again changes nothing', () => {
    registerCodecs();
    const before = TYPES.map((t) => CompressionCodecs[t]());
    registerCodecs();
    const after = TYPES.map((t) => CompressionCodecs[t]());
    expect(after).toEqual(before);
    for (const [i, codec] of after.entries()) expect(codec).toBe(before[i]);
    for (const codec of after) expect(typeof codec.decompress).toBe('function');
  });
});
