import { spawnSync } from 'node:child_process';
import { loadConfig } from '../../src/config/config.js';
import type { AppError } from '../../src/errors.js';

const bin = new URL('../../bin/login-alerts.js', import.meta.url).pathname;

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect((err as AppError).code).toBe('BAD_CONFIG');
    return (err as AppError).message;
  }
  throw new Error('expected a configuration error');
}

describe('responder configuration (contract v1.2)', () => {
  it('is off by default and on only when configured whole', () => {
    expect(loadConfig({}).respond).toEqual({ keycloak: undefined, auth0: undefined, okta: undefined });
    const c = loadConfig({
      RESPOND_KEYCLOAK_URL: 'https://sso.example.com/',
      RESPOND_KEYCLOAK_CLIENT_ID: 'login-alerts',
      RESPOND_KEYCLOAK_CLIENT_SECRET: 'kc-secret',
      RESPOND_AUTH0_DOMAIN: 'example.eu.auth0.com',
      RESPOND_AUTH0_CLIENT_ID: 'id',
      RESPOND_AUTH0_CLIENT_SECRET: 'a0-secret',
      RESPOND_OKTA_ORG_URL: 'https://example.okta.com',
      RESPOND_OKTA_API_TOKEN: 'okta-token',
    }).respond;
    expect(c.keycloak?.url).toBe('https://sso.example.com');
    expect(c.auth0).toMatchObject({
      baseUrl: 'https://example.eu.auth0.com',
      audience: 'https://example.eu.auth0.com/api/v2/',
    });
    expect(c.okta?.orgUrl).toBe('https://example.okta.com');
  });

  it('holds a claim on an action for RESPOND_LEASE (default two minutes), refusing a malformed duration', () => {
    expect(loadConfig({}).respondLeaseMs).toBe(120_000);
    expect(loadConfig({ RESPOND_LEASE: '3s' }).respondLeaseMs).toBe(3_000);
    expect(configError({ RESPOND_LEASE: 'soon' })).toMatch(/RESPOND_LEASE/);
  });

  it('names the missing variables of a half configuration, and refuses http off loopback', () => {
    expect(configError({ RESPOND_KEYCLOAK_URL: 'https://sso.example.com' })).toMatch(
      /RESPOND_KEYCLOAK_CLIENT_ID: the keycloak responder needs .*missing RESPOND_KEYCLOAK_CLIENT_ID, RESPOND_KEYCLOAK_CLIENT_SECRET/,
    );
    expect(configError({ RESPOND_AUTH0_CLIENT_SECRET: 's' })).toMatch(/RESPOND_AUTH0_DOMAIN/);
    expect(configError({ RESPOND_OKTA_API_TOKEN: 't' })).toMatch(/RESPOND_OKTA_ORG_URL/);
    expect(
      configError({
        RESPOND_OKTA_ORG_URL: 'http://okta.example.com',
        RESPOND_OKTA_API_TOKEN: 't',
      }),
    ).toMatch(/RESPOND_OKTA_ORG_URL: .*https/);
    expect(
      loadConfig({ RESPOND_OKTA_ORG_URL: 'http://127.0.0.1:9', RESPOND_OKTA_API_TOKEN: 't' }).respond.okta,
    ).toBeDefined();
  });

  it('`login-alerts run` with half a responder exits 2, naming the variable and never printing the secret', () => {
    const result = spawnSync(process.execPath, [bin, 'run'], {
      env: { PATH: process.env.PATH, RESPOND_AUTH0_CLIENT_SECRET: 'very-secret-value-1234' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/RESPOND_AUTH0_DOMAIN/);
    expect(`${result.stdout}${result.stderr}`).not.toContain('very-secret-value-1234');
  });
});
