/**
 * The LZ4 frame format (lz4.org, "LZ4 Frame Format Description"), which Kafka's LZ4 codec uses: a
 * header, blocks of at most the descriptor's maximum size, an end mark, optional checksums. lz4js
 * compresses each block; reading is ours so that every length is checked against the input and the
 * output limit before anything is copied, and a damaged frame is an error, never garbage.
 */
import lz4 from 'lz4js';
import xxh32 from 'lz4js/xxh32.js';
import { CodecError } from './codec-error.js';

const MAGIC = 0x184d2204;
const FLG_VERSION_MASK = 0xc0;
const FLG_VERSION_1 = 0x40;
const FLG_BLOCK_INDEPENDENT = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_RESERVED = 0x02;
const FLG_DICT_ID = 0x01;
const BLOCK_UNCOMPRESSED = 0x80000000;
const MAX_RATIO = 255;
const MAX_BLOCK_SIZES: Record<number, number> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 };

/**
 * Blocks hold at most 64 KiB of input while the descriptor announces 256 KiB: lz4js may start a full
 * block's last match a little closer to its end than the reference decoder (lz4-java, librdkafka)
 * accepts, and that decoder checks the rule against its buffer end, which is then 192 KiB further.
 */
const WRITE_CHUNK = 64 << 10;
const WRITE_BD = 5 << 4;
const hashTable = new Uint32Array(1 << 16);

/** One LZ4 frame of `input`, with independent blocks and no checksums but the header's (as Kafka writes). */
export function compressLz4Frame(input: Uint8Array): Buffer {
  const parts: Uint8Array[] = [];
  const header = new Uint8Array(7);
  writeU32(header, 0, MAGIC);
  header[4] = FLG_VERSION_1 | FLG_BLOCK_INDEPENDENT;
  header[5] = WRITE_BD;
  header[6] = (xxh32.hash(0, header, 4, 2) >>> 8) & 0xff;
  parts.push(header);
  const scratch = new Uint8Array(lz4.compressBound(WRITE_CHUNK));
  for (let at = 0; at < input.length; at += WRITE_CHUNK) {
    const size = Math.min(WRITE_CHUNK, input.length - at);
    // A fresh table per block: no match reaches into an earlier block, as the header promises.
    hashTable.fill(0);
    const packed = lz4.compressBlock(input, scratch, at, size, hashTable);
    const stored = packed === 0 || packed >= size;
    const block = new Uint8Array(4 + (stored ? size : packed));
    writeU32(block, 0, stored ? (BLOCK_UNCOMPRESSED | size) >>> 0 : packed);
    block.set(stored ? input.subarray(at, at + size) : scratch.subarray(0, packed), 4);
    parts.push(block);
  }
  parts.push(new Uint8Array(4)); // end mark
  return Buffer.concat(parts);
}

