import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaBrokers, uniqueName } from '../support/env.js';

const bin = new URL('../../bin/login-alerts.js', import.meta.url).pathname;
const example = readFileSync(new URL('../../schemas/examples/login.succeeded.json', import.meta.url), 'utf8');

describe('login-alerts publish', () => {
  const topic = uniqueName('publish');
  const kafka = new Kafka({ brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const dir = mkdtempSync(join(tmpdir(), 'publish-'));
  const run = (file: string) =>
    spawnSync(process.execPath, [bin, 'publish', file], {
      env: {
        PATH: process.env.PATH,
        KAFKA_BROKERS: kafkaBrokers().join(','),
        TOPIC_AUTH_EVENTS: topic,
        LOG_LEVEL: 'silent',
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
  const count = async () =>
    (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);

  beforeAll(async () => {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  });
  afterAll(async () => {
    await admin.disconnect();
  });

  it('publishes nothing from a file with any invalid event, and names the field and rule (exit 2)', async () => {
    const good = JSON.parse(example);
    const lines = [
      JSON.stringify({ ...good, event_id: 'ok-1', occurred_at: new Date().toISOString() }),
      JSON.stringify({ ...good, event_id: 'bad-1', client: { ip: 'not-an-ip' } }),
      '{"broken":',
      JSON.stringify({ ...good, event_id: 'bad-2', type: 'login.succeeded', session_id: undefined }),
    ];
    const file = join(dir, 'mixed.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const result = run(file);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/line 2: client\.ip: /);
    expect(result.stderr).toMatch(/line 3: not valid JSON/);
    expect(result.stderr).toMatch(/line 4: session_id: /);
    expect(result.stderr).toMatch(/nothing was published/);
    expect(await count()).toBe(0);
  });

  it('publishes a valid JSON-lines file keyed by account', async () => {
    const good = JSON.parse(example);
    const events = [1, 2, 3].map((i) => ({
      ...good,
      event_id: `ok-${i}`,
      account_id: `acct-${i}`,
      occurred_at: new Date().toISOString(),
    }));
    const file = join(dir, 'good.jsonl');
    writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n'));
    const result = run(file);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/published 3 event\(s\)/);
    expect(await count()).toBe(3);
  });
});
