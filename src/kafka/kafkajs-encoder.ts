/**
 * Four methods of kafkajs's protocol Encoder, which writes every produce request, replaced by ones
 * that write the same bytes with less work. kafkajs 2.2.4 is its last release, so the fix lives here:
 *
 * - `ensureAvailable` grows the buffer with `Buffer.allocUnsafe` instead of `Buffer.alloc`. The
 *   Encoder only ever hands out `buf[0, offset)`, and every method writes each byte it moves `offset`
 *   past, so memory that was never zeroed is never read: the zero fill was pure cost.
 * - A new Encoder starts empty and takes its first 512 bytes the same way on its first write, from
 *   Node's buffer pool; kafkajs gave each one (one per record, one per header) a zeroed buffer of its
 *   own. The constructor sizes its buffer with the static `nextPowerOfTwo`, which nothing else calls
 *   once `ensureAvailable` is replaced, so that static now answers 0.
 * - `writeUVarInt` (and through it `writeVarInt`) writes its bytes in place; kafkajs built an array
 *   and a Buffer for each varint, several per record.
 * - `writeVarLong` and `sizeOfVarLong` use plain numbers for a safe integer (every record's timestamp
 *   delta); kafkajs made a chain of 64-bit Long objects for each. Anything else goes to kafkajs's own.
 *
 * Registration is global, like the codecs': the first client made applies it, once. The replacement
 * is made only on kafkajs 2.2.4 whose replaced methods are the ones read here (their source is
 * compared), so a different kafkajs keeps its own code.
 */
import { createRequire } from 'node:module';

interface EncoderInstance {
  buf: Buffer;
  offset: number;
  ensureAvailable(length: number): void;
  writeBufferInternal(buffer: Buffer): void;
}
interface EncoderClass {
  prototype: EncoderInstance & {
    writeUVarInt(value: number): EncoderInstance;
    writeVarLong(value: unknown): EncoderInstance;
  };
  sizeOfVarLong(value: unknown): number;
  nextPowerOfTwo(value: number): number;
}

const require = createRequire(import.meta.url);

/** The kafkajs release the replaced methods were read from. */
export const KAFKAJS_VERSION = '2.2.4';

function kafkajsVersion(): unknown {
  const manifest = require(require.resolve('kafkajs/package.json', { paths: [require.resolve('kafkajs')] }));
  return (manifest as { version?: unknown }).version;
}

/** The Encoder class kafkajs's own modules use (the same module instance, from Node's cache). */
export function kafkajsEncoder(): EncoderClass {
  return require(require.resolve('kafkajs/src/protocol/encoder.js', { paths: [require.resolve('kafkajs')] }));
}

// kafkajs 2.2.4's methods this replaces, whitespace removed.
const EXPECTED: Record<
  'ensureAvailable' | 'writeUVarInt' | 'writeVarLong' | 'sizeOfVarLong' | 'constructor' | 'nextPowerOfTwo',
  string
> = {
  ensureAvailable:
    'ensureAvailable(length){if(this.offset+length>this.buf.length){constnewLength=Encoder.nextPowerOfTwo(this.offset+length)constnewBuffer=Buffer.alloc(newLength)this.buf.copy(newBuffer,0,0,this.offset)this.buf=newBuffer}}',
  writeUVarInt:
    'writeUVarInt(value){constbyteArray=[]while((value&UNSIGNED_INT32_MAX_NUMBER)!==0){byteArray.push((value&OTHER_BITS)|MOST_SIGNIFICANT_BIT)value>>>=7}byteArray.push(value&OTHER_BITS)this.writeBufferInternal(Buffer.from(byteArray))returnthis}',
  writeVarLong:
    'writeVarLong(value){constbyteArray=[]letlongValue=Encoder.encodeZigZag64(value)while(longValue.and(UNSIGNED_INT64_MAX_NUMBER).notEquals(Long.fromInt(0))){byteArray.push(longValue.and(OTHER_BITS).or(MOST_SIGNIFICANT_BIT).toInt())longValue=longValue.shiftRightUnsigned(7)}byteArray.push(longValue.toInt())this.writeBufferInternal(Buffer.from(byteArray))returnthis}',
  constructor:
    'constructor(initialSize=511){this.buf=Buffer.alloc(Encoder.nextPowerOfTwo(initialSize))this.offset=0}',
  nextPowerOfTwo: 'nextPowerOfTwo(value){return1<<(31-Math.clz32(value)+1)}',
  sizeOfVarLong:
    'sizeOfVarLong(value){letlongValue=Encoder.encodeZigZag64(value)letbytes=1while(longValue.and(UNSIGNED_INT64_MAX_NUMBER).notEquals(Long.fromInt(0))){bytes+=1longValue=longValue.shiftRightUnsigned(7)}returnbytes}',
};

