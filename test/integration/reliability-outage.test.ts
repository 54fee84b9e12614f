/**
 * A dependency goes away mid-stream and comes back: the Kafka broker (stopped and started again on the
 * same port and data directory) and Redis (killed, then restarted from its append-only file). The
 * consumer process is never restarted; it waits, reports not ready while Redis is down, and ends with
 * exactly one email per session. The two scenarios run concurrently, each on its own broker or Redis.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { kafkaHomeFromEnv, type LocalBroker, startLocalBroker } from '../../src/kafka/local-broker.js';
import {
  alertedCount,
  enroll,
  lagOf,
  midStream,
  pipelineLag,
  plan,
  privateRedis,
  type RedisServer,
  scaled,
  scenarioKit,
  settle,
  trace,
  waitUntil,
} from '../support/reliability.js';

const N = scaled(2_000, 10_000);
const ACCOUNTS = scaled(400, 2_000);

const kit = scenarioKit();
const { setUp, start } = kit;
let broker: LocalBroker | undefined;
let brokerDir: string | undefined;
let redis: RedisServer | undefined;

afterAll(async () => {
  await kit.cleanup();
  await Promise.allSettled([broker?.stop(), redis?.destroy()]);
  if (brokerDir) rmSync(brokerDir, { recursive: true, force: true });
});

describe('a dependency outage mid-stream', () => {
  it.concurrent(`the broker stops and starts again: the process recovers without a restart, each of ${N} sessions alerted once`, async () => {
    brokerDir = mkdtempSync(join(tmpdir(), 'login-alerts-reliability-broker-'));
    const home = kafkaHomeFromEnv(process.env);
    broker = await startLocalBroker({ port: 0, dataDir: brokerDir, home });
    const port = broker.port;
    const { env, admin, producer, receipts } = await setUp({ KAFKA_BROKERS: broker.bootstrap });
    const { accounts, sessions } = plan(ACCOUNTS, N / ACCOUNTS);
    const p = await start('broker-outage', env);
    await enroll(producer, env, accounts, env.REDIS_URL!, [p]);
    trace('broker: profiles applied');

    await midStream(env, producer, sessions, async () => {
      trace(`broker: stopping with ${alertedCount(env)} alerted`);
      await broker!.stop();
      await sleep(3_000);
      broker = await startLocalBroker({ port, dataDir: brokerDir, home });
      trace('broker: started again');
    });

    const verdict = await settle(admin, env, sessions, receipts, 180_000);
    trace(`broker: settled ${JSON.stringify(verdict)}`);
    expect(verdict.outbox).toMatchObject({
      missing: 0,
      duplicated: 0,
      unexpected: 0,
      distinct: N,
      corrupt: 0,
    });
    // Producers resend a failed request whole (contract 1.1): a receipts request that reached the
    // broker just before it stopped, and whose answer was lost, is written a second time. Every
    // receipt is there once at least, none is unexpected; the repeats stay far below a
    // republish-at-every-retry (which repeated whole batches, hundreds of them).
    expect(verdict.receipts).toMatchObject({ missing: 0, unexpected: 0, distinct: N });
    expect(verdict.receipts.duplicated).toBeLessThanOrEqual(N / 4);
    // The test's own producer may write a record twice across the outage (kafkajs retries without
    // idempotence): the end can pass N, and those repeats are deduplicated like any other.
    const offsets = await lagOf(admin, env.KAFKA_GROUP_ID!, env.TOPIC_AUTH_EVENTS!);
    expect(offsets.lag).toBe(0);
    expect(offsets.committed).toBe(offsets.end);
    expect(offsets.end).toBeGreaterThanOrEqual(N);
    expect(p.alive()).toBe(true);
    // The process is never restarted. While the broker's address is gone, or just back, a group's
    // fetch loop may stop for the broker's state itself: no broker available, a connection error, the
    // group coordinator not found once kafkajs's retries ran out, or the restarted broker still loading
    // the group's offsets (COORDINATOR_LOAD_IN_PROGRESS); kafkajs or the supervisor restarts it inside
    // the process. No consumer may crash for any other reason (a handler error, a commit, a rebalance).
    const brokerState = new RegExp(
      '"msg":"Crash: (' +
        [
          'KafkaJS(NoBrokerAvailable|Connection)Error',
          'KafkaJSNonRetriableError: Failed to find group coordinator',
          "(KafkaJS\\w+Error: )?The coordinator is loading and hence can't process requests",
        ].join('|') +
        ')',
    );
    // The child may be mid-line: only lines whose newline is written are whole.
    const output = p.output();
    const crashes = output
      .slice(0, output.lastIndexOf('\n') + 1)
      .split('\n')
      .filter((l) => l.includes('"msg":"Crash: '));
    expect(crashes.filter((l) => !brokerState.test(l))).toEqual([]);
  }, 240_000);

  it.concurrent(`Redis goes down: nothing committed or sent while it is down, not ready, then each of ${N} sessions alerted once`, async () => {
    redis = await privateRedis();
    const { env, admin, producer, receipts } = await setUp({ REDIS_URL: redis.url });
    const { accounts, sessions } = plan(ACCOUNTS, N / ACCOUNTS);
    const p = await start('redis-outage', env);
    await enroll(producer, env, accounts, env.REDIS_URL!, [p]);
    expect(await p.ready()).toBe(true);
    trace('redis: profiles applied');

    let during: { committed: Record<string, number>[]; alerted: number[]; ready: boolean } | undefined;
    await midStream(env, producer, sessions, async () => {
      await redis!.kill();
      trace(`redis: killed with ${alertedCount(env)} alerted`);
      // Let the chunks in flight fail and the loops start waiting.
      await waitUntil(
        '/readyz to report not ready',
        async () => !(await p.ready()),
        20_000,
        async () => {
          const body = await fetch(`${p.adminUrl}/readyz`).then(
            (r) => r.text(),
            (e: Error) => e.message,
          );
          return `${body}\n${p.output().slice(-3000)}`;
        },
      );
      const committed = async () => {
        const lag = await pipelineLag(admin, env);
        return Object.fromEntries(
          await Promise.all(
            Object.keys(lag).map(
              async (g) => [g, (await lagOf(admin, g, topicOf(env, g))).committed] as const,
            ),
          ),
        );
      };
      await sleep(1_000);
      const first = { c: await committed(), a: alertedCount(env) };
      await sleep(4_000);
      const second = { c: await committed(), a: alertedCount(env) };
      during = { committed: [first.c, second.c], alerted: [first.a, second.a], ready: await p.ready() };
      await redis!.start();
      trace('redis: started again');
    });

    expect(during).toBeDefined();
    expect(during!.committed[1]).toEqual(during!.committed[0]);
    expect(during!.alerted[1]).toBe(during!.alerted[0]);
    expect(during!.alerted[0]).toBeLessThan(N);
    expect(during!.ready).toBe(false);

    const verdict = await settle(admin, env, sessions, receipts, 180_000);
    trace(`redis: settled ${JSON.stringify(verdict)}`);
    expect(verdict.outbox).toMatchObject({
      missing: 0,
      duplicated: 0,
      unexpected: 0,
      distinct: N,
      corrupt: 0,
    });
    expect(verdict.receipts).toMatchObject({ missing: 0, duplicated: 0, unexpected: 0, distinct: N });
    expect(await lagOf(admin, env.KAFKA_GROUP_ID!, env.TOPIC_AUTH_EVENTS!)).toEqual({
      lag: 0,
      committed: N,
      end: N,
    });
    await waitUntil('/readyz to report ready again', () => p.ready(), 20_000);
    expect(p.alive()).toBe(true);
  }, 240_000);
});

function topicOf(env: Record<string, string>, groupId: string): string {
  const g = env.KAFKA_GROUP_ID!;
  if (groupId === g) return env.TOPIC_AUTH_EVENTS!;
  if (groupId === `${g}.profiles`) return env.TOPIC_ACCOUNT_SECURITY!;
  if (groupId === `${g}.retry`) return env.TOPIC_RETRY!;
  return env.TOPIC_NOTIFICATIONS!;
}
