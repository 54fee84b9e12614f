import { randomBytes } from 'node:crypto';
import { AppError } from '../errors.js';
import { type KafkaTls, readKafkaTls } from './kafka-tls.js';
import { productionProblems } from './production.js';
import { type RedisSecurity, redisSecurityOf } from './redis-tls.js';
import { type Env, EnvSchema, TOPIC_ENV, type TopicName } from './schema.js';
import { readSharedSignals, type SharedSignalsConfig } from './shared-signals.js';

export type { KafkaTls } from './kafka-tls.js';

export type ChannelName = 'email' | 'sms' | 'push';

/** Where one channel's deliveries go: its provider, the outbox files, or nowhere (planned for nobody). */
export type ChannelRoute = 'provider' | 'outbox' | 'off';

/** The outbox `start` and `demo` use when OUTBOX_DIR is not set; `run` has none unless it is set. */
export const LOCAL_OUTBOX_DIR = './outbox';

/** The typed, frozen configuration every part receives; nothing below reads process.env. */
export interface Config {
  kafka: {
    brokers: string[] | undefined;
    clientId: string;
    groupId: string;
    ssl: boolean;
    /** TLS material (CA, client certificate, server name); set exactly when `ssl` is. */
    tls: KafkaTls | undefined;
    sasl:
      | { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
      | undefined;
    /** Codec of every record login-alerts produces; records of every codec are read. */
    compression: Env['KAFKA_COMPRESSION'];
    /** Replicas of each topic login-alerts creates; undefined: min(3, brokers in the cluster). */
    replicationFactor: number | undefined;
    /** A partition with lag whose committed offset has not moved for this long is stalled. */
    stallAfterMs: number;
    /** How long the group waits for a silent member before giving its partitions to another. */
    sessionTimeoutMs: number;
  };
  topics: Record<TopicName, string>;
  redisUrl: string | undefined;
  /** Seeds of a Redis Cluster (REDIS_CLUSTER_NODES); never set together with `redisUrl`. */
  redisClusterNodes: { host: string; port: number }[] | undefined;
  /** TLS and credentials for either Redis store; holds PEM text and a password: never log it. */
  redisSecurity: RedisSecurity;
  geo: { cityDb: string | undefined; asnDb: string | undefined; anonymousDb: string | undefined };
  ses:
    | { region: string; endpoint: string | undefined; from: string; configurationSet: string | undefined }
    | undefined;
  twilio:
    | {
        accountSid: string;
        authToken: string;
        from: string | undefined;
        messagingServiceSid: string | undefined;
        apiBaseUrl: string | undefined;
      }
    | undefined;
  vapid: { publicKey: string; privateKey: string; subject: string } | undefined;
  links: { secret: string; secretIsEphemeral: boolean; ttlMs: number; publicBaseUrl: string };
  /** Set only by OUTBOX_DIR (and by `start`, which defaults it): without it no channel uses the outbox. */
  outboxDir: string | undefined;
  /** Per channel: the configured provider, else the outbox when there is one, else off. */
  channelRoutes: Readonly<Record<ChannelName, ChannelRoute>>;
  /** Public listener: link pages, health, ingest. */
  httpHost: string;
  httpPort: number;
  /**
   * Admin listener: dashboard, /api, /metrics, detailed readiness; token required off loopback.
   * `allowedHosts`: the names (ADMIN_ALLOWED_HOSTS) its `Host` header may carry besides loopback and `host`.
   */
  admin: { host: string; port: number; token: string | undefined; allowedHosts: string[] };
  /** Webhook tokens: an ingest endpoint is enabled only when its token is set. */
  ingest: { auth0Token: string | undefined; oktaToken: string | undefined };
  /** Reverse proxies in front of the public listener whose X-Forwarded-For entry is trusted. */
  trustProxyHops: number;
  /** Hosts (or `*.suffix` patterns) that push endpoints may use. */
  webPushAllowedHosts: string[];
  /**
   * True when WEB_PUSH_ALLOWED_HOSTS was set: the operator's exact names may then resolve anywhere.
   * False for the defaults, whose every resolved address must be public.
   */
  webPushHostsListed: boolean;
  logLevel: Env['LOG_LEVEL'];
  windows: {
    sessionDedupeMs: number;
    eventDedupeMs: number;
    historyMs: number;
    failureWindowMs: number;
    maxAlertAgeMs: number;
  };
  failureThreshold: number;
  securityTopicAudience: 'enrolled' | 'all';
  delivery: { maxAttempts: number; backoffMs: number[] };
  memoryStoreMaxKeys: number;
  /** Containment responders (contract v1.2); an unconfigured one is undefined. */
  respond: RespondConfig;
  /** How long a claim on a containment action holds before another responder may take it over. */
  respondLeaseMs: number;
  /** The OpenID Shared Signals transmitter (contract v1.2); undefined when off. */
  sharedSignals: SharedSignalsConfig | undefined;
}

/** Where each identity provider's admin API is and the credentials login-alerts uses there. */
export interface RespondConfig {
  keycloak: { url: string; clientId: string; clientSecret: string } | undefined;
  /** `baseUrl`: https://<domain> (or the configured URL); `audience`: the Management API's identifier. */
  auth0: { baseUrl: string; audience: string; clientId: string; clientSecret: string } | undefined;
  okta: { orgUrl: string; apiToken: string } | undefined;
}

/** One line per problem: `NAME: why`. */
export function describeIssues(issues: { path: PropertyKey[]; message: string }[]): string[] {
  return issues.map((i) => `${String(i.path[0] ?? 'environment')}: ${i.message}`);
}

/**
 * Parses the environment once; throws BAD_CONFIG naming every bad variable. `production` (for
 * `run`) also requires the settings that have only local defaults.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  opts: { production?: boolean } = {},
): Readonly<Config> {
  const parsed = EnvSchema.safeParse(env);
  // Files are read only once the settings naming them are known to fit together.
  const kafkaTls = parsed.success ? readKafkaTls(parsed.data) : { tls: undefined, problems: [] };
  const ssf = parsed.success ? readSharedSignals(parsed.data) : { problems: [] };
  const problems = [
    ...(parsed.success ? [] : describeIssues(parsed.error.issues)),
    ...kafkaTls.problems,
    ...ssf.problems,
    ...(opts.production ? productionProblems(env) : []),
  ];
  if (!parsed.success || problems.length > 0) {
    throw new AppError('BAD_CONFIG', problems.join('\n'));
  }
  const e = parsed.data;
  const topics = Object.fromEntries(Object.entries(TOPIC_ENV).map(([id, name]) => [id, e[name]])) as Record<
    TopicName,
    string
  >;
  const { ses, twilio, vapid } = providersOf(e);
  const config: Config = {
    kafka: kafkaOf(e, kafkaTls.tls),
    topics,
    redisUrl: e.REDIS_URL,
    redisClusterNodes: e.REDIS_CLUSTER_NODES,
    redisSecurity: redisSecurityOf(e),
    geo: { cityDb: e.GEOIP_CITY_DB, asnDb: e.GEOIP_ASN_DB, anonymousDb: e.GEOIP_ANONYMOUS_DB },
    ses,
    twilio,
    vapid,
    links: {
      // Without a configured secret, links are signed with a per-process key: they work until restart.
      secret: e.ALERT_LINK_SECRET ?? randomBytes(32).toString('hex'),
      secretIsEphemeral: e.ALERT_LINK_SECRET === undefined,
      ttlMs: e.LINK_TTL,
      publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://127.0.0.1:${e.HTTP_PORT}`).replace(/\/+$/, ''),
    },
    outboxDir: e.OUTBOX_DIR,
    channelRoutes: {
      email: route(ses, e.OUTBOX_DIR),
      sms: route(twilio, e.OUTBOX_DIR),
      push: route(vapid, e.OUTBOX_DIR),
    },
    httpHost: e.HTTP_HOST,
    httpPort: e.HTTP_PORT,
    admin: {
      host: e.ADMIN_HOST,
      port: e.ADMIN_PORT,
      token: e.ADMIN_TOKEN,
      allowedHosts: e.ADMIN_ALLOWED_HOSTS,
    },
    ingest: { auth0Token: e.INGEST_AUTH0_TOKEN, oktaToken: e.INGEST_OKTA_TOKEN },
    trustProxyHops: e.TRUST_PROXY_HOPS,
    webPushAllowedHosts: e.WEB_PUSH_ALLOWED_HOSTS,
    // Unset or empty gives the defaults (env-fields.ts hostList): the same test here.
    webPushHostsListed: (env.WEB_PUSH_ALLOWED_HOSTS ?? '').trim() !== '',
    logLevel: e.LOG_LEVEL,
    windows: {
      sessionDedupeMs: e.SESSION_DEDUPE_WINDOW,
      eventDedupeMs: e.EVENT_DEDUPE_WINDOW,
      historyMs: e.HISTORY_WINDOW,
      failureWindowMs: e.FAILURE_WINDOW,
      maxAlertAgeMs: e.MAX_ALERT_AGE,
    },
    failureThreshold: e.FAILURE_THRESHOLD,
    securityTopicAudience: e.SECURITY_TOPIC_AUDIENCE,
    delivery: { maxAttempts: e.DELIVERY_MAX_ATTEMPTS, backoffMs: e.DELIVERY_BACKOFF },
    memoryStoreMaxKeys: e.MEMORY_STORE_MAX_KEYS,
    respond: respondersOf(e),
    respondLeaseMs: e.RESPOND_LEASE,
    sharedSignals: ssf.config,
  };
  return deepFreeze(config);
}

/** The broker connection and the consumers' group settings. */
function kafkaOf(e: Env, tls: KafkaTls | undefined): Config['kafka'] {
  return {
    brokers: e.KAFKA_BROKERS,
    clientId: e.KAFKA_CLIENT_ID,
    groupId: e.KAFKA_GROUP_ID,
    ssl: e.KAFKA_SSL,
    tls,
    sasl: e.KAFKA_SASL_MECHANISM
      ? {
          mechanism: e.KAFKA_SASL_MECHANISM,
          username: e.KAFKA_SASL_USERNAME!,
          password: e.KAFKA_SASL_PASSWORD!,
        }
      : undefined,
    compression: e.KAFKA_COMPRESSION,
    replicationFactor: e.KAFKA_REPLICATION_FACTOR,
    stallAfterMs: e.STALL_AFTER,
    sessionTimeoutMs: e.KAFKA_SESSION_TIMEOUT,
  };
}

/** The providers the environment configures; a channel without one uses the outbox or is off. */
function providersOf(e: Env): Pick<Config, 'ses' | 'twilio' | 'vapid'> {
  const ses: Config['ses'] =
    e.SES_ENDPOINT || e.SES_REGION
      ? {
          region: e.SES_REGION ?? 'us-east-1',
          endpoint: e.SES_ENDPOINT,
          from: e.SES_FROM!,
          configurationSet: e.SES_CONFIGURATION_SET,
        }
      : undefined;
  const twilio: Config['twilio'] =
    e.TWILIO_ACCOUNT_SID && e.TWILIO_AUTH_TOKEN
      ? {
          accountSid: e.TWILIO_ACCOUNT_SID,
          authToken: e.TWILIO_AUTH_TOKEN,
          from: e.TWILIO_FROM,
          messagingServiceSid: e.TWILIO_MESSAGING_SERVICE_SID,
          apiBaseUrl: e.TWILIO_API_BASE_URL,
        }
      : undefined;
  const vapid: Config['vapid'] =
    e.VAPID_PUBLIC_KEY && e.VAPID_PRIVATE_KEY && e.VAPID_SUBJECT
      ? { publicKey: e.VAPID_PUBLIC_KEY, privateKey: e.VAPID_PRIVATE_KEY, subject: e.VAPID_SUBJECT }
      : undefined;
  return { ses, twilio, vapid };
}

/** The responders the environment configures (the schema has refused half configurations). */
function respondersOf(e: Env): RespondConfig {
  const trim = (url: string) => url.replace(/\/+$/, '');
  const auth0Base = e.RESPOND_AUTH0_DOMAIN
    ? trim(
        /^https?:\/\//.test(e.RESPOND_AUTH0_DOMAIN)
          ? e.RESPOND_AUTH0_DOMAIN
          : `https://${e.RESPOND_AUTH0_DOMAIN}`,
      )
    : undefined;
  return {
    keycloak:
      e.RESPOND_KEYCLOAK_URL && e.RESPOND_KEYCLOAK_CLIENT_ID && e.RESPOND_KEYCLOAK_CLIENT_SECRET
        ? {
            url: trim(e.RESPOND_KEYCLOAK_URL),
            clientId: e.RESPOND_KEYCLOAK_CLIENT_ID,
            clientSecret: e.RESPOND_KEYCLOAK_CLIENT_SECRET,
          }
        : undefined,
    auth0:
      auth0Base && e.RESPOND_AUTH0_CLIENT_ID && e.RESPOND_AUTH0_CLIENT_SECRET
        ? {
            baseUrl: auth0Base,
            audience: `${auth0Base}/api/v2/`,
            clientId: e.RESPOND_AUTH0_CLIENT_ID,
            clientSecret: e.RESPOND_AUTH0_CLIENT_SECRET,
          }
        : undefined,
    okta:
      e.RESPOND_OKTA_ORG_URL && e.RESPOND_OKTA_API_TOKEN
        ? { orgUrl: trim(e.RESPOND_OKTA_ORG_URL), apiToken: e.RESPOND_OKTA_API_TOKEN }
        : undefined,
  };
}

function route(provider: object | undefined, outboxDir: string | undefined): ChannelRoute {
  if (provider) return 'provider';
  return outboxDir === undefined ? 'off' : 'outbox';
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
