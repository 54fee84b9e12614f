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
}
/** The replaced methods: on the prototype, and the class's statics. */
interface Methods {
  proto: Record<'ensureAvailable' | 'writeUVarInt' | 'writeVarLong', (...args: never[]) => unknown>;
  statics: Record<'sizeOfVarLong' | 'nextPowerOfTwo', (value: never) => number>;
}
type EncoderClass = { prototype: Methods['proto'] } & Methods['statics'];

const require = createRequire(import.meta.url);
const fromKafkajs = (file: string) => require(require.resolve(file, { paths: [require.resolve('kafkajs')] }));

/** The kafkajs release the replaced methods were read from. */
export const KAFKAJS_VERSION = '2.2.4';

/** The Encoder class kafkajs's own modules use (the same module instance, from Node's cache). */
export function kafkajsEncoder(): EncoderClass {
  return fromKafkajs('kafkajs/src/protocol/encoder.js');
}

// kafkajs 2.2.4's code this replaces or relies on, whitespace removed.
const EXPECTED = {
  ensureAvailable:
    'ensureAvailable(length){if(this.offset+length>this.buf.length){constnewLength=Encoder.nextPowerOfTwo(this.offset+length)constnewBuffer=Buffer.alloc(newLength)this.buf.copy(newBuffer,0,0,this.offset)this.buf=newBuffer}}',
  writeUVarInt:
    'writeUVarInt(value){constbyteArray=[]while((value&UNSIGNED_INT32_MAX_NUMBER)!==0){byteArray.push((value&OTHER_BITS)|MOST_SIGNIFICANT_BIT)value>>>=7}byteArray.push(value&OTHER_BITS)this.writeBufferInternal(Buffer.from(byteArray))returnthis}',
  writeVarLong:
    'writeVarLong(value){constbyteArray=[]letlongValue=Encoder.encodeZigZag64(value)while(longValue.and(UNSIGNED_INT64_MAX_NUMBER).notEquals(Long.fromInt(0))){byteArray.push(longValue.and(OTHER_BITS).or(MOST_SIGNIFICANT_BIT).toInt())longValue=longValue.shiftRightUnsigned(7)}byteArray.push(longValue.toInt())this.writeBufferInternal(Buffer.from(byteArray))returnthis}',
  sizeOfVarLong:
    'sizeOfVarLong(value){letlongValue=Encoder.encodeZigZag64(value)letbytes=1while(longValue.and(UNSIGNED_INT64_MAX_NUMBER).notEquals(Long.fromInt(0))){bytes+=1longValue=longValue.shiftRightUnsigned(7)}returnbytes}',
  nextPowerOfTwo: 'nextPowerOfTwo(value){return1<<(31-Math.clz32(value)+1)}',
  constructor:
    'constructor(initialSize=511){this.buf=Buffer.alloc(Encoder.nextPowerOfTwo(initialSize))this.offset=0}',
};

const squeeze = (fn: unknown) => String(fn).replace(/\s+/g, '');

/**
 * Whether kafkajs is the release read here: its version, and the source of every method replaced and
 * of the constructor. The reason unzeroed memory is safe lies in every other method of the Encoder
 * too, which only this release is known to keep (each writes all it passes).
 */
function isKnown(Encoder: EncoderClass): boolean {
  const { proto, statics } = snapshot(Encoder);
  return (
    (fromKafkajs('kafkajs/package.json') as { version?: unknown }).version === KAFKAJS_VERSION &&
    Object.entries({ ...proto, ...statics }).every(
      ([name, fn]) => squeeze(fn) === EXPECTED[name as keyof typeof EXPECTED],
    ) &&
    squeeze(Encoder).includes(EXPECTED.constructor)
  );
}

function snapshot(Encoder: EncoderClass): Methods {
  const { ensureAvailable, writeUVarInt, writeVarLong } = Encoder.prototype;
  return {
    proto: { ensureAvailable, writeUVarInt, writeVarLong },
    statics: { sizeOfVarLong: Encoder.sizeOfVarLong, nextPowerOfTwo: Encoder.nextPowerOfTwo },
  };
}

/** The replacements, falling back to kafkajs's own methods (`own`) for what they do not cover. */
function tunedMethods(Encoder: EncoderClass, own: Methods): Methods {
  const writeVarLong = own.proto.writeVarLong as (this: EncoderInstance, value: unknown) => EncoderInstance;
  const sizeOfVarLong = own.statics.sizeOfVarLong as (value: unknown) => number;
  return {
    proto: {
      ensureAvailable(this: EncoderInstance, length: number) {
        const needed = this.offset + length;
        // Written as kafkajs's test is, so a length that is not a number grows nothing, as there.
        if (!(needed > this.buf.length)) return;
        const grown = Buffer.allocUnsafe(
          needed <= FIRST_BYTES ? FIRST_BYTES : 1 << (32 - Math.clz32(needed)),
        );
        this.buf.copy(grown, 0, 0, this.offset);
        this.buf = grown;
      },
      writeUVarInt(this: EncoderInstance, value: number) {
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
      },
      writeVarLong(this: EncoderInstance, value: unknown) {
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
      },
    },
    statics: {
      // The constructor's only caller once ensureAvailable is replaced: a new Encoder starts empty.
      nextPowerOfTwo: () => 0,
      sizeOfVarLong: (value: unknown) =>
        isSmallInteger(value) ? varintBytes(zigZag(value)) : sizeOfVarLong.call(Encoder, value),
    },
  };
}

/** kafkajs's own methods and the tuned ones, once `tuneEncoder` has replaced them. */
let methods: { kafkajs: Methods; tuned: Methods } | undefined | null;

/** Whether the methods were replaced, or kafkajs is not the release they were read from. */
export type EncoderState = 'replaced' | 'unknown';

/** Replaces the methods once; returns what the Encoder runs now. */
export function tuneEncoder(): EncoderState {
  if (methods === undefined) {
    const Encoder = kafkajsEncoder();
    if (isKnown(Encoder)) {
      const own = snapshot(Encoder);
      methods = { kafkajs: own, tuned: tunedMethods(Encoder, own) };
      useEncoder('tuned');
    } else methods = null;
  }
  return methods ? 'replaced' : 'unknown';
}

/**
 * Puts kafkajs's own methods or the tuned ones in place, after `tuneEncoder` replaced them: the
 * reference a test or a benchmark holds the tuned ones to. Throws when they were not replaced.
 */
export function useEncoder(which: 'kafkajs' | 'tuned'): void {
  if (!methods) throw new Error("kafkajs's Encoder was not tuned");
  const Encoder = kafkajsEncoder();
  Object.assign(Encoder.prototype, methods[which].proto);
  Object.assign(Encoder, methods[which].statics);
}

// What kafkajs's constructor gave every Encoder; a smaller first buffer would only grow more often.
const FIRST_BYTES = 512;

// |n| < 2^52: its zig-zag form (below 2^53) is exact as a number, and takes at most 8 varint bytes.
const SMALL = 2 ** 52;
const isSmallInteger = (v: unknown): v is number => Number.isInteger(v) && Math.abs(v as number) < SMALL;
const zigZag = (n: number) => (n >= 0 ? 2 * n : -2 * n - 1);

/** How many bytes the varint of a non-negative integer below 2^53 takes. */
function varintBytes(z: number): number {
  let bytes = 1;
  for (let rest = z; rest >= 128; rest = Math.floor(rest / 128)) bytes++;
  return bytes;
}
