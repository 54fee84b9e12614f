import { z } from 'zod';
import { parseDuration } from './duration.js';
import {
  boolFlag,
  brokers,
  duration,
  hostList,
  hostNames,
  isLoopbackHost,
  optionalPositiveInt,
  optionalText,
  port,
  positiveInt,
  seedNodes,
  url,
} from './env-fields.js';
import { kafkaTlsSettingProblems } from './kafka-tls.js';
import { redisSecurityFields, redisSecurityIssues } from './redis-tls.js';
import { sharedSignalsFields } from './shared-signals.js';

export { DEFAULT_WEB_PUSH_ALLOWED_HOSTS, hostOf, isLoopbackHost, listedHost } from './env-fields.js';

/** Default topic names from the public contract; each can be overridden by its TOPIC_* variable. */
export const DEFAULT_TOPICS = {
  authEvents: 'auth.events',
  accountSecurity: 'account.security',
  loginAlerts: 'security.login-alerts',
  loginAlertsOcsf: 'security.login-alerts.ocsf',
  trainingExclusions: 'privacy.training-exclusions',
  deliveries: 'login-alerts.deliveries',
  notifications: 'login-alerts.notifications',
  retry: 'login-alerts.retry',
  dlq: 'login-alerts.dlq',
  responses: 'login-alerts.responses',
} as const;

export type TopicName = keyof typeof DEFAULT_TOPICS;

/** The variable that overrides each topic's name. */
export const TOPIC_ENV = {
  authEvents: 'TOPIC_AUTH_EVENTS',
  accountSecurity: 'TOPIC_ACCOUNT_SECURITY',
  loginAlerts: 'TOPIC_LOGIN_ALERTS',
  loginAlertsOcsf: 'TOPIC_LOGIN_ALERTS_OCSF',
  trainingExclusions: 'TOPIC_TRAINING_EXCLUSIONS',
  deliveries: 'TOPIC_DELIVERIES',
  notifications: 'TOPIC_NOTIFICATIONS',
  retry: 'TOPIC_RETRY',
  dlq: 'TOPIC_DLQ',
  responses: 'TOPIC_RESPONSES',
} as const satisfies Record<TopicName, string>;

/** Each responder's variables: all set (on) or none (off); a half configuration is an error. */
export const RESPONDER_VARIABLES = {
  keycloak: ['RESPOND_KEYCLOAK_URL', 'RESPOND_KEYCLOAK_CLIENT_ID', 'RESPOND_KEYCLOAK_CLIENT_SECRET'],
  auth0: ['RESPOND_AUTH0_DOMAIN', 'RESPOND_AUTH0_CLIENT_ID', 'RESPOND_AUTH0_CLIENT_SECRET'],
  okta: ['RESPOND_OKTA_ORG_URL', 'RESPOND_OKTA_API_TOKEN'],
} as const;

/** https, or http on a loopback host (a local IdP): admin credentials never cross a network in the clear. */
function isIdpUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return u.protocol === 'https:' || (u.protocol === 'http:' && isLoopbackHost(u.hostname));
  } catch {
    return false;
  }
}

const idpUrl = (name: string) =>
  optionalText.refine(
    (v) => v === undefined || isIdpUrl(v),
    `${name}: expected an https URL (http only on a loopback host)`,
  );

