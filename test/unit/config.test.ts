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
    // The defaults are not the operator's list: their exact names get the address check too.
    expect(c.webPushHostsListed).toBe(false);
    expect(loadConfig({}).kafka.sessionTimeoutMs).toBe(30_000);
    expect(loadConfig({ KAFKA_SESSION_TIMEOUT: '10s' }).kafka.sessionTimeoutMs).toBe(10_000);
    expect(loadConfig({ WEB_PUSH_ALLOWED_HOSTS: 'fcm.googleapis.com' }).webPushHostsListed).toBe(true);
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
      KAFKA_SESSION_TIMEOUT: '5s',
      TRUST_PROXY_HOPS: '-1',
      WEB_PUSH_ALLOWED_HOSTS: 'fcm.googleapis.com,https://evil/',
    });
    for (const name of [
      'KAFKA_COMPRESSION',
      'STALL_AFTER',
      'KAFKA_SESSION_TIMEOUT',
      'TRUST_PROXY_HOPS',
      'WEB_PUSH_ALLOWED_HOSTS',
    ]) {
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
  const secret = '5f0c9a7e2b14d8c36e9f01a2b7c4d5e8';

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

  it('`run` exits 2 naming each secret that is a placeholder', () => {
    const base = { ALERT_LINK_SECRET: secret, PUBLIC_BASE_URL: 'https://alerts.example.com' };
    const placeholders: [string, string][] = [
      ['ALERT_LINK_SECRET', 'change-me-change-me-change-me-change-me'],
      ['ALERT_LINK_SECRET', 'CHANGEME_0123456789abcdef0123456789'],
      ['ALERT_LINK_SECRET', 'replace-me-with-32-random-characters!'],
      ['ALERT_LINK_SECRET', 's'.repeat(32)],
      ['ALERT_LINK_SECRET', 'abcd'.repeat(8)],
      ['ADMIN_TOKEN', 'change-me-admin-token-change-me'],
      ['ADMIN_TOKEN', 'example-admin-token-0123'],
      ['INGEST_AUTH0_TOKEN', 'secret-secret-secret'],
      ['INGEST_OKTA_TOKEN', 'Password1234567890'],
      ['KAFKA_SASL_PASSWORD', 'changeme'],
      ['TWILIO_AUTH_TOKEN', '0000000000000000'],
    ];
    const result = run({
      ...base,
      ...Object.fromEntries(placeholders.filter(([n]) => n !== 'ALERT_LINK_SECRET')),
      ALERT_LINK_SECRET: 'change-me-change-me-change-me-change-me',
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'login-alerts',
      TWILIO_ACCOUNT_SID: `AC${'1f'.repeat(16)}`,
      TWILIO_FROM: '+15005550006',
    });
    expect(result.status).toBe(2);
    for (const name of new Set(placeholders.map(([n]) => n))) {
      expect(result.stderr).toMatch(new RegExp(`^ {2}${name}: looks like a placeholder`, 'm'));
    }
    for (const [name, value] of placeholders) {
      expect(() =>
        loadConfig({ ...base, [name]: value, KAFKA_BROKERS: 'k:9092' }, { production: true }),
      ).toThrow(new RegExp(`${name}: looks like a placeholder`));
    }
    // `start` keeps its local defaults: the same values load there.
    expect(
      loadConfig({ ALERT_LINK_SECRET: 'change-me-change-me-change-me-change-me' }).links.secretIsEphemeral,
    ).toBe(false);
    // Real secrets pass.
    const real = loadConfig(
      {
        ...base,
        KAFKA_BROKERS: 'k:9092',
        ADMIN_TOKEN: 'f3a9c1d07be24e65',
        INGEST_OKTA_TOKEN: 'oKt4-9x2Lq-7Wm3Z',
      },
      { production: true },
    );
    expect(real.admin.token).toBe('f3a9c1d07be24e65');
  });

  it('`run` wants an https PUBLIC_BASE_URL unless its host is loopback or PUBLIC_BASE_URL_ALLOW_HTTP is set', () => {
    const load = (env: Record<string, string>) =>
      loadConfig({ KAFKA_BROKERS: 'k:9092', ALERT_LINK_SECRET: secret, ...env }, { production: true });
    expect(() => load({ PUBLIC_BASE_URL: 'http://alerts.example.com' })).toThrow(
      /^PUBLIC_BASE_URL: must be https for `run`/m,
    );
    expect(() => load({ PUBLIC_BASE_URL: 'ftp://alerts.example.com' })).toThrow(
      /^PUBLIC_BASE_URL: expected an https/m,
    );
    expect(() => load({ PUBLIC_BASE_URL: 'http://127.0.0.1.nip.io' })).toThrow(
      /PUBLIC_BASE_URL: must be https/,
    );
    for (const ok of [
      'https://alerts.example.com',
      'http://localhost:8080',
      'http://127.0.0.1:8080',
      'http://[::1]:8080',
    ]) {
      expect(load({ PUBLIC_BASE_URL: ok }).links.publicBaseUrl).toBe(ok);
    }
    expect(
      load({ PUBLIC_BASE_URL: 'http://alerts.example.com', PUBLIC_BASE_URL_ALLOW_HTTP: 'true' }).links
        .publicBaseUrl,
    ).toBe('http://alerts.example.com');
    expect(() =>
      load({ PUBLIC_BASE_URL: 'http://alerts.example.com', PUBLIC_BASE_URL_ALLOW_HTTP: 'false' }),
    ).toThrow(/PUBLIC_BASE_URL: must be https/);
    const cli = run({ ALERT_LINK_SECRET: secret, PUBLIC_BASE_URL: 'http://alerts.example.com' });
    expect(cli.status).toBe(2);
    expect(cli.stderr).toMatch(/PUBLIC_BASE_URL: must be https/);
    // `start` is not held to it.
    expect(loadConfig({ PUBLIC_BASE_URL: 'http://alerts.example.com' }).links.publicBaseUrl).toBe(
      'http://alerts.example.com',
    );
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