/** The content of one LZ4 frame; throws CodecError when it is damaged or would exceed `limit` bytes. */
export function decompressLz4Frame(src: Uint8Array, limit: number): Buffer {
  const corrupt = (why: string) => new CodecError('lz4', 'corrupt', why);
  if (src.length < 7 || readU32(src, 0) !== MAGIC) throw corrupt('no LZ4 frame magic number');
  const flg = src[4]!;
  const bd = src[5]!;
  if ((flg & FLG_VERSION_MASK) !== FLG_VERSION_1) throw corrupt('unsupported frame version');
  if (flg & (FLG_RESERVED | FLG_DICT_ID) || bd & 0x8f) throw corrupt('reserved or dictionary bits set');
  const maxBlock = MAX_BLOCK_SIZES[(bd >> 4) & 7];
  if (maxBlock === undefined) throw corrupt('invalid maximum block size');
  let at = 6;
  if (flg & FLG_CONTENT_SIZE) {
    if (src.length < at + 9) throw corrupt('truncated header');
    const size = readU32(src, at) + readU32(src, at + 4) * 2 ** 32;
    if (size > limit) throw new CodecError('lz4', 'too-large', `declares ${size} bytes`);
    at += 8;
  }
  if (src[at] !== ((xxh32.hash(0, src, 4, at - 4) >>> 8) & 0xff)) throw corrupt('header checksum mismatch');
  at += 1;

  let out: Uint8Array = new Uint8Array(Math.min(limit, 64 << 10));
  let length = 0;
  for (;;) {
    if (at + 4 > src.length) throw corrupt('truncated before the end mark');
    const word = readU32(src, at);
    at += 4;
    if (word === 0) break;
    const stored = (word & BLOCK_UNCOMPRESSED) !== 0;
    const size = word & ~BLOCK_UNCOMPRESSED;
    if (size > maxBlock) throw corrupt(`block of ${size} bytes over the frame's maximum ${maxBlock}`);
    if (at + size > src.length) throw corrupt('truncated block');
    // An LZ4 sequence decodes to at most 255 bytes per input byte: room for the block, never more.
    const room = Math.min(maxBlock, limit - length, stored ? size : MAX_RATIO * size);
    if (out.length < length + room) out = grow(out, Math.min(limit, Math.max(2 * out.length, length + room)));
    if (stored) {
      if (size > limit - length) throw new CodecError('lz4', 'too-large', `over ${limit} bytes`);
      out.set(src.subarray(at, at + size), length);
      length += size;
    } else {
      length = decodeBlock(src, at, at + size, out, length, length + room, length + room >= limit);
    }
    at += size;
    if (flg & FLG_BLOCK_CHECKSUM) {
      if (at + 4 > src.length || readU32(src, at) !== xxh32.hash(0, src, at - size, size) >>> 0)
        throw corrupt('block checksum mismatch');
      at += 4;
    }
  }
  if (flg & FLG_CONTENT_CHECKSUM) {
    if (at + 4 > src.length || readU32(src, at) !== xxh32.hash(0, out, 0, length) >>> 0)
      throw corrupt('content checksum mismatch');
  }
  return Buffer.from(out.buffer, out.byteOffset, length);
}

/**
 * Decodes one LZ4 block (lz4.org, "LZ4 Block Format") from src[start, end) into dst at `d`, writing
 * below `dEnd`; a match may reach back into earlier blocks' output (frames with dependent blocks).
 */
function decodeBlock(
  src: Uint8Array,
  start: number,
  end: number,
  dst: Uint8Array,
  d: number,
  dEnd: number,
  atLimit: boolean,
): number {
  const overrun = () =>
    atLimit
      ? new CodecError('lz4', 'too-large', `over the limit of ${dEnd} bytes`)
      : new CodecError('lz4', 'corrupt', 'block decodes past its maximum size');
  let s = start;
  while (s < end) {
    const token = src[s++]!;
    let literals = token >>> 4;
    if (literals === 15) {
      let b: number;
      do {
        if (s >= end) throw new CodecError('lz4', 'corrupt', 'truncated literal length');
        b = src[s++]!;
        literals += b;
      } while (b === 255);
    }
    if (s + literals > end) throw new CodecError('lz4', 'corrupt', 'literals past the block end');
    if (d + literals > dEnd) throw overrun();
    dst.set(src.subarray(s, s + literals), d);
    s += literals;
    d += literals;
    if (s === end) return d; // the last sequence has literals only
    if (s + 2 > end) throw new CodecError('lz4', 'corrupt', 'truncated match offset');
    const offset = src[s]! | (src[s + 1]! << 8);
    s += 2;
    if (offset === 0 || offset > d) throw new CodecError('lz4', 'corrupt', 'match offset out of range');
    let matchLength = token & 15;
    if (matchLength === 15) {
      let b: number;
      do {
        if (s >= end) throw new CodecError('lz4', 'corrupt', 'truncated match length');
        b = src[s++]!;
        matchLength += b;
      } while (b === 255);
    }
    matchLength += 4;
    if (d + matchLength > dEnd) throw overrun();
    // Overlapping copies (offset < length) repeat the last `offset` bytes: byte by byte, in order.
    for (let i = d - offset, stop = d + matchLength; d < stop; ) dst[d++] = dst[i++]!;
  }
  return d;
}

function grow(buf: Uint8Array, size: number): Uint8Array {
  const next = new Uint8Array(size);
  next.set(buf);
  return next;
}

function readU32(buf: Uint8Array, at: number): number {
  return (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24)) >>> 0;
}

function writeU32(buf: Uint8Array, at: number, value: number): void {
  buf[at] = value & 0xff;
  buf[at + 1] = (value >>> 8) & 0xff;
  buf[at + 2] = (value >>> 16) & 0xff;
  buf[at + 3] = (value >>> 24) & 0xff;
}
