// What replacing kafkajs would save: the CPU per record of producing the alert path's records and of
// consuming them again, kafkajs as the product runs it (its publisher, the tuned Encoder) against
// @platformatic/kafka, on one real broker, in turns (ABBA) in one process.
//
// Producing: calls of 500 records (the publisher's most per call), acks from all in-sync replicas,
// each call awaited before the next, the records' values serialised to JSON on either side.
// Consuming: a new group reads a topic of the same records from its start, each value touched.
// Run: node --expose-gc --import tsx bench/kafka-clients.ts   (KAFKA_BROKERS to use a running broker;
// BENCH_CLIENT_RECORDS, default 20,000, records per turn; prints a table, then one JSON line)
import {
  Consumer as PlatformaticConsumer,
  Producer as PlatformaticProducer,
  ProduceAcks,
  stringSerializers,
} from '@platformatic/kafka';
import { dropKnownWarnings } from '../src/cli/process-handlers.js';
import { loadConfig } from '../src/config/config.js';
import { createKafka } from '../src/kafka/client.js';
import { type LocalBroker, startLocalBroker } from '../src/kafka/local-broker.js';
import type { OutRecord } from '../src/kafka/produce-requests.js';
import { createPublisher } from '../src/kafka/publisher.js';
import { silentLogger } from '../src/observe/logger.js';
import { alertRecords } from './alert-records.js';

dropKnownWarnings();

const RECORDS = Number(process.env.BENCH_CLIENT_RECORDS ?? 20_000);
const PER_CALL = 500;
const PARTITIONS = 6;
const ROUNDS = 3;
const CLIENTS = ['kafkajs', 'platformatic'] as const;
type Client = (typeof CLIENTS)[number];

const progress = (line: string) => process.stderr.write(`[bench] ${line}\n`);
let broker: LocalBroker | undefined;
let bootstrap = process.env.KAFKA_BROKERS?.trim();
if (!bootstrap) {
  progress('starting a local broker…');
  broker = await startLocalBroker();
  bootstrap = broker.bootstrap;
}
const brokers = bootstrap.split(',');

