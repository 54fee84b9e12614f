import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { loadConfig } from '../../src/config/config.js';
import { AppError } from '../../src/errors.js';
import { createChannels, describeChannels } from '../../src/runtime/channels.js';

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
    expect(c.outboxDir).toBeUndefined();
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
    expect(c.admin).toEqual({ host: '127.0.0.1', port: 8081, token: undefined, allowedHosts: [] });
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

  it('reads ADMIN_ALLOWED_HOSTS as names or addresses, lower case, port and brackets dropped', () => {
    expect(loadConfig({}).admin.allowedHosts).toEqual([]);
    expect(
      loadConfig({ ADMIN_ALLOWED_HOSTS: 'Admin.Internal, login-alerts:8081, [::1]:9, fd00::5, ops.example.' })
        .admin.allowedHosts,
    ).toEqual(['admin.internal', 'login-alerts', '::1', 'fd00::5', 'ops.example']);
    for (const bad of ['https://admin.internal/', 'a b', '*.example.com', 'user@host']) {
      expect(configError({ ADMIN_ALLOWED_HOSTS: bad })).toMatch(/^ADMIN_ALLOWED_HOSTS: expected host names/m);
    }
  });

  it('enables an ingest webhook only with a token of at least 16 characters', () => {
    expect(loadConfig({}).ingest).toEqual({ auth0Token: undefined, oktaToken: undefined });
    const c = loadConfig({ INGEST_AUTH0_TOKEN: 'a'.repeat(16), INGEST_OKTA_TOKEN: 'o'.repeat(20) });
    expect(c.ingest).toEqual({ auth0Token: 'a'.repeat(16), oktaToken: 'o'.repeat(20) });
    expect(configError({ INGEST_AUTH0_TOKEN: 'short' })).toMatch(/INGEST_AUTH0_TOKEN: expected at least 16/);
    expect(configError({ INGEST_OKTA_TOKEN: 'short' })).toMatch(/INGEST_OKTA_TOKEN: expected at least 16/);
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

  it('routes a channel to its provider, else to the outbox only when OUTBOX_DIR is set, else off', () => {
    const none = loadConfig({});
    expect(none.channelRoutes).toEqual({ email: 'off', sms: 'off', push: 'off' });
    expect(Object.keys(createChannels(none))).toEqual([]);
    expect(describeChannels(none).sms).toMatch(/^off \(no provider, no OUTBOX_DIR\)/);
    const local = loadConfig({ OUTBOX_DIR: '/tmp/o', SES_REGION: 'eu-west-1', SES_FROM: 'a@example.com' });
    expect(local.channelRoutes).toEqual({ email: 'provider', sms: 'outbox', push: 'outbox' });
    expect(Object.keys(createChannels(local)).sort()).toEqual(['email', 'push', 'sms']);
    expect(describeChannels(local)).toMatchObject({
      sms: 'outbox /tmp/o/sms.jsonl',
      push: 'outbox /tmp/o/push.jsonl',
    });
  });

  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, [bin, 'run'], {
      env: { PATH: process.env.PATH, KAFKA_BROKERS: '127.0.0.1:1', ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
  const secret = 's'.repeat(32);

  it('`run` exits 2 naming ALERT_LINK_SECRET and PUBLIC_BASE_URL when both are missing', () => {
    const result = run({});
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^ {2}ALERT_LINK_SECRET: required for `run`: at least 32 characters/m);
    expect(result.stderr).toMatch(/^ {2}PUBLIC_BASE_URL: required for `run`/m);
  });

  it('`run` exits 2 naming the one production setting that is missing or too short', () => {
    const noBase = run({ ALERT_LINK_SECRET: secret });
    expect(noBase.status).toBe(2);
    expect(noBase.stderr).toMatch(/PUBLIC_BASE_URL: required/);
    expect(noBase.stderr).not.toMatch(/ALERT_LINK_SECRET/);
    const noSecret = run({ PUBLIC_BASE_URL: 'https://alerts.example.com' });
    expect(noSecret.status).toBe(2);
    expect(noSecret.stderr).toMatch(/ALERT_LINK_SECRET: required/);
    expect(noSecret.stderr).not.toMatch(/PUBLIC_BASE_URL/);
    const short = run({ ALERT_LINK_SECRET: 'short', PUBLIC_BASE_URL: 'https://alerts.example.com' });
    expect(short.status).toBe(2);
    expect(short.stderr).toMatch(/ALERT_LINK_SECRET: expected at least 32 characters/);
  });

  it('`start` keeps its local defaults: the same environment loads without a secret or base URL', () => {
    const c = loadConfig({});
    expect(c.links.secretIsEphemeral).toBe(true);
    expect(c.links.secret.length).toBeGreaterThanOrEqual(32);
    expect(c.links.publicBaseUrl).toBe('http://127.0.0.1:8080');
  });

  it('`run` with no providers and no OUTBOX_DIR logs every channel as off before it starts', async () => {
    const child = spawn(process.execPath, [bin, 'run'], {
      env: {
        PATH: process.env.PATH,
        KAFKA_BROKERS: '127.0.0.1:1',
        ALERT_LINK_SECRET: secret,
        PUBLIC_BASE_URL: 'https://alerts.example.com',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const lines: { msg?: string; channels?: Record<string, string>; channel?: string; level?: string }[] =
        [];
      for await (const line of createInterface({ input: child.stderr })) {
        if (!line.startsWith('{')) continue;
        lines.push(JSON.parse(line));
        if (lines.filter((l) => l.channel !== undefined).length === 3) break;
      }
      const table = lines.find((l) => l.msg === 'delivery channels');
      for (const c of ['email', 'sms', 'push']) expect(table?.channels?.[c]).toMatch(/^off /);
      const warnings = lines.filter((l) => l.channel !== undefined);
      expect(warnings.map((l) => [l.channel, l.level])).toEqual([
        ['email', 'warn'],
        ['sms', 'warn'],
        ['push', 'warn'],
      ]);
    } finally {
      child.kill('SIGKILL');
    }
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
