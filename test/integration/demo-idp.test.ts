/** `login-alerts demo --idp` against a running pipeline: each IdP sample goes through its ingest path. */
import { execFile } from 'node:child_process';
import { TOPIC_ENV } from '../../src/config/schema.js';
import { startTestPipeline, type TestPipeline } from '../support/pipeline-harness.js';

const bin = new URL('../../bin/login-alerts.js', import.meta.url).pathname;
const AUTH0_TOKEN = 'demo-auth0-token-0123456789';
const OKTA_TOKEN = 'demo-okta-token-0123456789';

describe('login-alerts demo --idp', () => {
  let t: TestPipeline;
  beforeAll(async () => {
    t = await startTestPipeline('memory', {
      env: { INGEST_AUTH0_TOKEN: AUTH0_TOKEN, INGEST_OKTA_TOKEN: OKTA_TOKEN },
    });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('alerts on the Keycloak, Auth0 and Okta samples, each through its ingest path', async () => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      KAFKA_BROKERS: t.config.kafka.brokers!.join(','),
      HTTP_PORT: new URL(t.pipeline.httpUrl).port,
      ADMIN_PORT: new URL(t.pipeline.adminUrl).port,
      OUTBOX_DIR: t.config.outboxDir,
      SES_ENDPOINT: 'http://127.0.0.1:9',
      INGEST_AUTH0_TOKEN: AUTH0_TOKEN,
      INGEST_OKTA_TOKEN: OKTA_TOKEN,
      LOG_LEVEL: 'silent',
    };
    for (const [id, name] of Object.entries(TOPIC_ENV))
      env[name] = t.config.topics[id as keyof typeof TOPIC_ENV];
    const out = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(process.execPath, [bin, 'demo', '--idp'], { env, timeout: 120_000 }, (err, stdout) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout }),
      );
    });
    expect(out.stdout).toContain('Identity providers (demo --idp):');
    expect(out.stdout).toMatch(/keycloak .*\n\s+published 1 event\(s\)[^\n]*\n\s+→ ALERT new_login/);
    expect(out.stdout).toMatch(
      /auth0 .*\n\s+POST 200 \{"published":2,"ignored":0,"dead_lettered":0\}\n\s+→ ALERT/,
    );
    expect(out.stdout).toMatch(
      /okta .*\n\s+challenge answered; POST 200 \{"published":1,"ignored":0,"dead_lettered":0\}\n\s+→ ALERT new_login/,
    );
    expect(out.code).toBe(0);
  });
});
