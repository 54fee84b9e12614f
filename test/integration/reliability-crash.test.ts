/**
 * A consumer process killed with SIGKILL mid-stream and restarted: every session is alerted exactly
 * once at the outbox, and the group's committed offsets reach the end of auth.events.
 */
import type { Admin, Producer } from 'kafkajs';
import { redisUrl } from '../support/env.js';
import { testEnv } from '../support/pipeline-harness.js';
import {
  cleanOutbox,
  enroll,
  kafkaFor,
  killAllChildren,
  lagOf,
  outboxCounts,
  type PipelineProc,
  plan,
  produceAtRate,
  scaled,
  settle,
  signInRecord,
  spawnPipeline,
  waitUntil,
} from '../support/reliability.js';

const N = scaled(2_000, 10_000);
const ACCOUNTS = scaled(400, 2_000);

describe('a consumer process killed with SIGKILL mid-stream', () => {
  let env: Record<string, string>;
  let admin: Admin;
  let producer: Producer;
  const procs: PipelineProc[] = [];

  beforeAll(async () => {
    env = testEnv('redis', { REDIS_URL: redisUrl() });
    const kafka = kafkaFor(env);
    admin = kafka.admin();
    producer = kafka.producer();
    await Promise.all([admin.connect(), producer.connect()]);
  });

  afterAll(async () => {
    await Promise.allSettled(procs.map((p) => p.stop()));
    await killAllChildren();
    await Promise.allSettled([admin?.disconnect(), producer?.disconnect()]);
    cleanOutbox(env);
  });

  it(`alerts each of ${N} sessions exactly once after a restart, and commits to the end`, async () => {
    const { accounts, sessions } = plan(ACCOUNTS, N / ACCOUNTS);
    const first = await spawnPipeline('pipeline-1', env);
    procs.push(first);
    await enroll(producer, env, accounts, env.REDIS_URL!);

    // Kill once a fifth of the alerts are out, while sign-ins are still being produced.
    let alertedAtKill = -1;
    const kill = async () => {
      if (alertedAtKill >= 0) return;
      const alerted = outboxCounts(env.OUTBOX_DIR!).size;
      if (alerted < N / 5) return;
      alertedAtKill = alerted;
      await first.kill();
    };
    await produceAtRate(producer, env.TOPIC_AUTH_EVENTS!, sessions.map(signInRecord), N / 4, kill);
    await waitUntil('a fifth of the alerts before the kill', async () => {
      await kill();
      return alertedAtKill >= 0;
    }, 60_000, () => `${outboxCounts(env.OUTBOX_DIR!).size} alerted`, 20);
    expect(first.alive()).toBe(false);
    expect(alertedAtKill).toBeLessThan(N);
    const atKill = await lagOf(admin, env.KAFKA_GROUP_ID!, env.TOPIC_AUTH_EVENTS!);

    const second = await spawnPipeline('pipeline-2', env);
    procs.push(second);
    // A sender killed between claim and "sent" leaves a 60 s lease: its deliveries run once it lapses.
    const verdict = await settle(admin, env, sessions, 150_000);

    expect(verdict).toMatchObject({ missing: 0, duplicated: 0, unexpected: 0, distinct: N });
    const after = await lagOf(admin, env.KAFKA_GROUP_ID!, env.TOPIC_AUTH_EVENTS!);
    expect(after.end).toBe(N);
    expect(after.lag).toBe(0);
    expect(after.committed).toBe(after.end);
    // The kill really did leave work behind for the restarted process.
    expect(alertedAtKill).toBeGreaterThan(0);
    expect(atKill.committed).toBeLessThanOrEqual(N);
    expect(second.alive()).toBe(true);
  }, 240_000);
});
