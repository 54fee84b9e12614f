/**
 * A consumer that crashes is restarted and readiness says so meanwhile; a stalled partition shows in
 * the lag and stall metrics and clears. Real broker; monitoring on a Health and registry of its own.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { AppError } from '../../src/errors.js';
import { type ConsumerLoopOptions, runConsumerLoop } from '../../src/kafka/consumer-loop.js';
import type { ConsumerEvent, ConsumerWatch } from '../../src/kafka/supervisor.js';
import { Health } from '../../src/observe/health.js';
import { createMetrics, type Metrics } from '../../src/observe/metrics.js';
import { startMonitoring } from '../../src/runtime/monitoring.js';
import { createMemoryStore } from '../../src/state/memory.js';
import { countingProducer, createTopicsAndWait, kafkaBrokers, uniqueName } from '../support/env.js';
import { waitUntil } from '../support/reliability.js';

const kafka = new Kafka({ clientId: 'health-test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const producer = countingProducer(kafka);

beforeAll(async () => {
  await Promise.all([admin.connect(), producer.connect()]);
});
afterAll(async () => {
  await Promise.allSettled([admin.disconnect(), producer.disconnect()]);
});

/** A logger whose JSON lines are kept, to find the ones with a code. */
function capturingLog() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { log, withCode: (code: string) => lines.filter((l) => l.code === code) };
}

/**
 * Monitoring on a fresh Health and registry, and a watch that also records each event with the
 * readiness it left behind.
 */
function monitored(stallAfterMs: number, log: ReturnType<typeof capturingLog>['log']) {
  const health = new Health();
  const metrics = createMetrics();
  const monitoring = startMonitoring({
    kafka,
    store: createMemoryStore({ maxKeys: 1000 }),
    health,
    metrics,
    log,
    stallAfterMs,
    lagPollMs: 500,
  });
  const events: { event: ConsumerEvent['event']; cause?: string; ready: boolean }[] = [];
  const watch: ConsumerWatch = {
    report(ref, event) {
      monitoring.watch.report(ref, event);
      const cause = event.event === 'crashed' ? { cause: event.cause } : {};
      events.push({ event: event.event, ...cause, ready: health.ready });
    },
  };
  return { health, metrics, monitoring, events, watch };
}

async function startLoop(
  name: string,
  partitions: number,
  opts: Omit<ConsumerLoopOptions, 'kafka' | 'groupId' | 'topics'>,
) {
  const topic = uniqueName(name);
  const groupId = uniqueName(`${name}-group`);
  await createTopicsAndWait(admin, [{ topic, numPartitions: partitions }]);
  const loop = await runConsumerLoop({ kafka, groupId, topics: [topic], commitIntervalMs: 50, ...opts });
  return { topic, groupId, loop };
}

async function gauge(metric: Metrics['partitionStalled'] | Metrics['lag'], partition: number) {
  const { values } = await metric.get();
  return values.find((v) => v.labels.partition === String(partition))?.value;
}

