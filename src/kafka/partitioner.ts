/**
 * The producer's partitioner: the partition a record names, else the Java client's murmur2 of the
 * key's UTF-8 bytes (`(murmur2(key) & 0x7fffffff) % partitions`, as Kafka's Java producer and
 * kafkajs's default partitioner choose), else round robin over the partitions with a leader.
 * Records of one key therefore land where every other Kafka client would put them. The hash runs
 * on 32-bit integers (Math.imul) and allocates no buffer for keys up to SCRATCH_BYTES; kafkajs's own
 * computes it on 64-bit Long objects, several for every four bytes of the key.
 */
import type { ICustomPartitioner } from 'kafkajs';

const M = 0x5bd1e995;
const SEED = 0x9747b28c;

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2) of `data[0..length)`, a signed 32-bit result. */
export function murmur2(data: Uint8Array, length = data.length): number {
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & 3;
  if (tail > 0) {
    if (tail === 3) h ^= data[whole + 2]! << 16;
    if (tail >= 2) h ^= data[whole + 1]! << 8;
    h ^= data[whole]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Keys up to this many UTF-8 bytes are encoded into one reused buffer; longer ones get their own. */
const SCRATCH_BYTES = 1024;
const scratch = new Uint8Array(SCRATCH_BYTES);
const utf8 = new TextEncoder();

/**
 * murmur2 of a key as kafkajs sends it: a buffer's own bytes, anything else as the UTF-8 bytes of
 * its string form.
 */
export function keyHash(key: unknown): number {
  if (Buffer.isBuffer(key)) return murmur2(key);
  const text = typeof key === 'string' ? key : String(key);
  const { read, written } = utf8.encodeInto(text, scratch);
  return read === text.length ? murmur2(scratch, written) : murmur2(Buffer.from(text));
}

/**
 * Creates the partitioner kafkajs calls per record (`createPartitioner`). Keyless records take turns
 * per topic, each topic's turn starting at random, as kafkajs's default does.
 */
export const keyPartitioner: ICustomPartitioner = () => {
  const turns = new Map<string, number>();
  return ({ topic, partitionMetadata, message }) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    if (message.key !== null && message.key !== undefined)
      return (keyHash(message.key) & 0x7fffffff) % partitionMetadata.length;
    const turn = ((turns.get(topic) ?? Math.floor(Math.random() * 0x7fffffff)) + 1) & 0x7fffffff;
    turns.set(topic, turn);
    const led = partitionMetadata.filter((p) => p.leader >= 0);
    if (led.length > 0) return led[turn % led.length]!.partitionId;
    return turn % partitionMetadata.length;
  };
};
