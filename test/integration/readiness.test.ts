/**
 * /readyz of a started pipeline: false while one of its consumers is crashed and while the store does
 * not answer, true again once they are back. Real broker, a private redis-server.
 */
import { Kafka, logLevel } from 'kafkajs';
import { AppError } from '../../src/errors.js';
import { runConsumerLoop } from '../../src/kafka/consumer-loop.js';
import { countingProducer, createTopicsAndWait, kafkaBrokers, uniqueName } from '../support/env.js';
import { startTestPipeline } from '../support/pipeline-harness.js';
import { privateRedis, type RedisServer, waitUntil } from '../support/reliability.js';

const kafka = new Kafka({ clientId: 'readiness-test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const producer = countingProducer(kafka);

beforeAll(async () => {
  await Promise.all([admin.connect(), producer.connect()]);
});
afterAll(async () => {
  await Promise.allSettled([admin.disconnect(), producer.disconnect()]);
});

describe('a crashed consumer in a started pipeline', () => {
  it('turns /readyz false with CONSUMER_CRASHED until it is back in its group', async () => {
    const t = await startTestPipeline('memory', { only: ['alert-feed'] });
    const status = async () => (await fetch(`${t.pipeline.httpUrl}/readyz`)).status;
    let failing = true;
    const topic = uniqueName('pipeline-crash');
    const groupId = uniqueName('pipeline-crash-group');
    await createTopicsAndWait(admin, [{ topic, numPartitions: 1 }]);
    const loop = await runConsumerLoop({
      kafka,
      groupId,
      topics: [topic],
      log: t.pipeline.services.log,
      watch: t.pipeline.services.watch,
      handler: async () => {
        if (failing) throw new AppError('PROCESSING_FAILED', 'fails for good until fixed');
      },
    });
    try {
      await waitUntil('ready', async () => (await status()) === 200, 20_000);
      await producer.send({ topic, messages: [{ value: 'x' }] });
      // Crashing again after each restart: seen as 503 with the consumer's part saying why.
      let seen: unknown;
      await waitUntil(
        'not ready while crashed',
        async () => {
          seen = t.pipeline.services.health.snapshot()[`consumer:${groupId}`];
          const crashed = (seen as { detail?: string } | undefined)?.detail?.includes('PROCESSING_FAILED');
          return (await status()) === 503 && crashed === true;
        },
        20_000,
      );
      expect(seen).toMatchObject({
        ok: false,
        code: 'CONSUMER_CRASHED',
        detail: 'crashed (PROCESSING_FAILED); restarting',
      });
      failing = false;
      await waitUntil(
        'ready again',
        async () => (await status()) === 200,
        40_000,
        () => JSON.stringify(t.pipeline.services.health.snapshot()),
      );
    } finally {
      await loop.stop();
      await t.stop();
    }
  });
});

describe('the store away', () => {
  let redis: RedisServer | undefined;
  afterAll(async () => {
    await redis?.destroy();
  });

  it('makes /readyz of a started pipeline false with the reason, and true again when it is back', async () => {
    redis = await privateRedis();
    const t = await startTestPipeline('redis', { env: { REDIS_URL: redis.url }, only: ['alert-feed'] });
    const readyz = async () => {
      const res = await fetch(`${t.pipeline.httpUrl}/readyz`);
      return { status: res.status, ready: ((await res.json()) as { ready: boolean }).ready };
    };
    try {
      await waitUntil(
        'ready',
        async () => (await readyz()).status === 200,
        20_000,
        () => JSON.stringify(t.pipeline.services.health.snapshot()),
      );
      await redis.kill();
      await waitUntil('not ready', async () => (await readyz()).status === 503, 20_000);
      expect(await readyz()).toEqual({ status: 503, ready: false });
      expect(t.pipeline.services.health.snapshot().store).toMatchObject({
        ok: false,
        code: 'STORE_UNAVAILABLE',
        detail: 'the state store did not answer a ping',
      });
      await redis.start();
      await waitUntil('ready again', async () => (await readyz()).status === 200, 20_000);
      expect(await readyz()).toEqual({ status: 200, ready: true });
    } finally {
      await t.stop();
    }
  });
});