describe('a crashed consumer', () => {
  it('is restarted after a chunk fails for good, processes the rest, and is not ready until it rejoined', async () => {
    const { log, withCode } = capturingLog();
    const m = monitored(60_000, log);
    const handled: string[] = [];
    let thrown = 0;
    const { topic, groupId, loop } = await startLoop('crash-restart', 1, {
      chunkSize: 1,
      log,
      watch: m.watch,
      handler: async (records) => {
        const value = records[0]!.message.value!.toString();
        if (value === 'r2' && thrown++ === 0) {
          throw new AppError('PROCESSING_FAILED', 'a chunk no retry fixes');
        }
        handled.push(value);
      },
    });
    try {
      await producer.send({ topic, messages: ['r0', 'r1', 'r2', 'r3', 'r4'].map((value) => ({ value })) });
      await waitUntil(
        'every record handled',
        () => new Set(handled).size === 5,
        30_000,
        () => JSON.stringify({ handled, events: m.events }),
      );
      await waitUntil('ready again', () => m.health.ready, 10_000);
      expect(thrown).toBe(2);
      expect(handled.filter((v) => v === 'r2')).toEqual(['r2']);
      // The chunk's crash (not ready), then a join (ready). kafkajs may crash on its own too (a
      // coordinator still loading for a brand-new group): those are restarted as well, by kafkajs.
      const crashAt = m.events.findIndex((e) => e.cause === 'PROCESSING_FAILED');
      expect(m.events[crashAt]).toEqual({ event: 'crashed', cause: 'PROCESSING_FAILED', ready: false });
      expect(m.events.slice(crashAt + 1)).toContainEqual({ event: 'joined', ready: true });
      const crashes = await m.metrics.consumerCrashes.get();
      expect(crashes.values).toContainEqual({
        labels: { group: groupId, cause: 'PROCESSING_FAILED' },
        value: 1,
      });
      const logged = withCode('CONSUMER_CRASHED').filter((l) => l.cause === 'PROCESSING_FAILED');
      expect(logged).toEqual([expect.objectContaining({ group: groupId, restartedBy: 'supervisor' })]);
    } finally {
      await loop.stop();
      await m.monitoring.stop();
    }
    // Stopped on purpose: the consumer's part is gone, not failing.
    expect(m.health.snapshot()[`consumer:${groupId}`]).toBeUndefined();
  });

  it('is not restarted once stopped, even while a restart was pending', async () => {
    const { log } = capturingLog();
    const m = monitored(60_000, log);
    let calls = 0;
    const { topic, loop } = await startLoop('crash-stop', 1, {
      log,
      watch: m.watch,
      handler: async () => {
        calls++;
        throw new AppError('PROCESSING_FAILED', 'always');
      },
    });
    try {
      await producer.send({ topic, messages: [{ value: 'x' }] });
      await waitUntil('the crash', () => m.events.some((e) => e.cause === 'PROCESSING_FAILED'), 30_000);
    } finally {
      await loop.stop();
      await m.monitoring.stop();
    }
    const after = m.events.length;
    // Longer than the first restart delay (1 s): a pending restart would have joined by now.
    await sleep(2_500);
    expect(m.events.slice(after)).toEqual([]);
    expect(m.events.at(-1)!.event).toBe('stopped');
    expect(calls).toBe(1);
  });
});

describe('a stalled partition', () => {
  it('shows in the lag and stall metrics, readiness and the log, and clears when it moves on', async () => {
    const { log, withCode } = capturingLog();
    const STALL_AFTER = 2_000;
    const m = monitored(STALL_AFTER, log);
    let blocked = true;
    const { topic, groupId, loop } = await startLoop('stall', 1, {
      log,
      watch: m.watch,
      handler: async () => {
        if (blocked) {
          throw new AppError('STORE_UNAVAILABLE', 'store away', { retryable: true });
        }
      },
    });
    let producing = true;
    const feeding = (async () => {
      for (let i = 0; producing; i++) {
        await producer.send({ topic, messages: [{ partition: 0, value: `v${i}` }] });
        await sleep(200);
      }
    })();
    try {
      await waitUntil(
        'partition 0 stalled',
        async () => (await gauge(m.metrics.partitionStalled, 0)) === 1,
        STALL_AFTER + 10_000,
      );
      expect(await gauge(m.metrics.lag, 0)).toBeGreaterThan(0);
      expect(m.health.ready).toBe(false);
      expect(m.health.snapshot().partitions).toMatchObject({
        ok: false,
        code: 'PARTITION_STALLED',
        detail: `1 stalled: ${groupId} ${topic}/0`,
      });
      expect(withCode('PARTITION_STALLED')).toEqual([
        expect.objectContaining({ group: groupId, topic, partition: 0, level: 40 }),
      ]);
      const stalls = await m.metrics.partitionStalls.get();
      expect(stalls.values).toEqual([{ labels: { group: groupId, topic }, value: 1 }]);

      blocked = false;
      await waitUntil(
        'partition 0 moving again',
        async () => (await gauge(m.metrics.partitionStalled, 0)) === 0,
        STALL_AFTER + 10_000,
      );
      expect(m.health.snapshot().partitions).toMatchObject({ ok: true });
      expect(withCode('PARTITION_STALLED')).toEqual([
        expect.objectContaining({ partition: 0, level: 40 }),
        expect.objectContaining({ partition: 0, level: 30, recovered: true }),
      ]);
    } finally {
      producing = false;
      await feeding;
      await loop.stop();
      await m.monitoring.stop();
    }
  });
});
