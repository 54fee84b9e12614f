// What replacing kafkajs would save: the CPU per record of producing the alert path's records and of
// consuming them again, kafkajs against @platformatic/kafka, on one real broker, in turns in one
// process (a warm-up round, then rounds in alternating order, each client first in half of them).
//
// Producing: the product's publisher either way (each record serialised and sized once, calls split
// into requests of at most 500 records and 512 KiB), sending through kafkajs's sendBatch or through
// @platformatic/kafka's send, acks from all in-sync replicas; calls of 500 records awaited in turn.
// Each client writes its turns to topics of its own, and each must have written every record.
// Consuming: a new group reads a topic of the same records from its start; each record's value is
// checksummed (CRC-32, summed), and both clients must read the same records and checksum.
// Each turn's garbage is collected inside its window (with --expose-gc), so it is charged to it.
// Run: node --expose-gc --import tsx bench/kafka-clients.ts   (KAFKA_BROKERS to use a running broker;
// BENCH_CLIENT_RECORDS, default 20,000, records per turn; prints a table, then one JSON line)
import { crc32 } from 'node:zlib';
import {
  Consumer as PlatformaticConsumer,
  Producer as PlatformaticProducer,
  ProduceAcks,
  stringSerializers,
} from '@platformatic/kafka';
import type { Kafka } from 'kafkajs';
import { dropKnownWarnings } from '../src/cli/process-handlers.js';
import { loadConfig } from '../src/config/config.js';
import { createKafka } from '../src/kafka/client.js';
import { type LocalBroker, startLocalBroker } from '../src/kafka/local-broker.js';
import {
  type OutRecord,
  type SendRequest,
  sendAll,
  serialise,
  type Waiting,
} from '../src/kafka/produce-requests.js';
import { createPublisher } from '../src/kafka/publisher.js';
import { silentLogger } from '../src/observe/logger.js';
import { alertRecords } from './alert-records.js';

dropKnownWarnings();

const RECORDS = Number(process.env.BENCH_CLIENT_RECORDS ?? 20_000);
const PER_CALL = 500;
const PARTITIONS = 6;
/** Measured rounds after the warm-up: even, so each client goes first in half of them. */
const ROUNDS = 4;
/** A consumer that has not read every record by then has failed. */
const CONSUME_TIMEOUT_MS = 120_000;
const CLIENTS = ['kafkajs', 'platformatic'] as const;
type Client = (typeof CLIENTS)[number];

const progress = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const gc = (globalThis as { gc?: () => void }).gc;
/** What a consumer read: how many records, and the sum of their values' CRC-32s. */
interface Read {
  records: number;
  checksum: number;
}
const add = (read: Read, value: Buffer | null | undefined) => {
  read.records++;
  read.checksum += value ? crc32(value) : 0;
};

let broker: LocalBroker | undefined;
let bootstrap = process.env.KAFKA_BROKERS?.trim();
if (!bootstrap) {
  progress('starting a local broker…');
  broker = await startLocalBroker();
  bootstrap = broker.bootstrap;
}
const brokers = bootstrap.split(',');
const stamp = `bench-clients-${Date.now().toString(36)}`;
const kafka = createKafka({ kafka: { ...loadConfig({}).kafka, brokers } }, silentLogger(), brokers);
const created: string[] = [];
const closing: (() => Promise<unknown>)[] = [];

