import { spawnSync } from 'node:child_process';
import { loadConfig } from '../../src/config/config.js';
import { AppError } from '../../src/errors.js';

const bin = new URL('../../bin/login-alerts.js', import.meta.url).pathname;

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('BAD_CONFIG');
    return (err as AppError).message;
  }
  throw new Error('expected a configuration error');
}

describe('configuration', () => {
  it('applies the contract defaults', () => {
    const c = loadConfig({});
    expect(c.httpPort).toBe(8080);
    expect(c.kafka.groupId).toBe('login-alerts');
    expect(c.topics.authEvents).toBe('auth.events');
    expect(c.outboxDir).toBe('./outbox');
    expect(c.redisUrl).toBeUndefined();
    expect(c.windows.sessionDedupeMs).toBe(7 * 86_400_000);
    expect(c.windows.eventDedupeMs).toBe(86_400_000);
    expect(c.failureThreshold).toBe(3);
    expect(c.windows.failureWindowMs).toBe(15 * 60_000);
    expect(c.ses).toBeUndefined();
    expect(Object.isFrozen(c.kafka)).toBe(true);
  });

  it('names every bad variable and why', () => {
    const message = configError({
      KAFKA_BROKERS: 'nonsense',
      HTTP_PORT: '70000',
      REDIS_URL: 'localhost',
      SESSION_DEDUPE_WINDOW: 'forever',
      LOG_LEVEL: 'loud',
    });
    for (const name of ['KAFKA_BROKERS', 'HTTP_PORT', 'REDIS_URL', 'SESSION_DEDUPE_WINDOW', 'LOG_LEVEL']) {
      expect(message).toMatch(new RegExp(`^${name}: `, 'm'));
    }
  });

  it('applies the v1.1 defaults: two listeners, push allow-list, no compression, 60 s stall', () => {
    const c = loadConfig({});
    expect(c.httpHost).toBe('0.0.0.0');
    expect(c.admin).toEqual({ host: '127.0.0.1', port: 8081, token: undefined });
    expect(c.trustProxyHops).toBe(0);
    expect(c.webPushAllowedHosts).toContain('fcm.googleapis.com');
    expect(c.webPushAllowedHosts).toContain('*.push.apple.com');
    expect(c.kafka.compression).toBe('none');
    expect(c.kafka.stallAfterMs).toBe(60_000);
  });

  it('requires ADMIN_TOKEN when the admin listener is not on loopback', () => {
    expect(configError({ ADMIN_HOST: '0.0.0.0' })).toMatch(
      /^ADMIN_TOKEN: ADMIN_HOST=0\.0\.0\.0 is not a loopback/m,
    );
    expect(loadConfig({ ADMIN_HOST: '::1' }).admin.host).toBe('::1');
    expect(loadConfig({ ADMIN_HOST: '0.0.0.0', ADMIN_TOKEN: 'x'.repeat(16) }).admin.token).toBe(
      'x'.repeat(16),
    );
    expect(configError({ ADMIN_TOKEN: 'short' })).toMatch(/ADMIN_TOKEN: expected at least 16/);
  });

  it('names bad v1.1 values', () => {
    const message = configError({
      KAFKA_COMPRESSION: 'brotli',
      STALL_AFTER: 'soon',
      TRUST_PROXY_HOPS: '-1',
      WEB_PUSH_ALLOWED_HOSTS: 'fcm.googleapis.com,https://evil/',
    });
    for (const name of ['KAFKA_COMPRESSION', 'STALL_AFTER', 'TRUST_PROXY_HOPS', 'WEB_PUSH_ALLOWED_HOSTS']) {
      expect(message).toMatch(new RegExp(`^${name}: `, 'm'));
    }
    expect(loadConfig({ WEB_PUSH_ALLOWED_HOSTS: '127.0.0.1, *.Example.com' }).webPushAllowedHosts).toEqual([
      '127.0.0.1',
      '*.example.com',
    ]);
  });

  it('requires providers to be configured whole', () => {
    expect(configError({ TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}` })).toMatch(/TWILIO_AUTH_TOKEN/);
    expect(configError({ VAPID_PUBLIC_KEY: 'x' })).toMatch(/VAPID_SUBJECT/);
    expect(configError({ SES_REGION: 'eu-west-1' })).toMatch(/SES_FROM/);
    expect(configError({ ALERT_LINK_SECRET: 'short' })).toMatch(/ALERT_LINK_SECRET: expected at least 32/);
  });

  it('`KAFKA_BROKERS=nonsense login-alerts run` exits 2 naming KAFKA_BROKERS', () => {
    const result = spawnSync(process.execPath, [bin, 'run'], {
      env: { PATH: process.env.PATH, KAFKA_BROKERS: 'nonsense' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/KAFKA_BROKERS: expected host:port/);
  });

  it('exits 2 on an unknown command or bad usage', () => {
    const unknown = spawnSync(process.execPath, [bin, 'launch'], { encoding: 'utf8', timeout: 30_000 });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "launch"/);
    const badOnly = spawnSync(process.execPath, [bin, 'run', '--only', 'everything'], {
      env: { PATH: process.env.PATH, KAFKA_BROKERS: '127.0.0.1:1' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(badOnly.status).toBe(2);
    expect(badOnly.stderr).toMatch(/--only takes one or more of/);
  });
});