try {
  const sample = await alertRecords(PER_CALL);
  const stamp = `bench-clients-${Date.now().toString(36)}`;
  // Each kind of record keeps its own topic (the alert, OCSF and request topics), renamed for the run.
  const topicOf = (r: OutRecord) => `${stamp}-${r.topic}`;
  const calls: OutRecord[][] = [];
  for (let n = 0; n < RECORDS; n += PER_CALL)
    calls.push(sample.map((r, i) => ({ ...r, topic: topicOf(r), key: `${r.key}-${n + i}` })));
  const topics = [...new Set(calls[0]!.map((r) => r.topic))];
  const total = calls.reduce((n, c) => n + c.length, 0);
  // The topics read back hold one turn's records, produced once before the turns.
  const readCalls = calls.map((call) => call.map((r) => ({ ...r, topic: `${r.topic}-read` })));
  const readTopics = topics.map((t) => `${t}-read`);
  const bytes = sample.reduce((s, r) => s + Buffer.byteLength(JSON.stringify(r.value)), 0) / sample.length;

  const kafka = createKafka({ kafka: { ...loadConfig({}).kafka, brokers } }, silentLogger(), brokers);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [...topics, ...readTopics].map((topic) => ({
      topic,
      numPartitions: PARTITIONS,
      replicationFactor: 1,
    })),
  });
  await admin.disconnect();

  const publisher = await createPublisher(kafka);
  const platformatic = new PlatformaticProducer({
    clientId: 'bench-platformatic',
    bootstrapBrokers: brokers,
    serializers: stringSerializers,
    acks: ProduceAcks.ALL,
    retries: 0,
  });
  const produce: Record<Client, (call: OutRecord[]) => Promise<unknown>> = {
    kafkajs: (call) => publisher.publish(call),
    platformatic: (call) =>
      platformatic.send({
        messages: call.map((r) => ({
          topic: r.topic,
          key: r.key,
          value: JSON.stringify(r.value),
          headers: r.headers,
        })),
      }),
  };

  let groups = 0;
  const consume: Record<Client, () => Promise<number>> = {
    async kafkajs() {
      const consumer = kafka.consumer({ groupId: `${stamp}-g${groups++}`, maxWaitTimeInMs: 50 });
      await consumer.connect();
      await consumer.subscribe({ topics: readTopics, fromBeginning: true });
      let seen = 0;
      let valueBytes = 0;
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            eachBatchAutoResolve: true,
            eachBatch: async ({ batch }) => {
              for (const m of batch.messages) valueBytes += m.value?.length ?? 0;
              seen += batch.messages.length;
              if (seen >= stored) resolve();
            },
          })
          .catch(reject);
      });
      await consumer.disconnect();
      return valueBytes;
    },
    async platformatic() {
      const consumer = new PlatformaticConsumer({
        clientId: 'bench-platformatic',
        groupId: `${stamp}-g${groups++}`,
        bootstrapBrokers: brokers,
        maxWaitTime: 50,
        autocommit: true,
      });
      const stream = await consumer.consume({ topics: readTopics, mode: 'earliest' });
      let seen = 0;
      let valueBytes = 0;
      for await (const m of stream) {
        valueBytes += (m.value as Buffer | undefined)?.length ?? 0;
        if (++seen >= stored) break;
      }
      await stream.close();
      await consumer.close(true);
      return valueBytes;
    },
  };
  progress(`producing ${total} records to read back…`);
  for (const call of readCalls) await produce.kafkajs(call);
  // Every record of the topics read back, whatever a retried request may have written twice.
  const stored = await (async () => {
    const a = kafka.admin();
    await a.connect();
    let n = 0;
    for (const t of readTopics) for (const o of await a.fetchTopicOffsets(t)) n += Number(o.high);
    await a.disconnect();
    return n;
  })();

  const cpu = async (records: number, fn: () => Promise<unknown>) => {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const start = process.cpuUsage();
    await fn();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / records;
  };
  const runs = {
    produce: { kafkajs: [] as number[], platformatic: [] as number[] },
    consume: { kafkajs: [] as number[], platformatic: [] as number[] },
  };
  const checks: Record<Client, number> = { kafkajs: 0, platformatic: 0 };
  for (let round = 0; round < ROUNDS + 1; round++) {
    const order = round % 2 === 0 ? CLIENTS : ([...CLIENTS].reverse() as Client[]);
    for (const client of order) {
      progress(`round ${round}: ${client}`);
      const produced = await cpu(total, async () => {
        for (const call of calls) await produce[client](call);
      });
      const consumed = await cpu(stored, async () => {
        checks[client] = await consume[client]();
      });
      // The first round warms both up.
      if (round > 0) {
        runs.produce[client].push(produced);
        runs.consume[client].push(consumed);
      }
    }
  }
  // Both read back the same bytes, or the comparison means nothing.
  if (checks.kafkajs !== checks.platformatic)
    throw new Error(`the clients read different bytes: ${checks.kafkajs} and ${checks.platformatic}`);
  await publisher.close();
  await platformatic.close();

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const fixed = (n: number) => Number(n.toFixed(2));
  const result = {
    records: total,
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
  console.log(`µs of process CPU per record, median of ${ROUNDS} rounds in turns (${total} records each)`);
  console.table(
    CLIENTS.map((client) => ({
      client: client === 'kafkajs' ? 'kafkajs 2.2.4 (the publisher, tuned Encoder)' : '@platformatic/kafka',
      produce: result.produce_us_per_record[client],
      consume: result.consume_us_per_record[client],
    })),
  );
  console.log(JSON.stringify({ bench: 'kafka-clients', ...result }));
} finally {
  await broker?.stop();
}
