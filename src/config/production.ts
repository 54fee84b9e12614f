import { isLoopbackHost } from './env-fields.js';

/**
 * What `run` requires beyond a valid environment (contract "Production settings"): the settings
 * that have only local defaults, secrets that are not placeholders, and links that travel over TLS.
 * Each problem is one line, `NAME: why`; `start` checks none of this and keeps its local defaults.
 */
export function productionProblems(env: NodeJS.ProcessEnv): string[] {
  return [...missingSettings(env), ...placeholderSecrets(env), ...insecureBaseUrl(env)];
}

/** The variables holding secrets: none may be a value copied from an example. */
export const SECRET_VARIABLES = [
  'ALERT_LINK_SECRET',
  'ADMIN_TOKEN',
  'INGEST_AUTH0_TOKEN',
  'INGEST_OKTA_TOKEN',
  'KAFKA_SASL_PASSWORD',
  'REDIS_PASSWORD',
  'TWILIO_AUTH_TOKEN',
  'VAPID_PRIVATE_KEY',
  'RESPOND_KEYCLOAK_CLIENT_SECRET',
  'RESPOND_AUTH0_CLIENT_SECRET',
  'RESPOND_OKTA_API_TOKEN',
] as const;

/** Variables holding `name=secret` pairs: each secret is checked like a secret variable. */
export const SECRET_PAIR_VARIABLES = ['SSF_RECEIVERS'] as const;

/** The opt-out of the https rule, for a TLS-terminating proxy on the same host. */
export const ALLOW_HTTP_VARIABLE = 'PUBLIC_BASE_URL_ALLOW_HTTP';

/** Values published as examples (docker-compose.yml's former defaults): known to everyone. */
const KNOWN_PLACEHOLDERS = new Set([
  'change-me-change-me-change-me-change-me',
  'change-me-admin-token-change-me',
]);
/** Compared with the value lower-cased and stripped of everything but letters and digits. */
const PLACEHOLDER_PREFIXES = ['changeme', 'replaceme', 'example', 'secret', 'password', 'placeholder'];

/**
 * True for a value that is an example rather than a secret: a published placeholder, one that
 * starts with a placeholder word (`change-me…`, `CHANGEME…`, `replace_me…`, `example…`, `secret…`,
 * `password…`, `placeholder…`), or one short unit repeated (`aaaa…`, `abcabc…`, `change-me-change-me…`).
 */
export function isPlaceholderSecret(value: string): boolean {
  const v = value.trim();
  if (KNOWN_PLACEHOLDERS.has(v.toLowerCase())) return true;
  const letters = v.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (PLACEHOLDER_PREFIXES.some((p) => letters.startsWith(p))) return true;
  return repeatsUnit(v) || (letters.length > 0 && repeatsUnit(letters));
}

/** The whole text is one unit of 1–10 characters repeated at least three times. */
function repeatsUnit(text: string): boolean {
  for (let unit = 1; unit <= 10 && unit * 3 <= text.length; unit++) {
    if (text.length % unit !== 0) continue;
    const head = text.slice(0, unit);
    if (head.repeat(text.length / unit) === text) return true;
  }
  return false;
}

function missingSettings(env: NodeJS.ProcessEnv): string[] {
  const missing: string[] = [];
  const unset = (name: string) => (env[name] ?? '').trim() === '';
  if (unset('KAFKA_BROKERS'))
    missing.push('KAFKA_BROKERS: required for `run` (use `start` for a local broker)');
  // Links signed with a per-process secret stop working at the next restart and differ between
  // replicas; links to 127.0.0.1 lead nowhere for the person reading the alert.
  if (unset('ALERT_LINK_SECRET'))
    missing.push('ALERT_LINK_SECRET: required for `run`: at least 32 characters, the same on every replica');
  if (unset('PUBLIC_BASE_URL'))
    missing.push('PUBLIC_BASE_URL: required for `run`: the public URL the links in alerts point to');
  return missing;
}

function placeholderSecrets(env: NodeJS.ProcessEnv): string[] {
  const secrets = (name: string): string[] =>
    (SECRET_PAIR_VARIABLES as readonly string[]).includes(name)
      ? (env[name] ?? '').split(',').map((pair) => pair.slice(pair.indexOf('=') + 1).trim())
      : [(env[name] ?? '').trim()];
  return [...SECRET_VARIABLES, ...SECRET_PAIR_VARIABLES]
    .filter((name) => secrets(name).some((value) => value !== '' && isPlaceholderSecret(value)))
    .map(
      (name) =>
        `${name}: looks like a placeholder, not a secret: set a random value (e.g. \`openssl rand -hex 32\`)`,
    );
}

/**
 * PUBLIC_BASE_URL must be https: the links carry a token that confirms a report. http is accepted
 * for a loopback host (local testing) or with PUBLIC_BASE_URL_ALLOW_HTTP=true (a TLS-terminating
 * proxy on the same host serves it as https).
 */
function insecureBaseUrl(env: NodeJS.ProcessEnv): string[] {
  const text = (env.PUBLIC_BASE_URL ?? '').trim();
  if (text === '' || !URL.canParse(text)) return [];
  const url = new URL(text);
  if (url.protocol === 'https:') return [];
  if (url.protocol !== 'http:') return [`PUBLIC_BASE_URL: expected an https URL, got ${url.protocol}`];
  const optedOut = /^(true|1|yes)$/i.test((env[ALLOW_HTTP_VARIABLE] ?? '').trim());
  if (optedOut || isLoopbackHost(url.hostname)) return [];
  return [
    `PUBLIC_BASE_URL: must be https for \`run\` (http only for a loopback host, or with ${ALLOW_HTTP_VARIABLE}=true when a TLS-terminating proxy on this host serves it)`,
  ];
}
