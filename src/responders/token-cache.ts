// Access tokens, cached until shortly before they expire, one fetch at a time per key.

/** A token is used until this long before its expiry, so it never expires in flight. */
const EARLY_MS = 30_000;

export interface Token {
  value: string;
  /** seconds, as OAuth's expires_in */
  expiresInS: number;
}

/** A per-key cache of bearer tokens; concurrent callers share one fetch. */
export class TokenCache {
  private readonly tokens = new Map<string, { value: string; until: number }>();
  private readonly pending = new Map<string, Promise<string>>();

  constructor(private readonly now: () => number = Date.now) {}

  async get(key: string, fetchToken: () => Promise<Token>): Promise<string> {
    const cached = this.tokens.get(key);
    if (cached && this.now() < cached.until) return cached.value;
    const inFlight = this.pending.get(key);
    if (inFlight) return inFlight;
    const started = this.now();
    const fetching = fetchToken()
      .then((t) => {
        // A token shorter-lived than the margin is used once, never cached.
        const until = started + t.expiresInS * 1000 - EARLY_MS;
        if (until > this.now()) this.tokens.set(key, { value: t.value, until });
        return t.value;
      })
      .finally(() => this.pending.delete(key));
    this.pending.set(key, fetching);
    return fetching;
  }

  /** Forgets a token the IdP refused (revoked or rotated before its expiry). */
  invalidate(key: string): void {
    this.tokens.delete(key);
  }
}

/** `{access_token, expires_in}` from an OAuth token endpoint's JSON, or undefined. */
export function oauthToken(json: unknown): Token | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const { access_token, expires_in } = json as { access_token?: unknown; expires_in?: unknown };
  if (typeof access_token !== 'string' || access_token === '') return undefined;
  const expiresInS = typeof expires_in === 'number' && expires_in > 0 ? expires_in : 60;
  return { value: access_token, expiresInS };
}

/**
 * Runs `call` with the cached token; a 401 drops the token and tries once more with a fresh one (a token
 * revoked or rotated before its expiry), so only a second 401 reaches the caller.
 */
export async function withToken<T extends { status: number }>(
  cache: TokenCache,
  key: string,
  fetchToken: () => Promise<Token>,
  call: (token: string) => Promise<T>,
): Promise<T> {
  const first = await call(await cache.get(key, fetchToken));
  if (first.status !== 401) return first;
  cache.invalidate(key);
  return call(await cache.get(key, fetchToken));
}
