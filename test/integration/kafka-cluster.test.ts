/**
 * login-alerts on a three-node Kafka cluster (every node broker and KRaft voter), started once for this
 * file and spoken to only over SASL_SSL with client certificates, as in production: the topics it creates are replicated three times with min.insync.replicas 2; the leader of the
 * consumed partitions is killed with SIGKILL mid-stream and every session is still alerted once; then
 * three replicas in one group are restarted one at a time with SIGTERM while sign-ins flow.
 * LOGIN_ALERTS_SCALE_TEST=full runs the large size. Figures are printed as `[kafka-cluster]` lines.
 */
import type { Admin, Kafka, Producer } from 'kafkajs';
import { TOPIC_ENV } from '../../src/config/schema.js';
import { redisUrl } from '../support/env.js';
import {
  alertsOn,
  clusterClient,
  clusterScale,
  figure,
  minInsyncOf,
  partitionsOf,
  startTestCluster,
  type TestCluster,
  waitForIsr,
} from '../support/kafka-cluster.js';
import {
  deleteAccountKeys,
  firstTimeThat,
  produceWhile,
  restartOneByOne,
  watchGroupReadiness,
  wholeRetryProducer,
} from '../support/kafka-cluster-load.js';
import { testEnv } from '../support/pipeline-harness.js';
import { type RedisClusterHandle, startRedisCluster } from '../support/redis-cluster.js';
import {
  cleanOutbox,
  createTopics,
  enroll,
  killAllChildren,
  lagOf,
  midStream,
  outboxCounts,
  type PipelineProc,
  plan,
  type Session,
  settle,
  signInRecord,
  spawnPipeline,
  waitUntil,
  watchReceipts,
} from '../support/reliability.js';

const FAILOVER_SESSIONS = clusterScale(2_000, 10_000);
const ROLLING_SESSIONS = clusterScale(2_000, 10_000);
/** A consumer group's session timeout (kafkajs's default): the longest a rebalance may leave a partition unowned. */
const REBALANCE_MS = 30_000;

let started: TestCluster | undefined;
let redisCluster: RedisClusterHandle | undefined;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;
const procs: PipelineProc[] = [];
const envs: Record<string, string>[] = [];
const accountPrefixes: string[] = [];

beforeAll(async () => {
  started = await startTestCluster();
  figure(
    `cluster start (3 nodes, SASL_SSL, Kafka ${started.cluster.version})`,
    `${(started.startMs / 1000).toFixed(1)} s`,
  );
  kafka = clusterClient(started);
  admin = kafka.admin();
  producer = wholeRetryProducer(kafka);
  await Promise.all([admin.connect(), producer.connect()]);
}, 180_000);

afterAll(async () => {
  await Promise.allSettled(procs.map((p) => p.stop(5_000)));
  await killAllChildren();
  await Promise.allSettled([admin?.disconnect(), producer?.disconnect()]);
  await started?.cluster.stop();
  started?.ca.remove();
  await redisCluster?.stop();
  for (const env of envs) cleanOutbox(env);
  for (const prefix of accountPrefixes) await deleteAccountKeys(redisUrl(), prefix).catch(() => 0);
}, 60_000);

/** A private environment of the pipeline on the cluster. */
function clusterEnv(): Record<string, string> {
  const env = testEnv('redis', started!.env);
  envs.push(env);
  return env;
}

async function start(name: string, env: Record<string, string>): Promise<PipelineProc> {
  const p = await spawnPipeline(name, env, 90_000);
  procs.push(p);
  return p;
}

function planSessions(count: number): { accounts: string[]; sessions: Session[] } {
  const planned = plan(count / 5, 5);
  accountPrefixes.push(planned.accounts[0]!.replace(/-a0$/, '-a'));
  return planned;
}

function topicsOf(env: Record<string, string>): string[] {
  return Object.values(TOPIC_ENV).map((name) => env[name]!);
}

const failover: { env?: Record<string, string>; proc?: PipelineProc } = {};

