/**
 * Walks zstd frames (RFC 8878) without decoding them, to learn before anything is allocated how many
 * bytes they can decode to at most: a frame's declared content size, or, when the writer streamed it
 * (as Kafka's Java producer does) and declared none, the sum of its blocks' largest outputs.
 */
import { CodecError } from './codec-error.js';

const FRAME_MAGIC = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const MAX_COMPRESSED_BLOCK_OUTPUT = 128 << 10;
const DICT_ID_BYTES = [0, 1, 2, 4] as const;

/** The most bytes `src` can decompress to; throws CodecError for a malformed frame sequence. */
export function zstdOutputBound(src: Uint8Array): number {
  const corrupt = (why: string) => new CodecError('zstd', 'corrupt', why);
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  let at = 0;
  let bound = 0;
  if (src.length === 0) throw corrupt('no frame');
  while (at < src.length) {
    if (at + 4 > src.length) throw corrupt('truncated frame magic');
    const magic = view.getUint32(at, true);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (at + 8 > src.length) throw corrupt('truncated skippable frame');
      at += 8 + view.getUint32(at + 4, true);
      continue;
    }
    if (magic !== FRAME_MAGIC) throw corrupt('no zstd frame magic number');
    const frame = frameHeader(src, view, at + 4, corrupt);
    let blocks = 0;
    at = frame.end;
    for (let last = false; !last; ) {
      if (at + 3 > src.length) throw corrupt('truncated block header');
      const header = src[at]! | (src[at + 1]! << 8) | (src[at + 2]! << 16);
      last = (header & 1) === 1;
      const type = (header >> 1) & 3;
      const size = header >>> 3;
      at += 3;
      if (type === 0) {
        at += size; // raw
        blocks += size;
      } else if (type === 1) {
        at += 1; // RLE: one byte, repeated `size` times
        blocks += size;
      } else if (type === 2) {
        if (size > MAX_COMPRESSED_BLOCK_OUTPUT) throw corrupt('compressed block too large');
        at += size;
        blocks += MAX_COMPRESSED_BLOCK_OUTPUT;
      } else {
        throw corrupt('reserved block type');
      }
      if (at > src.length) throw corrupt('truncated block');
    }
    if (frame.checksum) at += 4;
    if (at > src.length) throw corrupt('truncated checksum');
    if (frame.contentSize !== undefined && frame.contentSize > blocks)
      throw corrupt('content size larger than its blocks can hold');
    bound += frame.contentSize ?? blocks;
  }
  return bound;
}

function frameHeader(
  src: Uint8Array,
  view: DataView,
  at: number,
  corrupt: (why: string) => CodecError,
): { end: number; contentSize: number | undefined; checksum: boolean } {
  if (at + 1 > src.length) throw corrupt('truncated frame header');
  const descriptor = src[at]!;
  if (descriptor & 0x08) throw corrupt('reserved header bit set');
  const fcsFlag = descriptor >> 6;
  const singleSegment = (descriptor & 0x20) !== 0;
  const checksum = (descriptor & 0x04) !== 0;
  let end = at + 1 + (singleSegment ? 0 : 1) + DICT_ID_BYTES[descriptor & 3]!;
  const fcsBytes = fcsFlag === 0 ? (singleSegment ? 1 : 0) : 1 << fcsFlag;
  if (end + fcsBytes > src.length) throw corrupt('truncated frame header');
  let contentSize: number | undefined;
  if (fcsBytes === 1) contentSize = src[end]!;
  else if (fcsBytes === 2) contentSize = view.getUint16(end, true) + 256;
  else if (fcsBytes === 4) contentSize = view.getUint32(end, true);
  else if (fcsBytes === 8) contentSize = view.getUint32(end, true) + view.getUint32(end + 4, true) * 2 ** 32;
  end += fcsBytes;
  return { end, contentSize, checksum };
}
