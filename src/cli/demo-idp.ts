/**
 * `login-alerts demo --idp`: a small Keycloak, Auth0 and Okta sample through the ingest paths of the
 * running pipeline. Keycloak goes through its mapper and the publisher (as `ingest-file --publish`);
 * Auth0 and Okta go through the public listener's webhooks, each only when `start` runs with its
 * INGEST_*_TOKEN (the demo reads the same variable to authenticate).
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/config.js';
import type { AccountSecurity } from '../contracts/account-security.js';
import { listenerUrl } from '../http/server.js';
import { type IdpFormat, mapIdpPayload } from '../ingest/index.js';
import type { Publisher } from '../kafka/publisher.js';
import type { OutcomeEntry } from '../observe/outcomes.js';

/** One IdP's sample: its own payload, and the accounts (IdP user ids) it signs in. */
export interface IdpSample {
  idp: IdpFormat;
  accounts: string[];
  payload: unknown;
  says: string;
}

const UA =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36';

/** Samples in each IdP's own shape, with ids fresh per run (every account id ends with `run`). */
export function buildIdpSamples(now: number, run: string): IdpSample[] {
  const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
  const kcUser = `kc-${randomUUID().slice(0, 8)}-${run}`;
  const a0User = `auth0|demo-${run}`;
  const oktaUser = `00udemo${run}`;
  return [
    {
      idp: 'keycloak',
      accounts: [kcUser],
      says: 'Keycloak LOGIN (event-listener shape), mapped and published like ingest-file --publish',
      payload: [
        {
          id: randomUUID(),
          time: now - 60_000,
          type: 'LOGIN',
          realmId: 'demo',
          realmName: 'demo',
          clientId: 'account-console',
          userId: kcUser,
          sessionId: randomUUID(),
          ipAddress: '81.2.69.160',
          details: { auth_method: 'openid-connect', username: 'kim', credential_type: 'password' },
        },
      ],
    },
    {
      idp: 'auth0',
      accounts: [a0User],
      says: 'Auth0 log stream batch (a passkey sign-in, then a wrong password) POSTed to /ingest/auth0',
      payload: [
        auth0Record(a0User, 's', at(2), { session_id: randomUUID(), prompts: [{ performed_amr: ['phr'] }] }),
        auth0Record(a0User, 'fp', at(1), { error: { message: 'Wrong email or password.' } }),
      ],
    },
    {
      idp: 'okta',
      accounts: [oktaUser],
      says: 'Okta event hook (user.session.start SUCCESS) POSTed to /ingest/okta after its challenge',
      payload: {
        eventType: 'com.okta.event_hook',
        eventTypeVersion: '1.0',
        data: {
          events: [
            {
              uuid: randomUUID(),
              published: at(1),
              eventType: 'user.session.start',
              actor: { id: oktaUser, type: 'User', alternateId: `olu+${run}@example.com` },
              client: { ipAddress: '175.16.199.1', userAgent: { rawUserAgent: UA } },
              outcome: { result: 'SUCCESS' },
              authenticationContext: { externalSessionId: `102demo${run}` },
            },
          ],
        },
      },
    },
  ];
}

function auth0Record(user: string, type: string, date: string, details: Record<string, unknown>) {
  return {
    log_id: `900demo${randomUUID().replaceAll('-', '')}`,
    data: {
      date,
      type,
      user_id: user,
      ip: '89.160.20.112',
      user_agent: UA,
      client_name: 'Demo App',
      details,
    },
  };
}

/** An enrolled profile for each sample account (the IdP's user id is the account id). */
export function idpProfiles(samples: IdpSample[], run: string, now: number): AccountSecurity[] {
  return samples.flatMap((s) =>
    s.accounts.map((account, i) => ({
      account_id: account,
      schema_version: 1 as const,
      updated_at: new Date(now).toISOString(),
      advanced_security: { enrolled: true },
      contacts: { email: `${s.idp}${i}+${run}@example.com` },
      preferences: { locale: 'en', timezone: 'Europe/London' },
    })),
  );
}

/** Sends one sample the way its IdP would; says what happened, or why it was skipped. */
export async function sendIdpSample(
  sample: IdpSample,
  deps: { config: Config; publisher: Publisher; now: number },
): Promise<{ line: string; eventIds: string[] }> {
  const { config } = deps;
  const mapped = mapIdpPayload(sample.idp, sample.payload, { now: deps.now });
  const eventIds = mapped.ok
    ? mapped.outcomes.flatMap((o) => (o.kind === 'event' ? [o.event.event_id] : []))
    : [];
  if (sample.idp === 'keycloak') {
    const events = mapped.ok ? mapped.outcomes.flatMap((o) => (o.kind === 'event' ? [o.event] : [])) : [];
    await deps.publisher.publish(
      events.map((e) => ({ topic: config.topics.authEvents, key: e.account_id, value: e })),
    );
    return { line: `published ${events.length} event(s) to ${config.topics.authEvents}`, eventIds };
  }
  const token = sample.idp === 'auth0' ? config.ingest.auth0Token : config.ingest.oktaToken;
  const variable = sample.idp === 'auth0' ? 'INGEST_AUTH0_TOKEN' : 'INGEST_OKTA_TOKEN';
  if (!token) return { line: `skipped: set ${variable} for both start and demo to enable it`, eventIds: [] };
  const url = `${listenerUrl(config.httpHost, config.httpPort)}/ingest/${sample.idp}`;
  const authorization = sample.idp === 'auth0' ? `Bearer ${token}` : token;
  const notes: string[] = [];
  if (sample.idp === 'okta') {
    const challenge = randomUUID();
    const res = await fetch(url, {
      headers: { authorization, 'x-okta-verification-challenge': challenge },
    });
    const body = res.ok ? ((await res.json()) as { verification?: string }) : {};
    notes.push(`challenge ${body.verification === challenge ? 'answered' : `failed (${res.status})`}`);
  }
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body: JSON.stringify(sample.payload),
  });
  notes.push(`POST ${res.status} ${await res.text()}`);
  return { line: notes.join('; '), eventIds: res.ok ? eventIds : [] };
}

export interface IdpPlayDeps {
  config: Config;
  publisher: Publisher;
  now: number;
  run: string;
  /** Publishes the profiles and resolves once the pipeline has applied them. */
  enroll(profiles: AccountSecurity[]): Promise<void>;
  /** The pipeline's decision for each event id (undefined: none seen in time). */
  outcomes(eventIds: string[]): Promise<(OutcomeEntry | undefined)[]>;
  describe(o: OutcomeEntry | undefined): string;
}

/** Plays every sample and prints, per IdP, what was sent and what the pipeline decided. */
export async function playIdpSamples(deps: IdpPlayDeps): Promise<boolean> {
  const samples = buildIdpSamples(deps.now, deps.run);
  await deps.enroll(idpProfiles(samples, deps.run, deps.now));
  console.log('\nIdentity providers (demo --idp):');
  let ok = true;
  for (const sample of samples) {
    const sent = await sendIdpSample(sample, deps);
    console.log(`  ${sample.idp.padEnd(8)} ${sample.says}\n           ${sent.line}`);
    if (sent.eventIds.length === 0) continue;
    const outcomes = await deps.outcomes(sent.eventIds);
    for (const o of outcomes) console.log(`           ${deps.describe(o)}`);
    ok &&= outcomes.every(Boolean);
  }
  return ok;
}