describe('login-alerts on a three-node Kafka cluster', () => {
  it('creates its topics with three replicas and min.insync.replicas 2', async () => {
    const env = clusterEnv();
    // The product creates its topics at start, with KAFKA_REPLICATION_FACTOR unset.
    const proc = await start('failover', env);
    Object.assign(failover, { env, proc });
    for (const topic of topicsOf(env)) {
      const partitions = await partitionsOf(admin, topic);
      expect(partitions.length).toBeGreaterThan(0);
      for (const p of partitions) expect(p.replicas).toHaveLength(3);
      expect(await minInsyncOf(admin, topic)).toBe(2);
    }
    const leaders = new Set((await partitionsOf(admin, env.TOPIC_AUTH_EVENTS!)).map((p) => p.leader));
    expect(leaders.size).toBe(3);
  }, 120_000);

  it(`SIGKILL of the consumed partitions' leader mid-stream: each of ${FAILOVER_SESSIONS} sessions alerted once, then the node rejoins`, async () => {
    const { env, proc } = failover;
    if (!env || !proc) throw new Error('the topics test did not start the pipeline');
    const { accounts, sessions } = planSessions(FAILOVER_SESSIONS);
    await enroll(producer, env, accounts, env.REDIS_URL!, [proc]);
    const receipts = await watchReceipts(kafka, env);

    const before = await partitionsOf(admin, env.TOPIC_AUTH_EVENTS!);
    const victim = before[0]!.leader;
    const led = before.filter((p) => p.leader === victim).map((p) => p.partition);
    let killedAt = 0;
    let leadersMovedMs = 0;
    let allAlerted: ReturnType<typeof firstTimeThat> | undefined;
    const alertedAtKill = await midStream(env, producer, sessions, async () => {
      killedAt = Date.now();
      await started!.cluster.kill(victim);
      allAlerted = firstTimeThat(() => outboxCounts(env.OUTBOX_DIR!).counts.size >= FAILOVER_SESSIONS);
      await waitUntil(
        `partitions led by node ${victim} to get a new leader`,
        async () => {
          const now = await partitionsOf(admin, env.TOPIC_AUTH_EVENTS!).catch(() => []);
          return now.length === before.length && now.every((p) => p.leader >= 0 && p.leader !== victim);
        },
        60_000,
      );
      leadersMovedMs = Date.now() - killedAt;
    });
    expect(alertedAtKill).toBeLessThan(FAILOVER_SESSIONS);

    const verdict = await settle(admin, env, sessions, receipts, 180_000);
    await receipts.stop();
    const recoveredMs = Date.now() - killedAt;
    const onTopic = await alertsOn(kafka, env.TOPIC_LOGIN_ALERTS!, FAILOVER_SESSIONS);
    const offsets = await lagOf(admin, env.KAFKA_GROUP_ID!, env.TOPIC_AUTH_EVENTS!);
    figure('failover', {
      events: FAILOVER_SESSIONS,
      signInRecords: offsets.end,
      killedNode: victim,
      partitionsLed: led.length,
      alertedAtKill,
      emails: verdict.outbox.distinct,
      emailDuplicates: verdict.outbox.duplicated,
      receiptsRepeated: verdict.receipts.duplicated,
      alertRecords: onTopic.records,
      alertIds: onTopic.copies.size,
      alertIdsRepeated: [...onTopic.copies.values()].filter((n) => n > 1).length,
      conflicting: onTopic.conflicting.length,
      leadersMovedMs,
      allAlertedMs: allAlerted?.at(),
      allAlertedAndCaughtUpMs: recoveredMs,
    });
    expect(verdict.outbox).toMatchObject({
      missing: 0,
      duplicated: 0,
      unexpected: 0,
      distinct: FAILOVER_SESSIONS,
      corrupt: 0,
    });
    // A receipt record may be written twice by a produce retried across the failover; none is missing.
    expect(verdict.receipts).toMatchObject({ missing: 0, unexpected: 0, distinct: FAILOVER_SESSIONS });
    expect(onTopic.copies.size).toBe(FAILOVER_SESSIONS);
    expect(onTopic.conflicting).toEqual([]);
    // A send retried across the failover may have written some sign-ins twice; every one is consumed.
    expect(offsets.lag).toBe(0);
    expect(offsets.committed).toBe(offsets.end);
    expect(offsets.end).toBeGreaterThanOrEqual(FAILOVER_SESSIONS);
    expect(proc.alive()).toBe(true);

    const restartedAt = Date.now();
    await started!.cluster.restart(victim);
    const isrMs = await waitForIsr(admin, topicsOf(env), 3, 120_000);
    figure('rejoin', { node: victim, registeredMs: Date.now() - restartedAt - isrMs, isrBackTo3Ms: isrMs });
    for (const p of await partitionsOf(admin, env.TOPIC_AUTH_EVENTS!)) expect(p.isr).toContain(victim);
  }, 420_000);

  it(`rolling restart of three replicas with SIGTERM, state in a Redis Cluster: each of ${ROLLING_SESSIONS} sessions alerted once, the group never unready for longer than a rebalance`, async () => {
    redisCluster = await startRedisCluster();
    // REDIS_URL set empty: the test process's own (from CI) would otherwise reach the replicas.
    const env: Record<string, string> = {
      ...clusterEnv(),
      REDIS_URL: '',
      REDIS_CLUSTER_NODES: redisCluster.seeds,
    };
    envs.push(env);
    await createTopics(admin, env);
    const { accounts, sessions } = planSessions(ROLLING_SESSIONS);
    const replicas = await Promise.all([1, 2, 3].map((i) => start(`replica-${i}`, env)));
    await waitUntil(
      'three members in the group',
      async () => (await admin.describeGroups([env.KAFKA_GROUP_ID!])).groups[0]?.members.length === 3,
      90_000,
    );
    await enroll(producer, env, accounts, env.REDIS_URL!, replicas);
    const receipts = await watchReceipts(kafka, env);

    const readiness = watchGroupReadiness(() => replicas);
    const roll = async () => {
      await waitUntil(
        'the first sessions alerted',
        () => outboxCounts(env.OUTBOX_DIR!).counts.size >= 50,
        90_000,
      );
      return restartOneByOne(replicas, admin, env.KAFKA_GROUP_ID!, (i) => start(`replica-${i + 1}-b`, env));
    };
    // Sign-ins flow until the third restart is over (spread over up to two minutes; the rest then at once).
    let rolled = false;
    const [restarts] = await Promise.all([
      roll().finally(() => {
        rolled = true;
      }),
      produceWhile(producer, env.TOPIC_AUTH_EVENTS!, sessions.map(signInRecord), 120_000, () => rolled),
    ]);
    const verdict = await settle(admin, env, sessions, receipts, 180_000);
    await receipts.stop();
    const { longestGapMs, samples } = await readiness.stop();
    const emails = [...outboxCounts(env.OUTBOX_DIR!).counts.values()].reduce((a, b) => a + b, 0);
    const offsets = await lagOf(admin, env.KAFKA_GROUP_ID!, env.TOPIC_AUTH_EVENTS!);
    figure('rolling restart', {
      events: ROLLING_SESSIONS,
      signInRecords: offsets.end,
      emails,
      alerts: verdict.outbox.distinct,
      duplicates: verdict.outbox.duplicated,
      receiptsRepeated: verdict.receipts.duplicated,
      longestAllUnreadyMs: longestGapMs,
      readinessSamples: samples,
      restartToStableGroupMs: restarts.map((r) => r.totalMs),
      phases: restarts,
    });
    expect(verdict.outbox).toMatchObject({
      missing: 0,
      duplicated: 0,
      unexpected: 0,
      distinct: ROLLING_SESSIONS,
      corrupt: 0,
    });
    expect(verdict.receipts).toMatchObject({ missing: 0, unexpected: 0, distinct: ROLLING_SESSIONS });
    expect(emails).toBe(ROLLING_SESSIONS);
    expect(offsets.lag).toBe(0);
    expect(offsets.committed).toBe(offsets.end);
    expect(offsets.end).toBeGreaterThanOrEqual(ROLLING_SESSIONS);
    expect(longestGapMs).toBeLessThan(REBALANCE_MS);
    expect(replicas.every((r) => r.alive())).toBe(true);
  }, 480_000);
});