const squeeze = (fn: unknown) => String(fn).replace(/\s+/g, '');

/** Whether the methods were replaced, or kafkajs is not the release they were read from. */
export type EncoderState = 'replaced' | 'unknown';

let state: EncoderState | undefined;

/** Replaces the methods once; returns what the Encoder runs now. */
export function tuneEncoder(): EncoderState {
  if (state) return state;
  const Encoder = kafkajsEncoder();
  const proto = Encoder.prototype;
  // The methods compared, and the version: the reason unzeroed memory is safe lies in every other
  // method of the Encoder, which only this release is known to keep (each writes all it passes).
  const known =
    kafkajsVersion() === KAFKAJS_VERSION &&
    squeeze(proto.ensureAvailable) === EXPECTED.ensureAvailable &&
    squeeze(proto.writeUVarInt) === EXPECTED.writeUVarInt &&
    squeeze(proto.writeVarLong) === EXPECTED.writeVarLong &&
    squeeze(Encoder.sizeOfVarLong) === EXPECTED.sizeOfVarLong &&
    squeeze(Encoder.nextPowerOfTwo) === EXPECTED.nextPowerOfTwo &&
    squeeze(Encoder).includes(EXPECTED.constructor);
  if (!known) {
    state = 'unknown';
    return state;
  }
  const writeVarLong = proto.writeVarLong;
  const sizeOfVarLong = Encoder.sizeOfVarLong;

  proto.ensureAvailable = function ensureAvailable(this: EncoderInstance, length: number) {
    const needed = this.offset + length;
    // Written as kafkajs's test is, so a length that is not a number grows nothing, as there.
    if (!(needed > this.buf.length)) return;
    const grown = Buffer.allocUnsafe(needed <= FIRST_BYTES ? FIRST_BYTES : 1 << (32 - Math.clz32(needed)));
    this.buf.copy(grown, 0, 0, this.offset);
    this.buf = grown;
  };
  proto.writeUVarInt = function writeUVarInt(this: EncoderInstance, value: number) {
    this.ensureAvailable(5);
    const buf = this.buf;
    let at = this.offset;
    let v = value;
    while ((v & 0xffffff80) !== 0) {
      buf[at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[at++] = v & 0x7f;
    this.offset = at;
    return this;
  };
  proto.writeVarLong = function (this: EncoderInstance, value: unknown) {
    if (!isSmallInteger(value)) return writeVarLong.call(this, value);
    this.ensureAvailable(8);
    const buf = this.buf;
    let at = this.offset;
    let z = zigZag(value);
    while (z >= 128) {
      buf[at++] = (z % 128) | 0x80;
      z = Math.floor(z / 128);
    }
    buf[at++] = z;
    this.offset = at;
    return this;
  };
  Encoder.nextPowerOfTwo = () => 0;
  Encoder.sizeOfVarLong = (value: unknown) => {
    if (!isSmallInteger(value)) return sizeOfVarLong.call(Encoder, value);
    let z = zigZag(value);
    let bytes = 1;
    while (z >= 128) {
      bytes += 1;
      z = Math.floor(z / 128);
    }
    return bytes;
  };
  state = 'replaced';
  return state;
}

// What kafkajs's constructor gave every Encoder; a smaller first buffer would only grow more often.
const FIRST_BYTES = 512;

// |n| < 2^52: its zig-zag form (below 2^53) is exact as a number, and takes at most 8 varint bytes.
const SMALL = 2 ** 52;
const isSmallInteger = (v: unknown): v is number => Number.isInteger(v) && Math.abs(v as number) < SMALL;
const zigZag = (n: number) => (n >= 0 ? 2 * n : -2 * n - 1);