/** Every variable of the contract plus a few tuning knobs, with the contract's defaults. */
export const EnvSchema = z
  .object({
    KAFKA_BROKERS: brokers,
    KAFKA_CLIENT_ID: z.string().min(1).default('login-alerts'),
    KAFKA_GROUP_ID: z.string().min(1).default('login-alerts'),
    KAFKA_SSL: boolFlag,
    KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
    KAFKA_SASL_USERNAME: optionalText,
    KAFKA_SASL_PASSWORD: optionalText,
    KAFKA_SSL_CA_FILE: optionalText,
    KAFKA_SSL_CERT_FILE: optionalText,
    KAFKA_SSL_KEY_FILE: optionalText,
    KAFKA_SSL_SERVERNAME: optionalText,
    TOPIC_AUTH_EVENTS: z.string().min(1).default(DEFAULT_TOPICS.authEvents),
    TOPIC_ACCOUNT_SECURITY: z.string().min(1).default(DEFAULT_TOPICS.accountSecurity),
    TOPIC_LOGIN_ALERTS: z.string().min(1).default(DEFAULT_TOPICS.loginAlerts),
    TOPIC_LOGIN_ALERTS_OCSF: z.string().min(1).default(DEFAULT_TOPICS.loginAlertsOcsf),
    TOPIC_TRAINING_EXCLUSIONS: z.string().min(1).default(DEFAULT_TOPICS.trainingExclusions),
    TOPIC_DELIVERIES: z.string().min(1).default(DEFAULT_TOPICS.deliveries),
    TOPIC_NOTIFICATIONS: z.string().min(1).default(DEFAULT_TOPICS.notifications),
    TOPIC_RETRY: z.string().min(1).default(DEFAULT_TOPICS.retry),
    TOPIC_DLQ: z.string().min(1).default(DEFAULT_TOPICS.dlq),
    TOPIC_RESPONSES: z.string().min(1).default(DEFAULT_TOPICS.responses),
    REDIS_URL: optionalText.refine(
      (v) => v === undefined || /^rediss?:\/\/[^\s]+$/.test(v),
      'expected redis://host:port[/db] or rediss://...',
    ),
    REDIS_CLUSTER_NODES: seedNodes,
    ...redisSecurityFields,
    GEOIP_CITY_DB: optionalText,
    GEOIP_ASN_DB: optionalText,
    GEOIP_ANONYMOUS_DB: optionalText,
    SES_REGION: optionalText,
    SES_ENDPOINT: url('SES_ENDPOINT'),
    SES_FROM: optionalText.refine((v) => v === undefined || /.+@.+/.test(v), 'expected an email address'),
    SES_CONFIGURATION_SET: optionalText,
    TWILIO_ACCOUNT_SID: optionalText.refine(
      (v) => v === undefined || /^AC[0-9a-fA-F]{32}$/.test(v),
      'expected AC followed by 32 hex digits',
    ),
    TWILIO_AUTH_TOKEN: optionalText,
    TWILIO_FROM: optionalText.refine((v) => v === undefined || /^\+[1-9]\d{1,14}$/.test(v), 'expected E.164'),
    TWILIO_MESSAGING_SERVICE_SID: optionalText.refine(
      (v) => v === undefined || /^MG[0-9a-fA-F]{32}$/.test(v),
      'expected MG followed by 32 hex digits',
    ),
    TWILIO_API_BASE_URL: url('TWILIO_API_BASE_URL'),
    VAPID_PUBLIC_KEY: optionalText,
    VAPID_PRIVATE_KEY: optionalText,
    VAPID_SUBJECT: optionalText.refine(
      (v) => v === undefined || /^(mailto:|https:\/\/)/.test(v),
      'expected a mailto: or https: URL',
    ),
    ALERT_LINK_SECRET: optionalText.refine(
      (v) => v === undefined || v.length >= 32,
      'expected at least 32 characters',
    ),
    PUBLIC_BASE_URL: url('PUBLIC_BASE_URL'),
    // Read by `run`'s checks (production.ts): http for PUBLIC_BASE_URL behind a same-host TLS proxy.
    PUBLIC_BASE_URL_ALLOW_HTTP: boolFlag,
    OUTBOX_DIR: optionalText,
    HTTP_HOST: z.string().trim().min(1).default('0.0.0.0'),
    HTTP_PORT: port(8080),
    ADMIN_HOST: z.string().trim().min(1).default('127.0.0.1'),
    ADMIN_PORT: port(8081),
    ADMIN_TOKEN: optionalText.refine(
      (v) => v === undefined || v.length >= 16,
      'expected at least 16 characters',
    ),
    ADMIN_ALLOWED_HOSTS: hostNames,
    INGEST_AUTH0_TOKEN: optionalText.refine(
      (v) => v === undefined || v.length >= 16,
      'expected at least 16 characters',
    ),
    INGEST_OKTA_TOKEN: optionalText.refine(
      (v) => v === undefined || v.length >= 16,
      'expected at least 16 characters',
    ),
    TRUST_PROXY_HOPS: z.coerce
      .number({ error: 'expected a whole number' })
      .int('expected a whole number')
      .min(0)
      .max(10)
      .default(0),
    WEB_PUSH_ALLOWED_HOSTS: hostList,
    KAFKA_COMPRESSION: z.enum(['none', 'gzip', 'snappy', 'lz4', 'zstd']).default('none'),
    // Unset: the smaller of 3 and the brokers the cluster reports (src/kafka/topics.ts).
    KAFKA_REPLICATION_FACTOR: optionalPositiveInt(32_767),
    STALL_AFTER: duration('60s'),
    // A consumer that stops heartbeating loses its partitions after this; the broker allows 6 s to 30 min.
    KAFKA_SESSION_TIMEOUT: duration('30s').refine((ms) => ms >= 6_000 && ms <= 1_800_000, {
      message:
        'expected 6s to 30m (the broker refuses a session timeout outside its group.min/max.session.timeout.ms)',
    }),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    // Tuning (extensions to the contract, all optional).
    SESSION_DEDUPE_WINDOW: duration('7d'),
    EVENT_DEDUPE_WINDOW: duration('24h'),
    HISTORY_WINDOW: duration('90d'),
    FAILURE_THRESHOLD: positiveInt(3),
    FAILURE_WINDOW: duration('15m'),
    MAX_ALERT_AGE: duration('24h'),
    LINK_TTL: duration('7d'),
    SECURITY_TOPIC_AUDIENCE: z.enum(['enrolled', 'all']).default('enrolled'),
    DELIVERY_MAX_ATTEMPTS: positiveInt(5),
    DELIVERY_BACKOFF: z
      .string()
      .default('1s,5s,30s,2m,10m')
      .transform((text, ctx) => {
        const steps = text.split(',').map((s) => parseDuration(s));
        if (steps.length === 0 || steps.some((s) => s === undefined)) {
          ctx.addIssue({
            code: 'custom',
            message: 'expected a comma-separated list of durations, e.g. 1s,5s,30s',
          });
          return z.NEVER;
        }
        return steps as number[];
      }),
    MEMORY_STORE_MAX_KEYS: positiveInt(2_000_000),
    // Containment responders (contract v1.2): each on only when all of its variables are set.
    RESPOND_KEYCLOAK_URL: idpUrl('RESPOND_KEYCLOAK_URL'),
    RESPOND_KEYCLOAK_CLIENT_ID: optionalText,
    RESPOND_KEYCLOAK_CLIENT_SECRET: optionalText,
    RESPOND_AUTH0_DOMAIN: optionalText.refine(
      (v) => v === undefined || /^[A-Za-z0-9.-]+(:\d+)?$/.test(v) || isIdpUrl(v),
      'expected the tenant host name (tenant.eu.auth0.com), or an http(s) URL (http only on a loopback host)',
    ),
    RESPOND_AUTH0_CLIENT_ID: optionalText,
    RESPOND_AUTH0_CLIENT_SECRET: optionalText,
    RESPOND_OKTA_ORG_URL: idpUrl('RESPOND_OKTA_ORG_URL'),
    RESPOND_OKTA_API_TOKEN: optionalText,
    // How long a responder's claim on an action holds before another may take it over (its holder is gone).
    RESPOND_LEASE: duration('2m'),
    // The Shared Signals transmitter (contract v1.2): on when SSF_SIGNING_KEY_FILE is set.
    ...sharedSignalsFields,
  })
  .superRefine((env, ctx) => {
    for (const p of kafkaTlsSettingProblems(env))
      ctx.addIssue({ code: 'custom', path: [p.path], message: p.message });
    if (env.KAFKA_SASL_MECHANISM && (!env.KAFKA_SASL_USERNAME || !env.KAFKA_SASL_PASSWORD)) {
      ctx.addIssue({
        code: 'custom',
        path: ['KAFKA_SASL_USERNAME'],
        message: 'KAFKA_SASL_MECHANISM is set: KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are required',
      });
    }
    if (env.TWILIO_ACCOUNT_SID || env.TWILIO_AUTH_TOKEN) {
      if (!env.TWILIO_ACCOUNT_SID || !env.TWILIO_AUTH_TOKEN) {
        ctx.addIssue({
          code: 'custom',
          path: [env.TWILIO_ACCOUNT_SID ? 'TWILIO_AUTH_TOKEN' : 'TWILIO_ACCOUNT_SID'],
          message: 'Twilio needs both TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN',
        });
      } else if (!env.TWILIO_FROM && !env.TWILIO_MESSAGING_SERVICE_SID) {
        ctx.addIssue({
          code: 'custom',
          path: ['TWILIO_FROM'],
          message: 'Twilio is configured: set TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID',
        });
      }
    }
    const vapid = [env.VAPID_PUBLIC_KEY, env.VAPID_PRIVATE_KEY, env.VAPID_SUBJECT];
    if (vapid.some(Boolean) && !vapid.every(Boolean)) {
      ctx.addIssue({
        code: 'custom',
        path: ['VAPID_SUBJECT'],
        message: 'web push needs VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY and VAPID_SUBJECT together',
      });
    }
    if (!isLoopbackHost(env.ADMIN_HOST) && !env.ADMIN_TOKEN) {
      ctx.addIssue({
        code: 'custom',
        path: ['ADMIN_TOKEN'],
        message: `ADMIN_HOST=${env.ADMIN_HOST} is not a loopback address: ADMIN_TOKEN is required`,
      });
    }
    if (env.REDIS_URL && env.REDIS_CLUSTER_NODES) {
      ctx.addIssue({
        code: 'custom',
        path: ['REDIS_CLUSTER_NODES'],
        message:
          'REDIS_URL is set too: use REDIS_URL for one Redis server or REDIS_CLUSTER_NODES for a Cluster, not both',
      });
    }
    for (const [name, message] of redisSecurityIssues(env)) {
      ctx.addIssue({ code: 'custom', path: [name], message });
    }
    for (const [name, vars] of Object.entries(RESPONDER_VARIABLES)) {
      const set = vars.filter((v) => env[v] !== undefined);
      if (set.length > 0 && set.length < vars.length) {
        const missing = vars.filter((v) => env[v] === undefined);
        ctx.addIssue({
          code: 'custom',
          path: [missing[0] as string],
          message: `the ${name} responder needs ${vars.join(', ')} together; missing ${missing.join(', ')}`,
        });
      }
    }
    if ((env.SES_ENDPOINT || env.SES_REGION) && !env.SES_FROM) {
      ctx.addIssue({
        code: 'custom',
        path: ['SES_FROM'],
        message: 'SES is configured: SES_FROM is required',
      });
    }
  });

export type Env = z.output<typeof EnvSchema>;