try {
  const sample = (await alertRecords(PER_CALL)).slice(0, PER_CALL);
  const kinds = [...new Set(sample.map((r) => r.topic))];
  // Each kind of record keeps a topic of its own (alerts, OCSF, requests), per use.
  const callsTo = (use: string) => {
    const calls: OutRecord[][] = [];
    for (let n = 0; n < RECORDS; n += PER_CALL)
      calls.push(
        sample.map((r, i) => ({ ...r, topic: `${stamp}-${use}-${r.topic}`, key: `${r.key}-${n + i}` })),
      );
    return calls;
  };
  const uses = ['read', ...CLIENTS];
  const topicsOf = (use: string) => kinds.map((kind) => `${stamp}-${use}-${kind}`);
  const total = Math.ceil(RECORDS / PER_CALL) * PER_CALL;
  const bytes = sample.reduce((s, r) => s + Buffer.byteLength(JSON.stringify(r.value)), 0) / sample.length;

  const admin = kafka.admin();
  await admin.connect();
  closing.push(() => admin.disconnect());
  const topics = uses.flatMap(topicsOf);
  await admin.createTopics({
    waitForLeaders: true,
    topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })),
  });
  created.push(...topics);
  const stored = async (use: string) => {
    let n = 0;
    for (const t of topicsOf(use)) for (const o of await admin.fetchTopicOffsets(t)) n += Number(o.high);
    return n;
  };

  const publisher = await createPublisher(kafka);
  closing.push(() => publisher.close());
  const platformatic = new PlatformaticProducer({
    clientId: 'bench-platformatic',
    bootstrapBrokers: brokers,
    // The product's publisher hands over each value as bytes already; keys and headers are strings.
    serializers: {
      ...stringSerializers,
      value: (v?: string | Buffer) => (typeof v === 'string' ? Buffer.from(v) : v),
    },
    retries: 0,
  });
  closing.push(() => platformatic.close());
  const sendThroughPlatformatic: SendRequest = async (topicMessages) => {
    await platformatic.send({
      acks: ProduceAcks.ALL,
      messages: topicMessages.flatMap(({ topic, messages }) =>
        messages.map((m) => ({
          topic,
          key: m.key as string,
          value: m.value as Buffer,
          headers: m.headers as Record<string, string> | undefined,
        })),
      ),
    });
  };
  const produce: Record<Client, (call: OutRecord[]) => Promise<unknown>> = {
    kafkajs: (call) => publisher.publish(call),
    platformatic: async (call) => {
      const waiting: Waiting = { records: call, messages: [], refused: [], resolve() {}, reject() {} };
      serialise(waiting);
      await sendAll([waiting], sendThroughPlatformatic);
      if (waiting.refused.length > 0) throw waiting.refused[0]!.error;
    },
  };

  progress(`producing ${total} records to read back…`);
  for (const call of callsTo('read')) await produce.kafkajs(call);
  // Every record of the topics read back, whatever a retried request may have written twice.
  const toRead = await stored('read');
  let groups = 0;
  const consume: Record<Client, () => Promise<Read>> = {
    kafkajs: () => readWithKafkajs(kafka, `${stamp}-g${groups++}`, topicsOf('read'), toRead),
    platformatic: () => readWithPlatformatic(brokers, `${stamp}-g${groups++}`, topicsOf('read'), toRead),
  };

  const window = async (records: number, fn: () => Promise<unknown>) => {
    gc?.();
    const start = process.cpuUsage();
    await fn();
    gc?.();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / records;
  };
  const runs = {
    produce: { kafkajs: [] as number[], platformatic: [] as number[] },
    consume: { kafkajs: [] as number[], platformatic: [] as number[] },
  };
  const reads: Read[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const order = round % 2 === 0 ? CLIENTS : ([...CLIENTS].reverse() as Client[]);
    for (const client of order) {
      progress(`round ${round}${round === 0 ? ' (warm-up)' : ''}: ${client}`);
      const calls = callsTo(client);
      const produced = await window(total, async () => {
        for (const call of calls) await produce[client](call);
      });
      let read: Read = { records: 0, checksum: 0 };
      const consumed = await window(toRead, async () => {
        read = await consume[client]();
      });
      reads.push(read);
      if (round > 0) {
        runs.produce[client].push(produced);
        runs.consume[client].push(consumed);
      }
    }
  }
  // Both wrote every record of their turns, and read the same records, or the comparison means nothing.
  for (const client of CLIENTS) {
    const written = await stored(client);
    if (written < (ROUNDS + 1) * total)
      throw new Error(`${client} wrote ${written} records of ${(ROUNDS + 1) * total}`);
  }
  const first = reads[0]!;
  for (const read of reads)
    if (read.records !== first.records || read.checksum !== first.checksum)
      throw new Error(`the reads differ: ${JSON.stringify(reads)}`);

  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
  };
  const fixed = (n: number) => Number(n.toFixed(2));
  const result = {
    records_produced: total,
    records_read: toRead,
    records_per_call: PER_CALL,
    avg_value_bytes: Math.round(bytes),
    partitions: PARTITIONS,
    produce_us_per_record: {
      kafkajs: fixed(median(runs.produce.kafkajs)),
      platformatic: fixed(median(runs.produce.platformatic)),
    },
    consume_us_per_record: {
      kafkajs: fixed(median(runs.consume.kafkajs)),
      platformatic: fixed(median(runs.consume.platformatic)),
    },
    runs,
  };
  console.log(`µs of process CPU per record, median of ${ROUNDS} rounds in turns`);
  console.table(
    CLIENTS.map((client) => ({
      client: client === 'kafkajs' ? 'kafkajs 2.2.4 (tuned Encoder)' : '@platformatic/kafka 2.12.1',
      produce: result.produce_us_per_record[client],
      consume: result.consume_us_per_record[client],
    })),
  );
  console.log(JSON.stringify({ bench: 'kafka-clients', ...result }));
} finally {
  if (created.length > 0 && !broker) {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: created }).catch(() => undefined);
    await admin.disconnect();
  }
  for (const close of closing.reverse()) await close().catch(() => undefined);
  await broker?.stop();
}

/** Reads `count` records of `topics` from their start in a new group with kafkajs's eachBatch. */
async function readWithKafkajs(
  kafka: Kafka,
  groupId: string,
  topics: string[],
  count: number,
): Promise<Read> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 50 });
  const read: Read = { records: 0, checksum: 0 };
  try {
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        // A crash it restarts from (a coordinator still loading) is not the end of the read.
        consumer.on(consumer.events.CRASH, ({ payload }) => {
          if (!payload.restart) reject(payload.error);
        });
        consumer
          .run({
            eachBatch: async ({ batch }) => {
              for (const m of batch.messages) add(read, m.value);
              if (read.records >= count) resolve();
            },
          })
          .catch(reject);
      }),
      'kafkajs',
    );
    return read;
  } finally {
    await consumer.disconnect();
  }
}

/** The same with @platformatic/kafka's message stream. */
async function readWithPlatformatic(
  brokers: string[],
  groupId: string,
  topics: string[],
  count: number,
): Promise<Read> {
  const consumer = new PlatformaticConsumer({
    clientId: 'bench-platformatic',
    groupId,
    bootstrapBrokers: brokers,
    maxWaitTime: 50,
    autocommit: true,
  });
  const read: Read = { records: 0, checksum: 0 };
  try {
    const stream = await consumer.consume({ topics, mode: 'earliest' });
    try {
      await withTimeout(
        new Promise<void>((resolve, reject) => {
          stream.on('error', reject);
          stream.on('data', (m: { value?: Buffer }) => {
            add(read, m.value);
            if (read.records >= count) resolve();
          });
        }),
        'platformatic',
      );
    } finally {
      await stream.close();
    }
    return read;
  } finally {
    await consumer.close(true);
  }
}

function withTimeout(reading: Promise<void>, client: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${client} did not read every record in ${CONSUME_TIMEOUT_MS} ms`)),
      CONSUME_TIMEOUT_MS,
    );
  });
  return Promise.race([reading, late]).finally(() => clearTimeout(timer));
}
