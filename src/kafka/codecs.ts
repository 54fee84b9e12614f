/**
 * Every compression codec Kafka has, for kafkajs (which ships only gzip): gzip, snappy, lz4 and zstd
 * record batches are read whoever wrote them (Kafka's Java producer included), and login-alerts can
 * write each. Registration is global in kafkajs and happens when this module is first imported.
 *
 * Every decompression is bounded: a batch is refused (RECORD_TOO_LARGE) before it can grow past
 * DECOMPRESSED_BATCH_LIMIT, and a damaged one fails with CORRUPT_BATCH; neither is retried.
 */
import { promisify } from 'node:util';
import { gzip, unzip } from 'node:zlib';
import * as zstd from '@bokuweb/zstd-wasm';
import kafkajs from 'kafkajs';
import snappy from 'snappyjs';
import { CodecError } from './codec-error.js';
import { compressLz4Frame, decompressLz4Frame } from './lz4-frame.js';
import { zstdOutputBound } from './zstd-frames.js';

// kafkajs's CommonJS exports list these after a member expression, where Node's named-export detection stops.
const { CompressionCodecs, CompressionTypes } = kafkajs;

/**
 * The most bytes one record batch may decompress to. Consumers fetch at most 1 MiB per partition and
 * brokers refuse batches over 1 MiB by default; 64 times that covers the best ratio JSON reaches, and
 * still bounds what a crafted batch makes a consumer hold.
 */
export const DECOMPRESSED_BATCH_LIMIT = 64 * 1024 * 1024;

/** The values of KAFKA_COMPRESSION, as kafkajs numbers them. */
export const COMPRESSION_TYPES = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
} as const;
export type CompressionName = keyof typeof COMPRESSION_TYPES;

/** What kafkajs calls: `compress` gets the encoded records (`encoder.buffer`), `decompress` the batch body. */
export interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

const gzipAsync = promisify(gzip);
const unzipAsync = promisify(unzip);

/** gzip (kafkajs's own codec, which has no output limit), with the limit. */
export function gzipCodec(limit = DECOMPRESSED_BATCH_LIMIT): Codec {
  return {
    compress: (encoder) => gzipAsync(encoder.buffer),
    async decompress(buffer) {
      try {
        return await unzipAsync(buffer, { maxOutputLength: limit });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
          throw new CodecError('gzip', 'too-large', `over ${limit} bytes`);
        throw new CodecError('gzip', 'corrupt', (err as Error).message);
      }
    },
  };
}

/** snappy-java's stream framing, which Kafka's Java producer writes: a header, then length-prefixed blocks. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER = Buffer.concat([XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])]);
/** snappy-java's default block size. */
const XERIAL_BLOCK = 32 * 1024;

/** snappy: reads xerial-framed batches (Java) and bare snappy blocks (other clients); writes xerial framing. */
export function snappyCodec(limit = DECOMPRESSED_BATCH_LIMIT): Codec {
  return {
    async compress(encoder) {
      const input = encoder.buffer;
      const parts: Buffer[] = [XERIAL_HEADER];
      for (let at = 0; at < input.length; at += XERIAL_BLOCK) {
        const block = snappy.compress(input.subarray(at, at + XERIAL_BLOCK));
        const size = Buffer.alloc(4);
        size.writeUInt32BE(block.length);
        parts.push(size, block);
      }
      return Buffer.concat(parts);
    },
    async decompress(buffer) {
      if (buffer.length < XERIAL_HEADER.length || !buffer.subarray(0, 8).equals(XERIAL_MAGIC))
        return unsnappy(buffer, limit);
      const parts: Buffer[] = [];
      let total = 0;
      for (let at = XERIAL_HEADER.length; at < buffer.length; ) {
        if (at + 4 > buffer.length) throw new CodecError('snappy', 'corrupt', 'truncated block length');
        const size = buffer.readUInt32BE(at);
        at += 4;
        if (at + size > buffer.length) throw new CodecError('snappy', 'corrupt', 'truncated block');
        const part = unsnappy(buffer.subarray(at, at + size), limit - total);
        parts.push(part);
        total += part.length;
        at += size;
      }
      return Buffer.concat(parts, total);
    },
  };
}

/** One bare snappy block, refused before allocation when its declared length is over `limit`. */
function unsnappy(block: Buffer, limit: number): Buffer {
  const declared = snappyLength(block);
  if (declared > limit)
    throw new CodecError('snappy', 'too-large', `declares ${declared} bytes, over ${limit}`);
  try {
    return snappy.uncompress(block, limit);
  } catch (err) {
    throw new CodecError('snappy', 'corrupt', (err as Error).message);
  }
}

/** A snappy block's preamble: its uncompressed length as a little-endian base-128 varint (at most 2^32 - 1). */
function snappyLength(block: Buffer): number {
  let length = 0;
  for (let i = 0; i < 5 && i < block.length; i++) {
    const byte = block[i]!;
    length += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) return length;
  }
  throw new CodecError('snappy', 'corrupt', 'no block length');
}

/** lz4: the LZ4 frame format, as Kafka's clients write it (see lz4-frame.ts). */
export function lz4Codec(limit = DECOMPRESSED_BATCH_LIMIT): Codec {
  return {
    compress: async (encoder) => compressLz4Frame(encoder.buffer),
    decompress: async (buffer) => decompressLz4Frame(buffer, limit),
  };
}

/** Level 3 is zstd's default and what Kafka's Java producer uses unless told otherwise. */
const ZSTD_LEVEL = 3;
let zstdReady: Promise<void> | undefined;

/**
 * zstd over the reference library built to WebAssembly. The frames are walked first (zstd-frames.ts),
 * so the output buffer is sized from what they can hold, never from a number they merely declare.
 */
export function zstdCodec(limit = DECOMPRESSED_BATCH_LIMIT): Codec {
  const ready = () => {
    zstdReady ??= zstd.init();
    return zstdReady;
  };
  return {
    async compress(encoder) {
      await ready();
      return Buffer.from(zstd.compress(encoder.buffer, ZSTD_LEVEL));
    },
    async decompress(buffer) {
      const bound = zstdOutputBound(buffer);
      if (bound > limit) throw new CodecError('zstd', 'too-large', `may hold ${bound} bytes, over ${limit}`);
      await ready();
      try {
        const out = zstd.decompress(buffer, { defaultHeapSize: Math.max(bound, 1) });
        return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
      } catch (err) {
        throw new CodecError('zstd', 'corrupt', (err as Error).message);
      }
    },
  };
}

let registered = false;

/** Registers the four codecs with kafkajs; idempotent (one codec object per type, whatever the calls). */
export function registerCodecs(): void {
  if (registered) return;
  const codecs = {
    [CompressionTypes.GZIP]: gzipCodec(),
    [CompressionTypes.Snappy]: snappyCodec(),
    [CompressionTypes.LZ4]: lz4Codec(),
    [CompressionTypes.ZSTD]: zstdCodec(),
  };
  for (const [type, codec] of Object.entries(codecs)) {
    CompressionCodecs[Number(type) as keyof typeof CompressionCodecs] = () => codec;
  }
  registered = true;
}

registerCodecs();
