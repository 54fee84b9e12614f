/**
 * The producer's partitioner: the partition a record names, else the Java client's murmur2 of the
 * key's UTF-8 bytes (`(murmur2(key) & 0x7fffffff) % partitions`, as Kafka's Java producer and
 * kafkajs's default partitioner choose), else round robin over the partitions with a leader.
 * Records of one key therefore land where every other Kafka client would put them. The hash runs
 * on 32-bit integers (Math.imul) and allocates nothing for keys up to SCRATCH_BYTES; kafkajs's own
 * computes it on 64-bit Long objects, a dozen allocations per record.
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

/** murmur2 of a key as Kafka clients hash it: a string's UTF-8 bytes, a buffer's own. */
export function keyHash(key: string | Uint8Array): number {
  if (typeof key !== 'string') return murmur2(key);
  const { read, written } = utf8.encodeInto(key, scratch);
  return read === key.length ? murmur2(scratch, written) : murmur2(Buffer.from(key));
}

export const keyPartitioner: ICustomPartitioner = () => {
  let roundRobin = Math.floor(Math.random() * 0x7fffffff);
  return ({ partitionMetadata, message }) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    if (message.key !== null && message.key !== undefined)
      return (keyHash(message.key) & 0x7fffffff) % partitionMetadata.length;
    const led = partitionMetadata.filter((p) => p.leader >= 0);
    roundRobin = (roundRobin + 1) & 0x7fffffff;
    if (led.length > 0) return led[roundRobin % led.length]!.partitionId;
    return roundRobin % partitionMetadata.length;
  };
};
