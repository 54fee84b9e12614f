import { hash } from 'node:crypto';

/** One remembered WebAuthn credential of an account. */
export interface RememberedCredential {
  /** The AAGUID it was registered with, lower case, when the registration named one. */
  aaguid?: string;
  /** When it was last added or used to sign in, epoch ms (event time). */
  at: number;
  /** True once a `credential.added` registered it; false while it is only known from sign-ins. */
  registered: boolean;
}

/**
 * The credentials login-alerts remembers for one account (stored as JSON, bounded by
 * `MAX_REMEMBERED_CREDENTIALS`), keyed by `credentialKey` of the credential id.
 */
export interface CredentialMemory {
  credentials: Record<string, RememberedCredential>;
}

/** At most this many credentials are remembered per account; the least recently added or used go first. */
export const MAX_REMEMBERED_CREDENTIALS = 50;

/** A memory with nothing in it. */
export function emptyCredentials(): CredentialMemory {
  return { credentials: {} };
}

/** The key a credential id is remembered under: 96 bits of its SHA-256, so long ids cost little. */
export function credentialKey(credentialId: string): string {
  return hash('sha256', credentialId, 'base64url').slice(0, 16);
}

/** The remembered credential with this id, if any (hasOwn: the memory is parsed JSON). */
export function recall(
  memory: CredentialMemory | undefined,
  credentialId: string,
): RememberedCredential | undefined {
  const all = memory?.credentials;
  const key = credentialKey(credentialId);
  return all !== undefined && Object.hasOwn(all, key) ? all[key] : undefined;
}

/** True when at least one credential was registered through `credential.added`. */
export function hasRegistered(memory: CredentialMemory | undefined): boolean {
  return Object.values(memory?.credentials ?? {}).some((c) => c?.registered === true);
}

// The most recently added or used first; entries that are not well formed (hand-edited state) go.
function bound(all: Record<string, RememberedCredential>, max: number): CredentialMemory {
  const kept = Object.entries(all)
    .filter(([, c]) => c !== null && typeof c === 'object' && Number.isFinite(c.at))
    .sort(([ka, a], [kb, b]) => b.at - a.at || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .slice(0, Math.max(0, max));
  return { credentials: Object.fromEntries(kept) };
}

/**
 * The memory after `credential.added` of `credentialId` at `at`: registered, with its AAGUID (a
 * re-registration without one keeps the AAGUID known before). Returns a new object.
 */
export function rememberAdded(
  memory: CredentialMemory | undefined,
  credentialId: string,
  aaguid: string | undefined,
  at: number,
  max = MAX_REMEMBERED_CREDENTIALS,
): CredentialMemory {
  const prev = recall(memory, credentialId);
  const entry: RememberedCredential = { at: Math.max(at, prev?.at ?? at), registered: true };
  const known = aaguid ?? prev?.aaguid;
  if (known !== undefined) entry.aaguid = known;
  return bound({ ...memory?.credentials, [credentialKey(credentialId)]: entry }, max);
}

/**
 * The memory after a successful sign-in with `credentialId` at `at`: a remembered credential is
 * marked used (so it outlives the ones nobody uses), an unknown one is remembered as seen, not
 * registered, so it is reported once rather than on every sign-in.
 */
export function rememberUsed(
  memory: CredentialMemory | undefined,
  credentialId: string,
  at: number,
  max = MAX_REMEMBERED_CREDENTIALS,
): CredentialMemory {
  const prev = recall(memory, credentialId);
  const entry: RememberedCredential = prev
    ? { ...prev, at: Math.max(at, prev.at) }
    : { at, registered: false };
  return bound({ ...memory?.credentials, [credentialKey(credentialId)]: entry }, max);
}

/** The memory after `credential.removed` of `credentialId`: it is forgotten. */
export function forget(memory: CredentialMemory | undefined, credentialId: string): CredentialMemory {
  const key = credentialKey(credentialId);
  const rest = Object.entries(memory?.credentials ?? {}).filter(([k]) => k !== key);
  return bound(Object.fromEntries(rest), MAX_REMEMBERED_CREDENTIALS);
}
