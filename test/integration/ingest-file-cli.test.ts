import { spawnSync } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaBrokers, uniqueName } from '../support/env.js';

const bin = new URL('../../bin/login-alerts.js', import.meta.url).pathname;
const fixture = (name: string) => new URL(`../fixtures/idp/${name}`, import.meta.url).pathname;

describe('login-alerts ingest-file', () => {
  const topic = uniqueName('ingest');
  const kafka = new Kafka({ brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const run = (args: string[], input?: string) =>
    spawnSync(process.execPath, [bin, 'ingest-file', ...args], {
      env: {
        PATH: process.env.PATH,
        KAFKA_BROKERS: kafkaBrokers().join(','),
        TOPIC_AUTH_EVENTS: topic,
        LOG_LEVEL: 'silent',
      },
      encoding: 'utf8',
      input,
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

  it('prints the mapped AuthEvents as JSON lines, the ignored records and a summary (exit 0)', () => {
    const result = run(['--format', 'auth0', fixture('auth0-log-stream.json')]);
    expect(result.status).toBe(0);
    const events = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.map((e) => e.type)).toEqual(['login.succeeded', 'login.succeeded', 'login.failed']);
    expect(result.stderr).toMatch(
      /record 4 \(49556539073893675610923042044589174982043486779166687234\): ignored: failed sign-in names no Auth0 user/,
    );
    expect(result.stderr).toMatch(/5 record\(s\): 3 mapped, 2 ignored, 0 invalid/);
  });

  it('names every invalid record like publish does and exits 2; reads stdin for -', () => {
    const lines = [
      JSON.stringify({
        uuid: 'u1',
        eventType: 'user.session.start',
        outcome: { result: 'SUCCESS' },
        published: '2026-11-30T10:00:00Z',
        actor: { id: '00u1' },
        client: { ipAddress: 'not-an-ip' },
      }),
      '{"broken":',
      JSON.stringify({
        uuid: 'u2',
        eventType: 'user.session.start',
        outcome: { result: 'SUCCESS' },
        published: '2026-11-30T10:00:00Z',
        actor: { id: '00u1' },
        client: { ipAddress: '81.2.69.160' },
      }),
    ];
    const result = run(['--format=okta', '--product', 'portal', '-'], `${lines.join('\n')}\n`);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/record 1 \(u1\): client\.ip: /);
    expect(result.stderr).toMatch(/record 2: line 2: not valid JSON/);
    expect(JSON.parse(result.stdout.trim())).toMatchObject({ event_id: 'okta:u2', product: 'portal' });
  });

  it('refuses an unknown format with a usage error (exit 2)', () => {
    const result = run(['--format', 'ldap', fixture('okta-event-hook.json')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--format must be one of keycloak, auth0, okta/);
  });

  it('--publish sends the valid events to auth.events keyed by account, through the publish path', async () => {
    const result = run(['--format', 'okta', '--publish', fixture('okta-event-hook.json')]);
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`published 1 event\\(s\\) to ${topic}`));
    expect(await count()).toBe(1);
  });
});
